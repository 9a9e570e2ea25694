//! Events over GraphQL: reporting (with photo uploads), the workflow mutations, the `events`
//! list, `possibleDuplicates`, deadline rules and the points leaderboard.
use super::account::Account;
use super::loaders::Loaders;
use super::page::{connection, connection_cost};
use super::people::MemberUnit;
use super::region::Region;
use super::resident::Resident;
use super::{actor, state};
use crate::domain::event::{
    self as rules, DeadlinePolicy, DeadlineStage, DeadlineStatus, EventAction, EventCategory,
    EventPriority, EventSource, EventState, ReporterKind, Resolution, Step,
};
use crate::domain::page::PageRequest;
use crate::domain::region::RegionLevel;
use crate::error::AppError;
use crate::service::event::{self as service, NewReport, StepInput};
use crate::service::photo::IncomingPhoto;
use crate::store::event::{DeadlineRuleRow, EventFilter, EventRow, StepRow};
use crate::store::photo::PhotoRow;
use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use std::io::Read;
use uuid::Uuid;

#[derive(SimpleObject)]
pub struct Location {
    pub lat: f64,
    pub lng: f64,
    pub address: Option<String>,
}

/// A stored photo. Fetch `url` with the same bearer token; only callers who may see what the
/// photo belongs to get it.
#[derive(SimpleObject)]
pub struct Photo {
    pub id: Uuid,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the content (the app can skip re-downloading a picture it has).
    pub sha256: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

impl From<PhotoRow> for Photo {
    fn from(row: PhotoRow) -> Self {
        Photo {
            url: format!("/photos/{}", row.id),
            id: row.id,
            content_type: row.content_type,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
            created_at: row.created_at,
        }
    }
}

/// One clock of an event.
#[derive(SimpleObject)]
pub struct Deadline {
    pub stage: DeadlineStage,
    pub due_at: DateTime<Utc>,
    pub met_at: Option<DateTime<Utc>>,
    /// When the sweep recorded the breach.
    pub breached_at: Option<DateTime<Utc>>,
    pub status: DeadlineStatus,
}

pub struct Event(pub EventRow);

impl Event {
    fn deadlines_at(&self, now: DateTime<Utc>) -> Vec<Deadline> {
        let e = &self.0;
        let clocks = [
            (
                DeadlineStage::Accept,
                e.accept_due_at,
                e.accept_met_at,
                e.accept_breached_at,
                e.accept_minutes,
            ),
            (
                DeadlineStage::Plan,
                e.plan_due_at,
                e.plan_met_at,
                e.plan_breached_at,
                e.plan_minutes,
            ),
            (
                DeadlineStage::Close,
                e.close_due_at,
                e.close_met_at,
                e.close_breached_at,
                e.close_minutes,
            ),
        ];
        clocks
            .into_iter()
            .map(|(stage, due_at, met_at, breached_at, minutes)| Deadline {
                stage,
                due_at,
                met_at,
                breached_at,
                status: rules::deadline_status(
                    rules::Clock {
                        due_at,
                        met_at,
                        minutes: minutes as i64,
                    },
                    now,
                    e.suspended_at,
                ),
            })
            .collect()
    }
}

#[Object]
impl Event {
    /// The client-minted id the report was filed under.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn category(&self) -> EventCategory {
        self.0.category
    }
    async fn source(&self) -> EventSource {
        self.0.source
    }
    async fn priority(&self) -> EventPriority {
        self.0.priority
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn location(&self) -> Location {
        Location {
            lat: self.0.lat,
            lng: self.0.lng,
            address: self.0.address.clone(),
        }
    }
    /// When the phone took the photo / GPS fix; deadlines run from here.
    async fn captured_at(&self) -> DateTime<Utc> {
        self.0.captured_at
    }
    /// When the report reached the server.
    async fn reported_at(&self) -> DateTime<Utc> {
        self.0.reported_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn state(&self) -> EventState {
        self.0.state
    }
    /// Which level handles the event (raised by escalation).
    async fn level(&self) -> RegionLevel {
        self.0.level
    }
    async fn resolution(&self) -> Option<Resolution> {
        self.0.resolution
    }
    /// The reporter's satisfaction (1–5) recorded at closing.
    async fn satisfaction(&self) -> Option<i32> {
        self.0.satisfaction.map(i32::from)
    }
    async fn suspended_at(&self) -> Option<DateTime<Utc>> {
        self.0.suspended_at
    }
    /// Seconds spent suspended so far (completed suspensions).
    async fn paused_seconds(&self) -> i64 {
        self.0.paused_seconds
    }
    async fn reporter_name(&self) -> &str {
        &self.0.reporter_name
    }
    async fn reporter_kind(&self) -> ReporterKind {
        self.0.reporter_kind
    }
    /// The reporter's account, when it is in your scope.
    async fn reporter(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .account_by_id
            .load_one(self.0.reporter_account_id)
            .await?
            .map(Account::from))
    }
    /// The grid, when it is in your scope (a unit liaison sees the address instead).
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .region_by_id
            .load_one(self.0.grid_id)
            .await?
            .map(Region::from))
    }
    /// The member unit the event is dispatched to.
    async fn assigned_unit(&self, ctx: &Context<'_>) -> Result<Option<MemberUnit>> {
        let Some(id) = self.0.assigned_unit_id else {
            return Ok(None);
        };
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .member_unit_by_id
            .load_one(id)
            .await?
            .map(MemberUnit::from))
    }
    /// For a rejected duplicate: the original.
    async fn duplicate_of(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        load_event(ctx, self.0.duplicate_of_id).await
    }
    /// For a merged event: the event it was merged into.
    async fn merged_into(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        load_event(ctx, self.0.merged_into_id).await
    }
    async fn photos(&self, ctx: &Context<'_>) -> Result<Vec<Photo>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .event_photos
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Photo::from)
            .collect())
    }
    /// Every step so far, oldest first. Entries are never changed.
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<TimelineEntry>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .steps_by_event
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(TimelineEntry::from)
            .collect())
    }
    /// Accept, plan and close clocks with their status now.
    async fn deadlines(&self, ctx: &Context<'_>) -> Vec<Deadline> {
        self.deadlines_at(state(ctx).now())
    }
    /// Some clock has run out unmet.
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        self.0.suspended_at.is_none()
            && self
                .deadlines_at(state(ctx).now())
                .iter()
                .any(|d| d.met_at.is_none() && d.status == DeadlineStatus::Breached)
    }
    /// Residents the report concerns. Only callers who may see residents get them (masked);
    /// part-time grid members and unit liaisons get an empty list.
    async fn related_residents(&self, ctx: &Context<'_>) -> Result<Vec<Resident>> {
        let actor = actor(ctx)?;
        if !actor.principal.sees_residents() {
            return Ok(Vec::new());
        }
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .residents_by_event
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Resident::from)
            .collect())
    }
}

