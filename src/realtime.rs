//! Event changes fanned out to subscribers. A use-case announces a change after its transaction
//! commits; subscribers on this instance get it from an in-process broadcast. With PostgreSQL
//! the announcement goes through `NOTIFY` on one channel and every instance's listener (this one
//! included) rebroadcasts it, so a change made through one instance reaches consoles on all.
//! The payload is small (event id, region path, action, time): each subscriber loads the event
//! itself under its own reach.
use crate::domain::event::EventAction;
use crate::store::event::EventRow;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OnceCell, broadcast};
use uuid::Uuid;

/// The PostgreSQL channel every instance listens on.
pub const CHANNEL: &str = "gridhub_event_changes";

/// One timeline entry of one event.
#[derive(Debug)]
pub struct Change {
    pub event_id: Uuid,
    /// The materialised path of the event's grid.
    pub region_path: String,
    pub action: EventAction,
    pub at: DateTime<Utc>,
    /// The event as it stands, read once on this instance for all its subscribers (each then
    /// decides under its own reach whether it may see it).
    row: OnceCell<Option<Arc<EventRow>>>,
}

impl Change {
    pub fn new(
        event_id: Uuid,
        region_path: String,
        action: EventAction,
        at: DateTime<Utc>,
    ) -> Self {
        Change {
            event_id,
            region_path,
            action,
            at,
            row: OnceCell::new(),
        }
    }

    /// The event, read from the database by the first subscriber that asks; `None` if it is
    /// gone. A failed read is not kept: the next subscriber tries again.
    pub async fn event(&self, db: &DatabaseConnection) -> Result<Option<Arc<EventRow>>, DbErr> {
        self.row
            .get_or_try_init(|| async {
                Ok(crate::store::event::find_unscoped(db, self.event_id)
                    .await?
                    .map(Arc::new))
            })
            .await
            .cloned()
    }
}

/// A notification written for one account.
#[derive(Debug, Clone, Copy)]
pub struct Notice {
    pub id: Uuid,
    pub account_id: Uuid,
}

/// What travels to subscribers.
#[derive(Debug)]
pub enum Signal {
    Event(Change),
    Notification(Notice),
}

/// A signal as it travels through NOTIFY (small: well under PostgreSQL's 8,000-byte limit).
#[derive(Serialize, Deserialize)]
#[serde(tag = "t")]
enum Wire {
    #[serde(rename = "e")]
    Event {
        id: Uuid,
        path: String,
        action: String,
        at: DateTime<Utc>,
    },
    #[serde(rename = "n")]
    Notification { id: Uuid, to: Uuid },
}

impl Signal {
    fn to_wire(&self) -> Wire {
        match self {
            Signal::Event(c) => Wire::Event {
                id: c.event_id,
                path: c.region_path.clone(),
                action: c.action.as_str().to_owned(),
                at: c.at,
            },
            Signal::Notification(n) => Wire::Notification {
                id: n.id,
                to: n.account_id,
            },
        }
    }

    fn from_wire(wire: Wire) -> Option<Self> {
        Some(match wire {
            Wire::Event {
                id,
                path,
                action,
                at,
            } => Signal::Event(Change::new(id, path, EventAction::parse(&action)?, at)),
            Wire::Notification { id, to } => Signal::Notification(Notice { id, account_id: to }),
        })
    }
}

#[derive(Clone)]
pub struct Realtime {
    local: broadcast::Sender<Arc<Signal>>,
    /// PostgreSQL: announcements go through NOTIFY; `None` on SQLite (one instance).
    notify: Option<DatabaseConnection>,
}

impl Realtime {
    /// `backlog`: the changes a slow subscriber may fall behind by before it skips ahead (it is
    /// told how many it missed; nobody else waits for it).
    pub fn new(db: &DatabaseConnection, backlog: usize) -> Self {
        let (local, _) = broadcast::channel(backlog.max(1));
        let notify = (db.get_database_backend() == DatabaseBackend::Postgres).then(|| db.clone());
        Realtime { local, notify }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Signal>> {
        self.local.subscribe()
    }

    /// Tells every subscriber, on every instance, of a committed change. Best effort: a change
    /// is never rolled back for want of an audience, so a failure here is logged, not returned.
    pub async fn announce(&self, signal: Signal) {
        match &self.notify {
            None => {
                let _ = self.local.send(Arc::new(signal));
            }
            Some(db) => {
                let payload = match serde_json::to_string(&signal.to_wire()) {
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
                    tracing::warn!(error = %e, "NOTIFY failed; subscribers miss this change");
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
                .and_then(Signal::from_wire)
            {
                Some(signal) => {
                    let _ = self.local.send(Arc::new(signal));
                }
                None => tracing::warn!(
                    payload = notification.payload(),
                    "unreadable event change notification"
                ),
            }
        }
    }
}
