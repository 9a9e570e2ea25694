//! The one state struct every layer receives: database, clock, keys and settings.
use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::clock::Clock;
use crate::config::Settings;
use crate::pii::PiiVault;
use crate::telemetry::Metrics;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// The same database through connections that plan each statement once
    /// (`store::Plans::Once`): for statements whose plan does not hang on their parameters —
    /// the loaders' look-ups by key, the pages of a few grids. On SQLite, `db` itself.
    pub keyed: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub jwt: Arc<JwtKeys>,
    pub pii: Arc<PiiVault>,
    pub passwords: Passwords,
    pub metrics: Metrics,
    /// Request budgets (rate limits) per client address and per account.
    pub budgets: crate::budget::Budgets,
    /// Event changes for subscribers.
    pub realtime: crate::realtime::Realtime,
    /// Resolved callers by session, for a few seconds (dropped at once on revocation).
    pub principals: crate::access::cache::PrincipalCache,
    /// Photo blobs by content hash.
    pub photos: Arc<dyn object_store::ObjectStore>,
}

impl AppState {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The connection pools by name, for their gauges: `default`, and `keyed` where it is a pool
    /// of its own (PostgreSQL).
    pub fn pools(&self) -> Vec<(&'static str, DatabaseConnection)> {
        let mut pools = vec![("default", self.db.clone())];
        if self.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            pools.push(("keyed", self.keyed.clone()));
        }
        pools
    }
}
