//! Typed settings from the environment. Secrets are never printed (their `Debug` is redacted).
//!
//! In development, missing secrets are generated once into `<data dir>/dev-secrets.json` with a
//! warning; `GRIDHUB_ENV=production` refuses to start without real ones.
use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// A secret byte string with a key id. `Debug` never shows the bytes.
#[derive(Clone)]
pub struct Secret {
    pub kid: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({}, [redacted])", self.kid)
    }
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub json_body_bytes: usize,
    pub multipart_body_bytes: usize,
    pub max_file_bytes: usize,
    pub max_files: usize,
    /// Deepest nesting of brackets in a document, checked on its text before it is parsed.
    pub max_nesting: usize,
    /// Root fields per operation (fragments expanded).
    pub max_root_fields: usize,
    /// Aliased fields per document.
    pub max_aliases: usize,
    /// Elements of any list argument or list variable.
    pub max_list_items: usize,
    /// Longest wait for the next chunk of a request body.
    pub body_idle_timeout: Duration,
    /// Longest time to read a whole JSON body (multipart bodies get `upload_timeout`).
    pub body_timeout: Duration,
    pub upload_timeout: Duration,
    /// Automatic persisted queries kept per instance (least recently used go first).
    pub persisted_queries: usize,
    /// Parsed documents kept per instance by their exact text (0: parse every request).
    pub parsed_documents: usize,
}

/// Request budgets (token buckets): per client IP for anonymous calls, per account for signed-in
/// ones. A rate of 0 turns a budget off.
#[derive(Debug, Clone)]
pub struct RateBudgets {
    pub anonymous_per_sec: u32,
    pub anonymous_burst: u32,
    pub account_per_sec: u32,
    pub account_burst: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
}

/// How the HTTP server holds up under load and how it stops.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Open client connections across all workers (kept below the open-file limit).
    pub max_connections: usize,
    /// After SIGTERM: how long `/readyz` says 503 while requests are still served.
    pub drain_period: Duration,
    /// Then: how long in-flight requests may take to finish.
    pub shutdown_timeout: Duration,
    /// How often a WebSocket's session is checked again (logout or a disabled account closes it).
    pub ws_recheck: Duration,
    /// Changes a slow subscriber may fall behind by before it skips ahead and is told it lagged.
    pub subscriber_backlog: usize,
}

/// How long a request may wait on the database before it gives up with `UNAVAILABLE`, so a slow
/// statement, a held lock or a database that is down cannot stall every caller.
#[derive(Debug, Clone)]
pub struct DbTimeouts {
    /// PostgreSQL `statement_timeout` (`None`: unbounded, for batch commands).
    pub statement: Option<Duration>,
    /// PostgreSQL `lock_timeout`; on SQLite the busy timeout (how long a writer waits for another).
    pub lock: Duration,
    /// How long a request waits for a pooled connection (or for a new one to open).
    pub acquire: Duration,
}

impl DbTimeouts {
    /// Migrations and seeding may run long statements on purpose.
    pub fn for_batch(&mut self) {
        self.statement = None;
        self.acquire = self.acquire.max(Duration::from_secs(30));
    }
}

#[derive(Debug, Clone)]
pub struct LoginPolicy {
    /// Failures after which each further attempt must wait (doubling, capped).
    pub slow_after: i32,
    pub max_delay: Duration,
    /// Failures after which the account is locked.
    pub lock_after: i32,
    pub lock_for: Duration,
}

