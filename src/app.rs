//! Builds the application from settings: database, migrations, keys, schema, HTTP server.
use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::clock::Clock;
use crate::config::Settings;
use crate::graphql::schema_builder;
use crate::http::{Shared, request_id, routes};
use crate::pii::PiiVault;
use crate::state::AppState;
use crate::telemetry::Metrics;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;

/// The state every part of the app shares, with the database migrated.
pub async fn build_state(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let metrics = Metrics::new()?;
    crate::store::migrate(&settings.database_url, &settings.db_timeouts).await?;
    let db = crate::store::connect(
        &settings.database_url,
        settings.db_max_connections,
        Some(metrics.statement_hook()),
        &settings.db_timeouts,
    )
    .await?;
    Ok(AppState {
        jwt: Arc::new(JwtKeys::new(&settings)?),
        pii: Arc::new(PiiVault::new(&settings.pii_keys)?),
        passwords: Passwords::new(&settings.password)?,
        photos: crate::service::photo::local_store(&settings.data_dir)?,
        budgets: crate::budget::Budgets::new(&settings.rates),
        db,
        clock,
        metrics,
        settings: Arc::new(settings),
    })
}

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let state = build_state(settings, clock).await?;
        Self::serve(listener, state)
    }

    fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Self> {
        if let Some(interval) = state.settings.sweep_interval {
            crate::service::event::spawn_sweeper(state.clone(), interval);
        }
        if let Some(every) = state.settings.claim_sweep_interval {
            crate::service::service_item::spawn_release_sweep(state.clone(), every);
        }
        let port = listener.local_addr()?.port();
        let schema = schema_builder(&state.settings).finish();
        let shared = web::Data::new(Shared {
            state: state.clone(),
            schema,
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .wrap(from_fn(request_id::middleware))
                .configure(routes)
        })
        .shutdown_timeout(30)
        .listen(listener)?;
        if let Some(workers) = state.settings.workers {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM/SIGINT; in-flight requests finish first (up to 30 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
