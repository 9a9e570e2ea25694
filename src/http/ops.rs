//! Operational endpoints for load balancers and Prometheus.
use super::Shared;
use actix_web::{HttpResponse, web};

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// The database answers.
pub async fn readyz(shared: web::Data<Shared>) -> HttpResponse {
    if crate::store::ping(&shared.state.db).await {
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
