//! Subscriptions. `eventChanged`: one message per timeline entry of every event the subscriber
//! may see, under the same rules as `event(id)`. `notificationAdded`: the caller's new inbox
//! entries. Each change is read from the database once per instance and shared by all its
//! subscribers, who each decide under their own reach whether they may see it; nested fields
//! resolve through the subscriber's own loaders. A subscriber that falls more than the backlog
//! behind skips ahead and gets one `LAGGED` error (with `missed`) in its stream, then goes on:
//! nobody else waits for it, and nothing queues for it without bound.
use super::event::Event;
use super::notification::Notification;
use super::{actor, state};
use crate::access::event::EventReach;
use crate::access::principal::Actor;
use crate::domain::event::EventAction;
use crate::error::AppError;
use crate::realtime::{Change, Notice, Signal};
use crate::state::AppState;
use async_graphql::{Context, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

/// A change to an event: what happened, the event as the subscriber sees it now, and when.
#[derive(SimpleObject)]
pub struct EventChange {
    pub action: EventAction,
    pub event: Event,
    pub at: DateTime<Utc>,
}

#[derive(Default)]
pub struct LiveSubscription;

#[Subscription]
impl LiveSubscription {
    /// Every change to an event you can see; with `regionId`, only events in that region's
    /// subtree (a region outside your scope is refused). If you fall too far behind, one
    /// message carries a `LAGGED` error saying how many changes you missed: refetch your lists.
    async fn event_changed(
        &self,
        ctx: &Context<'_>,
        region_id: Option<Uuid>,
    ) -> Result<impl Stream<Item = Result<EventChange>> + use<>> {
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
        let watch = Watch {
            signals: state.realtime.subscribe(),
            reach: EventReach::of(&actor.principal),
            state,
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

    /// Your new notifications as they are written (the inbox keeps them for later too). A
    /// `LAGGED` error means some were skipped here: read `notifications` again.
    async fn notification_added(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<Notification>> + use<>> {
        let actor = actor(ctx)?.clone();
        let state = state(ctx).clone();
        let inbox = Inbox {
            signals: state.realtime.subscribe(),
            state,
            actor,
        };
        Ok(futures_util::stream::unfold(
            inbox,
            |mut inbox| async move {
                let message = inbox.next().await?;
                Some((message, inbox))
            },
        ))
    }
}

/// The next signal, or a `LAGGED` error when this subscriber skipped some; `None` when the
/// server stops publishing.
async fn receive(
    signals: &mut broadcast::Receiver<Arc<Signal>>,
) -> Option<std::result::Result<Arc<Signal>, AppError>> {
    match signals.recv().await {
        Ok(signal) => Some(Ok(signal)),
        Err(RecvError::Lagged(missed)) => {
            tracing::warn!(missed, "a slow subscriber skipped changes");
            Some(Err(AppError::Lagged { missed }))
        }
        Err(RecvError::Closed) => None,
    }
}

/// One `eventChanged` subscriber.
struct Watch {
    signals: broadcast::Receiver<Arc<Signal>>,
    state: AppState,
    reach: EventReach,
    /// Only events under this region path.
    within: Option<String>,
}

impl Watch {
    async fn next(&mut self) -> Option<Result<EventChange>> {
        loop {
            let signal = match receive(&mut self.signals).await? {
                Ok(signal) => signal,
                Err(lagged) => return Some(Err(lagged.into())),
            };
            let Signal::Event(change) = &*signal else {
                continue;
            };
            if let Some(message) = self.see(change).await {
                return Some(Ok(message));
            }
        }
    }

    /// The change as this subscriber may see it, if it may.
    async fn see(&self, change: &Change) -> Option<EventChange> {
        if self
            .within
            .as_deref()
            .is_some_and(|root| !crate::domain::region::is_within(&change.region_path, root))
        {
            return None;
        }
        let row = match change.event(&self.state.db).await {
            Ok(row) => row?,
            Err(e) => {
                AppError::from(e).log("loading a changed event for subscribers");
                return None;
            }
        };
        self.reach
            .sees(&row, &change.region_path)
            .then(|| EventChange {
                action: change.action,
                event: Event((*row).clone()),
                at: change.at,
            })
    }
}

/// One `notificationAdded` subscriber.
struct Inbox {
    signals: broadcast::Receiver<Arc<Signal>>,
    state: AppState,
    actor: Actor,
}

impl Inbox {
    async fn next(&mut self) -> Option<Result<Notification>> {
        loop {
            let signal = match receive(&mut self.signals).await? {
                Ok(signal) => signal,
                Err(lagged) => return Some(Err(lagged.into())),
            };
            let Signal::Notification(Notice { id, account_id }) = *signal else {
                continue;
            };
            if account_id != self.actor.principal.account_id {
                continue;
            }
            match crate::service::notification::own(&self.state, &self.actor, id).await {
                Ok(Some(row)) => return Some(Ok(Notification(row))),
                Ok(None) => continue,
                Err(e) => e.log("loading a notification for its subscriber"),
            }
        }
    }
}