async fn load_event(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Event>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let loaders = ctx.data_unchecked::<Loaders>();
    Ok(loaders.event_by_id.load_one(id).await?.map(Event))
}

/// One immutable step of an event's handling, with its detail parsed once.
pub struct TimelineEntry(StepRow, serde_json::Value);

impl From<StepRow> for TimelineEntry {
    fn from(row: StepRow) -> Self {
        let detail = row
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(serde_json::Value::Null);
        TimelineEntry(row, detail)
    }
}

impl TimelineEntry {
    fn detail(&self) -> &serde_json::Value {
        &self.1
    }
}

#[Object]
impl TimelineEntry {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn action(&self) -> EventAction {
        self.0.action
    }
    async fn from_state(&self) -> Option<EventState> {
        self.0.from_state
    }
    async fn to_state(&self) -> Option<EventState> {
        self.0.to_state
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Who took the step ("系统" for the deadline sweep).
    async fn actor_name(&self) -> &str {
        &self.0.actor_name
    }
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let Some(id) = self.0.actor_account_id else {
            return Ok(None);
        };
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders.account_by_id.load_one(id).await?.map(Account::from))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// DISPATCHED: the unit's name.
    async fn unit_name(&self) -> Option<String> {
        self.detail()["unitName"].as_str().map(str::to_owned)
    }
    /// DEADLINE_BREACHED: which clock.
    async fn stage(&self) -> Option<DeadlineStage> {
        self.detail()["stage"]
            .as_str()
            .and_then(DeadlineStage::parse)
    }
    /// MERGED_FROM: the events merged into this one.
    async fn merged_event_ids(&self) -> Vec<Uuid> {
        self.detail()["mergedEventIds"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok()))
                    .collect()
            })
            .unwrap_or_default()
    }
    /// RESUMED: how long the event was suspended.
    async fn paused_seconds(&self) -> Option<i64> {
        self.detail()["pausedSeconds"].as_i64()
    }
    async fn photos(&self, ctx: &Context<'_>) -> Result<Vec<Photo>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .step_photos
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Photo::from)
            .collect())
    }
}