#[derive(Debug, Clone)]
pub struct PasswordParams {
    pub memory_kib: u32,
    pub iterations: u32,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub env: Environment,
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The first signs; all verify (kid rotation).
    pub jwt_keys: Vec<Secret>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// How long a rotated refresh token may be presented once more (lost response).
    pub refresh_retry_window: Duration,
    /// The first encrypts; all decrypt and are used for look-ups (PII key rotation).
    pub pii_keys: Vec<Secret>,
    pub limits: Limits,
    /// Photo blobs: `None` for `<data dir>/photos`, or `s3://bucket[/prefix]`
    /// (`GRIDHUB_OBJECT_STORE`; the `AWS_*` variables configure the endpoint and keys).
    pub object_store: Option<String>,
    pub rates: RateBudgets,
    pub server: ServerLimits,
    pub login: LoginPolicy,
    pub password: PasswordParams,
    pub workers: Option<usize>,
    pub db_max_connections: u32,
    pub db_timeouts: DbTimeouts,
    /// How long a DataLoader gathers keys before it queries. Longer batches more reliably under
    /// CPU contention at the price of latency per nesting level.
    pub loader_delay: Duration,
    /// How long a resolved caller is reused without reading its session again
    /// (`GRIDHUB_SESSION_CACHE_MS`; zero: every request reads it). Revocations drop it at once.
    pub session_cache_ttl: Duration,
    /// Points credited to a grid member's ledger.
    pub points: PointsRules,
    /// How often the deadline sweep runs; `None` turns the background task off (tests sweep
    /// by hand with a manual clock).
    pub sweep_interval: Option<Duration>,
    /// How often the sweep releases service claims nobody started by their item's due date
    /// (`GRIDHUB_CLAIM_SWEEP_SECS`, default 60; `None`/0: off).
    pub claim_sweep_interval: Option<Duration>,
}

#[derive(Debug, Clone, Copy)]
pub struct PointsRules {
    /// A report a triager accepted.
    pub report_accepted: i32,
    /// A small matter the member resolved on the spot.
    pub on_site_resolution: i32,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn millis(name: &str) -> Result<Option<Duration>> {
    var(name)
        .map(|v| v.trim().parse().map(Duration::from_millis))
        .transpose()
        .with_context(|| format!("{name} (milliseconds)"))
}

/// Overrides `target` with the variable's value when it is set.
fn parse_into<T: std::str::FromStr>(name: &str, target: &mut T) -> Result<()>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    if let Some(raw) = var(name) {
        *target = raw
            .trim()
            .parse()
            .with_context(|| format!("{name}={raw:?}"))?;
    }
    Ok(())
}

/// A duration in whole seconds from the variable, when it is set.
fn secs_into(name: &str, target: &mut Duration) -> Result<()> {
    let mut secs = target.as_secs();
    parse_into(name, &mut secs)?;
    *target = Duration::from_secs(secs);
    Ok(())
}

