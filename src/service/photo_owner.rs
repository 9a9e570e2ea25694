//! Opening a photo for a caller: the one place that knows every kind of photo owner, and asks the
//! owner's module whether the caller may see the owner. Kept out of `photo`, so that photos
//! depend on no owner while the owners store their photos through `photo`.
use crate::access::Principal;
use crate::error::AppResult;
use crate::service::{committee, event, photo, service_item};
use crate::state::AppState;
use crate::store::photo::PhotoRow;
use uuid::Uuid;

/// A photo's row and bytes, if the caller may see what it belongs to. Anything else is
/// NOT_FOUND, so ids cannot be probed.
pub async fn open_photo(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> AppResult<(PhotoRow, bytes::Bytes)> {
    photo::open(state, id, async |row: &PhotoRow| {
        Ok(match (row.owner_kind.as_str(), row.event_id) {
            ("EVENT" | "EVENT_STEP", Some(event_id)) => {
                event::may_see_event(state, principal, event_id).await?
            }
            ("SERVICE_ITEM", _) => {
                service_item::may_see_item(state, principal, row.owner_id).await?
            }
            ("SERVICE_CLAIM", _) => {
                service_item::may_see_claim(state, principal, row.owner_id).await?
            }
            ("COMMITTEE_ACT", _) => {
                committee::may_see_activity(state, principal, row.owner_id).await?
            }
            _ => false,
        })
    })
    .await
}
