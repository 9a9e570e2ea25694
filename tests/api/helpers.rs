//! Spawning the server and talking to it.
use chrono::{TimeZone, Utc};
use gridhub::app::Application;
use gridhub::clock::ManualClock;
use gridhub::config::{Environment, PasswordParams, Secret, Settings};
use gridhub::state::AppState;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::OnceCell;

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0001";
pub const PASSWORD: &str = "grid-pass-2026";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub database_url: String,
    pub data_dir: Arc<tempfile::TempDir>,
}

pub fn test_settings(data_dir: &std::path::Path, database_url: &str) -> Settings {
    let mut settings = Settings::defaults(
        Environment::Development,
        data_dir.to_path_buf(),
        database_url.to_owned(),
        vec![Secret {
            kid: "t1".into(),
            bytes: JWT_SECRET.as_bytes().to_vec(),
        }],
        vec![Secret {
            kid: "p1".into(),
            bytes: vec![42u8; 32],
        }],
    );
    settings.bind = "127.0.0.1:0".into();
    settings.workers = Some(2);
    // Tests run the deadline sweep by hand, with the manual clock.
    settings.sweep_interval = None;
    settings.claim_sweep_interval = None;
    // scripts/test runs the photo tests once more against a local S3-compatible server.
    // Each test under a prefix of its own, so blob counts are the test's.
    settings.object_store = std::env::var("TEST_OBJECT_STORE")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|base| {
            format!(
                "{}/{}",
                base.trim_end_matches('/'),
                uuid::Uuid::now_v7().simple()
            )
        });
    settings.db_max_connections = 5;
    // No cached caller expires between two requests of a test (revocations drop them at once).
    settings.session_cache_ttl = std::time::Duration::from_secs(60);
    // Budgets are off unless a test turns them on (the suite fires requests faster than a person).
    settings.rates.anonymous_per_sec = 0;
    settings.rates.account_per_sec = 0;
    // Cheap hashing keeps the suite fast; production parameters are tested by the unit tests.
    settings.password = PasswordParams {
        memory_kib: 1024,
        iterations: 1,
    };
    settings
}

static CLEANED: OnceCell<()> = OnceCell::const_new();

/// A migrated database per run of the suite; each test gets a copy (PostgreSQL: a database
/// created from it as a template; SQLite: a copy of the file), so migrations run once per run.
static TEMPLATE: OnceCell<Template> = OnceCell::const_new();

enum Template {
    Sqlite {
        file: std::path::PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres {
        name: String,
    },
}

fn admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// The URL of another database on the same PostgreSQL server.
fn sibling_url(admin_url: &str, name: &str) -> String {
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url);
    format!("{base}/{name}")
}

async fn migrate(url: &str) {
    let settings = test_settings(std::path::Path::new("."), url);
    gridhub::store::migrate(url, &settings.db_timeouts)
        .await
        .expect("migrate the template database");
}

async fn template() -> &'static Template {
    TEMPLATE
        .get_or_init(|| async {
            match admin_url() {
                None => {
                    let dir = tempfile::tempdir().expect("temp dir");
                    let file = dir.path().join("template.db");
                    migrate(&format!("sqlite://{}?mode=rwc", file.display())).await;
                    Template::Sqlite { file, _dir: dir }
                }
                Some(admin_url) => {
                    let admin = Database::connect(&admin_url)
                        .await
                        .expect("connect TEST_DATABASE_URL");
                    clean_old_databases(&admin).await;
                    let name = format!("gridhub_tpl_{}", uuid::Uuid::now_v7().simple());
                    admin
                        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                        .await
                        .expect("create the template database");
                    migrate(&sibling_url(&admin_url, &name)).await;
                    let _ = admin.close().await;
                    Template::Postgres { name }
                }
            }
        })
        .await
}

/// Was this test database made more than an hour ago? Names end in a UUIDv7, which carries
/// the time it was made.
fn left_by_an_old_run(name: &str) -> bool {
    let made = name
        .rsplit('_')
        .next()
        .and_then(|id| uuid::Uuid::try_parse(id).ok())
        .and_then(|id| id.get_timestamp())
        .map(|t| t.to_unix().0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    made.is_none_or(|made| now.saturating_sub(made) > 3600)
}

/// Databases left by earlier runs of the suite. Without FORCE, so a database another run of the
/// suite is still using is left alone.
async fn clean_old_databases(admin: &sea_orm::DatabaseConnection) {
    CLEANED
        .get_or_init(|| async {
            let rows = admin
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DatabaseBackend::Postgres,
                    // Only databases nobody is connected to: DROP waits seconds for each one in use.
                    "SELECT datname FROM pg_database d WHERE (datname LIKE 'gridhub_test_%' OR datname LIKE 'gridhub_tpl_%') \
                     AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
                ))
                .await
                .expect("list test databases");
            for row in rows {
                let name: String = row.try_get("", "datname").unwrap();
                if !left_by_an_old_run(&name) {
                    // A run going on beside this one may be between uses of its template.
                    continue;
                }
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                    .await;
            }
        })
        .await;
}

