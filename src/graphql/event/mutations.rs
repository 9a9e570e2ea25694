//! The event mutations: reporting (one or a synced batch), the workflow steps, merging,
//! deadline rules.
use super::types::{DeadlineRule, Event, ReportInput, SyncError, SyncResult};
use crate::domain::event::{DeadlinePolicy, EventCategory, EventPriority, Resolution, Step};
use crate::error::AppError;
use crate::graphql::photo::read_uploads;
use crate::graphql::{actor, state};
use crate::service::event::{self as service, NewReport, StepInput};
use async_graphql::{Context, Object, Result, Upload};
use uuid::Uuid;

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

#[derive(Default)]
pub struct EventMutation;

async fn step(ctx: &Context<'_>, event_id: Uuid, step: Step, input: StepInput) -> Result<Event> {
    step_as(ctx, event_id, step, input, "note").await
}

/// A step whose note arrives under another argument name (`reason`, `result`, `instructions`):
/// an error about the note names that argument, as the client sent it.
async fn step_as(
    ctx: &Context<'_>,
    event_id: Uuid,
    step: Step,
    input: StepInput,
    argument: &str,
) -> Result<Event> {
    match service::apply_step(state(ctx), actor(ctx)?, event_id, step, input).await {
        Ok(row) => Ok(Event(row)),
        Err(AppError::BadUserInput { field, message }) if field == "note" => {
            Err(AppError::bad_input(argument, message).into())
        }
        Err(e) => Err(e.into()),
    }
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
        step_as(
            ctx,
            id,
            Step::Reject,
            StepInput {
                note: Some(reason),
                duplicate_of: duplicate_of_id,
                ..StepInput::default()
            },
            "reason",
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
        step_as(
            ctx,
            id,
            Step::Dispatch,
            StepInput {
                note: instructions,
                unit_id: Some(unit_id),
                ..StepInput::default()
            },
            "instructions",
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
        step_as(
            ctx,
            id,
            Step::Resolve(resolution),
            StepInput {
                note: Some(result),
                photos,
                ..StepInput::default()
            },
            "result",
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
        step_as(ctx, id, Step::Reopen, note_only(Some(reason)), "reason").await
    }

    /// Clocks pause until `resumeEvent`.
    async fn suspend_event(&self, ctx: &Context<'_>, id: Uuid, reason: String) -> Result<Event> {
        step_as(ctx, id, Step::Suspend, note_only(Some(reason)), "reason").await
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
        step_as(ctx, id, Step::Escalate, note_only(Some(reason)), "reason").await
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
