//! actix wiring: `/graphql` (POST, GET for GraphiQL and read-only queries), health, metrics.
use crate::graphql::GridSchema;
use crate::state::AppState;
use actix_web::web;

/// Request bodies: JSON and multipart, bounded in size and time.
pub mod body;
/// `POST /graphql`, `GET /graphql`.
pub mod graphql;
/// `/healthz`, `/readyz`, `/metrics`.
pub mod ops;
/// `GET /photos/{id}` for callers allowed to see the photo's event.
pub mod photos;
/// Request ids, the request span, and HTTP metrics.
pub mod request_id;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql::post))
        .route("/graphql", web::get().to(graphql::get))
        .route("/photos/{id}", web::get().to(photos::get))
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics));
}

/// What handlers receive from the app.
pub struct Shared {
    pub state: AppState,
    pub schema: GridSchema,
}
