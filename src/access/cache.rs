//! A short-lived cache of resolved callers, so a request does not read its session, account and
//! scope from the database every time.
//!
//! Keyed by session id; an entry lives a few seconds at most (`GRIDHUB_SESSION_CACHE_MS`). What
//! could make an entry wrong — a logout, a session revoked for reuse, an account disabled, a
//! grid assignment, a unit joining a committee, a region moved — drops it at once: on this
//! instance right after the commit, and on every instance through `NOTIFY
//! gridhub_session_revoked`, sent in the same transaction as the change (delivered if and only
//! if it commits). Every instance's listener runs under the jobs supervisor; while it is not
//! connected (PostgreSQL), nothing is cached, and each (re)connection flushes the cache, since
//! notifications may have been missed meanwhile. An entry is stored only if nothing was dropped
//! while it was being read (`ticket`), so a read racing a revocation never brings the revoked
//! caller back.
//!
//! Only successes are cached: a refused token always goes to the database.
use crate::access::principal::Principal;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL channel revocations travel on.
pub const CHANNEL: &str = "gridhub_session_revoked";

/// What no longer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// One session (logout, reuse of a refresh token).
    Session(Uuid),
    /// Every session of an account, or what its principal says (disabled, scope changed).
    Account(Uuid),
    /// Everyone's scope may have changed (a region moved).
    Everyone,
}

impl Revoked {
    fn to_wire(self) -> String {
        match self {
            Revoked::Session(id) => format!("s:{id}"),
            Revoked::Account(id) => format!("a:{id}"),
            Revoked::Everyone => "*".into(),
        }
    }

    /// An unreadable payload drops everything (safe, merely slower).
    fn from_wire(payload: &str) -> Self {
        let id = |raw: &str| Uuid::parse_str(raw).ok();
        match payload.split_once(':') {
            Some(("s", raw)) => id(raw).map_or(Revoked::Everyone, Revoked::Session),
            Some(("a", raw)) => id(raw).map_or(Revoked::Everyone, Revoked::Account),
            _ => Revoked::Everyone,
        }
    }
}

/// Tells every instance, through the database, that something no longer holds. Called inside
/// the transaction that makes the change, so the notice goes out exactly when it commits; a
/// no-op on SQLite (one instance, which forgets locally after the commit).
pub async fn announce(db: &impl ConnectionTrait, what: Revoked) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), what.to_wire().into()],
    ))
    .await?;
    Ok(())
}

#[derive(Clone)]
pub struct PrincipalCache {
    inner: Arc<Inner>,
    /// What this instance's listener has heard, for `Echo::wait`.
    heard: broadcast::Sender<Revoked>,
}

/// Taken before a revocation: after the commit, `PrincipalCache::revoked` waits until this
/// instance's listener has heard the notice back from the database, by which time PostgreSQL
/// has sent it to every instance's listener too.
pub struct Echo(Option<broadcast::Receiver<Revoked>>);

struct Inner {
    ttl: Duration,
    capacity: usize,
    /// PostgreSQL: other instances revoke too, so the cache is used only while listening.
    shared_database: bool,
    /// Caching is on (SQLite with a TTL; PostgreSQL while the listener is connected).
    live: AtomicBool,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    by_session: HashMap<Uuid, Entry>,
    /// Bumped by every drop; a read started before it may not be stored.
    generation: u64,
}

struct Entry {
    principal: Principal,
    until: Instant,
}

