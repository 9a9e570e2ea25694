//! The cache of resolved callers never outlives what it caches: logout, disabling and a change
//! of scope hold from the next request on, on this instance and (PostgreSQL) on every other.
use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

const ME: &str = "{ me { id } }";
const REGION: &str = "query($id:UUID!){region(id:$id){id}}";

/// Two instances need PostgreSQL (SQLite: one instance per database file).
fn two_instances() -> bool {
    if !on_postgres() {
        eprintln!("skipped on SQLite: one instance per database file");
        return false;
    }
    true
}

/// A second instance over the same database, its revocation listener in place.
async fn second_instance(app: &TestApp) -> TestApp {
    let other = spawn_on(app.data_dir.clone(), app.database_url.clone(), |_| {}).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    other
}

#[tokio::test]
async fn logout_on_one_instance_refuses_the_token_on_another_at_once() {
    if !two_instances() {
        return;
    }
    let a = spawn_app().await;
    let admin = a.city_admin().await;
    let b = second_instance(&a).await;
    // Both instances have resolved (and may keep) the caller.
    for _ in 0..3 {
        assert_ok(&a.gql(Some(&admin.access), ME, json!({})).await);
        assert_ok(&b.gql(Some(&admin.access), ME, json!({})).await);
    }
    let out = a
        .gql(Some(&admin.access), "mutation{logout}", json!({}))
        .await;
    assert_eq!(out["data"]["logout"], true, "{out}");
    assert_code(
        &a.gql(Some(&admin.access), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    refused_on(&b, &admin.access).await;
}

/// B hears of a revocation through PostgreSQL within milliseconds; a starved test machine may
/// take longer to run its listener, so allow up to two seconds, never a cache lifetime.
async fn refused_on(app: &TestApp, token: &str) {
    let started = std::time::Instant::now();
    loop {
        let body = app.gql(Some(token), ME, json!({})).await;
        if error_code(&body) == Some("UNAUTHENTICATED") {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "still served 2 s after the revocation: {body}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn disabling_on_one_instance_refuses_the_account_on_another_at_once() {
    if !two_instances() {
        return;
    }
    let a = spawn_app().await;
    let w = world(&a).await;
    let b = second_instance(&a).await;
    let member = &w.g1_member.access;
    assert_ok(&b.gql(Some(member), ME, json!({})).await);
    assert_ok(&b.gql(Some(member), ME, json!({})).await);
    let out = a
        .gql(
            Some(&w.admin.access),
            "mutation($id:UUID!){disableAccount(id:$id){id}}",
            json!({"id": w.g1_member.account_id}),
        )
        .await;
    assert_ok(&out);
    refused_on(&b, member).await;
}

#[tokio::test]
async fn a_new_grid_assignment_widens_a_signed_in_members_scope_at_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    let second_grid = app
        .create_region(admin, Some(&w.c1), "GRID", "新华第二网格")
        .await;
    let body = app
        .gql(
            Some(admin),
            "mutation($i:CreateGridMemberInput!){createGridMember(input:$i){id}}",
            json!({"i": {"regionId": w.c1, "name": "骑手小李", "phone": "13800000077", "kind": "FULL_TIME", "occupation": "DELIVERY_RIDER", "employer": "美团", "password": PASSWORD}}),
        )
        .await;
    let member_id = body["data"]["createGridMember"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let assign = "mutation($m:UUID!,$g:UUID!){assignGrid(memberId:$m,gridId:$g){id}}";
    assert_ok(
        &app.gql(Some(admin), assign, json!({"m": member_id, "g": w.g1}))
            .await,
    );
    let rider = app.login("13800000077", PASSWORD).await;
    let other = if std::env::var_os("TEST_DATABASE_URL").is_some() {
        Some(second_instance(&app).await)
    } else {
        None
    };
    let instances: Vec<&TestApp> = std::iter::once(&app).chain(other.as_ref()).collect();
    for instance in &instances {
        for _ in 0..2 {
            assert_ok(
                &instance
                    .gql(Some(&rider.access), REGION, json!({"id": w.g1}))
                    .await,
            );
            assert_code(
                &instance
                    .gql(Some(&rider.access), REGION, json!({"id": second_grid}))
                    .await,
                "NOT_FOUND",
            );
        }
    }
    assert_ok(
        &app.gql(
            Some(admin),
            assign,
            json!({"m": member_id, "g": second_grid}),
        )
        .await,
    );
    for instance in &instances {
        assert_ok(
            &instance
                .gql(Some(&rider.access), REGION, json!({"id": second_grid}))
                .await,
        );
    }
}
