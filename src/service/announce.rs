//! Announcing committed changes to subscribers (see `realtime`): called after the commit of
//! every use-case that writes a timeline entry or a notification, never before, so nobody hears
//! of a change that was rolled back.
use crate::domain::event::EventAction;
use crate::realtime::{Change, Notice, Signal};
use crate::service::notification::Told;
use crate::state::AppState;
use crate::store::event::EventRow;
use chrono::{DateTime, Utc};

/// Tells subscribers that `event` gained a timeline entry, and the people it notified that
/// their inbox has something new. Best effort: the change is committed whatever happens here.
pub async fn event_changed(
    state: &AppState,
    event: &EventRow,
    action: EventAction,
    at: DateTime<Utc>,
    told: Told,
) {
    match crate::store::region::find_unscoped(&state.db, event.grid_id).await {
        Ok(Some(grid)) => {
            state
                .realtime
                .announce(Signal::Event(Change::new(event.id, grid.path, action, at)))
                .await;
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, event = %event.id, "no announcement: grid lookup failed");
        }
    }
    notified(state, told).await;
}

/// Tells each recipient's live `notificationAdded` subscriptions of what was written for them.
pub async fn notified(state: &AppState, told: Told) {
    for &(account_id, id) in told.pairs() {
        state
            .realtime
            .announce(Signal::Notification(Notice { id, account_id }))
            .await;
    }
}
