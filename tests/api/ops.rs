//! Health, readiness, metrics, request ids, the statement count that must not grow with the
//! page size, and a locked or busy database answering `UNAVAILABLE` without stalling the rest.
use crate::helpers::*;
use sea_orm::sqlx::{Connection, Executor, PgConnection, SqliteConnection};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn health_ready_and_metrics() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    app.gql(None, "{ me { id } }", json!({})).await;
    let res = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    for metric in [
        "gridhub_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}",
        "gridhub_http_request_duration_seconds_bucket",
        "gridhub_graphql_errors_total{code=\"UNAUTHENTICATED\"} 1",
        "gridhub_db_pool_connections{pool=\"default\"}",
        "gridhub_db_pool_idle_connections{pool=\"default\"}",
        "gridhub_db_statements_total",
    ] {
        assert!(text.contains(metric), "missing {metric} in\n{text}");
    }
    // PostgreSQL's second pool (statements planned once) is a pool of its own.
    assert_eq!(
        text.contains("gridhub_db_pool_connections{pool=\"keyed\"}"),
        on_postgres(),
        "{text}"
    );
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    let header = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"],
        header.as_str()
    );
    // A sane incoming id is kept, a hostile one replaced.
    let res = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("x-request-id").unwrap(), "abc-123");
    let res = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "a\"b<c>")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers().get("x-request-id").unwrap(), "a\"b<c>");
}

#[tokio::test]
async fn statements_per_request_do_not_grow_with_the_page() {
    // A roomy loader window, so that a busy test machine cannot split a batch in two; the
    // caller is read every time (no session cache), so the count below is exact.
    let app = spawn_app_with(|s| {
        s.loader_delay = std::time::Duration::from_millis(30);
        s.session_cache_ttl = std::time::Duration::ZERO;
    })
    .await;
    let admin = app.city_admin().await;
    let t = admin.access.as_str();
    let sd = app.create_region(t, None, "SUB_DISTRICT", "塘下镇").await;
    let mut communities = Vec::new();
    for i in 0..4 {
        communities.push(
            app.create_region(t, Some(&sd), "COMMUNITY", &format!("社区{i}"))
                .await,
        );
    }
    for i in 0..110 {
        app.create_region(t, Some(&communities[i % 4]), "GRID", &format!("网格{i:03}"))
            .await;
    }
    for i in 0..10 {
        app.create_account(
            t,
            &format!("139000001{i:02}"),
            "COMMUNITY_WORKER",
            Some(&communities[i % 4]),
        )
        .await;
    }
    // Each loader appears at one depth, so the count is exact: caller, page, and one batch per
    // nested field, whatever the page size.
    let regions = |n: u32| {
        format!(
            "{{ regions(first: {n}, level: GRID) {{ edges {{ node {{ id name parent {{ id name }} children {{ id }} }} }} }} }}"
        )
    };
    let accounts = |n: u32| {
        format!(
            "{{ accounts(first: {n}) {{ edges {{ node {{ id phone region {{ name children {{ id }} }} }} }} }} }}"
        )
    };
    for (small, large) in [(regions(5), regions(100)), (accounts(2), accounts(11))] {
        let small_cost = cost(&app, t, &small).await;
        let large_cost = cost(&app, t, &large).await;
        assert_eq!(
            small_cost, large_cost,
            "statements grew with the page: {small_cost} vs {large_cost}"
        );
        assert_eq!(large_cost, 4, "caller + page + two batches");
    }
    // Deeper nesting (the same loader at several depths) stays bounded too.
    let deep = |n: u32| {
        format!(
            "{{ regions(first: {n}, level: GRID) {{ edges {{ node {{ id parent {{ id parent {{ name }} children {{ id }} }} children {{ id }} }} }} }} }}"
        )
    };
    assert!(cost(&app, t, &deep(100)).await <= 6);
    assert!(cost(&app, t, &deep(5)).await <= 6);
}

async fn cost(app: &TestApp, token: &str, query: &str) -> u64 {
    let before = app.statements().await;
    let body = app.gql(Some(token), query, json!({})).await;
    assert_ok(&body);
    app.statements().await - before
}