/// A fresh, migrated database: a copy of the run's template.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match template().await {
        Template::Sqlite { file, .. } => {
            let target = dir.join("test.db");
            std::fs::copy(file, &target).expect("copy the template database");
            format!("sqlite://{}?mode=rwc", target.display())
        }
        Template::Postgres { name: template } => {
            let admin_url = admin_url().expect("TEST_DATABASE_URL");
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect TEST_DATABASE_URL");
            let name = format!("gridhub_test_{}", uuid::Uuid::now_v7().simple());
            // Copies of one template can be made only one at a time; retry while another is.
            let mut attempts = 0;
            loop {
                match admin
                    .execute_unprepared(&format!(
                        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                    ))
                    .await
                {
                    Ok(_) => break,
                    Err(e) if attempts < 100 => {
                        attempts += 1;
                        if attempts % 20 == 0 {
                            eprintln!("retrying CREATE DATABASE from the template: {e}");
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    Err(e) => panic!("create test database: {e}"),
                }
            }
            let _ = admin.close().await;
            sibling_url(&admin_url, &name)
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let url = fresh_database(dir.path()).await;
    spawn_on(dir, url, configure).await
}

/// Starts a server on an existing database (e.g. to restart with other keys).
pub async fn spawn_on(
    dir: Arc<tempfile::TempDir>,
    url: String,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        gridhub::telemetry::init_tracing(false);
    }
    let mut settings = test_settings(dir.path(), &url);
    configure(&mut settings);
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap(),
    ));
    let app = Application::build(settings, clock.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        clock,
        state,
        database_url: url,
        data_dir: dir,
    }
}

