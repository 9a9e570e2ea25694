//! The GraphQL types of events (the event, its clocks and timeline, rules, leaderboard rows)
//! with their field resolvers, and the inputs.
use crate::domain::event::{
    self as rules, DeadlineStage, DeadlineStatus, EventAction, EventCategory, EventPriority,
    EventSource, EventState, ReporterKind, Resolution,
};
use crate::domain::region::RegionLevel;
use crate::error::AppError;
use crate::graphql::account::Account;
use crate::graphql::loaders::Loaders;
use crate::graphql::people::MemberUnit;
use crate::graphql::photo::Photo;
use crate::graphql::region::Region;
use crate::graphql::resident::Resident;
use crate::graphql::{actor, state};
use crate::store::event::{DeadlineRuleRow, EventColumn, EventColumns, EventRow, StepRow};
use async_graphql::{Context, InputObject, Object, Result, SelectionField, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(SimpleObject)]
pub struct Location {
    pub lat: f64,
    pub lng: f64,
    pub address: Option<String>,
}

/// One clock of an event.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Deadline {
    pub stage: DeadlineStage,
    pub due_at: DateTime<Utc>,
    pub met_at: Option<DateTime<Utc>>,
    /// When the sweep recorded the breach.
    pub breached_at: Option<DateTime<Utc>>,
    pub status: DeadlineStatus,
}

pub struct Event(pub EventRow);

/// The columns behind the clocks (`deadlines`, `overdue`).
const CLOCK_COLUMNS: [EventColumn; 13] = [
    EventColumn::AcceptDueAt,
    EventColumn::PlanDueAt,
    EventColumn::CloseDueAt,
    EventColumn::AcceptMetAt,
    EventColumn::PlanMetAt,
    EventColumn::CloseMetAt,
    EventColumn::AcceptBreachedAt,
    EventColumn::PlanBreachedAt,
    EventColumn::CloseBreachedAt,
    EventColumn::AcceptMinutes,
    EventColumn::PlanMinutes,
    EventColumn::CloseMinutes,
    EventColumn::SuspendedAt,
];

/// The columns a selection of `Event` fields reads (look-ahead for lists). Each field below is
/// answered from these columns only; a field not named here takes the whole row.
pub fn columns_for<'a>(fields: impl IntoIterator<Item = SelectionField<'a>>) -> EventColumns {
    use EventColumn as C;
    let mut columns = EventColumns::KEYS;
    for field in fields {
        let needs: &[EventColumn] = match field.name() {
            "__typename" => &[],
            "id" | "photos" | "timeline" | "relatedResidents" => &[C::Id],
            "category" => &[C::Category],
            "source" => &[C::Source],
            "priority" => &[C::Priority],
            "title" => &[C::Title],
            "description" => &[C::Description],
            "location" => &[C::Lat, C::Lng, C::Address],
            "capturedAt" => &[C::CapturedAt],
            "reportedAt" => &[C::ReportedAt],
            "updatedAt" => &[C::UpdatedAt],
            "state" => &[C::State],
            "level" => &[C::Level],
            "resolution" => &[C::Resolution],
            "satisfaction" => &[C::Satisfaction],
            "suspendedAt" => &[C::SuspendedAt],
            "pausedSeconds" => &[C::PausedSeconds],
            "reporterName" => &[C::ReporterName],
            "reporterKind" => &[C::ReporterKind],
            "reporter" => &[C::ReporterAccountId],
            "grid" => &[C::GridId],
            "assignedUnit" => &[C::AssignedUnitId],
            "duplicateOf" => &[C::DuplicateOfId],
            "mergedInto" => &[C::MergedIntoId],
            "deadlines" | "overdue" => &CLOCK_COLUMNS,
            _ => return EventColumns::ALL,
        };
        columns = columns.with(needs);
    }
    columns
}

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

// Fields resolve one after another (`serial`): a listed row's fields come from memory (the list
// read what they show, along or ahead), and resolving them side by side cost a task per field.
// Linked objects come boxed: each field's future is as large as the largest field's, and an
// `Option<Account>` held inline made every field of every row a kilobyte to allocate and move.
#[Object(serial)]
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
    async fn reporter(&self, ctx: &Context<'_>) -> Result<Option<Box<Account>>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .account(self.0.reporter_account_id)
            .await?
            .map(|seen| Box::new(Account::from(seen))))
    }
    /// The grid, when it is in your scope (a unit liaison sees the address instead).
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<Box<Region>>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .region(self.0.grid_id)
            .await?
            .map(|row| Box::new(Region::from(row))))
    }
    /// The member unit the event is dispatched to.
    async fn assigned_unit(&self, ctx: &Context<'_>) -> Result<Option<Box<MemberUnit>>> {
        let Some(id) = self.0.assigned_unit_id else {
            return Ok(None);
        };
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .member_unit(id)
            .await?
            .map(|seen| Box::new(MemberUnit::from(seen))))
    }
    /// For a rejected duplicate: the original.
    async fn duplicate_of(&self, ctx: &Context<'_>) -> Result<Option<Box<Event>>> {
        Ok(load_event(ctx, self.0.duplicate_of_id).await?.map(Box::new))
    }
    /// For a merged event: the event it was merged into.
    async fn merged_into(&self, ctx: &Context<'_>) -> Result<Option<Box<Event>>> {
        Ok(load_event(ctx, self.0.merged_into_id).await?.map(Box::new))
    }
    async fn photos(&self, ctx: &Context<'_>) -> Result<Vec<Photo>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .event_photos(self.0.id)
            .await?
            .into_iter()
            .map(Photo::from)
            .collect())
    }
    /// Every step so far, oldest first. Entries are never changed.
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<TimelineEntry>> {
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders
            .steps(self.0.id)
            .await?
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

pub(crate) async fn load_event(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Event>> {
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

#[Object(serial)]
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