impl Settings {
    /// Reads the environment. `GRIDHUB_*` and `DATABASE_URL` as in the README.
    pub fn from_env() -> Result<Self> {
        let env = match var("GRIDHUB_ENV").as_deref() {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => bail!("GRIDHUB_ENV must be development or production, not {other:?}"),
        };
        let data_dir = PathBuf::from(var("GRIDHUB_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match var("DATABASE_URL") {
            Some(url) => url,
            None => {
                std::fs::create_dir_all(&data_dir)
                    .with_context(|| format!("creating data dir {}", data_dir.display()))?;
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.join("gridhub.db").display()
                )
            }
        };
        let database_url = with_default_sslmode(database_url);
        let mut jwt_raw = var("GRIDHUB_JWT_SECRET");
        let mut pii_raw = var("GRIDHUB_PII_KEY");
        if jwt_raw.is_none() || pii_raw.is_none() {
            if env == Environment::Production {
                bail!(
                    "GRIDHUB_ENV=production needs GRIDHUB_JWT_SECRET and GRIDHUB_PII_KEY; refusing to start"
                );
            }
            let dev = dev_secrets(&data_dir)?;
            jwt_raw.get_or_insert(dev.0);
            pii_raw.get_or_insert(dev.1);
        }
        let jwt_keys =
            parse_jwt_keys(jwt_raw.as_deref().unwrap_or_default()).context("GRIDHUB_JWT_SECRET")?;
        let pii_keys =
            parse_pii_keys(pii_raw.as_deref().unwrap_or_default()).context("GRIDHUB_PII_KEY")?;
        let mut settings = Settings::defaults(env, data_dir, database_url, jwt_keys, pii_keys);
        if let Some(bind) = var("GRIDHUB_BIND") {
            settings.bind = bind;
        }
        if let Some(w) = var("GRIDHUB_WORKERS") {
            settings.workers = Some(w.parse().context("GRIDHUB_WORKERS")?);
        }
        if let Some(n) = var("GRIDHUB_DB_MAX_CONNECTIONS") {
            settings.db_max_connections = n.parse().context("GRIDHUB_DB_MAX_CONNECTIONS")?;
        }
        if let Some(ms) = millis("GRIDHUB_DB_STATEMENT_TIMEOUT_MS")? {
            settings.db_timeouts.statement = (!ms.is_zero()).then_some(ms);
        }
        if let Some(ms) = millis("GRIDHUB_DB_LOCK_TIMEOUT_MS")? {
            settings.db_timeouts.lock = ms;
        }
        if let Some(ms) = millis("GRIDHUB_LOADER_DELAY_MS")? {
            settings.loader_delay = ms;
        }
        if let Some(ms) = millis("GRIDHUB_SESSION_CACHE_MS")? {
            settings.session_cache_ttl = ms;
        }
        if let Some(ms) = millis("GRIDHUB_DB_ACQUIRE_TIMEOUT_MS")? {
            settings.db_timeouts.acquire = ms.max(Duration::from_millis(1));
        }
        settings.object_store = var("GRIDHUB_OBJECT_STORE");
        let limits = &mut settings.limits;
        parse_into("GRIDHUB_MAX_NESTING", &mut limits.max_nesting)?;
        parse_into("GRIDHUB_MAX_ROOT_FIELDS", &mut limits.max_root_fields)?;
        parse_into("GRIDHUB_MAX_ALIASES", &mut limits.max_aliases)?;
        parse_into("GRIDHUB_MAX_LIST_ITEMS", &mut limits.max_list_items)?;
        secs_into(
            "GRIDHUB_BODY_IDLE_TIMEOUT_SECS",
            &mut limits.body_idle_timeout,
        )?;
        secs_into("GRIDHUB_BODY_TIMEOUT_SECS", &mut limits.body_timeout)?;
        secs_into("GRIDHUB_UPLOAD_TIMEOUT_SECS", &mut limits.upload_timeout)?;
        parse_into("GRIDHUB_PERSISTED_QUERIES", &mut limits.persisted_queries)?;
        parse_into("GRIDHUB_PARSED_DOCUMENTS", &mut limits.parsed_documents)?;
        let rates = &mut settings.rates;
        parse_into("GRIDHUB_RATE_ANON_PER_SEC", &mut rates.anonymous_per_sec)?;
        parse_into("GRIDHUB_RATE_ANON_BURST", &mut rates.anonymous_burst)?;
        parse_into("GRIDHUB_RATE_ACCOUNT_PER_SEC", &mut rates.account_per_sec)?;
        parse_into("GRIDHUB_RATE_ACCOUNT_BURST", &mut rates.account_burst)?;
        parse_into(
            "GRIDHUB_TRUST_FORWARDED_FOR",
            &mut rates.trust_forwarded_for,
        )?;
        let server = &mut settings.server;
        parse_into("GRIDHUB_MAX_CONNECTIONS", &mut server.max_connections)?;
        secs_into("GRIDHUB_DRAIN_SECS", &mut server.drain_period)?;
        parse_into("GRIDHUB_SUBSCRIBER_BACKLOG", &mut server.subscriber_backlog)?;
        secs_into(
            "GRIDHUB_SHUTDOWN_TIMEOUT_SECS",
            &mut server.shutdown_timeout,
        )?;
        if let Some(secs) = var("GRIDHUB_CLAIM_SWEEP_SECS") {
            let secs: u64 = secs.parse().context("GRIDHUB_CLAIM_SWEEP_SECS")?;
            settings.claim_sweep_interval = (secs > 0).then(|| Duration::from_secs(secs));
        }
        Ok(settings)
    }