/// Taken before reading a caller from the database; `put` stores the result only if nothing
/// was dropped in between.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl PrincipalCache {
    /// `ttl` zero turns caching off.
    pub fn new(ttl: Duration, backend: DatabaseBackend) -> Self {
        let shared_database = backend == DatabaseBackend::Postgres;
        PrincipalCache {
            heard: broadcast::channel(256).0,
            inner: Arc::new(Inner {
                ttl,
                capacity: 100_000,
                shared_database,
                live: AtomicBool::new(!ttl.is_zero() && !shared_database),
                entries: Mutex::new(Entries::default()),
            }),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves plain data behind: keep going.
        self.inner
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached caller of this session, if fresh.
    pub fn get(&self, session_id: Uuid, account_id: Uuid) -> Option<Principal> {
        if !self.inner.live.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries();
        let entry = entries.by_session.get(&session_id)?;
        (entry.until > Instant::now() && entry.principal.account_id == account_id)
            .then(|| entry.principal.clone())
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.entries().generation)
    }

    /// Stores a caller read from the database after `ticket` was taken.
    pub fn put(&self, ticket: Ticket, principal: &Principal) {
        if !self.inner.live.load(Ordering::Acquire) {
            return;
        }
        let now = Instant::now();
        let mut entries = self.entries();
        if entries.generation != ticket.0 {
            return;
        }
        if entries.by_session.len() >= self.inner.capacity {
            entries.by_session.retain(|_, e| e.until > now);
            if entries.by_session.len() >= self.inner.capacity {
                return;
            }
        }
        entries.by_session.insert(
            principal.session_id,
            Entry {
                principal: principal.clone(),
                until: now + self.inner.ttl,
            },
        );
    }

    /// Drops what no longer holds, on this instance (after the change committed).
    pub fn forget(&self, what: Revoked) {
        let mut entries = self.entries();
        entries.generation += 1;
        match what {
            Revoked::Session(id) => {
                entries.by_session.remove(&id);
            }
            Revoked::Account(id) => entries
                .by_session
                .retain(|_, e| e.principal.account_id != id),
            Revoked::Everyone => entries.by_session.clear(),
        }
    }

    /// To be taken before a change that revokes (see `revoked`).
    pub fn echo(&self) -> Echo {
        let listening = self.inner.shared_database && self.inner.live.load(Ordering::Acquire);
        Echo(listening.then(|| self.heard.subscribe()))
    }

    /// After the change committed: forgets on this instance at once, then waits (at most a
    /// second) for the notice to come back through this instance's listener, so the caller
    /// answers only once every instance has been told.
    pub async fn revoked(&self, echo: Echo, what: Revoked) {
        self.forget(what);
        let Some(mut heard) = echo.0 else {
            return;
        };
        let wait = async {
            loop {
                match heard.recv().await {
                    Ok(got) if got == what || got == Revoked::Everyone => return,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(1), wait)
            .await
            .is_err()
        {
            tracing::warn!(
                ?what,
                "a revocation notice did not come back within a second"
            );
        }
    }

    fn set_live(&self, live: bool) {
        self.forget(Revoked::Everyone);
        self.inner.live.store(live, Ordering::Release);
    }

    /// Listens for revocations made through any instance, for as long as the process runs
    /// (PostgreSQL; on SQLite there is nothing to listen to). A lost connection turns caching
    /// off until LISTEN is back in place.
    pub async fn listen(self, database_url: String) {
        if !self.inner.shared_database || self.inner.ttl.is_zero() {
            std::future::pending::<()>().await;
        }
        loop {
            let result = self.listen_once(&database_url).await;
            self.set_live(false);
            match result {
                Ok(()) => tracing::warn!("session revocation listener lost; reconnecting"),
                Err(e) => {
                    tracing::warn!(error = %e, "session revocation listener failed; reconnecting")
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen_once(&self, database_url: &str) -> Result<(), sea_orm::sqlx::Error> {
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect(database_url).await?;
        listener.listen(CHANNEL).await?;
        // Whatever was revoked before LISTEN was in place is missed: start empty.
        self.set_live(true);
        tracing::info!(channel = CHANNEL, "listening for session revocations");
        loop {
            // `None`: the connection dropped; start over with a fresh one.
            let Some(notification) = listener.try_recv().await? else {
                return Ok(());
            };
            let what = Revoked::from_wire(notification.payload());
            self.forget(what);
            let _ = self.heard.send(what);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;
    use crate::domain::role::Role;

    fn principal(account_id: Uuid, session_id: Uuid) -> Principal {
        Principal {
            account_id,
            session_id,
            name: "测试".into(),
            role: Role::CityAdmin,
            region_id: None,
            region_path: None,
            region_level: None,
            scope: Scope::nothing(),
            member_unit_id: None,
            grid_member_kind: None,
            committee_paths: None,
        }
    }

    #[test]
    fn a_read_that_raced_a_revocation_is_not_kept() {
        let cache = PrincipalCache::new(Duration::from_secs(5), DatabaseBackend::Sqlite);
        let (account, session) = (Uuid::now_v7(), Uuid::now_v7());
        let p = principal(account, session);
        let ticket = cache.ticket();
        cache.put(ticket, &p);
        assert!(cache.get(session, account).is_some());
        // The token's account must match the cached one.
        assert!(cache.get(session, Uuid::now_v7()).is_none());
        let stale = cache.ticket();
        cache.forget(Revoked::Session(session));
        assert!(cache.get(session, account).is_none());
        cache.put(stale, &p);
        assert!(
            cache.get(session, account).is_none(),
            "a stale read came back"
        );
        cache.put(cache.ticket(), &p);
        cache.forget(Revoked::Account(account));
        assert!(cache.get(session, account).is_none());
    }

    #[test]
    fn on_postgres_nothing_is_kept_until_the_listener_is_in_place() {
        let cache = PrincipalCache::new(Duration::from_secs(5), DatabaseBackend::Postgres);
        let (account, session) = (Uuid::now_v7(), Uuid::now_v7());
        cache.put(cache.ticket(), &principal(account, session));
        assert!(cache.get(session, account).is_none());
        cache.set_live(true);
        cache.put(cache.ticket(), &principal(account, session));
        assert!(cache.get(session, account).is_some());
        cache.set_live(false);
        assert!(cache.get(session, account).is_none());
        // Off when the time to live is zero.
        let off = PrincipalCache::new(Duration::ZERO, DatabaseBackend::Sqlite);
        off.put(off.ticket(), &principal(account, session));
        assert!(off.get(session, account).is_none());
    }

    #[test]
    fn payloads_round_trip_and_unreadable_ones_drop_everything() {
        let id = Uuid::now_v7();
        for what in [
            Revoked::Session(id),
            Revoked::Account(id),
            Revoked::Everyone,
        ] {
            assert_eq!(Revoked::from_wire(&what.to_wire()), what);
        }
        assert_eq!(Revoked::from_wire("s:nonsense"), Revoked::Everyone);
        assert_eq!(Revoked::from_wire(""), Revoked::Everyone);
    }
}