impl TestApp {
    /// POSTs a GraphQL request and returns the JSON body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.expect("request");
        res.json().await.expect("json body")
    }

    /// Creates the first city admin as the CLI does and logs in.
    pub async fn city_admin(&self) -> Session {
        gridhub::service::account::create_city_admin(
            &self.state,
            "13900000001",
            "市管理员",
            PASSWORD,
        )
        .await
        .expect("create admin");
        self.login("13900000001", PASSWORD).await
    }

    pub async fn login(&self, phone: &str, password: &str) -> Session {
        let body = self
            .gql(
                None,
                "mutation($p:String!,$w:String!){login(phone:$p,password:$w){accessToken refreshToken expiresIn account{id}}}",
                json!({"p": phone, "w": password}),
            )
            .await;
        let login = &body["data"]["login"];
        assert!(login.is_object(), "login failed: {body}");
        Session {
            access: login["accessToken"].as_str().unwrap().to_owned(),
            refresh: login["refreshToken"].as_str().unwrap().to_owned(),
            account_id: login["account"]["id"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn create_region(
        &self,
        token: &str,
        parent: Option<&str>,
        level: &str,
        name: &str,
    ) -> String {
        let body = self
            .gql(
                Some(token),
                "mutation($i:CreateRegionInput!){createRegion(input:$i){id}}",
                json!({"i": {"parentId": parent, "level": level, "name": name}}),
            )
            .await;
        body["data"]["createRegion"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createRegion failed: {body}"))
            .to_owned()
    }

    pub async fn create_account(
        &self,
        token: &str,
        phone: &str,
        role: &str,
        region: Option<&str>,
    ) -> Value {
        self.gql(
            Some(token),
            "mutation($i:CreateAccountInput!){createAccount(input:$i){id name role phone region{id}}}",
            json!({"i": {"phone": phone, "name": format!("测试{role}"), "password": PASSWORD, "role": role, "regionId": region}}),
        )
        .await
    }

    /// Creates an account and logs in as it.
    pub async fn account_session(
        &self,
        token: &str,
        phone: &str,
        role: &str,
        region: Option<&str>,
    ) -> Session {
        let body = self.create_account(token, phone, role, region).await;
        assert!(
            body["data"]["createAccount"].is_object(),
            "createAccount failed: {body}"
        );
        self.login(phone, PASSWORD).await
    }

    /// The fewest SQL statements `query` ran in three sends (a background sweep may run during
    /// one), its caller resolved and cached first.
    pub async fn statements_for(&self, token: &str, query: &str, variables: Value) -> u64 {
        assert_ok(&self.gql(Some(token), "{ me { id } }", json!({})).await);
        let mut fewest = u64::MAX;
        for _ in 0..3 {
            let before = self.statements().await;
            assert_ok(&self.gql(Some(token), query, variables.clone()).await);
            fewest = fewest.min(self.statements().await - before);
        }
        fewest
    }

    /// The server's `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The number of SQL statements the server has run so far, from /metrics.
    pub async fn statements(&self) -> u64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|l| l.strip_prefix("gridhub_db_statements_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .expect("statement counter") as u64
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub access: String,
    pub refresh: String,
    pub account_id: String,
}

/// Are the tests running on PostgreSQL (`TEST_DATABASE_URL`) rather than SQLite?
pub fn on_postgres() -> bool {
    std::env::var_os("TEST_DATABASE_URL").is_some()
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

pub fn error_field(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["field"].as_str()
}

#[track_caller]
pub fn assert_code(body: &Value, code: &str) {
    assert_eq!(error_code(body), Some(code), "expected {code}, got {body}");
}

#[track_caller]
pub fn assert_ok(body: &Value) {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
}

/// A small tree over two sub-districts with one account of each role, as in Heshan.
pub struct World {
    pub admin: Session,
    pub sd1: String,
    pub sd2: String,
    pub c1: String,
    pub c2: String,
    pub c3: String,
    pub g1: String,
    pub g2: String,
    pub g3: String,
    pub sd1_admin: Session,
    pub sd2_admin: Session,
    pub c1_worker: Session,
    pub g1_member: Session,
    pub c1_liaison: Session,
    pub unit_id: String,
}

pub async fn world(app: &TestApp) -> World {
    let admin = app.city_admin().await;
    let t = admin.access.as_str();
    let sd1 = app.create_region(t, None, "SUB_DISTRICT", "沙坪街道").await;
    let sd2 = app.create_region(t, None, "SUB_DISTRICT", "址山镇").await;
    let c1 = app
        .create_region(t, Some(&sd1), "COMMUNITY", "新华社区")
        .await;
    let c2 = app
        .create_region(t, Some(&sd1), "COMMUNITY", "凤凰社区")
        .await;
    let c3 = app
        .create_region(t, Some(&sd2), "COMMUNITY", "东溪村")
        .await;
    let g1 = app
        .create_region(t, Some(&c1), "GRID", "新华第一网格")
        .await;
    let g2 = app
        .create_region(t, Some(&c2), "GRID", "凤凰第一网格")
        .await;
    let g3 = app
        .create_region(t, Some(&c3), "GRID", "东溪第一网格")
        .await;
    let sd1_admin = app
        .account_session(t, "13900000002", "SUB_DISTRICT_ADMIN", Some(&sd1))
        .await;
    let sd2_admin = app
        .account_session(t, "13900000003", "SUB_DISTRICT_ADMIN", Some(&sd2))
        .await;
    let c1_worker = app
        .account_session(t, "13900000004", "COMMUNITY_WORKER", Some(&c1))
        .await;
    let g1_member = app
        .account_session(t, "13900000005", "GRID_MEMBER", Some(&g1))
        .await;
    let unit = app
        .gql(
            Some(t),
            "mutation($i:CreateMemberUnitInput!){createMemberUnit(input:$i){id}}",
            json!({"i": {"name": "鹤山市公安局交通警察大队", "kind": "GOVERNMENT_DEPARTMENT"}}),
        )
        .await;
    let unit_id = unit["data"]["createMemberUnit"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{unit}"))
        .to_owned();
    let body = app
        .gql(
            Some(t),
            "mutation($i:CreateAccountInput!){createAccount(input:$i){id}}",
            json!({"i": {"phone": "13900000006", "name": "交警联络员", "password": PASSWORD, "role": "UNIT_LIAISON", "memberUnitId": unit_id}}),
        )
        .await;
    assert_ok(&body);
    let c1_liaison = app.login("13900000006", PASSWORD).await;
    World {
        admin,
        sd1,
        sd2,
        c1,
        c2,
        c3,
        g1,
        g2,
        g3,
        sd1_admin,
        sd2_admin,
        c1_worker,
        g1_member,
        c1_liaison,
        unit_id,
    }
}

/// A synthetic resident ID number with a valid check digit (area 440784, sequence 9xx).
pub fn fake_id(birth: &str, seq: u32) -> String {
    let first17 = format!("440784{birth}{:03}", 900 + seq % 100);
    let check = gridhub::domain::resident::check_char(&first17).unwrap();
    format!("{first17}{check}")
}

/// The ids of a connection's nodes.
pub fn node_ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A port nobody listens on right now (for servers started as processes).
pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a probe");
    probe.local_addr().expect("probe address").port()
}

/// Waits until a server process answers `/readyz`; false after ten seconds.
pub async fn wait_ready(base: &str) -> bool {
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(res) = client.get(format!("{base}/readyz")).send().await
            && res.status().is_success()
        {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// Starts `gridhub serve` from a prepared command (data dir, database, secrets) on `port`, with
/// two workers, budgets off and its output discarded.
pub fn serve_on(mut cmd: std::process::Command, port: u16) -> std::process::Child {
    cmd.env("GRIDHUB_BIND", format!("127.0.0.1:{port}"))
        .env("GRIDHUB_WORKERS", "2")
        .env("GRIDHUB_RATE_ANON_PER_SEC", "0")
        .env("GRIDHUB_RATE_ACCOUNT_PER_SEC", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start gridhub")
}

/// POSTs a raw body with a content type: status and JSON body (null when not JSON).
pub async fn post_raw(app: &TestApp, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}
