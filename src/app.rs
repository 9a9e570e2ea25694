//! Builds the application from settings: database, migrations, keys, schema, HTTP server.
use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::clock::Clock;
use crate::config::Settings;
use crate::http::{Lifecycle, Shared, lifecycle_middleware, request_id, routes};
use crate::jobs::Supervisor;
use crate::pii::PiiVault;
use crate::state::AppState;
use crate::store::Plans;
use crate::telemetry::Metrics;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// The state every part of the app shares, with the database migrated.
pub async fn build_state(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let metrics = Metrics::new()?;
    crate::store::migrate(&settings.database_url, &settings.db_timeouts).await?;
    let connect = |plans| {
        crate::store::connect(
            &settings.database_url,
            settings.db_max_connections,
            Some(metrics.statement_hook()),
            &settings.db_timeouts,
            plans,
        )
    };
    let db = connect(Plans::PerCall).await?;
    // SQLite plans every statement anew whatever the pool: one pool serves both.
    let keyed = match sea_orm::ConnectionTrait::get_database_backend(&db) {
        sea_orm::DatabaseBackend::Postgres => connect(Plans::Once).await?,
        _ => db.clone(),
    };
    Ok(AppState {
        jwt: Arc::new(JwtKeys::new(&settings)?),
        pii: Arc::new(PiiVault::new(&settings.pii_keys)?),
        passwords: Passwords::new(&settings.password)?,
        photos: crate::store::blobs::open(&settings.data_dir, settings.object_store.as_deref())?,
        budgets: crate::budget::Budgets::new(&settings.rates),
        realtime: crate::realtime::Realtime::new(&db, settings.server.subscriber_backlog),
        principals: crate::access::cache::PrincipalCache::new(
            settings.session_cache_ttl,
            sea_orm::ConnectionTrait::get_database_backend(&db),
        ),
        db,
        keyed,
        clock,
        metrics,
        settings: Arc::new(settings),
    })
}

/// What one HTTP worker serves with, built on its own thread. On PostgreSQL the worker gets pools
/// of its own (its share of `GRIDHUB_DB_MAX_CONNECTIONS`), opened from its thread so their sockets are
/// driven by its event loop: a statement's answer wakes the request on the same thread instead of
/// crossing to another worker's loop and waiting for it (`store::connect_here`). Background jobs
/// keep the instance's pools.
fn for_this_worker(shared: &Shared, workers: usize) -> Shared {
    let state = &shared.state;
    if state.db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return shared.clone();
    }
    let settings = &state.settings;
    // The instance's budget split between its workers (at least one connection each).
    let budget = (settings.db_max_connections / workers as u32).max(1);
    let open = |plans| {
        crate::store::connect_here(
            &settings.database_url,
            budget,
            Some(state.metrics.statement_hook()),
            &settings.db_timeouts,
            plans,
        )
    };
    match (open(Plans::PerCall), open(Plans::Once)) {
        (Ok(db), Ok(keyed)) => {
            let state = AppState {
                db,
                keyed,
                ..state.clone()
            };
            Shared {
                registered: Arc::new(shared.pools.register(state.pools())),
                state,
                ..shared.clone()
            }
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "a worker's own pools did not open: it serves from the shared ones");
            shared.clone()
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    lifecycle: Arc<Lifecycle>,
    stop_requested: Arc<tokio::sync::Notify>,
}

/// Raises the soft open-file limit to the hard one where allowed, and returns what it is now.
fn raise_file_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "could not read or raise the open-file limit");
            1024
        }
    }
}

impl Application {
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let state = build_state(settings, clock).await?;
        // async-io's reactor (/healthz checks it). Start it now, while file
        // descriptors are plentiful, rather than on the first query under load.
        async_io::Timer::after(Duration::from_millis(1)).await;
        Self::serve(listener, state)
    }

    fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let schemas = crate::graphql::Schemas::new(&state.settings);
        let jobs = Supervisor::start(
            state.clone(),
            crate::jobs::configured(&state),
            crate::jobs::services(),
        );
        let lifecycle = Arc::new(Lifecycle::new(jobs));
        let pools = crate::http::Pools::default();
        let shared = Shared {
            state: state.clone(),
            schemas: Arc::new(schemas),
            lifecycle: lifecycle.clone(),
            persisted: Arc::new(crate::http::persisted::PersistedQueries::new(
                state.settings.limits.persisted_queries,
            )),
            registered: Arc::new(pools.register(state.pools())),
            pools,
        };
        let server_limits = &state.settings.server;
        let workers = state
            .settings
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        // Client connections stay well below the open-file limit, leaving room for the
        // database pool, photo files and the reactors.
        let files = raise_file_limit();
        let reserve = 64 + u64::from(state.settings.db_max_connections) * 2;
        let by_files = files.saturating_sub(reserve).max(64) as usize;
        let max_connections = server_limits.max_connections.min(by_files);
        let per_worker = (max_connections / workers).max(1);
        tracing::info!(
            open_file_limit = files,
            max_connections,
            workers,
            "connection cap"
        );
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(for_this_worker(&shared, workers)))
                .wrap(from_fn(lifecycle_middleware))
                .wrap(from_fn(request_id::middleware))
                .configure(routes)
        })
        .workers(workers)
        .max_connections(per_worker)
        .disable_signals()
        .shutdown_timeout(server_limits.shutdown_timeout.as_secs())
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            state,
            lifecycle,
            stop_requested: Arc::new(tokio::sync::Notify::new()),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Asks the server to shut down as SIGTERM does (tests use it).
    pub fn stop_trigger(&self) -> Arc<tokio::sync::Notify> {
        self.stop_requested.clone()
    }

    /// Serves until SIGTERM/SIGINT (or the stop trigger). Then: `/readyz` answers 503 at once
    /// and responses carry `Connection: close` for the drain period, so a load balancer moves
    /// away while nothing is refused; then the listener closes, in-flight requests finish (up
    /// to the shutdown timeout) and the background jobs stop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            mut server,
            state,
            lifecycle,
            stop_requested,
            ..
        } = self;
        let handle = server.handle();
        tokio::select! {
            ended = &mut server => {
                lifecycle.stop_jobs().await;
                return ended;
            }
            signal = stop_signal(stop_requested) => {
                tracing::info!(signal, "shutting down: draining");
            }
        }
        lifecycle.start_draining();
        let drain = state.settings.server.drain_period;
        tokio::select! {
            _ = tokio::time::sleep(drain) => {}
            ended = &mut server => {
                lifecycle.stop_jobs().await;
                return ended;
            }
        }
        tracing::info!("drain period over: closing the listener, finishing in-flight requests");
        let stopping = handle.stop(true);
        let (_, ended) = tokio::join!(stopping, &mut server);
        lifecycle.stop_jobs().await;
        ended
    }
}

/// Which request to stop came first.
async fn stop_signal(trigger: Arc<tokio::sync::Notify>) -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (mut term, mut int) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(term), Ok(int)) => (term, int),
            _ => {
                tracing::error!("could not listen for signals; stopping only when asked");
                trigger.notified().await;
                return "trigger";
            }
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
            _ = trigger.notified() => "trigger",
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "ctrl-c",
            _ = trigger.notified() => "trigger",
        }
    }
}
