//! Announcing committed event changes to subscribers (see `realtime`): called after the commit
//! of every use-case that writes a timeline entry, never before, so nobody hears of a change
//! that was rolled back.
use crate::domain::event::EventAction;
use crate::realtime::Change;
use crate::state::AppState;
use crate::store::event::EventRow;
use chrono::{DateTime, Utc};

/// Tells subscribers that `event` gained a timeline entry. Best effort: the change is committed
/// whatever happens here.
pub async fn event_changed(
    state: &AppState,
    event: &EventRow,
    action: EventAction,
    at: DateTime<Utc>,
) {
    let path = match crate::store::region::find_unscoped(&state.db, event.grid_id).await {
        Ok(Some(grid)) => grid.path,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, event = %event.id, "no announcement: grid lookup failed");
            return;
        }
    };
    state
        .realtime
        .announce(Change {
            event_id: event.id,
            region_path: path,
            action,
            at,
        })
        .await;
}
