//! Third-party GraphQL tooling against the real server: the graphql-http audit of the GraphQL
//! over HTTP spec (`scripts/conformance`, installed by `scripts/test`).
use crate::helpers::*;
use serde_json::{Value, json};

fn conformance_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/conformance")
}

/// Is an npm package of `scripts/conformance` installed? scripts/test installs them; under CI a
/// missing one fails the test instead of skipping it.
fn tool_installed(package: &str) -> bool {
    let dir = conformance_dir();
    if dir.join("node_modules").join(package).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{package} is not installed in {}: run scripts/test",
        dir.display()
    );
    eprintln!("skipped: run `npm ci` in scripts/conformance (scripts/test does)");
    false
}

#[tokio::test]
async fn the_graphql_over_http_audit_passes_every_must_and_should() {
    if !tool_installed("graphql-http") {
        return;
    }
    let dir = conformance_dir();
    let app = spawn_app().await;
    let out = tokio::process::Command::new("node")
        .arg(dir.join("graphql-http-audit.mjs"))
        .arg(format!("{}/graphql", app.address))
        .current_dir(&dir)
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no summary: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert_eq!(summary["must_failed"], 0, "{stdout}");
    assert_eq!(summary["should_failed"], 0, "{stdout}");
    assert!(summary["ok"].as_u64().unwrap() >= 50, "{stdout}");
    assert!(out.status.success());
}

#[tokio::test]
async fn request_errors_are_400_without_data_for_graphql_response_json() {
    let app = spawn_app().await;
    let post = |query: &str, accept: &str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("accept", accept)
            .json(&json!({ "query": query }))
            .send()
    };
    let modern = "application/graphql-response+json";
    for bad in ["{", "{ nosuchfield }", "{ __typename(a: 1) }"] {
        let res = post(bad, modern).await.unwrap();
        assert_eq!(res.status().as_u16(), 400, "{bad}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(modern)
        );
        let body: Value = res.json().await.unwrap();
        assert!(body.get("data").is_none(), "{body}");
        assert!(error_code(&body).is_some());
        // Legacy clients keep 200 with `data: null`.
        let res = post(bad, "application/json").await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        let body: Value = res.json().await.unwrap();
        assert!(body["data"].is_null() && body.get("data").is_some());
    }
    // A field error is not a request error: 200 with data under either media type.
    let res = post("{ me { id } }", modern).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    assert_code(&body, "UNAUTHENTICATED");
    assert!(body.get("data").is_some());
}

