//! Structured logs (tracing) and Prometheus metrics.
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use sea_orm::DatabaseConnection;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Logs go to stderr: JSON when `GRIDHUB_LOG_FORMAT=json` (production default), text otherwise.
/// `RUST_LOG` filters (default `info`).
pub fn init_tracing(production: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match std::env::var("GRIDHUB_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => production,
    };
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr),
            )
            .try_init()
    } else {
        registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .try_init()
    };
    // A second init (tests start many servers in one process) keeps the first subscriber.
    let _ = result;
}

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_latency: HistogramVec,
    pub graphql_errors: IntCounterVec,
    pub db_statements: IntCounter,
    pub db_statement_errors: IntCounter,
    pub db_latency: Histogram,
    db_pool_size: IntGaugeVec,
    db_pool_idle: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new_custom(Some("gridhub".into()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )?;
        let http_latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["route"],
        )?;
        let graphql_errors = IntCounterVec::new(
            Opts::new("graphql_errors_total", "GraphQL errors by extensions.code"),
            &["code"],
        )?;
        let db_statements = IntCounter::new("db_statements_total", "SQL statements executed")?;
        let db_statement_errors =
            IntCounter::new("db_statement_errors_total", "SQL statements that failed")?;
        let db_latency = Histogram::with_opts(
            HistogramOpts::new("db_statement_duration_seconds", "SQL statement latency").buckets(
                vec![
                    0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
                ],
            ),
        )?;
        let db_pool_size = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Open database connections, by pool"),
            &["pool"],
        )?;
        let db_pool_idle = IntGaugeVec::new(
            Opts::new(
                "db_pool_idle_connections",
                "Idle database connections, by pool",
            ),
            &["pool"],
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_latency.clone()))?;
        registry.register(Box::new(graphql_errors.clone()))?;
        registry.register(Box::new(db_statements.clone()))?;
        registry.register(Box::new(db_statement_errors.clone()))?;
        registry.register(Box::new(db_latency.clone()))?;
        registry.register(Box::new(db_pool_size.clone()))?;
        registry.register(Box::new(db_pool_idle.clone()))?;
        Ok(Self {
            registry,
            http_requests,
            http_latency,
            graphql_errors,
            db_statements,
            db_statement_errors,
            db_latency,
            db_pool_size,
            db_pool_idle,
        })
    }

    /// A hook counting and timing every SQL statement.
    pub fn statement_hook(&self) -> crate::store::StatementHook {
        let count = self.db_statements.clone();
        let errors = self.db_statement_errors.clone();
        let latency = self.db_latency.clone();
        std::sync::Arc::new(move |elapsed, failed| {
            count.inc();
            if failed {
                errors.inc();
            }
            latency.observe(elapsed.as_secs_f64());
        })
    }

    /// The Prometheus text exposition, with each named pool's gauges read now: a name's gauges sum
    /// every pool of that name (the instance's and each worker's).
    pub fn render(&self, pools: &[(&'static str, DatabaseConnection)]) -> String {
        let mut sums: Vec<(&str, u32, usize)> = Vec::new();
        for (name, db) in pools {
            let (size, idle) = match db.get_database_backend() {
                sea_orm::DatabaseBackend::Postgres => {
                    let pool = db.get_postgres_connection_pool();
                    (pool.size(), pool.num_idle())
                }
                _ => {
                    let pool = db.get_sqlite_connection_pool();
                    (pool.size(), pool.num_idle())
                }
            };
            match sums.iter_mut().find(|(n, _, _)| n == name) {
                Some((_, s, i)) => {
                    *s += size;
                    *i += idle;
                }
                None => sums.push((name, size, idle)),
            }
        }
        for (name, size, idle) in sums {
            self.db_pool_size
                .with_label_values(&[name])
                .set(i64::from(size));
            self.db_pool_idle
                .with_label_values(&[name])
                .set(idle as i64);
        }
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
