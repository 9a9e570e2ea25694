//! Accounts: who may create and disable whom, and who sees whom.
use crate::helpers::*;
use serde_json::json;

const ACCOUNTS: &str = "query($r:Role,$w:UUID){accounts(first:100,role:$r,within:$w){edges{node{id name role phone region{id}}}}}";

#[tokio::test]
async fn admins_create_accounts_at_or_below_their_scope() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let sd1 = &w.sd1_admin.access;
    // Allowed: a worker in its community, a member in its grid, a peer admin of its sub-district.
    let body = app
        .create_account(sd1, "13900000020", "COMMUNITY_WORKER", Some(&w.c2))
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["createAccount"]["region"]["id"], w.c2.as_str());
    assert_eq!(body["data"]["createAccount"]["phone"], "139****0020");
    assert_ok(
        &app.create_account(sd1, "13900000021", "GRID_MEMBER", Some(&w.g1))
            .await,
    );
    assert_ok(
        &app.create_account(sd1, "13900000022", "SUB_DISTRICT_ADMIN", Some(&w.sd1))
            .await,
    );
    // Outside its scope: as if the region did not exist.
    assert_code(
        &app.create_account(sd1, "13900000023", "COMMUNITY_WORKER", Some(&w.c3))
            .await,
        "NOT_FOUND",
    );
    // Above its own rank.
    assert_code(
        &app.create_account(sd1, "13900000024", "CITY_ADMIN", None)
            .await,
        "FORBIDDEN",
    );
    // Role and region level must match.
    let body = app
        .create_account(sd1, "13900000025", "COMMUNITY_WORKER", Some(&w.g1))
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("regionId"));
    let body = app
        .create_account(sd1, "13900000026", "GRID_MEMBER", None)
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    // Non-admins create nothing.
    for who in [&w.c1_worker, &w.g1_member, &w.c1_liaison] {
        assert_code(
            &app.create_account(&who.access, "13900000027", "GRID_MEMBER", Some(&w.g1))
                .await,
            "FORBIDDEN",
        );
    }
    // The city admin may create another city admin.
    assert_ok(
        &app.create_account(&w.admin.access, "13900000028", "CITY_ADMIN", None)
            .await,
    );
}

#[tokio::test]
async fn account_input_is_validated_field_by_field() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let create = |phone: &str, name: &str, password: &str| {
        app.gql(
            Some(&w.admin.access),
            "mutation($i:CreateAccountInput!){createAccount(input:$i){id}}",
            json!({"i": {"phone": phone, "name": name, "password": password, "role": "GRID_MEMBER", "regionId": w.g1}}),
        )
    };
    let cases = [
        (create("1390000", "张三", PASSWORD).await, "phone"),
        (create("23900000030", "张三", PASSWORD).await, "phone"),
        (create("13900000030", "", PASSWORD).await, "name"),
        (create("13900000030", "张三", "short1").await, "password"),
        (
            create("13900000030", "张三", "lettersonlypassword").await,
            "password",
        ),
    ];
    for (body, field) in cases {
        assert_code(&body, "BAD_USER_INPUT");
        assert_eq!(error_field(&body), Some(field), "{body}");
    }
    // The same phone twice (even written differently) is a conflict.
    let body = create("139 0000 0004", "李四", PASSWORD).await;
    assert_code(&body, "CONFLICT");
    assert_eq!(error_field(&body), Some("phone"));
}