#[derive(InputObject)]
pub struct LocationInput {
    pub lat: f64,
    pub lng: f64,
    pub address: Option<String>,
}

#[derive(InputObject)]
pub struct ReportInput {
    /// A UUID the app mints when the report is made (v7 recommended). Retries send the same id.
    pub client_id: Uuid,
    pub category: EventCategory,
    #[graphql(default_with = "EventSource::Patrol")]
    pub source: EventSource,
    #[graphql(default_with = "EventPriority::Normal")]
    pub priority: EventPriority,
    pub title: String,
    #[graphql(default)]
    pub description: String,
    pub location: LocationInput,
    /// When the photo / GPS fix was taken on the phone. Not in the future.
    pub captured_at: DateTime<Utc>,
    /// The grid; when absent, the grid in your scope whose boundary holds the location.
    pub grid_id: Option<Uuid>,
    #[graphql(default)]
    pub resident_ids: Vec<Uuid>,
    /// Up to 9 photos (JPEG, PNG, WebP, HEIC; 10 MB each), as GraphQL multipart uploads.
    #[graphql(default)]
    pub photos: Vec<Upload>,
}

/// Reads uploads into memory, each capped one byte over the limit so an oversized file is
/// recognised without reading it all.
pub(super) fn read_uploads(
    ctx: &Context<'_>,
    field: &str,
    uploads: Vec<Upload>,
) -> Result<Vec<IncomingPhoto>, AppError> {
    let max = state(ctx).settings.limits.max_file_bytes as u64;
    uploads
        .into_iter()
        .enumerate()
        .map(|(i, upload)| {
            let bad = || AppError::bad_input(format!("{field}.{i}"), "无法读取上传的照片");
            let value = upload.value(ctx).map_err(|_| bad())?;
            let mut bytes = Vec::new();
            value
                .into_read()
                .take(max + 1)
                .read_to_end(&mut bytes)
                .map_err(|_| bad())?;
            Ok(IncomingPhoto::new(bytes))
        })
        .collect()
}

fn new_report(ctx: &Context<'_>, field: &str, input: ReportInput) -> Result<NewReport, AppError> {
    Ok(NewReport {
        client_id: input.client_id,
        category: input.category,
        source: input.source,
        priority: input.priority,
        title: input.title,
        description: input.description,
        lat: input.location.lat,
        lng: input.location.lng,
        address: input.location.address,
        captured_at: input.captured_at,
        grid_id: input.grid_id,
        resident_ids: input.resident_ids,
        photos: read_uploads(ctx, field, input.photos)?,
    })
}

/// The outcome of one report in `syncReports`.
#[derive(SimpleObject)]
pub struct SyncResult {
    pub client_id: Uuid,
    pub event: Option<Event>,
    pub error: Option<SyncError>,
}

