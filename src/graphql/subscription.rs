//! `eventChanged`: one message per timeline entry of every event the subscriber may see, under
//! the same rules as `event(id)` (each message loads the event under the subscriber's reach).
use super::event::Event;
use super::{actor, state};
use crate::domain::event::EventAction;
use crate::error::AppError;
use crate::realtime::Change;
use async_graphql::{Context, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

/// A change to an event: what happened, the event as the subscriber sees it now, and when.
#[derive(SimpleObject)]
pub struct EventChange {
    pub action: EventAction,
    pub event: Event,
    pub at: DateTime<Utc>,
}

#[derive(Default)]
pub struct EventSubscription;

#[Subscription]
impl EventSubscription {
    /// Every change to an event you can see; with `regionId`, only events in that region's
    /// subtree (a region outside your scope is refused).
    async fn event_changed(
        &self,
        ctx: &Context<'_>,
        region_id: Option<Uuid>,
    ) -> Result<impl Stream<Item = EventChange> + use<>> {
        let actor = actor(ctx)?.clone();
        let state = state(ctx).clone();
        let within = match region_id {
            None => None,
            Some(id) => Some(
                crate::store::region::find(&state.db, id, &actor.principal.scope)
                    .await
                    .map_err(AppError::from)?
                    .ok_or_else(|| AppError::not_found("区域"))?
                    .path,
            ),
        };
        let changes = state.realtime.subscribe();
        let watch = Watch {
            changes,
            state,
            actor,
            within,
        };
        Ok(futures_util::stream::unfold(
            watch,
            |mut watch| async move {
                let message = watch.next().await?;
                Some((message, watch))
            },
        ))
    }
}

/// One subscriber's view of the change stream.
struct Watch {
    changes: tokio::sync::broadcast::Receiver<Arc<Change>>,
    state: crate::state::AppState,
    actor: crate::access::principal::Actor,
    /// Only events under this region path.
    within: Option<String>,
}

impl Watch {
    /// The next change this subscriber may see, loaded under its reach; `None` when the
    /// server stops publishing.
    async fn next(&mut self) -> Option<EventChange> {
        loop {
            let change = match self.changes.recv().await {
                Ok(change) => change,
                Err(RecvError::Lagged(missed)) => {
                    // A slow subscriber skips ahead; nobody else waits for it.
                    tracing::warn!(missed, "a slow subscriber skipped event changes");
                    continue;
                }
                Err(RecvError::Closed) => return None,
            };
            if self
                .within
                .as_deref()
                .is_some_and(|root| !crate::domain::region::is_within(&change.region_path, root))
            {
                continue;
            }
            match crate::service::event::get(&self.state, &self.actor, change.event_id).await {
                Ok(row) => {
                    return Some(EventChange {
                        action: change.action,
                        event: Event(row),
                        at: change.at,
                    });
                }
                Err(AppError::NotFound(_)) => continue,
                Err(e) => e.log("loading a changed event for a subscriber"),
            }
        }
    }
}
