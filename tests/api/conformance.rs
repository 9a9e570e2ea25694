//! Third-party GraphQL tooling against the real server: the graphql-http audit of the GraphQL
//! over HTTP spec (`scripts/conformance`, installed by `scripts/test`).
use crate::helpers::*;
use serde_json::{Value, json};

fn conformance_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/conformance")
}

#[tokio::test]
async fn the_graphql_over_http_audit_passes_every_must_and_should() {
    let dir = conformance_dir();
    if !dir.join("node_modules/graphql-http").exists() {
        // scripts/test installs it; CI must never skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "graphql-http is not installed in {}: run scripts/test",
            dir.display()
        );
        eprintln!("skipped: run `npm ci` in scripts/conformance (scripts/test does) to audit");
        return;
    }
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
