//! Operational endpoints for load balancers and Prometheus.
use super::Shared;
use actix_web::{HttpResponse, web};
use std::time::Duration;

/// The process is up and its background machinery works: the timer driver the DataLoaders
/// wait on fires, and every background job is still running. A failure here asks the
/// supervisor (systemd, Kubernetes) to restart the process.
pub async fn healthz(shared: web::Data<Shared>) -> HttpResponse {
    let timer = tokio::time::timeout(
        Duration::from_secs(1),
        async_io::Timer::after(Duration::from_millis(1)),
    )
    .await
    .is_ok();
    if !timer {
        tracing::error!("the async-io timer did not fire: DataLoaders would hang");
        return unhealthy("timer driver stalled");
    }
    if !shared.lifecycle.jobs_running() {
        return unhealthy("a background job has stopped");
    }
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

fn unhealthy(why: &'static str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .content_type("text/plain")
        .body(why)
}

/// How long the readiness probe waits for the database: well under a load balancer's timeout.
const READY_WITHIN: Duration = Duration::from_millis(800);

/// Ready for traffic: not draining, and the database answers within a second.
pub async fn readyz(shared: web::Data<Shared>) -> HttpResponse {
    if shared.lifecycle.is_draining() {
        return unhealthy("shutting down");
    }
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
        .body(shared.state.metrics.render(&shared.pools.all()))
}