#[tokio::test]
async fn account_lists_stay_in_scope_and_mask_phones() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = app
        .gql(Some(&w.sd1_admin.access), ACCOUNTS, json!({}))
        .await;
    assert_ok(&body);
    let ids = node_ids(&body["data"]["accounts"]);
    for inside in [&w.sd1_admin, &w.c1_worker, &w.g1_member] {
        assert!(ids.contains(&inside.account_id), "missing {inside:?}");
    }
    // The liaison of a city-level unit belongs to no sub-district.
    for outside in [&w.admin, &w.sd2_admin, &w.c1_liaison] {
        assert!(!ids.contains(&outside.account_id), "leaked {outside:?}");
    }
    for edge in body["data"]["accounts"]["edges"].as_array().unwrap() {
        let phone = edge["node"]["phone"].as_str().unwrap();
        if edge["node"]["id"] == w.sd1_admin.account_id.as_str() {
            assert_eq!(phone, "13900000002");
        } else {
            assert!(phone.contains("****"), "unmasked {phone}");
        }
    }
    // A community worker sees its community's accounts only.
    let body = app
        .gql(Some(&w.c1_worker.access), ACCOUNTS, json!({}))
        .await;
    let mut ids = node_ids(&body["data"]["accounts"]);
    ids.sort();
    let mut expected = vec![
        w.c1_worker.account_id.clone(),
        w.g1_member.account_id.clone(),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    // Filters.
    let body = app
        .gql(Some(&w.admin.access), ACCOUNTS, json!({"r": "GRID_MEMBER"}))
        .await;
    assert_eq!(
        node_ids(&body["data"]["accounts"]),
        vec![w.g1_member.account_id.clone()]
    );
    let body = app
        .gql(Some(&w.admin.access), ACCOUNTS, json!({"w": w.sd2}))
        .await;
    assert_eq!(
        node_ids(&body["data"]["accounts"]),
        vec![w.sd2_admin.account_id.clone()]
    );
    // Members and liaisons do not browse accounts.
    for who in [&w.g1_member, &w.c1_liaison] {
        assert_code(
            &app.gql(Some(&who.access), ACCOUNTS, json!({})).await,
            "FORBIDDEN",
        );
    }
    // One account outside scope: not found.
    let one = "query($id:UUID!){account(id:$id){id}}";
    assert_code(
        &app.gql(
            Some(&w.sd1_admin.access),
            one,
            json!({"id": w.sd2_admin.account_id}),
        )
        .await,
        "NOT_FOUND",
    );
    assert_code(
        &app.gql(
            Some(&w.sd1_admin.access),
            one,
            json!({"id": w.admin.account_id}),
        )
        .await,
        "NOT_FOUND",
    );
    assert_ok(
        &app.gql(
            Some(&w.sd1_admin.access),
            one,
            json!({"id": w.g1_member.account_id}),
        )
        .await,
    );
}

#[tokio::test]
async fn disabling_follows_scope_and_rank() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let disable = "mutation($id:UUID!){disableAccount(id:$id){id disabled}}";
    let sd1 = &w.sd1_admin.access;
    assert_code(
        &app.gql(Some(sd1), disable, json!({"id": w.sd2_admin.account_id}))
            .await,
        "NOT_FOUND",
    );
    assert_code(
        &app.gql(Some(sd1), disable, json!({"id": w.sd1_admin.account_id}))
            .await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(
            Some(&w.c1_worker.access),
            disable,
            json!({"id": w.g1_member.account_id}),
        )
        .await,
        "FORBIDDEN",
    );
    assert_ok(
        &app.gql(Some(sd1), disable, json!({"id": w.g1_member.account_id}))
            .await,
    );
    // Disabled accounts drop out of the default list but can be asked for.
    let body = app.gql(Some(sd1), ACCOUNTS, json!({})).await;
    assert!(!node_ids(&body["data"]["accounts"]).contains(&w.g1_member.account_id));
    let body = app
        .gql(
            Some(sd1),
            "{accounts(first:100,includeDisabled:true){edges{node{id disabled}}}}",
            json!({}),
        )
        .await;
    assert!(node_ids(&body["data"]["accounts"]).contains(&w.g1_member.account_id));
    // The audit log recorded who did it.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rows = gridhub::store::entity::audit_log::Entity::find()
        .filter(gridhub::store::entity::audit_log::Column::Action.eq("account.disable"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].actor_id.map(|a| a.to_string()),
        Some(w.sd1_admin.account_id.clone())
    );
    assert!(rows[0].request_id.as_deref().is_some_and(|r| !r.is_empty()));
}