    /// Production-grade defaults around the given essentials (tests start from here too).
    pub fn defaults(
        env: Environment,
        data_dir: PathBuf,
        database_url: String,
        jwt_keys: Vec<Secret>,
        pii_keys: Vec<Secret>,
    ) -> Self {
        Settings {
            env,
            bind: "127.0.0.1:8080".into(),
            data_dir,
            database_url,
            jwt_keys,
            jwt_issuer: "gridhub".into(),
            jwt_audience: "gridhub-api".into(),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            refresh_retry_window: Duration::from_secs(60),
            pii_keys,
            limits: Limits {
                max_depth: 12,
                max_complexity: 5_000,
                json_body_bytes: 256 * 1024,
                multipart_body_bytes: 9 * 10 * 1024 * 1024 + 1024 * 1024,
                max_file_bytes: 10 * 1024 * 1024,
                // Per request; each event, step or item still takes at most 9 (a synced queue of
                // offline reports carries several sets).
                max_files: 36,
                max_nesting: 64,
                max_root_fields: 20,
                max_aliases: 30,
                max_list_items: 100,
                body_idle_timeout: Duration::from_secs(10),
                body_timeout: Duration::from_secs(30),
                upload_timeout: Duration::from_secs(300),
                persisted_queries: 1_000,
                parsed_documents: 1_000,
            },
            object_store: None,
            rates: RateBudgets {
                anonymous_per_sec: 10,
                anonymous_burst: 50,
                account_per_sec: 30,
                account_burst: 120,
                trust_forwarded_for: false,
            },
            server: ServerLimits {
                max_connections: 10_000,
                drain_period: Duration::from_secs(5),
                shutdown_timeout: Duration::from_secs(30),
                ws_recheck: Duration::from_secs(30),
                subscriber_backlog: 1024,
            },
            login: LoginPolicy {
                slow_after: 3,
                max_delay: Duration::from_secs(60),
                lock_after: 10,
                lock_for: Duration::from_secs(15 * 60),
            },
            password: PasswordParams {
                memory_kib: 19 * 1024,
                iterations: 2,
            },
            workers: None,
            db_max_connections: 16,
            db_timeouts: DbTimeouts {
                statement: Some(Duration::from_secs(5)),
                lock: Duration::from_secs(3),
                acquire: Duration::from_secs(2),
            },
            loader_delay: Duration::from_millis(1),
            session_cache_ttl: Duration::from_secs(5),
            points: PointsRules {
                report_accepted: 2,
                on_site_resolution: 3,
            },
            sweep_interval: Some(Duration::from_secs(60)),
            claim_sweep_interval: Some(Duration::from_secs(60)),
        }
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }
}

/// `kid:secret,kid:secret` or one bare secret (kid `k1`). Each secret at least 32 bytes.
pub fn parse_jwt_keys(raw: &str) -> Result<Vec<Secret>> {
    let keys = parse_keyring(raw, |s| Ok(s.as_bytes().to_vec()))?;
    for key in &keys {
        if key.bytes.len() < 32 {
            bail!("JWT secret {:?} is shorter than 32 bytes", key.kid);
        }
    }
    Ok(keys)
}

/// `kid:base64,kid:base64` or one bare base64 key (kid `k1`). Each key exactly 32 bytes.
pub fn parse_pii_keys(raw: &str) -> Result<Vec<Secret>> {
    parse_keyring(raw, |s| {
        let is_hex = s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit());
        let bytes = if is_hex {
            hex::decode(s).context("PII key hex")?
        } else {
            STANDARD
                .decode(s)
                .or_else(|_| URL_SAFE_NO_PAD.decode(s))
                .context("PII key is neither 64 hex digits nor base64")?
        };
        if bytes.len() != 32 {
            bail!("PII key must be 32 bytes, got {}", bytes.len());
        }
        Ok(bytes)
    })
}

fn parse_keyring(raw: &str, decode: impl Fn(&str) -> Result<Vec<u8>>) -> Result<Vec<Secret>> {
    let mut keys = Vec::new();
    for (i, entry) in raw
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .enumerate()
    {
        let (kid, secret) = match entry.split_once(':') {
            Some((kid, secret))
                if !kid.is_empty()
                    && kid.len() <= 16
                    && kid.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                (kid.to_owned(), secret)
            }
            _ => (format!("k{}", i + 1), entry),
        };
        if keys.iter().any(|k: &Secret| k.kid == kid) {
            bail!("key id {kid:?} appears twice");
        }
        keys.push(Secret {
            kid,
            bytes: decode(secret)?,
        });
    }
    if keys.is_empty() {
        bail!("no key given");
    }
    Ok(keys)
}