#[tokio::test]
async fn the_standard_introspection_query_works_in_development() {
    let app = spawn_app().await;
    // The exact text graphql-js's getIntrospectionQuery() sends (GraphiQL, codegen, gql).
    let standard = include_str!("fixtures/introspection.graphql");
    let body = app.gql(None, standard, json!({})).await;
    assert_ok(&body);
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Event"));
    // The depth limit still holds for data.
    let deep = format!(
        "{{ me {{ region {} }} }}",
        "{ parent ".repeat(14) + "{ id }" + &" }".repeat(14)
    );
    assert_code(&app.gql(None, &deep, json!({})).await, "QUERY_TOO_COMPLEX");
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn persisted_queries_follow_the_apollo_protocol_over_post_and_get() {
    let app = spawn_app().await;
    let admin = app.city_admin().await;
    let query = "query Labels { labels { name } }";
    let hash = sha256_hex(query);
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let post = |body: Value| {
        app.client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&admin.access)
            .json(&body)
            .send()
    };
    // Unknown hash: the message Apollo clients look for.
    let body: Value = post(json!({ "extensions": ext }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    // A hash that is not the text's is refused and registers nothing.
    let res = post(json!({ "query": "{ me { id } }", "extensions": ext }))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    // Registered with its text, then the hash alone works over POST and GET.
    assert_ok(
        &post(json!({ "query": query, "extensions": ext }))
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    let body: Value = post(json!({ "extensions": ext }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ok(&body);
    assert!(
        body["data"]["labels"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("extensions", ext.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_ok(&res.json().await.unwrap());
    // A persisted mutation never runs over GET.
    let mutation = "mutation { logout }";
    let mext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(mutation) } });
    let _ = post(json!({ "query": "query { __typename }", "extensions": mext })).await;
    let body: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": mutation, "extensions": mext }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["errors"].is_array());
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .bearer_auth(&admin.access)
        .query(&[("extensions", mext.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
}

#[tokio::test]
async fn a_bad_scalar_inside_an_input_names_its_field() {
    let app = spawn_app().await;
    let admin = app.city_admin().await;
    let t = Some(admin.access.as_str());
    let report = |client_id: &str, captured_at: &str| {
        format!(
            "mutation {{ reportEvent(input: {{clientId: \"{client_id}\", category: SANITATION, title: \"积水\", location: {{lat: 22.76, lng: 112.96}}, capturedAt: \"{captured_at}\"}}) {{ id }} }}"
        )
    };
    let ok_id = "0197f000-0000-7000-8000-00000000a001";
    let body = app.gql(t, &report(ok_id, "yesterday"), json!({})).await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("input.capturedAt"), "{body}");
    let body = app
        .gql(t, &report("x", "2026-11-01T08:00:00Z"), json!({}))
        .await;
    assert_eq!(error_field(&body), Some("input.clientId"), "{body}");
    // The same through variables.
    let body = app
        .gql(
            t,
            "mutation($i: ReportInput!) { reportEvent(input: $i) { id } }",
            json!({ "i": { "clientId": ok_id, "category": "SANITATION", "title": "积水",
                   "location": { "lat": 22.76, "lng": 112.96 }, "capturedAt": "yesterday" } }),
        )
        .await;
    assert_eq!(error_field(&body), Some("input.capturedAt"), "{body}");
    let post = |capacity: &str, due: &str| {
        format!(
            "mutation {{ postServiceItem(input: {{direction: NEED, category: HEALTH, title: \"义诊\", description: \"社区义诊\", capacity: {capacity}, dueOn: \"{due}\", regionId: \"{ok_id}\"}}) {{ id }} }}"
        )
    };
    let body = app
        .gql(t, &post("99999999999", "2026-12-01"), json!({}))
        .await;
    assert_eq!(error_field(&body), Some("input.capacity"), "{body}");
    let body = app.gql(t, &post("2", "next week"), json!({})).await;
    assert_eq!(error_field(&body), Some("input.dueOn"), "{body}");
    let body = app
        .gql(
            t,
            "{ regions(first: 2147483648) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("first"), "{body}");
}

#[tokio::test]
async fn a_third_party_client_drives_report_to_close_with_a_photo() {
    if !tool_installed("@urql/core") {
        return;
    }
    let dir = conformance_dir();
    let data = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let url = fresh_database(data.path()).await;
    let seeded = crate::cli::gridhub(data.path(), &url)
        .args(["seed", "demo"])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(seeded.success());
    let port = free_port();
    let mut server = serve_on(crate::cli::gridhub(data.path(), &url), port);
    let base = format!("http://127.0.0.1:{port}");
    assert!(wait_ready(&base).await, "server did not come up");
    let out = tokio::process::Command::new("node")
        .arg(dir.join("client-flow.mjs"))
        .arg(format!("{base}/graphql"))
        .current_dir(&dir)
        .output()
        .await
        .expect("run node");
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("REPORTED -> ACCEPTED -> DISPATCHED"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("-> CLOSED"), "{stdout}");
}

#[tokio::test]
async fn a_refused_reason_names_the_argument_the_client_sent() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = app
        .gql(
            Some(&w.g1_member.access),
            "mutation($i: ReportInput!) { reportEvent(input: $i) { id } }",
            json!({"i": {
                "clientId": uuid::Uuid::now_v7(), "category": "SANITATION", "title": "积水",
                "location": {"lat": 22.76, "lng": 112.96},
                "capturedAt": (app.state.now() - chrono::Duration::minutes(1)).to_rfc3339(),
                "gridId": w.g1,
            }}),
        )
        .await;
    let id = body["data"]["reportEvent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = Some(w.c1_worker.access.as_str());
    for mutation in [
        "mutation($id: UUID!) { rejectEvent(id: $id, reason: \"\") { id } }",
        "mutation($id: UUID!) { suspendEvent(id: $id, reason: \"  \") { id } }",
    ] {
        let body = app.gql(t, mutation, json!({"id": id})).await;
        assert_code(&body, "BAD_USER_INPUT");
        assert_eq!(error_field(&body), Some("reason"), "{body}");
    }
}