/// What a caller sees of one request: status, `Retry-After`, body, and how long it took.
struct Timed {
    status: u16,
    retry_after: Option<String>,
    body: serde_json::Value,
    took: Duration,
}

async fn timed_gql(app: &TestApp, token: &str, query: &str) -> Timed {
    let started = Instant::now();
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = res.json().await.unwrap();
    Timed {
        status,
        retry_after,
        body,
        took: started.elapsed(),
    }
}

#[track_caller]
fn assert_unavailable(answer: &Timed) {
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_code(&answer.body, "UNAVAILABLE");
    let secs = answer.body["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap_or_else(|| panic!("no retryAfterSeconds: {}", answer.body));
    assert_eq!(
        answer.retry_after.as_deref(),
        Some(secs.to_string().as_str())
    );
}

const EVENTS: &str = "{ events(first: 5) { edges { node { id } } } }";

#[tokio::test]
async fn a_locked_table_fails_its_callers_fast_and_spares_the_rest() {
    let app = spawn_app_with(|s| {
        s.db_timeouts.lock = Duration::from_millis(500);
        s.db_timeouts.statement = Some(Duration::from_secs(2));
        s.db_timeouts.acquire = Duration::from_secs(1);
    })
    .await;
    if !app.database_url.starts_with("postgres") {
        println!("skipped: table locks are a PostgreSQL matter (run with TEST_DATABASE_URL)");
        return;
    }
    let admin = app.city_admin().await;
    let t = admin.access.as_str();
    assert_ok(&app.gql(Some(t), EVENTS, json!({})).await);

    // An operator's session holds the events table, as a migration or a manual fix might.
    let mut holder = PgConnection::connect(&app.database_url).await.unwrap();
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute("LOCK TABLE event IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let during = async {
        let events = futures_util::future::join_all((0..3).map(|_| timed_gql(&app, t, EVENTS)));
        let others = async {
            let me = timed_gql(&app, t, "{ me { id } }").await;
            let labels = timed_gql(&app, t, "{ labels { name } }").await;
            let started = Instant::now();
            let ready = app
                .client
                .get(format!("{}/readyz", app.address))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            (me, labels, ready, started.elapsed())
        };
        futures_util::join!(events, others)
    };
    // Before the fix these waited for the lock (or 10 s for the pool); never hang the suite.
    let outcome = tokio::time::timeout(Duration::from_secs(30), during).await;
    holder.execute("ROLLBACK").await.unwrap();
    let (events, (me, labels, ready, ready_took)) = outcome.expect("requests hung on the lock");

    for answer in [&me, &labels] {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_ok(&answer.body);
        assert!(
            answer.took < Duration::from_secs(3),
            "took {:?}",
            answer.took
        );
    }
    assert_eq!(ready, 200);
    assert!(
        ready_took < Duration::from_secs(2),
        "readyz took {ready_took:?}"
    );
    for answer in &events {
        assert_unavailable(answer);
        assert!(
            answer.took < Duration::from_secs(5),
            "took {:?}",
            answer.took
        );
    }
    // The lock is gone: the same query answers again.
    assert_ok(&app.gql(Some(t), EVENTS, json!({})).await);
}

#[tokio::test]
async fn a_busy_sqlite_writer_is_unavailable_not_internal() {
    let app = spawn_app_with(|s| s.db_timeouts.lock = Duration::from_millis(300)).await;
    if !app.database_url.starts_with("sqlite") {
        println!("skipped: the SQLite write lock (PostgreSQL is covered by the table-lock test)");
        return;
    }
    let admin = app.city_admin().await;
    let t = admin.access.as_str();
    let create =
        r#"mutation { createRegion(input: { level: SUB_DISTRICT, name: "沙坪街道" }) { id } }"#;

    // Another process holds SQLite's one write lock.
    let mut holder = SqliteConnection::connect(&app.database_url).await.unwrap();
    holder.execute("BEGIN IMMEDIATE").await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(30), timed_gql(&app, t, create)).await;
    holder.execute("ROLLBACK").await.unwrap();
    let answer = answer.expect("the write hung on the lock");
    assert_unavailable(&answer);
    assert!(
        answer.took < Duration::from_secs(5),
        "took {:?}",
        answer.took
    );
    // Nothing was half-written: the retry creates the region once.
    let retry = timed_gql(&app, t, create).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_ok(&retry.body);
    let regions = app
        .gql(
            Some(t),
            "{ regions(first: 10) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(node_ids(&regions["data"]["regions"]).len(), 1, "{regions}");
}

/// The database drops every connection of the server while it is idle (a restart, a failover,
/// an administrator's `pg_terminate_backend`): the next requests are served, none refused — a
/// connection idle for a while is checked before it is used, and a dead one replaced.
#[tokio::test]
async fn connections_cut_while_idle_cost_no_request() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let w = world(&app).await;
    let reads = [
        (
            w.admin.access.as_str(),
            "{events(first:5){edges{node{id}}}}",
        ),
        (
            w.c1_worker.access.as_str(),
            "{regions(first:5){edges{node{id name}}}}",
        ),
        (
            w.sd1_admin.access.as_str(),
            "{serviceItems(first:5){edges{node{id}}}}",
        ),
    ];
    for (token, query) in reads {
        assert_ok(&app.gql(Some(token), query, json!({})).await);
    }
    let mut admin = PgConnection::connect(&app.database_url)
        .await
        .expect("connect");
    let cut = admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await
        .expect("terminate the server's connections");
    assert!(cut.rows_affected() > 0, "the server held no connection");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for _ in 0..3 {
        let answers = futures_util::future::join_all(
            reads
                .iter()
                .map(|(token, query)| app.gql(Some(token), query, json!({}))),
        )
        .await;
        for body in answers {
            assert_ok(&body);
        }
    }
}

