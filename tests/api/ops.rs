//! Health, readiness, metrics, request ids, and the statement count that must not grow with the
//! page size.
use crate::helpers::*;
use serde_json::json;

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
        "gridhub_db_pool_connections",
        "gridhub_db_statements_total",
    ] {
        assert!(text.contains(metric), "missing {metric} in\n{text}");
    }
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
    // A roomy loader window, so that a busy test machine cannot split a batch in two.
    let app = spawn_app_with(|s| s.loader_delay = std::time::Duration::from_millis(30)).await;
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