#[derive(SimpleObject)]
pub struct SyncError {
    /// The same codes as `extensions.code`.
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl From<AppError> for SyncError {
    fn from(e: AppError) -> Self {
        if let AppError::Internal(cause) = &e {
            crate::error::log_internal(cause, "report in a sync batch failed");
        }
        SyncError {
            code: e.code().to_owned(),
            message: e.message(),
            field: match &e {
                AppError::BadUserInput { field, .. } => Some(field.clone()),
                AppError::Conflict { field, .. } => field.clone(),
                _ => None,
            },
        }
    }
}

#[derive(InputObject, Default)]
pub struct EventFilterInput {
    /// Events in grids under this region.
    pub region_id: Option<Uuid>,
    pub grid_id: Option<Uuid>,
    #[graphql(default)]
    pub states: Vec<EventState>,
    pub category: Option<EventCategory>,
    pub source: Option<EventSource>,
    pub priority: Option<EventPriority>,
    pub reporter_id: Option<Uuid>,
    pub reporter_kind: Option<ReporterKind>,
    pub assigned_unit_id: Option<Uuid>,
    /// true: some clock has run out unmet; false: none has.
    pub overdue: Option<bool>,
    /// Reported at or after.
    pub from: Option<DateTime<Utc>>,
    /// Reported before.
    pub to: Option<DateTime<Utc>>,
    /// In title, description or address.
    pub text: Option<String>,
}

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

/// A near open event of the same category.
#[derive(SimpleObject)]
pub struct PossibleDuplicate {
    pub event: Event,
    pub distance_meters: f64,
}

#[derive(SimpleObject)]
pub struct DeadlineRule {
    /// `null`: any category.
    pub category: Option<EventCategory>,
    /// `null`: any priority.
    pub priority: Option<EventPriority>,
    pub accept_minutes: i32,
    pub plan_minutes: i32,
    pub close_minutes: i32,
    pub updated_at: DateTime<Utc>,
}

/// `*` (any) or a code; any other stored value is corrupt.
fn rule_part<T>(code: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>, AppError> {
    if code == "*" {
        return Ok(None);
    }
    parse(code).map(Some).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "unknown deadline rule code {code:?} stored"
        ))
    })
}

impl TryFrom<DeadlineRuleRow> for DeadlineRule {
    type Error = AppError;

    fn try_from(row: DeadlineRuleRow) -> Result<Self, AppError> {
        Ok(DeadlineRule {
            category: rule_part(&row.category, EventCategory::parse)?,
            priority: rule_part(&row.priority, EventPriority::parse)?,
            accept_minutes: row.accept_minutes,
            plan_minutes: row.plan_minutes,
            close_minutes: row.close_minutes,
            updated_at: row.updated_at,
        })
    }
}

