//! Protective limits and bad input of every kind: each gets a GraphQL error with a code.
use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn depth_and_complexity_are_bounded() {
    let app = spawn_app().await;
    let admin = app.city_admin().await;
    let deep = format!(
        "{{ me {{ region {} }} }}",
        "{ parent ".repeat(14) + "{ id }" + &" }".repeat(14)
    );
    let body = app.gql(Some(&admin.access), &deep, json!({})).await;
    assert_code(&body, "QUERY_TOO_COMPLEX");
    let node = "edges { node { id name level code gridKind depth createdAt updatedAt parent { id name level } children { id name level } } }";
    let wide: String = (0..5)
        .map(|i| format!("r{i}: regions(first: 100) {{ {node} }} "))
        .collect();
    let body = app
        .gql(Some(&admin.access), &format!("{{ {wide} }}"), json!({}))
        .await;
    assert_code(&body, "QUERY_TOO_COMPLEX");
    // The same selection with small pages is fine.
    let narrow: String = (0..5)
        .map(|i| format!("r{i}: regions(first: 5) {{ {node} }} "))
        .collect();
    assert_ok(
        &app.gql(Some(&admin.access), &format!("{{ {narrow} }}"), json!({}))
            .await,
    );
}

#[tokio::test]
async fn oversized_batched_and_malformed_bodies_are_refused_with_codes() {
    let app = spawn_app().await;
    let big = json!({"query": "{ labels { name } }", "variables": {"pad": "x".repeat(300 * 1024)}});
    let (status, body) =
        post_raw(&app, "application/json", serde_json::to_vec(&big).unwrap()).await;
    assert_eq!(status, 413);
    assert_code(&body, "BAD_USER_INPUT");
    let batch = json!([{"query": "{ labels { name } }"}, {"query": "{ labels { name } }"}]);
    let (status, body) = post_raw(
        &app,
        "application/json",
        serde_json::to_vec(&batch).unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_code(&body, "BAD_USER_INPUT");
    let (status, body) = post_raw(&app, "application/json", b"{not json".to_vec()).await;
    assert_eq!(status, 400);
    assert_code(&body, "BAD_USER_INPUT");
    let (status, body) = post_raw(&app, "text/plain", b"{ labels { name } }".to_vec()).await;
    assert_eq!(status, 415);
    assert_code(&body, "BAD_USER_INPUT");
    assert!(body["errors"][0]["extensions"]["requestId"].is_string());
}

#[tokio::test]
async fn engine_errors_carry_codes_and_no_internals() {
    let app = spawn_app().await;
    let admin = app.city_admin().await;
    let t = Some(admin.access.as_str());
    for (query, field) in [
        ("{ region(id: \"not-a-uuid\") { id } }", Some("id")),
        ("{ nosuchfield }", None),
        ("{ labels { name ", None),
        (
            "{ regions(first: \"ten\") { edges { cursor } } }",
            Some("first"),
        ),
        (
            "mutation { createRegion(input: {level: VILLAGE, name: \"x\"}) { id } }",
            Some("input.level"),
        ),
    ] {
        let body = app.gql(t, query, json!({})).await;
        assert_code(&body, "BAD_USER_INPUT");
        if let Some(field) = field {
            assert_eq!(error_field(&body), Some(field), "{query}: {body}");
        }
        let text = body.to_string().to_lowercase();
        assert!(
            !text.contains("sqlx") && !text.contains("select ") && !text.contains("panicked"),
            "{text}"
        );
    }
    // Every error names the request it belongs to.
    let body = app.gql(None, "{ me { id } }", json!({})).await;
    assert!(
        body["errors"][0]["extensions"]["requestId"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn get_runs_queries_but_never_mutations() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ labels { name } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    assert_ok(&body);
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "mutation { logout }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    let body: Value = res.json().await.unwrap();
    assert_code(&body, "BAD_USER_INPUT");
    // Named operations: the one picked decides.
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[
            ("query", "query A { labels { name } } mutation B { logout }"),
            ("operationName", "B"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    // GraphiQL in development.
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert!(
        res.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("graphiql")
    );
}

#[tokio::test]
async fn production_turns_off_introspection_and_graphiql() {
    let app = spawn_app_with(|s| s.env = gridhub::config::Environment::Production).await;
    // Asking for the schema is a clear error, not a null.
    let body = app
        .gql(None, "{ __schema { types { name } } }", json!({}))
        .await;
    assert_code(&body, "FORBIDDEN");
    let body = app
        .gql(
            None,
            "query { ...F } fragment F on QueryRoot { __type(name: \"Query\") { fields { name } } }",
            json!({}),
        )
        .await;
    assert_code(&body, "FORBIDDEN");
    let standard = include_str!("fixtures/introspection.graphql");
    assert_code(&app.gql(None, standard, json!({})).await, "FORBIDDEN");
    assert_ok(&app.gql(None, "{ __typename }", json!({})).await);
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    // Suggestions would leak field names.
    let body = app.gql(None, "{ labelz { name } }", json!({})).await;
    assert!(!body.to_string().contains("Did you mean"), "{body}");
}
