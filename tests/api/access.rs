//! Access decided in one place: each step judged against the row as it is when applied (races
//! with escalation and between the two sides of a claim), refusals audited as DENIED, corrupt
//! enum columns answered as INTERNAL, LIKE wildcards taken literally, and what a caller sees of
//! its own account.
use crate::helpers::*;
use chrono::Duration;
use serde_json::{Value, json};

const ROUNDS: usize = 24;

const STEP_FIELDS: &str = "id state level timeline{action fromState toState actorName}";

fn report_input(app: &TestApp, grid: &str, title: &str) -> Value {
    json!({
        "clientId": uuid::Uuid::now_v7(),
        "category": "SAFETY_HAZARD",
        "source": "PATROL",
        "priority": "NORMAL",
        "title": title,
        "description": "井盖松动，电动车经过有翻车危险",
        "location": {"lat": 22.7601, "lng": 112.9601, "address": "沙坪街道新华路 12 号"},
        "capturedAt": (app.state.now() - Duration::minutes(2)).to_rfc3339(),
        "gridId": grid,
    })
}

async fn reported(app: &TestApp, token: &str, title: &str, grid: &str) -> String {
    let body = app
        .gql(
            Some(token),
            "mutation($i:ReportInput!){reportEvent(input:$i){id}}",
            json!({"i": report_input(app, grid, title)}),
        )
        .await;
    assert_ok(&body);
    body["data"]["reportEvent"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn accept(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql(
        Some(token),
        &format!("mutation($id:UUID!){{acceptEvent(id:$id){{{STEP_FIELDS}}}}}"),
        json!({"id": id}),
    )
    .await
}

async fn escalate(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql(
        Some(token),
        &format!(
            "mutation($id:UUID!){{escalateEvent(id:$id,reason:\"涉及多个社区\"){{{STEP_FIELDS}}}}}"
        ),
        json!({"id": id}),
    )
    .await
}

async fn dispatch(app: &TestApp, token: &str, id: &str, unit: &str) -> Value {
    app.gql(
        Some(token),
        &format!(
            "mutation($id:UUID!,$u:UUID!){{dispatchEvent(id:$id,unitId:$u){{{STEP_FIELDS}}}}}"
        ),
        json!({"id": id, "u": unit}),
    )
    .await
}

async fn timeline(app: &TestApp, token: &str, id: &str) -> Vec<(String, String)> {
    let body = app
        .gql(
            Some(token),
            "query($id:UUID!){event(id:$id){timeline{action actorName}}}",
            json!({"id": id}),
        )
        .await;
    assert_ok(&body);
    body["data"]["event"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap().to_owned(),
                s["actorName"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// (action, outcome) of the audit entries about `target`, oldest first.
async fn audit_of(app: &TestApp, token: &str, target: &str) -> Vec<(String, String)> {
    let body = app
        .gql(
            Some(token),
            "query($t:UUID){auditLog(first:100,targetId:$t){edges{node{action outcome}}}}",
            json!({"t": target}),
        )
        .await;
    assert_ok(&body);
    let mut out: Vec<(String, String)> = body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["action"].as_str().unwrap().to_owned(),
                e["node"]["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.reverse();
    out
}

/// Once escalated, the community worker may take no triage step: a step of `action` by the
/// worker after ESCALATED breaks the rule the race tests guard.
#[track_caller]
fn assert_no_triage_after_escalation(steps: &[(String, String)], action: &str, worker: &str) {
    if let Some(up) = steps.iter().position(|(a, _)| a == "ESCALATED") {
        assert!(
            !steps[up..]
                .iter()
                .any(|(a, who)| a == action && who == worker),
            "{action} by the community worker after escalation: {steps:?}"
        );
    }
}

#[tokio::test]
async fn accept_racing_escalate_is_never_applied_above_the_workers_level() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let worker = w.c1_worker.access.as_str();
    let worker_name = "测试COMMUNITY_WORKER";
    let mut refused = 0;
    for round in 0..ROUNDS {
        let id = reported(
            &app,
            &w.g1_member.access,
            &format!("并发上报 {round}"),
            &w.g1,
        )
        .await;
        let (accepted, escalated) =
            tokio::join!(accept(&app, worker, &id), escalate(&app, worker, &id));
        // Escalation keeps the state, so it always lands; the accept either came first or is
        // refused as no longer the worker's to take.
        assert_ok(&escalated);
        let steps = timeline(&app, worker, &id).await;
        assert_no_triage_after_escalation(&steps, "ACCEPTED", worker_name);
        if accepted.get("errors").is_some() {
            assert_code(&accepted, "FORBIDDEN");
            refused += 1;
            assert!(
                audit_of(&app, &w.sd1_admin.access, &id)
                    .await
                    .contains(&("event.accepted".to_owned(), "DENIED".to_owned())),
                "a refused accept is audited as DENIED"
            );
            assert_eq!(
                steps.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
                ["REPORTED", "ESCALATED"]
            );
        } else {
            assert_eq!(
                steps.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
                ["REPORTED", "ACCEPTED", "ESCALATED"]
            );
        }
    }
    eprintln!("accept refused after escalation in {refused} of {ROUNDS} rounds");
}

#[tokio::test]
async fn dispatch_racing_escalate_is_never_applied_above_the_workers_level() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let worker = w.c1_worker.access.as_str();
    let worker_name = "测试COMMUNITY_WORKER";
    let mut refused = 0;
    for round in 0..ROUNDS {
        let id = reported(
            &app,
            &w.g1_member.access,
            &format!("并发派遣 {round}"),
            &w.g1,
        )
        .await;
        assert_ok(&accept(&app, worker, &id).await);
        let (dispatched, escalated) = tokio::join!(
            dispatch(&app, worker, &id, &w.unit_id),
            escalate(&app, worker, &id)
        );
        let steps = timeline(&app, worker, &id).await;
        assert_no_triage_after_escalation(&steps, "DISPATCHED", worker_name);
        match (dispatched.get("errors"), escalated.get("errors")) {
            // Escalated first: the dispatch is no longer the worker's.
            (Some(_), None) => {
                refused += 1;
                assert_code(&dispatched, "FORBIDDEN");
                assert!(
                    audit_of(&app, &w.sd1_admin.access, &id)
                        .await
                        .contains(&("event.dispatched".to_owned(), "DENIED".to_owned()))
                );
            }
            // Dispatched first: escalation still applies to a dispatched event.
            (None, None) => {}
            // Escalation may also lose to the dispatch only as a state conflict, never both.
            (None, Some(_)) => assert_code(&escalated, "INVALID_TRANSITION"),
            (Some(_), Some(_)) => panic!("both refused: {dispatched} {escalated}"),
        }
    }
    eprintln!("dispatch refused after escalation in {refused} of {ROUNDS} rounds");
}

const CLAIM: &str = "mutation($i:UUID!){claimServiceItem(itemId:$i){id state}}";
const START: &str = "mutation($c:UUID!){startClaim(claimId:$c){id state}}";
const COMPLETE: &str = "mutation($c:UUID!){completeClaim(claimId:$c,input:{peopleServed:3,notes:\"上门理发\"}){id state}}";
const VERIFY: &str = "mutation($c:UUID!){verifyClaim(claimId:$c,note:\"已回访\"){id state}}";
const WITHDRAW: &str =
    "mutation($c:UUID!){withdrawClaim(claimId:$c,reason:\"人手不足\"){id state}}";
const ITEM: &str = "query($id:UUID!){serviceItem(id:$id){state activeClaims claims{id state}
    timeline{action claimId claimFrom claimTo actorRole}}}";

#[tokio::test]
async fn verify_racing_withdraw_applies_each_step_only_from_a_state_its_side_may_leave() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    let body = app
        .gql(
            Some(admin),
            "mutation($i:JoinCommitteeInput!){joinCommittee(input:$i){id}}",
            json!({"i": {"unitId": w.unit_id, "committeeRegionId": w.c1, "joinedOn": "2026-03-01", "agreement": {"commitments": ["双向认领服务项目"]}}}),
        )
        .await;
    assert_ok(&body);
    let worker = w.c1_worker.access.as_str();
    let liaison = w.c1_liaison.access.as_str();
    let claim_step = |token: &'static str, query: &'static str, claim: String| {
        let app = &app;
        let token = match token {
            "worker" => worker,
            _ => liaison,
        };
        async move { app.gql(Some(token), query, json!({"c": claim})).await }
    };
    let (mut verified, mut withdrawn) = (0, 0);
    for round in 0..ROUNDS {
        let body = app
            .gql(
                Some(worker),
                "mutation($i:PostServiceItemInput!){postServiceItem(input:$i){id}}",
                json!({"i": {"direction": "NEED", "category": "ELDERLY_CARE", "title": format!("上门理发 {round}"),
                             "description": "为辖区独居老人提供上门服务", "capacity": 1, "dueOn": "2026-11-20", "regionId": w.c1}}),
            )
            .await;
        assert_ok(&body);
        let item = body["data"]["postServiceItem"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let body = app.gql(Some(liaison), CLAIM, json!({"i": item})).await;
        assert_ok(&body);
        let claim = body["data"]["claimServiceItem"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ok(&claim_step("liaison", START, claim.clone()).await);
        // The claimant reports and the poster verifies at once, while the claimant also tries
        // to back out: a withdrawal is only for work not yet reported.
        let (completed, verify, withdraw) = tokio::join!(
            claim_step("liaison", COMPLETE, claim.clone()),
            // The poster verifies as soon as the report is in (trying until the claim is no
            // longer in progress), racing the withdrawal.
            async {
                let mut answer = Value::Null;
                for _ in 0..200 {
                    answer = claim_step("worker", VERIFY, claim.clone()).await;
                    if answer["errors"][0]["extensions"]["state"] != "IN_PROGRESS" {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                answer
            },
            claim_step("liaison", WITHDRAW, claim.clone()),
        );
        let body = app.gql(Some(worker), ITEM, json!({"id": item})).await;
        assert_ok(&body);
        let it = &body["data"]["serviceItem"];
        let steps: Vec<(String, String, String)> = it["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["claimId"] == claim.as_str())
            .map(|s| {
                (
                    s["action"].as_str().unwrap().to_owned(),
                    s["claimFrom"].as_str().unwrap_or("").to_owned(),
                    s["claimTo"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        // Each step leaves the state the one before it reached.
        for pair in steps.windows(2) {
            assert_eq!(pair[0].2, pair[1].1, "{steps:?}");
        }
        for (action, from, _) in &steps {
            match action.as_str() {
                "WITHDRAWN" => assert!(from == "CLAIMED" || from == "IN_PROGRESS", "{steps:?}"),
                "VERIFIED" => assert_eq!(from, "COMPLETED", "{steps:?}"),
                _ => {}
            }
        }
        let last = steps.last().unwrap().2.as_str();
        match last {
            "WITHDRAWN" => {
                withdrawn += 1;
                assert_ok(&withdraw);
                assert!(completed.get("errors").is_some() && verify.get("errors").is_some());
                assert_eq!(it["activeClaims"], 0, "the place went back");
            }
            "VERIFIED" => {
                verified += 1;
                assert_ok(&completed);
                assert_ok(&verify);
                assert_code(&withdraw, "INVALID_TRANSITION");
                assert_eq!(it["activeClaims"], 1);
            }
            // Completed, and the verify came before the report was in.
            "COMPLETED" => {
                assert_ok(&completed);
                assert_code(&verify, "INVALID_TRANSITION");
                assert_code(&withdraw, "INVALID_TRANSITION");
            }
            other => panic!("unexpected end state {other}: {steps:?}"),
        }
        if round == 0 {
            // The wrong side is refused, and the refusal is on the record.
            assert_code(
                &claim_step("worker", WITHDRAW, claim.clone()).await,
                "FORBIDDEN",
            );
            let audit = audit_of(&app, &w.sd1_admin.access, &claim).await;
            assert!(
                audit.contains(&("service_claim.withdraw".to_owned(), "DENIED".to_owned())),
                "{audit:?}"
            );
        }
    }
    eprintln!("verified {verified}, withdrawn {withdrawn} of {ROUNDS}");
}

#[tokio::test]
async fn refused_workflow_steps_and_claims_are_audited_as_denied() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = reported(&app, &w.g1_member.access, "楼道堆放杂物", &w.g1).await;
    // A grid member does not triage; the refusal is recorded.
    assert_code(&accept(&app, &w.g1_member.access, &id).await, "FORBIDDEN");
    let audit = audit_of(&app, &w.sd1_admin.access, &id).await;
    assert_eq!(
        audit,
        [
            ("event.report".to_owned(), "SUCCESS".to_owned()),
            ("event.accepted".to_owned(), "DENIED".to_owned())
        ]
    );
    // A unit that is not on the committee cannot claim the need; recorded too.
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            "mutation($i:PostServiceItemInput!){postServiceItem(input:$i){id}}",
            json!({"i": {"direction": "NEED", "category": "ELDERLY_CARE", "title": "助餐",
                         "description": "为辖区独居老人送餐", "capacity": 2, "dueOn": "2026-11-20", "regionId": w.c1}}),
        )
        .await;
    assert_ok(&body);
    let item = body["data"]["postServiceItem"]["id"].as_str().unwrap();
    let body = app
        .gql(Some(&w.c1_liaison.access), CLAIM, json!({"i": item}))
        .await;
    // The liaison cannot see an item of a committee its unit is not on.
    assert_code(&body, "NOT_FOUND");
    let body = app
        .gql(Some(&w.sd1_admin.access), CLAIM, json!({"i": item}))
        .await;
    assert_code(&body, "FORBIDDEN");
    let audit = audit_of(&app, &w.sd1_admin.access, item).await;
    assert!(
        audit.contains(&("service_claim.claim".to_owned(), "DENIED".to_owned())),
        "{audit:?}"
    );
}

/// Writes `value` into `table.column` of row `id`, behind the application's back.
async fn corrupt(app: &TestApp, table: &str, column: &str, value: &str, id: &str) {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let id = uuid::Uuid::parse_str(id).unwrap();
    let update = Query::update()
        .table(Alias::new(table))
        .value(Alias::new(column), value)
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    let done = app.state.db.execute(&update).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "{table}.{column} of {id}");
}

#[tokio::test]
async fn an_unknown_stored_code_is_an_internal_error_never_a_default() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = reported(&app, &w.g1_member.access, "井盖松动", &w.g1).await;
    let worker = w.c1_worker.access.as_str();
    let read = "query($id:UUID!){event(id:$id){id state level}}";

    // A bad level used to grant community rights; now nothing is decided on it.
    corrupt(&app, "event", "level", "PLANET", &id).await;
    assert_code(&accept(&app, worker, &id).await, "INTERNAL");
    assert_code(
        &app.gql(Some(worker), read, json!({"id": id})).await,
        "INTERNAL",
    );
    corrupt(&app, "event", "level", "COMMUNITY", &id).await;
    corrupt(&app, "event", "state", "LOST", &id).await;
    let body = app.gql(Some(worker), read, json!({"id": id})).await;
    assert_code(&body, "INTERNAL");
    assert!(body["data"].is_null() || body["data"]["event"].is_null());
    corrupt(&app, "event", "state", "REPORTED", &id).await;
    assert_ok(&app.gql(Some(worker), read, json!({"id": id})).await);

    // A bad role showed as UNIT_LIAISON.
    corrupt(&app, "account", "role", "EMPEROR", &w.g1_member.account_id).await;
    let body = app
        .gql(
            Some(&w.admin.access),
            "query($id:UUID!){account(id:$id){id role}}",
            json!({"id": w.g1_member.account_id}),
        )
        .await;
    assert_code(&body, "INTERNAL");
    // Nor is a caller with a bad role let in as anything.
    let body = app
        .gql(Some(&w.g1_member.access), "{me{id role}}", json!({}))
        .await;
    assert_code(&body, "INTERNAL");

    // A bad region level used to show as COMPOUND.
    corrupt(&app, "region", "level", "MOON", &w.c3).await;
    let body = app
        .gql(
            Some(&w.admin.access),
            "{regions(first:100){edges{node{id level}}}}",
            json!({}),
        )
        .await;
    assert_code(&body, "INTERNAL");
}

#[tokio::test]
async fn an_unknown_claim_state_is_an_internal_error_not_withdrawn() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = app
        .gql(
            Some(&w.admin.access),
            "mutation($i:JoinCommitteeInput!){joinCommittee(input:$i){id}}",
            json!({"i": {"unitId": w.unit_id, "committeeRegionId": w.c1, "joinedOn": "2026-03-01", "agreement": {"commitments": ["双向认领服务项目"]}}}),
        )
        .await;
    assert_ok(&body);
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            "mutation($i:PostServiceItemInput!){postServiceItem(input:$i){id}}",
            json!({"i": {"direction": "NEED", "category": "ELDERLY_CARE", "title": "助餐",
                         "description": "为辖区独居老人送餐", "capacity": 2, "dueOn": "2026-11-20", "regionId": w.c1}}),
        )
        .await;
    assert_ok(&body);
    let item = body["data"]["postServiceItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = app
        .gql(Some(&w.c1_liaison.access), CLAIM, json!({"i": item}))
        .await;
    assert_ok(&body);
    let claim = body["data"]["claimServiceItem"]["id"].as_str().unwrap();
    corrupt(&app, "service_claim", "state", "HALF_DONE", claim).await;
    let body = app
        .gql(Some(&w.c1_worker.access), ITEM, json!({"id": item}))
        .await;
    assert_code(&body, "INTERNAL");
    let body = app
        .gql(Some(&w.c1_liaison.access), START, json!({"c": claim}))
        .await;
    assert_code(&body, "INTERNAL");
}

#[tokio::test]
async fn like_wildcards_in_searches_are_taken_literally() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    let body = app
        .gql(
            Some(admin),
            "mutation($i:CreateResidentInput!){createResident(input:$i){id}}",
            json!({"i": {"regionId": w.g1, "name": "黎艳芬", "idNumber": fake_id("19560312", 1)}}),
        )
        .await;
    assert_ok(&body);
    for (query, path, hit) in [
        (
            "query($s:String){regions(first:100,search:$s){edges{node{id}}}}",
            "regions",
            "凤凰",
        ),
        (
            "query($s:String){residents(first:100,name:$s){edges{node{id}}}}",
            "residents",
            "黎",
        ),
        (
            "query($s:String){memberUnits(first:100,search:$s){edges{node{id}}}}",
            "memberUnits",
            "交通",
        ),
    ] {
        let found = |body: Value| {
            assert_ok(&body);
            node_ids(&body["data"][path]).len()
        };
        assert!(
            found(app.gql(Some(admin), query, json!({"s": hit})).await) > 0,
            "{path}: the plain search finds something"
        );
        for wild in ["%", "_", "\\", "%%", "黎%", "_艳"] {
            assert_eq!(
                found(app.gql(Some(admin), query, json!({"s": wild})).await),
                0,
                "{path}(…: {wild:?}) matched by wildcard"
            );
        }
    }
}

#[tokio::test]
async fn a_liaison_cannot_tell_an_unreachable_region_from_a_made_up_one() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let liaison = w.c1_liaison.access.as_str();
    let query = "query($r:UUID){serviceItems(first:20,regionId:$r){edges{node{id}}}}";
    let elsewhere = app.gql(Some(liaison), query, json!({"r": w.sd2})).await;
    let made_up = app
        .gql(Some(liaison), query, json!({"r": uuid::Uuid::now_v7()}))
        .await;
    assert_ok(&elsewhere);
    assert_eq!(elsewhere, made_up);
    // Staff still hear that a region outside their scope is not theirs.
    let body = app
        .gql(Some(&w.c1_worker.access), query, json!({"r": w.sd2}))
        .await;
    assert_code(&body, "NOT_FOUND");
}

#[tokio::test]
async fn a_liaison_sees_its_own_unit_on_me() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = app
        .gql(
            Some(&w.c1_liaison.access),
            "{me{role memberUnit{id name}}}",
            json!({}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["me"]["role"], "UNIT_LIAISON");
    assert_eq!(body["data"]["me"]["memberUnit"]["id"], w.unit_id.as_str());
    assert_eq!(
        body["data"]["me"]["memberUnit"]["name"],
        "鹤山市公安局交通警察大队"
    );
}

#[tokio::test]
async fn the_demo_rider_is_bound_to_its_own_grid_and_the_liaison_sees_its_unit() {
    use gridhub::seed::{DEMO_ACCOUNTS, DEMO_PASSWORD, demo};
    let app = spawn_app().await;
    demo(&app.state).await.expect("seed");
    let rider = app.login(DEMO_ACCOUNTS[5].phone, DEMO_PASSWORD).await;
    let body = app
        .gql(Some(&rider.access), "{me{id region{name}}}", json!({}))
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["me"]["region"]["name"], "凤凰第二网格");
    let admin = app.login(DEMO_ACCOUNTS[0].phone, DEMO_PASSWORD).await;
    let body = app
        .gql(
            Some(&admin.access),
            "query($id:UUID!){account(id:$id){region{name}}}",
            json!({"id": rider.account_id}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["account"]["region"]["name"], "凤凰第二网格");
    let liaison = app.login(DEMO_ACCOUNTS[4].phone, DEMO_PASSWORD).await;
    let body = app
        .gql(Some(&liaison.access), "{me{memberUnit{name}}}", json!({}))
        .await;
    assert_ok(&body);
    assert_eq!(
        body["data"]["me"]["memberUnit"]["name"],
        "江门滴滴快优司机第一流动党支部"
    );
}