#[derive(SimpleObject)]
pub struct LeaderboardEntry {
    pub rank: i32,
    pub account_id: Uuid,
    pub name: String,
    pub points: i64,
    pub accepted_reports: i64,
    pub on_site_resolutions: i64,
}

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    async fn event(&self, ctx: &Context<'_>, id: Uuid) -> Result<Event> {
        Ok(Event(service::get(state(ctx), actor(ctx)?, id).await?))
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
        let rows =
            service::list(state(ctx), actor, filter, region_id, page.first + 1, after).await?;
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

#[derive(Default)]
pub struct EventMutation;

async fn step(ctx: &Context<'_>, event_id: Uuid, step: Step, input: StepInput) -> Result<Event> {
    Ok(Event(
        service::apply_step(state(ctx), actor(ctx)?, event_id, step, input).await?,
    ))
}

fn note_only(note: Option<String>) -> StepInput {
    StepInput {
        note,
        ..StepInput::default()
    }
}

#[Object]
impl EventMutation {
    /// Files a report. Safe to retry with the same `clientId`: the first answer comes back.
    async fn report_event(&self, ctx: &Context<'_>, input: ReportInput) -> Result<Event> {
        let actor = actor(ctx)?;
        let report = new_report(ctx, "input.photos", input)?;
        Ok(Event(
            service::report_event(state(ctx), actor, report).await?,
        ))
    }

    /// Sends an offline queue (at most 50). Each report succeeds or fails alone; results are in
    /// the order sent.
    async fn sync_reports(
        &self,
        ctx: &Context<'_>,
        reports: Vec<ReportInput>,
    ) -> Result<Vec<SyncResult>> {
        let actor = actor(ctx)?;
        if reports.len() > service::MAX_SYNC {
            return Err(AppError::bad_input(
                "reports",
                format!("一次最多同步 {} 条上报", service::MAX_SYNC),
            )
            .into());
        }
        let mut ids = Vec::with_capacity(reports.len());
        let mut parsed = Vec::with_capacity(reports.len());
        for (i, report) in reports.into_iter().enumerate() {
            ids.push(report.client_id);
            parsed.push(new_report(ctx, &format!("reports.{i}.photos"), report));
        }
        let mut results = Vec::with_capacity(parsed.len());
        for (client_id, report) in ids.into_iter().zip(parsed) {
            let outcome = match report {
                Ok(report) => service::report_event(state(ctx), actor, report).await,
                Err(e) => Err(e),
            };
            results.push(match outcome {
                Ok(row) => SyncResult {
                    client_id,
                    event: Some(Event(row)),
                    error: None,
                },
                Err(e) => SyncResult {
                    client_id,
                    event: None,
                    error: Some(SyncError::from(e)),
                },
            });
        }
        Ok(results)
    }

    async fn accept_event(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        note: Option<String>,
    ) -> Result<Event> {
        step(ctx, id, Step::Accept, note_only(note)).await
    }

    /// Rejects an invalid report (`reason` required); `duplicateOfId` links the original.
    async fn reject_event(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: String,
        duplicate_of_id: Option<Uuid>,
    ) -> Result<Event> {
        step(
            ctx,
            id,
            Step::Reject,
            StepInput {
                note: Some(reason),
                duplicate_of: duplicate_of_id,
                ..StepInput::default()
            },
        )
        .await
    }

    /// Hands the event to a member unit ("the centre blows the whistle").
    async fn dispatch_event(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        unit_id: Uuid,
        instructions: Option<String>,
    ) -> Result<Event> {
        step(
            ctx,
            id,
            Step::Dispatch,
            StepInput {
                note: instructions,
                unit_id: Some(unit_id),
                ..StepInput::default()
            },
        )
        .await
    }

    async fn start_event(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        note: Option<String>,
    ) -> Result<Event> {
        step(ctx, id, Step::Start, note_only(note)).await
    }

    /// Reports the result. `ON_SITE`: a small matter a grid member settled on the spot.
    async fn resolve_event(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        #[graphql(default_with = "Resolution::Handled")] resolution: Resolution,
        result: String,
        #[graphql(default)] photos: Vec<Upload>,
    ) -> Result<Event> {
        let photos = read_uploads(ctx, "photos", photos)?;
        step(
            ctx,
            id,
            Step::Resolve(resolution),
            StepInput {
                note: Some(result),
                photos,
                ..StepInput::default()
            },
        )
        .await
    }

    /// The community verifies the result and closes; `satisfaction` 1–5 from the reporter.
    async fn close_event(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        satisfaction: Option<i32>,
        note: Option<String>,
    ) -> Result<Event> {
        step(
            ctx,
            id,
            Step::Close,
            StepInput {
                note,
                satisfaction,
                ..StepInput::default()
            },
        )
        .await
    }

    /// "Not fixed": back to the last handler, close clock restarted.
    async fn reopen_event(&self, ctx: &Context<'_>, id: Uuid, reason: String) -> Result<Event> {
        step(ctx, id, Step::Reopen, note_only(Some(reason))).await
    }

    /// Clocks pause until `resumeEvent`.
    async fn suspend_event(&self, ctx: &Context<'_>, id: Uuid, reason: String) -> Result<Event> {
        step(ctx, id, Step::Suspend, note_only(Some(reason))).await
    }

    async fn resume_event(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        note: Option<String>,
    ) -> Result<Event> {
        step(ctx, id, Step::Resume, note_only(note)).await
    }

    /// Hands the event up one level (community → sub-district → city).
    async fn escalate_event(&self, ctx: &Context<'_>, id: Uuid, reason: String) -> Result<Event> {
        step(ctx, id, Step::Escalate, note_only(Some(reason))).await
    }

    /// Merges duplicate reports into `targetId`; returns the target.
    async fn merge_events(
        &self,
        ctx: &Context<'_>,
        target_id: Uuid,
        source_ids: Vec<Uuid>,
        note: Option<String>,
    ) -> Result<Event> {
        Ok(Event(
            service::merge_events(state(ctx), actor(ctx)?, target_id, source_ids, note).await?,
        ))
    }

    /// Sets the clocks for a category and/or priority (omit one for "any"). City admins.
    async fn set_deadline_rule(
        &self,
        ctx: &Context<'_>,
        category: Option<EventCategory>,
        priority: Option<EventPriority>,
        accept_minutes: i32,
        plan_minutes: i32,
        close_minutes: i32,
    ) -> Result<DeadlineRule> {
        let policy = DeadlinePolicy {
            accept_minutes: accept_minutes as i64,
            plan_minutes: plan_minutes as i64,
            close_minutes: close_minutes as i64,
        };
        Ok(
            service::set_deadline_rule(state(ctx), actor(ctx)?, category, priority, policy)
                .await?
                .try_into()?,
        )
    }
}