/// Development secrets, generated once into the data dir.
fn dev_secrets(data_dir: &Path) -> Result<(String, String)> {
    let path = data_dir.join("dev-secrets.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let value: serde_json::Value = serde_json::from_str(&text).context("dev-secrets.json")?;
        let jwt = value["jwt_secret"]
            .as_str()
            .context("dev-secrets.json: jwt_secret")?;
        let pii = value["pii_key"]
            .as_str()
            .context("dev-secrets.json: pii_key")?;
        return Ok((jwt.to_owned(), pii.to_owned()));
    }
    std::fs::create_dir_all(data_dir)?;
    let mut jwt = [0u8; 48];
    let mut pii = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut jwt);
    rand::thread_rng().fill_bytes(&mut pii);
    let jwt = format!("dev:{}", URL_SAFE_NO_PAD.encode(jwt));
    let pii = format!("dev:{}", STANDARD.encode(pii));
    let body = serde_json::json!({ "jwt_secret": jwt, "pii_key": pii });
    write_private(&path, &serde_json::to_vec_pretty(&body)?)?;
    tracing::warn!(
        path = %path.display(),
        "GRIDHUB_JWT_SECRET / GRIDHUB_PII_KEY not set: generated development secrets (never use these in production)"
    );
    Ok((jwt, pii))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

/// What a PostgreSQL URL says of TLS: its `sslmode` (`None`: not given) and whether its host is
/// this machine (a loopback address or a Unix socket). `None` for other databases.
pub struct PostgresTls {
    pub sslmode: Option<String>,
    pub local: bool,
}

pub fn postgres_tls(url: &str) -> Option<PostgresTls> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let (authority_path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = authority_path.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    };
    let socket = param("host").is_some_and(|h| h.starts_with('/') || h.starts_with("%2F"));
    let local = socket
        || host.is_empty()
        || host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    Some(PostgresTls {
        sslmode: param("sslmode").or_else(|| param("ssl-mode")),
        local,
    })
}

/// The database TLS mode made explicit: a PostgreSQL URL without `sslmode` gets `disable` when
/// the database is on this machine (nothing crosses a network; TLS would only cost CPU) and
/// `prefer` otherwise (TLS when the server offers it, without checking its certificate — say
/// `verify-full` or `require` in the URL for a production database elsewhere).
pub fn with_default_sslmode(url: String) -> String {
    match postgres_tls(&url) {
        Some(PostgresTls {
            sslmode: None,
            local,
        }) => {
            let mode = if local { "disable" } else { "prefer" };
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}sslmode={mode}")
        }
        _ => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_tls_is_explicit() {
        assert_eq!(
            with_default_sslmode("postgres://u@127.0.0.1:5432/db".into()),
            "postgres://u@127.0.0.1:5432/db?sslmode=disable"
        );
        assert_eq!(
            with_default_sslmode("postgresql://u:p@localhost/db?application_name=x".into()),
            "postgresql://u:p@localhost/db?application_name=x&sslmode=disable"
        );
        assert_eq!(
            with_default_sslmode("postgres://u@[::1]:5432/db".into()),
            "postgres://u@[::1]:5432/db?sslmode=disable"
        );
        assert_eq!(
            with_default_sslmode("postgres://u@db.internal:5432/db".into()),
            "postgres://u@db.internal:5432/db?sslmode=prefer"
        );
        // Said in the URL: kept as said.
        for url in [
            "postgres://u@db.internal/db?sslmode=verify-full",
            "postgres://u@127.0.0.1/db?sslmode=require",
            "sqlite://./data/gridhub.db?mode=rwc",
        ] {
            assert_eq!(with_default_sslmode(url.into()), url);
        }
        let remote = postgres_tls("postgres://u@10.0.0.5/db?sslmode=prefer").unwrap();
        assert!(!remote.local);
        assert!(
            postgres_tls("postgres://u@/db?host=/var/run/postgresql")
                .unwrap()
                .local
        );
    }

    #[test]
    fn keyrings() {
        let keys = parse_jwt_keys(
            "new:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,old:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        )
        .unwrap();
        assert_eq!(keys[0].kid, "new");
        assert_eq!(keys[1].kid, "old");
        assert!(parse_jwt_keys("short").is_err());
        assert_eq!(parse_jwt_keys(&"x".repeat(40)).unwrap()[0].kid, "k1");
        let pii = parse_pii_keys(&format!("p1:{}", STANDARD.encode([7u8; 32]))).unwrap();
        assert_eq!(pii[0].bytes, vec![7u8; 32]);
        assert!(parse_pii_keys("p1:AAAA").is_err());
        assert!(format!("{:?}", pii[0]).contains("redacted"));
    }
}
