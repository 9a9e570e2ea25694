//! Operational endpoints for load balancers and Prometheus.
use super::Shared;
use actix_web::{HttpResponse, web};
use std::time::Duration;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// How long the readiness probe waits for the database: well under a load balancer's timeout.
const READY_WITHIN: Duration = Duration::from_millis(800);

/// The database answers, within a second.
pub async fn readyz(shared: web::Data<Shared>) -> HttpResponse {
    if crate::store::ping(&shared.state.db, READY_WITHIN).await {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unreachable")
    }
}

pub async fn metrics(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(shared.state.metrics.render(&shared.state.db))
}
