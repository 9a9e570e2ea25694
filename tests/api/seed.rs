//! The demo data set: idempotent, usable, and free of plain identifiers at rest.
use crate::helpers::*;
use crate::residents::database_dump;
use gridhub::seed::{DEMO_ACCOUNTS, DEMO_PASSWORD, demo};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

async fn counts(app: &TestApp) -> Vec<u64> {
    use gridhub::store::entity::*;
    let db = &app.state.db;
    vec![
        region::Entity::find().count(db).await.unwrap(),
        account::Entity::find().count(db).await.unwrap(),
        resident::Entity::find().count(db).await.unwrap(),
        grid_member::Entity::find().count(db).await.unwrap(),
        grid_assignment::Entity::find().count(db).await.unwrap(),
        member_unit::Entity::find().count(db).await.unwrap(),
        event::Entity::find().count(db).await.unwrap(),
        event_step::Entity::find().count(db).await.unwrap(),
        photo::Entity::find().count(db).await.unwrap(),
        points_ledger::Entity::find().count(db).await.unwrap(),
        committee_membership::Entity::find()
            .count(db)
            .await
            .unwrap(),
    ]
}

#[tokio::test]
async fn seeding_twice_gives_the_same_data_and_every_demo_account_works() {
    let app = spawn_app().await;
    let report = demo(&app.state).await.expect("first seed");
    let first = counts(&app).await;
    assert!(first.iter().all(|n| *n > 0), "{first:?}");
    demo(&app.state).await.expect("second seed");
    assert_eq!(counts(&app).await, first);

    // Tangxia: 80 grids, 73 rural, 5 community, 2 industrial park.
    let admin = app.login(DEMO_ACCOUNTS[0].phone, DEMO_PASSWORD).await;
    let body = app
        .gql(
            Some(&admin.access),
            "{regions(first:100,search:\"棠下镇\"){edges{node{id}}}}",
            json!({}),
        )
        .await;
    let tangxia = node_ids(&body["data"]["regions"])[0].clone();
    let mut kinds = std::collections::HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .gql(
                Some(&admin.access),
                "query($w:UUID,$a:String){regions(first:100,within:$w,level:GRID,after:$a){edges{cursor node{gridKind}} pageInfo{hasNextPage}}}",
                json!({"w": tangxia, "a": after}),
            )
            .await;
        let conn = &body["data"]["regions"];
        for e in conn["edges"].as_array().unwrap() {
            *kinds
                .entry(e["node"]["gridKind"].as_str().unwrap().to_owned())
                .or_insert(0) += 1;
            after = e["cursor"].as_str().map(str::to_owned);
        }
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
    }
    assert_eq!(kinds.get("RURAL"), Some(&73));
    assert_eq!(kinds.get("RESIDENTIAL"), Some(&5));
    assert_eq!(kinds.get("INDUSTRIAL_PARK"), Some(&2));

    for demo_account in DEMO_ACCOUNTS {
        let s = app.login(demo_account.phone, DEMO_PASSWORD).await;
        let body = app.gql(Some(&s.access), "{me{role}}", json!({})).await;
        assert_eq!(body["data"]["me"]["role"], demo_account.role.as_str());
    }
    // The community worker sees Fenghuang's residents; the rider (part-time) sees none.
    let worker = app.login(DEMO_ACCOUNTS[2].phone, DEMO_PASSWORD).await;
    let body = app
        .gql(
            Some(&worker.access),
            "{residents(first:100){edges{node{id}}}}",
            json!({}),
        )
        .await;
    assert!(!node_ids(&body["data"]["residents"]).is_empty());
    let rider = app.login(DEMO_ACCOUNTS[5].phone, DEMO_PASSWORD).await;
    assert_code(
        &app.gql(
            Some(&rider.access),
            "{residents{edges{node{id}}}}",
            json!({}),
        )
        .await,
        "FORBIDDEN",
    );

    // Demo events cover every state, with timelines and photos; the liaison sees its unit's.
    assert_eq!(report.events, 12);
    let body = app
        .gql(
            Some(&admin.access),
            "{events(first:100){edges{node{state timeline{action} photos{url} deadlines{status}}}}}",
            json!({}),
        )
        .await;
    let events = body["data"]["events"]["edges"].as_array().unwrap();
    let states: std::collections::HashSet<&str> = events
        .iter()
        .map(|e| e["node"]["state"].as_str().unwrap())
        .collect();
    for state in [
        "REPORTED",
        "ACCEPTED",
        "DISPATCHED",
        "IN_PROGRESS",
        "RESOLVED",
        "CLOSED",
        "REJECTED",
        "SUSPENDED",
        "MERGED",
    ] {
        assert!(states.contains(state), "no demo event in {state}");
    }
    assert!(
        events
            .iter()
            .any(|e| !e["node"]["photos"].as_array().unwrap().is_empty())
    );
    assert!(
        events
            .iter()
            .any(|e| e["node"]["timeline"].as_array().unwrap().len() >= 5)
    );
    let liaison = app.login(DEMO_ACCOUNTS[4].phone, DEMO_PASSWORD).await;
    let body = app
        .gql(
            Some(&liaison.access),
            "{events{edges{node{assignedUnit{name}}}}}",
            json!({}),
        )
        .await;
    let mine = body["data"]["events"]["edges"].as_array().unwrap();
    assert_eq!(mine.len(), 2, "{body}");

    let dump = database_dump(&app).await;
    for secret in report
        .resident_id_numbers
        .iter()
        .chain(&report.resident_phones)
    {
        assert!(
            !dump.contains(secret.as_str()),
            "{secret} stored in plain text"
        );
    }
}
