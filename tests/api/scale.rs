//! `seed scale` at a tiny size: the rows it writes keep every invariant the workflow keeps, and
//! the accounts and ids it hands the benchmark answer the benchmark's four reads.
use crate::helpers::*;
use gridhub::domain::service_item::{ServiceClaimState, ServiceItemState, shanghai_day};
use gridhub::seed::scale::{ScaleSizes, scale};
use gridhub::store::entity::{event, event_step, service_claim, service_item};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;
use std::collections::HashMap;

fn tiny() -> ScaleSizes {
    ScaleSizes {
        sub_districts: 1,
        communities_per_sub_district: 2,
        grids_per_community: 3,
        events: 400,
        residents: 60,
        service_items: 60,
        units_per_community: 2,
        photo_every: 5,
    }
}

#[tokio::test]
async fn seed_scale_keeps_the_workflow_invariants_and_serves_the_bench_reads() {
    let app = spawn_app().await;
    let report = scale(&app.state, tiny(), "13700000001", PASSWORD)
        .await
        .expect("seed scale");
    assert_eq!(report.events, 400);
    assert_eq!(report.grids, 6);
    assert_eq!(report.residents, 60);
    assert_eq!(report.service_items, 60);
    assert!(report.event_steps > 400 && report.photos > 0 && report.claims > 0);
    let ids = report.ids.clone();
    assert!(ids.overdue_open_events > 0);
    let db = &app.state.db;

    // Nothing left for the sweeps: every clock that ran out is marked, every claim not started
    // by its due day released.
    assert_eq!(
        gridhub::service::event::sweep_breaches(&app.state)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        gridhub::service::service_item::release_stale_claims(&app.state)
            .await
            .unwrap(),
        0
    );

    // Each event's state is where its timeline leads; the version counts the steps.
    let steps = event_step::Entity::find()
        .order_by_asc(event_step::Column::CreatedAt)
        .order_by_asc(event_step::Column::Id)
        .all(db)
        .await
        .unwrap();
    let mut by_event: HashMap<_, Vec<_>> = HashMap::new();
    for s in &steps {
        by_event.entry(s.event_id).or_default().push(s);
    }
    let now = app.state.now();
    for e in event::Entity::find().all(db).await.unwrap() {
        let timeline = &by_event[&e.id];
        assert_eq!(timeline[0].action.as_str(), "REPORTED");
        let moves: Vec<_> = timeline
            .iter()
            .filter(|s| s.action.as_str() != "DEADLINE_BREACHED")
            .collect();
        assert_eq!(moves.last().unwrap().to_state, Some(e.state), "{}", e.id);
        assert_eq!(e.version as usize, moves.len() - 1);
        let breaches = timeline.len() - moves.len();
        let marked = [
            e.accept_breached_at,
            e.plan_breached_at,
            e.close_breached_at,
        ]
        .iter()
        .flatten()
        .count();
        assert_eq!(breaches, marked);
        for met in [e.accept_met_at, e.plan_met_at, e.close_met_at] {
            assert!(met.is_none_or(|m| m <= now));
            if e.state.is_final() {
                assert!(met.is_some());
            }
        }
    }

    // An item's live claims are its count; FULL exactly when they fill it; no claim on a
    // cancelled item; nothing still CLAIMED past its due day.
    let today = shanghai_day(now);
    let claims = service_claim::Entity::find().all(db).await.unwrap();
    for item in service_item::Entity::find().all(db).await.unwrap() {
        let mine: Vec<_> = claims.iter().filter(|c| c.item_id == item.id).collect();
        let live = mine
            .iter()
            .filter(|c| ServiceClaimState::HOLDING.contains(&c.state))
            .count() as i32;
        assert_eq!(item.active_claims, live);
        match item.state {
            ServiceItemState::Full => assert_eq!(live, item.capacity),
            ServiceItemState::Open => assert!(live < item.capacity),
            ServiceItemState::Cancelled => assert!(mine.is_empty()),
            ServiceItemState::Closed => assert!(item.closed_at.is_some()),
        }
        if item.due_on < today {
            assert!(mine.iter().all(|c| c.state != ServiceClaimState::Claimed));
        }
    }

    // The benchmark's four reads, each as its own role.
    let rider = app.login(&ids.rider_phone, PASSWORD).await;
    let body = app
        .gql(
            Some(&rider.access),
            "{events(first:20){edges{node{id title state reportedAt grid{name} deadlines{stage dueAt status}}}}}",
            json!({}),
        )
        .await;
    assert_ok(&body);
    assert!(
        !body["data"]["events"]["edges"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let worker = app.login(&ids.worker_phone, PASSWORD).await;
    let body = app
        .gql(
            Some(&worker.access),
            "query($e:UUID!){event(id:$e){state timeline{action actorName} photos{url} deadlines{stage status}}}",
            json!({"e": ids.event_id}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["event"]["state"], "CLOSED");
    assert!(body["data"]["event"]["timeline"].as_array().unwrap().len() >= 6);
    assert!(
        !body["data"]["event"]["photos"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let body = app
        .gql(
            Some(&worker.access),
            "query($c:UUID){events(first:100,filter:{regionId:$c,overdue:true,states:[REPORTED,ACCEPTED,DISPATCHED,IN_PROGRESS,RESOLVED,SUSPENDED]}){edges{node{id reporter{name} assignedUnit{name}}}}}",
            json!({"c": ids.community_id}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(
        body["data"]["events"]["edges"].as_array().unwrap().len(),
        ids.overdue_open_events.min(100)
    );

    let liaison = app.login(&ids.liaison_phone, PASSWORD).await;
    let body = app
        .gql(
            Some(&liaison.access),
            "{serviceItems(first:20,claimableByMe:true){edges{node{id title dueOn remaining region{name}}}}}",
            json!({}),
        )
        .await;
    assert_ok(&body);
}