/// On PostgreSQL each HTTP worker serves from pools of its own, its share of
/// `GRIDHUB_DB_MAX_CONNECTIONS`: a burst of reads is answered in full, and the server never holds
/// more connections than the budget for requests (two pools) plus the background pools at rest
/// and the notification listener; `/metrics` counts every worker's pools.
#[tokio::test]
async fn a_burst_of_reads_stays_within_the_connection_budget() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app_with(|s| {
        s.workers = Some(2);
        s.db_max_connections = 4;
    })
    .await;
    let w = world(&app).await;
    let mut admin = PgConnection::connect(&app.database_url)
        .await
        .expect("connect");
    let mut most = 0;
    for _ in 0..3 {
        let burst = futures_util::future::join_all((0..40).map(|i| {
            let (token, query) = if i % 2 == 0 {
                (
                    w.admin.access.as_str(),
                    "{events(first:20){edges{node{id title grid{name} reporter{name}}}}}",
                )
            } else {
                (
                    w.c1_worker.access.as_str(),
                    "{regions(first:20){edges{node{id name}}}}",
                )
            };
            app.gql(Some(token), query, json!({}))
        }));
        let (answers, counted) = tokio::join!(burst, async {
            let mut most = 0;
            for _ in 0..20 {
                most = most.max(connections_held(&mut admin).await);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            most
        });
        for body in answers {
            assert_ok(&body);
        }
        most = most.max(counted).max(connections_held(&mut admin).await);
    }
    // Requests: 2 workers × 2 pools × 2; background: 2 pools at their one connection; listener 1.
    assert!(most <= 8 + 2 + 1, "the server held {most} connections");
    assert!(most >= 3, "the burst was not seen ({most} connections)");
    let text = app.metrics().await;
    let gauge = |name: &str| -> i64 {
        let line = format!("gridhub_db_pool_connections{{pool=\"{name}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(line.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} pool gauge in\n{text}"))
    };
    let pooled = gauge("default") + gauge("keyed");
    let now = connections_held(&mut admin).await;
    // Each worker's pools and the background ones, all counted (every connection the server
    // holds but the listener's and the migrations' own); never past the budget.
    assert!(
        pooled >= now - 2 && pooled <= 8 + 2,
        "pools report {pooled} connections, the server holds {now}"
    );
}

/// Connections to the test database other than `admin`'s own.
async fn connections_held(admin: &mut PgConnection) -> i64 {
    sea_orm::sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(admin)
    .await
    .expect("count connections")
}
