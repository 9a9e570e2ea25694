//! The notification inbox. Notifications are written inside the transaction of the change they
//! tell of (so a rolled-back change tells nobody and a committed one is never lost), announced
//! after the commit for live `notificationAdded` subscribers, and read by their owner only.
use crate::access::Actor;
use crate::domain::event::EventAction;
use crate::domain::notification::{self as rules, Audience, NotificationKind};
use crate::domain::page::PageRequest;
use crate::domain::region::ids_on_path;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::event::EventRow;
use crate::store::notification::{self as store, NotificationRow};
use crate::store::region;
use crate::store::service_item::{ClaimRow, ItemRow};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// Notifications written in a transaction, to announce once it has committed.
#[derive(Debug, Default)]
#[must_use = "announce what was written once the transaction commits"]
pub struct Told(pub Vec<(Uuid, Uuid)>);

impl Told {
    /// (recipient account, notification id) pairs.
    pub fn pairs(&self) -> &[(Uuid, Uuid)] {
        &self.0
    }
}

/// Writes what a timeline entry of `event` tells, and to whom (`actor`: who made the change,
/// who is never told of it; `None`: the system).
pub async fn for_event_entry(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    event: &EventRow,
    action: EventAction,
    now: DateTime<Utc>,
) -> AppResult<Told> {
    let Some((kind, audience)) =
        rules::for_event_entry(action, event.assigned_unit_id, event.reporter_account_id)
    else {
        return Ok(Told::default());
    };
    let recipients = match audience {
        Audience::UnitLiaisons(unit) => store::unit_liaisons(db, unit).await?,
        Audience::Account(id) => vec![id],
        Audience::CommunityWorkers => {
            let path = region::find_unscoped(db, event.grid_id)
                .await?
                .map(|grid| grid.path)
                .unwrap_or_default();
            community_workers(db, &path).await?
        }
    };
    write(
        db,
        actor,
        recipients,
        Draft {
            kind,
            event_id: Some(event.id),
            service_item_id: None,
            region_id: Some(event.grid_id),
            message: rules::event_message(kind, &event.title),
        },
        now,
    )
    .await
}

/// Tells the community's workers that the sweep released a claim on `item`.
pub async fn for_claim_release(
    db: &impl ConnectionTrait,
    item: &ItemRow,
    claim: &ClaimRow,
    now: DateTime<Utc>,
) -> AppResult<Told> {
    let path = region::find_unscoped(db, claim.community_id)
        .await?
        .map(|community| community.path)
        .unwrap_or_default();
    let recipients = community_workers(db, &path).await?;
    let kind = NotificationKind::ClaimReleased;
    write(
        db,
        None,
        recipients,
        Draft {
            kind,
            event_id: None,
            service_item_id: Some(item.id),
            region_id: Some(claim.community_id),
            message: rules::event_message(kind, &item.title),
        },
        now,
    )
    .await
}

/// The community workers bound to a region on `path` (the place's community).
async fn community_workers(db: &impl ConnectionTrait, path: &str) -> AppResult<Vec<Uuid>> {
    Ok(store::active_accounts(db, Role::CommunityWorker, &ids_on_path(path)).await?)
}

struct Draft {
    kind: NotificationKind,
    event_id: Option<Uuid>,
    service_item_id: Option<Uuid>,
    region_id: Option<Uuid>,
    message: String,
}

async fn write(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    mut recipients: Vec<Uuid>,
    draft: Draft,
    now: DateTime<Utc>,
) -> AppResult<Told> {
    recipients.sort_unstable();
    recipients.dedup();
    recipients.retain(|r| Some(*r) != actor);
    let rows: Vec<NotificationRow> = recipients
        .iter()
        .map(|&account_id| NotificationRow {
            id: Uuid::now_v7(),
            account_id,
            kind: draft.kind,
            event_id: draft.event_id,
            service_item_id: draft.service_item_id,
            region_id: draft.region_id,
            message: draft.message.clone(),
            created_at: now,
            read_at: None,
        })
        .collect();
    let told = Told(rows.iter().map(|r| (r.account_id, r.id)).collect());
    store::insert_many(db, rows).await?;
    Ok(told)
}

/// One page of the caller's inbox, newest first.
pub async fn inbox(
    state: &AppState,
    actor: &Actor,
    unread_only: bool,
    page: &PageRequest,
) -> AppResult<Vec<NotificationRow>> {
    let after = match page.after.as_deref() {
        None => None,
        Some(key) => {
            Some(Uuid::try_parse(key).map_err(|_| AppError::bad_input("after", "无效的分页游标"))?)
        }
    };
    Ok(store::page(
        &state.db,
        actor.principal.account_id,
        unread_only,
        after,
        page,
    )
    .await?)
}

/// One of the caller's notifications (for a live subscriber); `None` if it is not the caller's.
pub async fn own(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<Option<NotificationRow>> {
    Ok(store::find_own(&state.db, actor.principal.account_id, id).await?)
}

pub async fn unread_count(state: &AppState, actor: &Actor) -> AppResult<u64> {
    Ok(store::unread_count(&state.db, actor.principal.account_id).await?)
}

/// Marks the caller's notifications among `ids` read; ids that are not the caller's, or already
/// read, change nothing. Returns (how many changed, how many stay unread).
pub async fn mark_read(state: &AppState, actor: &Actor, ids: &[Uuid]) -> AppResult<(u64, u64)> {
    let me = actor.principal.account_id;
    let marked = store::mark_read(&state.db, me, ids, state.now()).await?;
    let unread = store::unread_count(&state.db, me).await?;
    Ok((marked, unread))
}
