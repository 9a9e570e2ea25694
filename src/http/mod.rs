//! actix wiring: `/graphql` (POST, GET for GraphiQL and read-only queries), health, metrics.
use crate::jobs::Supervisor;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Request bodies: JSON and multipart, bounded in size and time.
pub mod body;
/// `GET /exports/events.csv`: the audited, streamed CSV export of events.
pub mod export;
/// `POST /graphql`, `GET /graphql`.
pub mod graphql;
/// `/healthz`, `/readyz`, `/metrics`.
pub mod ops;
/// Automatic persisted queries: hashes resolved to documents before anything else.
pub mod persisted;
/// `GET /photos/{id}` for callers allowed to see the photo's event.
pub mod photos;
/// Request ids, the request span, and HTTP metrics.
pub mod request_id;
/// WebSocket subscriptions (graphql-transport-ws).
pub mod ws;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql::post))
        .route(
            "/graphql",
            web::get()
                .guard(actix_web::guard::Header("upgrade", "websocket"))
                .to(ws::subscribe),
        )
        .route("/graphql", web::get().to(graphql::get))
        .route("/photos/{id}", web::get().to(photos::get))
        .route("/exports/events.csv", web::get().to(export::events_csv))
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics));
}

/// What handlers receive from the app. Each HTTP worker has its own (`state` may hold that
/// worker's own pools); the rest is one for the instance.
#[derive(Clone)]
pub struct Shared {
    pub state: AppState,
    pub schemas: Arc<crate::graphql::Schemas>,
    pub lifecycle: Arc<Lifecycle>,
    pub persisted: Arc<persisted::PersistedQueries>,
    /// Every pool of the instance, for the gauges.
    pub pools: Pools,
    /// Takes this worker's pools off `pools` when the worker's app is dropped.
    pub registered: Arc<Registered>,
}

/// The instance's connection pools by name (`default`, `keyed`): the shared ones and each running
/// worker's own, for `/metrics`.
#[derive(Clone, Default)]
pub struct Pools {
    inner: Arc<Mutex<PoolList>>,
}

#[derive(Default)]
struct PoolList {
    next: u64,
    pools: Vec<(u64, &'static str, sea_orm::DatabaseConnection)>,
}

impl Pools {
    /// Lists `pools` until the returned registration is dropped.
    pub fn register(&self, pools: Vec<(&'static str, sea_orm::DatabaseConnection)>) -> Registered {
        let mut list = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let id = list.next;
        list.next += 1;
        list.pools
            .extend(pools.into_iter().map(|(name, db)| (id, name, db)));
        Registered {
            pools: self.clone(),
            id,
        }
    }

    pub fn all(&self) -> Vec<(&'static str, sea_orm::DatabaseConnection)> {
        let list = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        list.pools
            .iter()
            .map(|(_, name, db)| (*name, db.clone()))
            .collect()
    }
}

/// Pools listed in [`Pools`] while this lives.
pub struct Registered {
    pools: Pools,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut list = self.pools.inner.lock().unwrap_or_else(|e| e.into_inner());
        list.pools.retain(|(id, _, _)| *id != self.id);
    }
}

/// Where the process is in its life: serving, or draining before it stops; and the background
/// jobs whose death should fail `/healthz`.
pub struct Lifecycle {
    draining: AtomicBool,
    jobs: Mutex<Option<Supervisor>>,
}

impl Lifecycle {
    pub fn new(jobs: Supervisor) -> Self {
        Lifecycle {
            draining: AtomicBool::new(false),
            jobs: Mutex::new(Some(jobs)),
        }
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Every background job is alive (true once they have been stopped on purpose).
    pub fn jobs_running(&self) -> bool {
        self.jobs
            .lock()
            .map(|jobs| jobs.as_ref().is_none_or(Supervisor::all_running))
            .unwrap_or(false)
    }

    pub async fn stop_jobs(&self) {
        let jobs = self.jobs.lock().ok().and_then(|mut jobs| jobs.take());
        if let Some(jobs) = jobs {
            jobs.stop().await;
        }
    }
}

/// While draining, every response tells the client to close its connection, so no idle
/// keep-alive connection is left for a request to be lost on when the listener closes.
pub async fn lifecycle_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let draining = req
        .app_data::<web::Data<Shared>>()
        .is_some_and(|s| s.lifecycle.is_draining());
    let mut res = next.call(req).await?;
    if draining {
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}
