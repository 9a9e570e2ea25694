//! The event queries: one event, the filtered list, possible duplicates, deadline rules, the
//! leaderboard.
use super::types::{DeadlineRule, Event, EventFilterInput, LeaderboardEntry, PossibleDuplicate};
use crate::domain::page::PageRequest;
use crate::error::AppError;
use crate::graphql::loaders::Loaders;
use crate::graphql::page::{connection, connection_cost};
use crate::graphql::{actor, state};
use crate::service::event as service;
use crate::store::event::{Along, EventFilter, EventRow, ListAlong, Listed, RowRead};
use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a filter adds to a list call's price: a text search and the overdue test scan rows that
/// no index narrows, so a request can hold only a few of them.
fn filter_cost(filter: &Option<EventFilterInput>) -> usize {
    filter.as_ref().map_or(0, |f| {
        let text = f.text.as_ref().map_or(0, |_| 1_000);
        let overdue = f.overdue.map_or(0, |_| 250);
        text + overdue
    })
}

/// A list argument with repeats dropped, first occurrence kept.
fn distinct<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn event_cursor(row: &EventRow) -> String {
    format!("{}:{}", row.reported_at.timestamp_micros(), row.id)
}

fn parse_event_cursor(raw: &str) -> Result<(DateTime<Utc>, Uuid), AppError> {
    let bad = || AppError::bad_input("after", "无效的分页游标");
    let (micros, id) = raw.split_once(':').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    Ok((at, Uuid::parse_str(id).map_err(|_| bad())?))
}

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    async fn event(&self, ctx: &Context<'_>, id: Uuid) -> Result<Event> {
        // The grid, photos and timeline the document asks for, in the event's statement.
        let look = ctx.look_ahead();
        let along = Along {
            grid: look.field("grid").exists(),
            photos: look.field("photos").exists(),
            steps: look.field("timeline").exists(),
        };
        let detail = service::get_detail(state(ctx), actor(ctx)?, id, along).await?;
        Ok(Event(ctx.data_unchecked::<Loaders>().hold_detail(detail)))
    }

    /// Events you can see, newest first.
    #[graphql(complexity = "connection_cost(first, child_complexity) + filter_cost(&filter)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Event>> {
        let actor = actor(ctx)?;
        let page = PageRequest::new(first, after.as_deref())?;
        let after = page.after.as_deref().map(parse_event_cursor).transpose()?;
        let f = filter.unwrap_or_default();
        let text_pattern = f.text.as_deref().map(service::like_pattern).transpose()?;
        let region_id = f.region_id;
        let filter = EventFilter {
            region_path: None,
            region_few_grids: false,
            grid_id: f.grid_id,
            states: distinct(f.states),
            category: f.category,
            source: f.source,
            priority: f.priority,
            reporter_account_id: f.reporter_id,
            reporter_kind: f.reporter_kind,
            assigned_unit_id: f.assigned_unit_id,
            overdue: f.overdue,
            reported_from: f.from,
            reported_to: f.to,
            text_pattern,
        };
        // Only the columns the selected fields read.
        let look = ctx.look_ahead();
        let nodes = look.field("edges").field("node").selection_fields();
        let nodes: Vec<_> = nodes
            .into_iter()
            .chain(look.field("nodes").selection_fields())
            .collect();
        let columns = super::types::columns_for(nodes.iter().flat_map(|node| node.selection_set()));
        let link = |field: &str| crate::graphql::look::link(&nodes, field);
        let (reporters, units) = (link("reporter"), link("assignedUnit"));
        let grids = link("grid").wanted();
        // Grids, reporters and units in the list's statement (PostgreSQL; elsewhere each kind
        // in one statement, side by side); reporters and units by name alone when the document
        // asks them for nothing else.
        let along = ListAlong {
            grids,
            reporters,
            units,
        };
        let listed = service::list(
            state(ctx),
            actor,
            filter,
            region_id,
            page.first + 1,
            after,
            RowRead { columns, along },
        )
        .await?;
        let loaders = ctx.data_unchecked::<Loaders>();
        let mut rows = Vec::with_capacity(listed.len());
        for Listed {
            event,
            grid,
            reporter,
            unit,
        } in listed
        {
            if let Some(grid) = grid {
                loaders.hold_region(event.grid_id, grid);
            }
            if let Some(reporter) = reporter {
                loaders.hold_account(event.reporter_account_id, reporter);
            }
            if let (Some(id), Some(unit)) = (event.assigned_unit_id, unit) {
                loaders.hold_member_unit(id, unit);
            }
            rows.push(event);
        }
        // What was not read along.
        let pick = |wanted: bool, key: fn(&EventRow) -> Option<Uuid>| {
            if wanted {
                rows.iter().filter_map(key).collect()
            } else {
                Vec::new()
            }
        };
        loaders
            .read_ahead(
                pick(grids, |r| Some(r.grid_id)),
                pick(reporters.wanted(), |r| Some(r.reporter_account_id)),
                pick(units.wanted(), |r| r.assigned_unit_id),
            )
            .await?;
        Ok(connection(rows, &page, event_cursor, Event))
    }

    /// Open events of the same category within 50 m captured in the 72 hours before this one,
    /// nearest first: candidates for `mergeEvents`.
    async fn possible_duplicates(
        &self,
        ctx: &Context<'_>,
        event_id: Uuid,
    ) -> Result<Vec<PossibleDuplicate>> {
        let rows = service::possible_duplicates(state(ctx), actor(ctx)?, event_id, 50.0).await?;
        Ok(rows
            .into_iter()
            .map(|(row, d)| PossibleDuplicate {
                event: Event(row),
                distance_meters: (d * 10.0).round() / 10.0,
            })
            .collect())
    }

    /// Deadline rules by category and priority; events get the most specific that matches
    /// (the built-in default is 60 / 1440 / 10080 minutes).
    async fn deadline_rules(&self, ctx: &Context<'_>) -> Result<Vec<DeadlineRule>> {
        Ok(service::deadline_rules(state(ctx), actor(ctx)?)
            .await?
            .into_iter()
            .map(DeadlineRule::try_from)
            .collect::<Result<_, _>>()?)
    }

    /// Points earned in grids under a region, `[from, to)`, best first.
    async fn leaderboard(
        &self,
        ctx: &Context<'_>,
        region_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> Result<Vec<LeaderboardEntry>> {
        let rows = service::leaderboard(state(ctx), actor(ctx)?, region_id, from, to, first as u64)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| LeaderboardEntry {
                rank: r.rank as i32,
                account_id: r.account_id,
                name: r.name,
                points: r.points,
                accepted_reports: r.accepted_reports,
                on_site_resolutions: r.on_site_resolutions,
            })
            .collect())
    }
}
