//! Event changes fanned out to subscribers. A use-case announces a change after its transaction
//! commits; subscribers on this instance get it from an in-process broadcast. With PostgreSQL
//! the announcement goes through `NOTIFY` on one channel and every instance's listener (this one
//! included) rebroadcasts it, so a change made through one instance reaches consoles on all.
//! The payload is small (event id, region path, action, time): each subscriber loads the event
//! itself under its own reach.
use crate::domain::event::EventAction;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL channel every instance listens on.
pub const CHANNEL: &str = "gridhub_event_changes";

/// Messages a slow subscriber may fall behind by before it skips ahead (it is told how many it
/// missed; nobody else waits for it).
const BACKLOG: usize = 1024;

/// One timeline entry of one event.
#[derive(Debug, Clone)]
pub struct Change {
    pub event_id: Uuid,
    /// The materialised path of the event's grid.
    pub region_path: String,
    pub action: EventAction,
    pub at: DateTime<Utc>,
}

/// A change as it travels through NOTIFY.
#[derive(Serialize, Deserialize)]
struct Wire {
    id: Uuid,
    path: String,
    action: String,
    at: DateTime<Utc>,
}

impl Change {
    fn to_wire(&self) -> Wire {
        Wire {
            id: self.event_id,
            path: self.region_path.clone(),
            action: self.action.as_str().to_owned(),
            at: self.at,
        }
    }

    fn from_wire(wire: Wire) -> Option<Self> {
        Some(Change {
            event_id: wire.id,
            region_path: wire.path,
            action: EventAction::parse(&wire.action)?,
            at: wire.at,
        })
    }
}

#[derive(Clone)]
pub struct Realtime {
    local: broadcast::Sender<Arc<Change>>,
    /// PostgreSQL: announcements go through NOTIFY; `None` on SQLite (one instance).
    notify: Option<DatabaseConnection>,
}

impl Realtime {
    pub fn new(db: &DatabaseConnection) -> Self {
        let (local, _) = broadcast::channel(BACKLOG);
        let notify = (db.get_database_backend() == DatabaseBackend::Postgres).then(|| db.clone());
        Realtime { local, notify }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.local.subscribe()
    }

    /// Tells every subscriber, on every instance, of a committed change. Best effort: a change
    /// is never rolled back for want of an audience, so a failure here is logged, not returned.
    pub async fn announce(&self, change: Change) {
        match &self.notify {
            None => {
                let _ = self.local.send(Arc::new(change));
            }
            Some(db) => {
                let payload = match serde_json::to_string(&change.to_wire()) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(error = %e, "could not encode an event change");
                        return;
                    }
                };
                let sent = db
                    .execute_raw(Statement::from_sql_and_values(
                        DatabaseBackend::Postgres,
                        "SELECT pg_notify($1, $2)",
                        [CHANNEL.into(), payload.into()],
                    ))
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, event = %change.event_id, "NOTIFY failed; subscribers miss this change");
                }
            }
        }
    }

    /// Listens on the PostgreSQL channel and rebroadcasts to this instance's subscribers, for as
    /// long as the process runs. A lost connection is re-established and LISTEN re-issued.
    pub async fn listen(self, database_url: String) {
        if self.notify.is_none() {
            // SQLite: announcements are already local; nothing to listen to.
            std::future::pending::<()>().await;
        }
        loop {
            match self.listen_once(&database_url).await {
                Ok(()) => tracing::warn!("change listener connection lost; reconnecting"),
                Err(e) => tracing::warn!(error = %e, "change listener failed; reconnecting"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen_once(&self, database_url: &str) -> Result<(), sea_orm::sqlx::Error> {
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect(database_url).await?;
        listener.listen(CHANNEL).await?;
        tracing::info!(channel = CHANNEL, "listening for event changes");
        loop {
            // `None`: the connection dropped; start over with a fresh one and LISTEN again.
            let Some(notification) = listener.try_recv().await? else {
                return Ok(());
            };
            match serde_json::from_str::<Wire>(notification.payload())
                .ok()
                .and_then(Change::from_wire)
            {
                Some(change) => {
                    let _ = self.local.send(Arc::new(change));
                }
                None => tracing::warn!(
                    payload = notification.payload(),
                    "unreadable event change notification"
                ),
            }
        }
    }
}
