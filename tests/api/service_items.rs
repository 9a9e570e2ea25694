//! Two-way service claiming: needs and offers, micro-wishes, who may claim what, capacity under
//! concurrency, release for inaction, timelines, audit entries and follow-through figures.
use crate::helpers::*;
use chrono::{Duration, TimeZone, Utc};
use futures_util::future::join_all;
use serde_json::{Value, json};

const POST: &str = "mutation($i:PostServiceItemInput!){postServiceItem(input:$i){id direction kind state capacity activeClaims remaining dueOn beneficiarySummary}}";
const CLAIM: &str =
    "mutation($i:UUID!){claimServiceItem(itemId:$i){id state item{id state activeClaims}}}";
const START: &str = "mutation($c:UUID!){startClaim(claimId:$c){id state startedAt}}";
const COMPLETE: &str = "mutation($c:UUID!,$n:Int!,$t:String){completeClaim(claimId:$c,input:{peopleServed:$n,notes:$t}){id state peopleServed reportNotes completedAt}}";
const VERIFY: &str =
    "mutation($c:UUID!){verifyClaim(claimId:$c,note:\"已回访核实\"){id state verifiedAt}}";
const WITHDRAW: &str =
    "mutation($c:UUID!){withdrawClaim(claimId:$c,reason:\"人手不足\"){id state withdrawnAt}}";
const ITEM: &str = "query($id:UUID!){serviceItem(id:$id){id direction kind state capacity activeClaims remaining dueOn title
    region{id name} offeredBy{id name} beneficiarySummary beneficiary{residentId maskedName}
    claims{id state peopleServed unit{id name} community{id name}}
    timeline{action actorName actorRole claimId itemFrom itemTo claimFrom claimTo note}}}";
const LIST: &str = "query($c:Boolean,$d:ServiceDirection,$s:ServiceItemState,$r:UUID){serviceItems(first:100,claimableByMe:$c,direction:$d,state:$s,regionId:$r){edges{node{id title state}}}}";

/// A member unit with a logged-in liaison, seated on the given committees.
struct Unit {
    id: String,
    liaison: Session,
}

async fn unit(app: &TestApp, admin: &str, name: &str, phone: &str, committees: &[&str]) -> Unit {
    let body = app
        .gql(
            Some(admin),
            "mutation($i:CreateMemberUnitInput!){createMemberUnit(input:$i){id}}",
            json!({"i": {"name": name, "kind": "ENTERPRISE"}}),
        )
        .await;
    let id = body["data"]["createMemberUnit"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    for committee in committees {
        join(app, admin, &id, committee).await;
    }
    let body = app
        .gql(
            Some(admin),
            "mutation($i:CreateAccountInput!){createAccount(input:$i){id}}",
            json!({"i": {"phone": phone, "name": format!("{name}联络员"), "password": PASSWORD, "role": "UNIT_LIAISON", "memberUnitId": id}}),
        )
        .await;
    assert_ok(&body);
    Unit {
        id,
        liaison: app.login(phone, PASSWORD).await,
    }
}

/// The world's unit seated on its community's committee, and a housing bureau on the
/// sub-district's working committee (which serves every community under it).
async fn seated(app: &TestApp, w: &World) -> Unit {
    let admin = w.admin.access.as_str();
    join(app, admin, &w.unit_id, &w.c1).await;
    unit(
        app,
        admin,
        "鹤山市住房和城乡建设局",
        "13700000002",
        &[&w.sd1],
    )
    .await
}

async fn join(app: &TestApp, admin: &str, unit: &str, committee: &str) {
    let body = app
        .gql(
            Some(admin),
            "mutation($i:JoinCommitteeInput!){joinCommittee(input:$i){id}}",
            json!({"i": {"unitId": unit, "committeeRegionId": committee, "joinedOn": "2026-03-01", "agreement": {"commitments": ["双向认领服务项目"]}}}),
        )
        .await;
    assert_ok(&body);
}

fn item_input(direction: &str, region: &str, title: &str, capacity: i32, due: &str) -> Value {
    json!({"i": {"direction": direction, "category": "ELDERLY_CARE", "title": title,
                 "description": "为辖区独居老人提供上门服务", "capacity": capacity, "dueOn": due, "regionId": region}})
}

async fn post(app: &TestApp, token: &str, vars: Value) -> String {
    let body = app.gql(Some(token), POST, vars).await;
    assert_ok(&body);
    body["data"]["postServiceItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn need(app: &TestApp, token: &str, community: &str, title: &str, capacity: i32) -> String {
    post(
        app,
        token,
        item_input("NEED", community, title, capacity, "2026-11-20"),
    )
    .await
}

async fn claim(app: &TestApp, token: &str, item: &str) -> String {
    let body = app.gql(Some(token), CLAIM, json!({"i": item})).await;
    assert_ok(&body);
    body["data"]["claimServiceItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn step(app: &TestApp, token: &str, query: &str, claim: &str) -> Value {
    app.gql(
        Some(token),
        query,
        json!({"c": claim, "n": 12, "t": "上门理发 12 人次"}),
    )
    .await
}

async fn item(app: &TestApp, token: &str, id: &str) -> Value {
    let body = app.gql(Some(token), ITEM, json!({"id": id})).await;
    assert_ok(&body);
    body["data"]["serviceItem"].clone()
}

fn actions(item: &Value) -> Vec<String> {
    item["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap().to_owned())
        .collect()
}

#[track_caller]
fn assert_transition(body: &Value, state: &str) {
    assert_code(body, "INVALID_TRANSITION");
    assert_eq!(
        body["errors"][0]["extensions"]["state"], state,
        "the error names the current state: {body}"
    );
}

/// The audited actions on `target`, oldest first; refused attempts are marked `(denied)`.
async fn audit_actions(app: &TestApp, token: &str, target: &str) -> Vec<String> {
    let body = app
        .gql(
            Some(token),
            "query($t:UUID){auditLog(first:100,targetId:$t){edges{node{action outcome detail}}}}",
            json!({"t": target}),
        )
        .await;
    assert_ok(&body);
    let mut out: Vec<String> = body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let action = e["node"]["action"].as_str().unwrap();
            match e["node"]["outcome"].as_str() {
                Some("DENIED") => format!("{action} (denied)"),
                _ => action.to_owned(),
            }
        })
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn a_need_goes_from_claim_to_verification_with_a_timeline_and_audit_trail() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    join(&app, admin, &w.unit_id, &w.c1).await;
    let worker = &w.c1_worker.access;
    let police = &w.c1_liaison.access;

    let body = app
        .gql(
            Some(worker),
            POST,
            item_input("NEED", &w.c1, "独居老人上门理发", 2, "2026-11-20"),
        )
        .await;
    assert_ok(&body);
    let posted = &body["data"]["postServiceItem"];
    assert_eq!(posted["state"], "OPEN");
    assert_eq!(posted["kind"], "PROJECT");
    assert_eq!(posted["remaining"], 2);
    let id = posted["id"].as_str().unwrap().to_owned();

    let body = app.gql(Some(police), CLAIM, json!({"i": id})).await;
    assert_ok(&body);
    let c = body["data"]["claimServiceItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(body["data"]["claimServiceItem"]["state"], "CLAIMED");
    assert_eq!(body["data"]["claimServiceItem"]["item"]["activeClaims"], 1);

    // Out of order and by the wrong side: refused, naming the state.
    assert_transition(&step(&app, police, COMPLETE, &c).await, "CLAIMED");
    assert_transition(&step(&app, worker, VERIFY, &c).await, "CLAIMED");
    assert_code(&step(&app, worker, START, &c).await, "FORBIDDEN");

    let body = step(&app, police, START, &c).await;
    assert_ok(&body);
    assert_eq!(body["data"]["startClaim"]["state"], "IN_PROGRESS");
    let body = step(&app, police, COMPLETE, &c).await;
    assert_ok(&body);
    assert_eq!(body["data"]["completeClaim"]["peopleServed"], 12);
    assert_code(&step(&app, police, VERIFY, &c).await, "FORBIDDEN");
    assert_transition(&step(&app, police, WITHDRAW, &c).await, "COMPLETED");
    let bad = app
        .gql(Some(police), COMPLETE, json!({"c": c, "n": -3}))
        .await;
    assert_transition(&bad, "COMPLETED");
    let body = step(&app, worker, VERIFY, &c).await;
    assert_ok(&body);
    assert_eq!(body["data"]["verifyClaim"]["state"], "VERIFIED");
    assert_transition(&step(&app, worker, VERIFY, &c).await, "VERIFIED");

    let it = item(&app, worker, &id).await;
    assert_eq!(it["state"], "OPEN");
    assert_eq!(it["activeClaims"], 1, "a verified claim keeps its place");
    assert_eq!(it["region"]["name"], "新华社区");
    assert_eq!(it["claims"][0]["unit"]["name"], "鹤山市公安局交通警察大队");
    assert_eq!(
        actions(&it),
        vec!["POSTED", "CLAIMED", "STARTED", "COMPLETED", "VERIFIED"]
    );
    let timeline = it["timeline"].as_array().unwrap();
    assert_eq!(timeline[0]["itemTo"], "OPEN");
    assert_eq!(timeline[1]["claimFrom"], Value::Null);
    assert_eq!(timeline[1]["claimTo"], "CLAIMED");
    assert_eq!(timeline[1]["actorName"], "交警联络员");
    assert_eq!(timeline[1]["actorRole"], "UNIT_LIAISON");
    assert_eq!(timeline[3]["claimFrom"], "IN_PROGRESS");
    assert_eq!(timeline[3]["note"], "上门理发 12 人次");
    assert_eq!(timeline[4]["actorRole"], "COMMUNITY_WORKER");
    assert_eq!(timeline[4]["note"], "已回访核实");
    // The liaison reads the same story about its own claim.
    let seen = item(&app, police, &id).await;
    assert_eq!(actions(&seen), actions(&it));

    assert_eq!(
        audit_actions(&app, &w.sd1_admin.access, &id).await,
        vec!["service_item.post"]
    );
    assert_eq!(
        audit_actions(&app, &w.sd1_admin.access, &c).await,
        vec![
            "service_claim.claim",
            // The worker tried to start the unit's claim, the liaison to verify its own work.
            "service_claim.start (denied)",
            "service_claim.start",
            "service_claim.complete",
            "service_claim.verify (denied)",
            "service_claim.verify"
        ]
    );
    // Another sub-district's admin finds none of it.
    assert!(
        audit_actions(&app, &w.sd2_admin.access, &c)
            .await
            .is_empty()
    );
    assert_code(
        &app.gql(Some(&w.sd2_admin.access), ITEM, json!({"id": id}))
            .await,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn an_offer_is_claimed_by_communities_and_verified_by_the_offering_unit() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    // The hospital sits on the sub-district's big working committee.
    let hospital = unit(&app, admin, "鹤山市人民医院", "13700000001", &[&w.sd1]).await;
    let c2_worker = app
        .account_session(admin, "13900000010", "COMMUNITY_WORKER", Some(&w.c2))
        .await;
    let c3_worker = app
        .account_session(admin, "13900000011", "COMMUNITY_WORKER", Some(&w.c3))
        .await;

    // Offers come from liaisons, to committees their unit sits on.
    let offer = item_input("OFFER", &w.sd1, "中医理疗进社区", 2, "2026-11-30");
    assert_code(
        &app.gql(Some(&w.c1_worker.access), POST, offer.clone())
            .await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(
            Some(&hospital.liaison.access),
            POST,
            item_input("OFFER", &w.c3, "义诊", 1, "2026-11-30"),
        )
        .await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(
            Some(&hospital.liaison.access),
            POST,
            item_input("NEED", &w.c1, "需求", 1, "2026-11-30"),
        )
        .await,
        "FORBIDDEN",
    );
    let mut wish = item_input("OFFER", &w.sd1, "微心愿", 1, "2026-11-30");
    wish["i"]["kind"] = json!("MICRO_WISH");
    let body = app.gql(Some(&hospital.liaison.access), POST, wish).await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("kind"));
    let id = post(&app, &hospital.liaison.access, offer).await;

    // Both communities under the sub-district see it; the other sub-district's does not.
    for worker in [&w.c1_worker, &c2_worker] {
        let body = app
            .gql(Some(&worker.access), LIST, json!({"c": true}))
            .await;
        assert_eq!(node_ids(&body["data"]["serviceItems"]), vec![id.clone()]);
    }
    assert_code(
        &app.gql(Some(&c3_worker.access), CLAIM, json!({"i": id}))
            .await,
        "NOT_FOUND",
    );
    // Admins and units do not claim offers.
    assert_code(
        &app.gql(Some(&w.sd1_admin.access), CLAIM, json!({"i": id}))
            .await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(Some(&hospital.liaison.access), CLAIM, json!({"i": id}))
            .await,
        "FORBIDDEN",
    );

    let c1_claim = claim(&app, &w.c1_worker.access, &id).await;
    let body = app
        .gql(Some(&c2_worker.access), CLAIM, json!({"i": id}))
        .await;
    assert_ok(&body);
    let c2_claim = body["data"]["claimServiceItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(body["data"]["claimServiceItem"]["item"]["state"], "FULL");
    let body = app
        .gql(Some(&w.c1_worker.access), LIST, json!({"c": true}))
        .await;
    assert!(node_ids(&body["data"]["serviceItems"]).is_empty());

    // The community does the work, the unit verifies it.
    assert_ok(&step(&app, &w.c1_worker.access, START, &c1_claim).await);
    assert_code(
        &step(&app, &hospital.liaison.access, START, &c2_claim).await,
        "FORBIDDEN",
    );
    assert_code(
        &step(&app, &c2_worker.access, START, &c1_claim).await,
        "NOT_FOUND",
    );
    assert_ok(&step(&app, &w.c1_worker.access, COMPLETE, &c1_claim).await);
    assert_code(
        &step(&app, &w.c1_worker.access, VERIFY, &c1_claim).await,
        "FORBIDDEN",
    );
    let body = step(&app, &hospital.liaison.access, VERIFY, &c1_claim).await;
    assert_ok(&body);
    assert_eq!(body["data"]["verifyClaim"]["state"], "VERIFIED");

    // The unit sees every community's claim on its offer; each community only its own.
    let mine = item(&app, &hospital.liaison.access, &id).await;
    assert_eq!(mine["offeredBy"]["name"], "鹤山市人民医院");
    assert_eq!(mine["claims"].as_array().unwrap().len(), 2);
    let theirs = item(&app, &c2_worker.access, &id).await;
    let claims = theirs["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0]["community"]["name"], "凤凰社区");
    assert_eq!(
        actions(&theirs),
        vec!["POSTED", "CLAIMED"],
        "the other community's steps stay out of its timeline"
    );
    let admin_view = item(&app, &w.sd1_admin.access, &id).await;
    assert_eq!(
        actions(&admin_view),
        vec![
            "POSTED",
            "CLAIMED",
            "CLAIMED",
            "STARTED",
            "COMPLETED",
            "VERIFIED"
        ]
    );
    assert_eq!(admin_view["timeline"][2]["itemTo"], "FULL");
}

#[tokio::test]
async fn a_claimant_never_sees_who_a_micro_wish_is_for() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    join(&app, admin, &w.unit_id, &w.c1).await;
    let worker = &w.c1_worker.access;
    let id_number = fake_id("19480315", 22);
    let body = app
        .gql(
            Some(worker),
            "mutation($i:CreateResidentInput!){createResident(input:$i){id}}",
            json!({"i": {"regionId": w.g1, "name": "黎艳芬", "idNumber": id_number, "phone": "13712345678", "tags": ["ELDERLY_ALONE"]}}),
        )
        .await;
    assert_ok(&body);
    let resident = body["data"]["createResident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let wish = |resident: Option<&str>, capacity: i32| {
        let mut v = item_input("NEED", &w.c1, "想要一台收音机", capacity, "2026-11-25");
        v["i"]["kind"] = json!("MICRO_WISH");
        v["i"]["beneficiaryResidentId"] = json!(resident);
        v
    };
    for (vars, field) in [
        (wish(None, 1), "beneficiaryResidentId"),
        (wish(Some(&resident), 2), "capacity"),
    ] {
        let body = app.gql(Some(worker), POST, vars).await;
        assert_code(&body, "BAD_USER_INPUT");
        assert_eq!(error_field(&body), Some(field));
    }
    let mut project = item_input("NEED", &w.c1, "项目", 1, "2026-11-25");
    project["i"]["beneficiaryResidentId"] = json!(resident);
    assert_code(
        &app.gql(Some(worker), POST, project).await,
        "BAD_USER_INPUT",
    );
    // A resident of another community cannot be the beneficiary of this one's wish.
    let mut elsewhere = wish(Some(&resident), 1);
    elsewhere["i"]["regionId"] = json!(w.c2);
    assert_code(
        &app.gql(Some(&w.sd1_admin.access), POST, elsewhere).await,
        "BAD_USER_INPUT",
    );

    let body = app.gql(Some(worker), POST, wish(Some(&resident), 1)).await;
    assert_ok(&body);
    let id = body["data"]["postServiceItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        body["data"]["postServiceItem"]["beneficiarySummary"],
        "七十多岁的女性居民"
    );

    // Staff of the community see the resident, masked.
    let staff = item(&app, worker, &id).await;
    assert_eq!(staff["beneficiary"]["residentId"], resident.as_str());
    assert_eq!(staff["beneficiary"]["maskedName"], "黎**");

    // The claimant sees the wish, the community and the masked description — nothing else,
    // before claiming, in the claim's answer, and through its way to verification.
    let police = &w.c1_liaison.access;
    let secrets = [
        resident.as_str(),
        "黎艳芬",
        "黎**",
        id_number.as_str(),
        "13712345678",
    ];
    let check = |body: &Value| {
        let text = body.to_string();
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{secret} leaked to the claimant: {text}"
            );
        }
    };
    let list = app
        .gql(
            Some(police),
            "{serviceItems(first:10){edges{node{id kind beneficiarySummary beneficiary{residentId maskedName} region{name} timeline{note actorName}}}}}",
            json!({}),
        )
        .await;
    assert_ok(&list);
    check(&list);
    let node = &list["data"]["serviceItems"]["edges"][0]["node"];
    assert_eq!(node["kind"], "MICRO_WISH");
    assert_eq!(node["beneficiary"], Value::Null);
    assert_eq!(node["beneficiarySummary"], "七十多岁的女性居民");
    assert_eq!(node["region"]["name"], "新华社区");

    let body = app.gql(Some(police), CLAIM, json!({"i": id})).await;
    assert_ok(&body);
    check(&body);
    let c = body["data"]["claimServiceItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for q in [START, COMPLETE] {
        let body = step(&app, police, q, &c).await;
        assert_ok(&body);
        check(&body);
    }
    assert_ok(&step(&app, worker, VERIFY, &c).await);
    let seen = app.gql(Some(police), ITEM, json!({"id": id})).await;
    assert_ok(&seen);
    check(&seen);
    assert_eq!(seen["data"]["serviceItem"]["state"], "FULL");
    assert_eq!(
        seen["data"]["serviceItem"]["claims"][0]["state"],
        "VERIFIED"
    );
    // And not through the resident queries either.
    assert_code(
        &app.gql(
            Some(police),
            "query($id:UUID!){resident(id:$id){name}}",
            json!({"id": resident}),
        )
        .await,
        "FORBIDDEN",
    );
    // Nor does the audit log carry the resident.
    let log = app
        .gql(
            Some(admin),
            "query($t:UUID){auditLog(first:10,targetId:$t){edges{node{detail}}}}",
            json!({"t": id}),
        )
        .await;
    assert_ok(&log);
    assert!(!log.to_string().contains(resident.as_str()), "{log}");
}

#[tokio::test]
async fn only_member_units_of_the_committee_claim_its_needs() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    let housing = seated(&app, &w).await;
    // On another community's committee only.
    let school = unit(&app, admin, "棠下中学", "13700000003", &[&w.c3]).await;
    // On no committee at all.
    let loner = unit(&app, admin, "无委员会单位", "13700000004", &[]).await;

    let id = need(&app, &w.c1_worker.access, &w.c1, "楼道清理", 5).await;
    let other = need(&app, &w.sd2_admin.access, &w.c3, "东溪村助学", 5).await;

    for (who, expected) in [
        (&w.c1_liaison, vec![id.clone()]),
        (&housing.liaison, vec![id.clone()]),
        (&school.liaison, vec![other.clone()]),
        (&loner.liaison, vec![]),
    ] {
        let body = app.gql(Some(&who.access), LIST, json!({})).await;
        assert_ok(&body);
        assert_eq!(node_ids(&body["data"]["serviceItems"]), expected);
        let body = app.gql(Some(&who.access), LIST, json!({"c": true})).await;
        assert_eq!(node_ids(&body["data"]["serviceItems"]), expected);
    }
    claim(&app, &w.c1_liaison.access, &id).await;
    claim(&app, &housing.liaison.access, &id).await;
    for liaison in [&school.liaison, &loner.liaison] {
        assert_code(
            &app.gql(Some(&liaison.access), CLAIM, json!({"i": id}))
                .await,
            "NOT_FOUND",
        );
    }
    // Staff post needs but do not claim them; grid members take no part.
    assert_code(
        &app.gql(Some(&w.c1_worker.access), CLAIM, json!({"i": id}))
            .await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(Some(&w.admin.access), CLAIM, json!({"i": id}))
            .await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(Some(&w.g1_member.access), CLAIM, json!({"i": id}))
            .await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(Some(&w.g1_member.access), LIST, json!({})).await,
        "FORBIDDEN",
    );
    // Scope: the other sub-district sees neither the item nor its community's list.
    let body = app.gql(Some(&w.sd2_admin.access), LIST, json!({})).await;
    assert_eq!(node_ids(&body["data"]["serviceItems"]), vec![other.clone()]);
    assert_code(
        &app.gql(Some(&w.sd2_admin.access), LIST, json!({"r": w.c1}))
            .await,
        "NOT_FOUND",
    );
    let body = app
        .gql(Some(&w.sd1_admin.access), LIST, json!({"r": w.c2}))
        .await;
    assert!(node_ids(&body["data"]["serviceItems"]).is_empty());
    // What a unit has claimed leaves its "claimable" list but stays in its list.
    let body = app
        .gql(Some(&housing.liaison.access), LIST, json!({"c": true}))
        .await;
    assert!(node_ids(&body["data"]["serviceItems"]).is_empty());
    let body = app
        .gql(Some(&housing.liaison.access), LIST, json!({"s": "OPEN"}))
        .await;
    assert_eq!(node_ids(&body["data"]["serviceItems"]), vec![id.clone()]);
    // Posting: only to a community in scope, by staff.
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            POST,
            item_input("NEED", &w.c3, "越界", 1, "2026-11-20"),
        )
        .await;
    assert_code(&body, "NOT_FOUND");
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            POST,
            item_input("NEED", &w.g1, "网格", 1, "2026-11-20"),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("regionId"));
    assert_code(
        &app.gql(
            Some(&w.g1_member.access),
            POST,
            item_input("NEED", &w.c1, "网格员发布", 1, "2026-11-20"),
        )
        .await,
        "FORBIDDEN",
    );
    // A unit that joins a committee sees its needs on its liaison's very next request, though
    // that liaison was just served (and is cached) as seated on none.
    join(&app, admin, &loner.id, &w.c3).await;
    let body = app
        .gql(Some(&loner.liaison.access), LIST, json!({"c": true}))
        .await;
    assert_eq!(node_ids(&body["data"]["serviceItems"]), vec![other.clone()]);
    assert_ok(
        &app.gql(Some(&loner.liaison.access), CLAIM, json!({"i": other}))
            .await,
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.c1_worker.access;
    for (vars, field) in [
        (item_input("NEED", &w.c1, " ", 1, "2026-11-20"), "title"),
        (
            item_input("NEED", &w.c1, "标题", 0, "2026-11-20"),
            "capacity",
        ),
        (
            item_input("NEED", &w.c1, "标题", 1001, "2026-11-20"),
            "capacity",
        ),
        (item_input("NEED", &w.c1, "标题", 1, "2026-11-01"), "dueOn"),
        (
            item_input("NEED", &w.c1, &"长".repeat(101), 1, "2026-11-20"),
            "title",
        ),
    ] {
        let body = app.gql(Some(t), POST, vars).await;
        assert_code(&body, "BAD_USER_INPUT");
        assert_eq!(error_field(&body), Some(field), "{body}");
    }
    let mut v = item_input("NEED", &w.c1, "标题", 1, "2026-11-20");
    v["i"]["category"] = json!("GARDENING");
    assert_code(&app.gql(Some(t), POST, v).await, "BAD_USER_INPUT");
    assert_code(
        &app.gql(Some(t), ITEM, json!({"id": "not-a-uuid"})).await,
        "BAD_USER_INPUT",
    );
    assert_code(
        &app.gql(Some(t), ITEM, json!({"id": uuid::Uuid::now_v7()}))
            .await,
        "NOT_FOUND",
    );
    assert_code(&app.gql(None, LIST, json!({})).await, "UNAUTHENTICATED");
    // A completion report with an impossible head count.
    join(&app, &w.admin.access, &w.unit_id, &w.c1).await;
    let id = need(&app, t, &w.c1, "体检", 1).await;
    let c = claim(&app, &w.c1_liaison.access, &id).await;
    assert_ok(&step(&app, &w.c1_liaison.access, START, &c).await);
    let body = app
        .gql(
            Some(&w.c1_liaison.access),
            COMPLETE,
            json!({"c": c, "n": -1}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("peopleServed"));
}

#[tokio::test]
async fn a_unit_cannot_claim_the_same_item_twice_and_withdrawing_reopens_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    join(&app, admin, &w.unit_id, &w.c1).await;
    let other = unit(&app, admin, "碧桂园物业党支部", "13700000005", &[&w.c1]).await;
    let police = &w.c1_liaison.access;
    let big = need(&app, &w.c1_worker.access, &w.c1, "社区环境整治", 5).await;
    let first = claim(&app, police, &big).await;
    let again = app.gql(Some(police), CLAIM, json!({"i": big})).await;
    assert_code(&again, "CONFLICT");
    assert_eq!(error_field(&again), Some("itemId"));

    // Ten tries at once by the same unit on a second item: one claim.
    let other_item = need(&app, &w.c1_worker.access, &w.c1, "护学岗", 5).await;
    let tries =
        join_all((0..10).map(|_| app.gql(Some(police), CLAIM, json!({"i": other_item})))).await;
    let ok = tries.iter().filter(|b| b.get("errors").is_none()).count();
    assert_eq!(ok, 1, "{tries:?}");
    for body in tries.iter().filter(|b| b.get("errors").is_some()) {
        assert_code(body, "CONFLICT");
    }
    assert_eq!(item(&app, admin, &other_item).await["activeClaims"], 1);

    // Withdrawn, the unit may claim afresh.
    assert_ok(&step(&app, police, WITHDRAW, &first).await);
    assert_transition(&step(&app, police, WITHDRAW, &first).await, "WITHDRAWN");
    claim(&app, police, &big).await;

    // A full item opens again when a claim is withdrawn.
    let single = need(&app, &w.c1_worker.access, &w.c1, "送餐上门", 1).await;
    let c = claim(&app, police, &single).await;
    assert_eq!(item(&app, admin, &single).await["state"], "FULL");
    assert_code(
        &app.gql(Some(&other.liaison.access), CLAIM, json!({"i": single}))
            .await,
        "CONFLICT",
    );
    assert_ok(&step(&app, police, START, &c).await);
    let body = step(&app, police, WITHDRAW, &c).await;
    assert_ok(&body);
    assert_eq!(body["data"]["withdrawClaim"]["state"], "WITHDRAWN");
    let it = item(&app, admin, &single).await;
    assert_eq!(it["state"], "OPEN");
    assert_eq!(it["activeClaims"], 0);
    let withdrawn = it["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(withdrawn["action"], "WITHDRAWN");
    assert_eq!(withdrawn["itemFrom"], "FULL");
    assert_eq!(withdrawn["itemTo"], "OPEN");
    assert_eq!(withdrawn["claimFrom"], "IN_PROGRESS");
    assert_eq!(withdrawn["note"], "人手不足");
    claim(&app, &other.liaison.access, &single).await;
}

#[tokio::test]
async fn fifty_units_claiming_one_place_at_once_get_one_claim_and_49_conflicts() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.clone();
    // Fifty units on the committee, each with its liaison, enrolled a few at a time.
    let mut units = Vec::new();
    for chunk in (0..50).collect::<Vec<_>>().chunks(10) {
        let made = join_all(chunk.iter().map(|i| {
            let name = format!("成员单位{i:02}");
            let phone = format!("137100000{i:02}");
            let app = &app;
            let admin = admin.as_str();
            let c1 = w.c1.clone();
            async move { unit(app, admin, &name, &phone, &[&c1]).await }
        }))
        .await;
        units.extend(made);
    }
    let single = need(&app, &w.c1_worker.access, &w.c1, "唯一名额", 1).await;
    let triple = need(&app, &w.c1_worker.access, &w.c1, "三个名额", 3).await;
    for (item_id, capacity) in [(&single, 1usize), (&triple, 3usize)] {
        let results = join_all(
            units
                .iter()
                .map(|u| app.gql(Some(&u.liaison.access), CLAIM, json!({"i": item_id}))),
        )
        .await;
        let won = results.iter().filter(|b| b.get("errors").is_none()).count();
        assert_eq!(won, capacity, "exactly {capacity} claim(s) succeed");
        for body in results.iter().filter(|b| b.get("errors").is_some()) {
            assert_code(body, "CONFLICT");
        }
        let it = item(&app, &admin, item_id).await;
        assert_eq!(it["state"], "FULL");
        assert_eq!(it["activeClaims"], capacity as i64);
        assert_eq!(it["claims"].as_array().unwrap().len(), capacity);
        let claimed = it["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["action"] == "CLAIMED")
            .count();
        assert_eq!(claimed, capacity, "a lost race leaves no timeline entry");
    }
}

#[tokio::test]
async fn closing_stops_claims_and_cancelling_needs_an_unclaimed_item() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    join(&app, admin, &w.unit_id, &w.c1).await;
    let other = unit(&app, admin, "碧桂园物业党支部", "13700000006", &[&w.c1]).await;
    let worker = &w.c1_worker.access;
    let police = &w.c1_liaison.access;
    let close = "mutation($id:UUID!){closeServiceItem(id:$id,note:\"已满足\"){id state closedAt}}";
    let cancel = "mutation($id:UUID!){cancelServiceItem(id:$id){id state}}";

    let id = need(&app, worker, &w.c1, "长者饭堂志愿者", 3).await;
    let c = claim(&app, police, &id).await;
    assert_code(
        &app.gql(Some(worker), cancel, json!({"id": id})).await,
        "CONFLICT",
    );
    assert_code(
        &app.gql(Some(police), close, json!({"id": id})).await,
        "FORBIDDEN",
    );
    let body = app.gql(Some(worker), close, json!({"id": id})).await;
    assert_ok(&body);
    assert_eq!(body["data"]["closeServiceItem"]["state"], "CLOSED");
    assert_transition(
        &app.gql(Some(&other.liaison.access), CLAIM, json!({"i": id}))
            .await,
        "CLOSED",
    );
    assert_transition(
        &app.gql(Some(worker), close, json!({"id": id})).await,
        "CLOSED",
    );
    // The claim made before carries on; withdrawing it leaves the item closed.
    assert_ok(&step(&app, police, START, &c).await);
    assert_ok(&step(&app, police, WITHDRAW, &c).await);
    let it = item(&app, worker, &id).await;
    assert_eq!(it["state"], "CLOSED");
    assert_eq!(it["activeClaims"], 0);

    let unclaimed = need(&app, worker, &w.c1, "取消的项目", 1).await;
    let body = app
        .gql(Some(worker), cancel, json!({"id": unclaimed}))
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["cancelServiceItem"]["state"], "CANCELLED");
    assert_transition(
        &app.gql(Some(worker), cancel, json!({"id": unclaimed}))
            .await,
        "CANCELLED",
    );
    assert_transition(
        &app.gql(Some(police), CLAIM, json!({"i": unclaimed})).await,
        "CANCELLED",
    );
    assert_eq!(
        actions(&item(&app, worker, &unclaimed).await),
        vec!["POSTED", "CANCELLED"]
    );
}

#[tokio::test]
async fn unstarted_claims_are_released_after_the_due_day_and_only_once() {
    // The background sweep is off: this test runs it by hand.
    let app = spawn_app_with(|s| s.claim_sweep_interval = None).await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    join(&app, admin, &w.unit_id, &w.c1).await;
    let other = unit(&app, admin, "碧桂园物业党支部", "13700000007", &[&w.c1]).await;
    let worker = &w.c1_worker.access;
    let police = &w.c1_liaison.access;
    let due = "2026-11-05";
    let idle = post(&app, worker, item_input("NEED", &w.c1, "无人推进", 1, due)).await;
    let busy = post(&app, worker, item_input("NEED", &w.c1, "已在推进", 1, due)).await;
    let idle_claim = claim(&app, police, &idle).await;
    let busy_claim = claim(&app, &other.liaison.access, &busy).await;
    assert_ok(&step(&app, &other.liaison.access, START, &busy_claim).await);
    let sweep = || gridhub::service::service_item::release_stale_claims(&app.state);

    // The last second of the due day (Asia/Shanghai): nothing yet.
    let due_day_ends = Utc.with_ymd_and_hms(2026, 11, 5, 16, 0, 0).unwrap();
    app.clock.set(due_day_ends - Duration::seconds(1));
    assert_eq!(sweep().await.expect("sweep"), 0);
    assert_eq!(item(&app, worker, &idle).await["state"], "FULL");

    app.clock.set(due_day_ends);
    assert_eq!(sweep().await.expect("sweep"), 1);
    assert_eq!(
        sweep().await.expect("sweep"),
        0,
        "a second run releases nothing"
    );
    let it = item(&app, worker, &idle).await;
    assert_eq!(it["state"], "OPEN");
    assert_eq!(it["activeClaims"], 0);
    assert_eq!(it["claims"][0]["state"], "RELEASED");
    let released: Vec<&Value> = it["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "RELEASED")
        .collect();
    assert_eq!(released.len(), 1);
    assert_eq!(released[0]["actorName"], Value::Null);
    assert_eq!(released[0]["claimFrom"], "CLAIMED");
    assert_eq!(released[0]["claimTo"], "RELEASED");
    assert_eq!(released[0]["itemFrom"], "FULL");
    assert_eq!(released[0]["itemTo"], "OPEN");
    assert!(
        released[0]["note"].as_str().unwrap().contains(due),
        "{}",
        released[0]
    );
    assert_eq!(
        audit_actions(&app, &w.sd1_admin.access, &idle_claim).await,
        vec!["service_claim.claim", "service_claim.release"]
    );
    // The community's workers are told, once; the claimant's liaison is not.
    let inbox = app
        .gql(
            Some(worker),
            "{ notifications { edges { node { kind serviceItem { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        inbox["data"]["notifications"]["edges"],
        json!([{"node": {"kind": "CLAIM_RELEASED", "serviceItem": {"id": idle}}}]),
        "{inbox}"
    );
    let liaison_inbox = app
        .gql(Some(police), "{ unreadNotificationCount }", json!({}))
        .await;
    assert_eq!(liaison_inbox["data"]["unreadNotificationCount"], 0);
    // Work under way is not released.
    let it = item(&app, worker, &busy).await;
    assert_eq!(it["claims"][0]["state"], "IN_PROGRESS");
    assert_eq!(it["state"], "FULL");
    // The released claimant can no longer move it.
    assert_transition(&step(&app, police, START, &idle_claim).await, "RELEASED");

    // Past its due date the item takes no claims until the poster moves the date.
    assert_transition(
        &app.gql(Some(&other.liaison.access), CLAIM, json!({"i": idle}))
            .await,
        "OPEN",
    );
    let reschedule =
        "mutation($id:UUID!,$d:NaiveDate!){rescheduleServiceItem(id:$id,dueOn:$d){id dueOn state}}";
    assert_code(
        &app.gql(
            Some(police),
            reschedule,
            json!({"id": idle, "d": "2026-11-30"}),
        )
        .await,
        "FORBIDDEN",
    );
    let body = app
        .gql(
            Some(worker),
            reschedule,
            json!({"id": idle, "d": "2026-11-30"}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["rescheduleServiceItem"]["dueOn"], "2026-11-30");
    let body = app
        .gql(Some(&other.liaison.access), LIST, json!({"c": true}))
        .await;
    assert_eq!(node_ids(&body["data"]["serviceItems"]), vec![idle.clone()]);
    claim(&app, &other.liaison.access, &idle).await;
    // The place is taken again: the unit whose claim was released now meets a full item.
    let body = app.gql(Some(police), CLAIM, json!({"i": idle})).await;
    assert_code(&body, "CONFLICT");
}

#[tokio::test]
async fn the_server_runs_the_release_sweep_by_itself() {
    let app =
        spawn_app_with(|s| s.claim_sweep_interval = Some(std::time::Duration::from_millis(100)))
            .await;
    let w = world(&app).await;
    join(&app, &w.admin.access, &w.unit_id, &w.c1).await;
    let id = post(
        &app,
        &w.c1_worker.access,
        item_input("NEED", &w.c1, "等待释放", 1, "2026-11-03"),
    )
    .await;
    claim(&app, &w.c1_liaison.access, &id).await;
    app.clock.advance(Duration::days(3));
    let mut state = Value::Null;
    for _ in 0..100 {
        state = item(&app, &w.c1_worker.access, &id).await["claims"][0]["state"].clone();
        if state == "RELEASED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state, "RELEASED");
}

#[tokio::test]
async fn follow_through_figures_match_the_claims_made() {
    let app = spawn_app_with(|s| s.claim_sweep_interval = None).await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    join(&app, admin, &w.unit_id, &w.c1).await;
    let property = unit(&app, admin, "碧桂园物业党支部", "13700000008", &[&w.c1]).await;
    let worker = &w.c1_worker.access;
    let police = &w.c1_liaison.access;

    // Day 1 (2026-11-02): two needs and an offer posted; the police complete one need (30
    // people) and it is verified; the property branch claims and withdraws; the police claim a
    // need due the next day and do nothing.
    let n1 = need(&app, worker, &w.c1, "敬老院探访", 2).await;
    let n2 = post(
        &app,
        worker,
        item_input("NEED", &w.c1, "次日到期", 1, "2026-11-03"),
    )
    .await;
    let o1 = post(
        &app,
        police,
        item_input("OFFER", &w.c1, "交通安全课", 1, "2026-11-30"),
    )
    .await;
    let c1 = claim(&app, police, &n1).await;
    assert_ok(&step(&app, police, START, &c1).await);
    let body = app
        .gql(Some(police), COMPLETE, json!({"c": c1, "n": 30}))
        .await;
    assert_ok(&body);
    assert_ok(&step(&app, worker, VERIFY, &c1).await);
    let c2 = claim(&app, &property.liaison.access, &n1).await;
    assert_ok(&step(&app, &property.liaison.access, WITHDRAW, &c2).await);
    claim(&app, police, &n2).await;
    // Another sub-district's need, which nobody in SD1 should count.
    need(&app, &w.sd2_admin.access, &w.c3, "东溪村需求", 1).await;

    // Day 3: the sweep releases the idle claim; the community takes up the offer, reports 8
    // people, and the police verify.
    app.clock.advance(Duration::days(2));
    assert_eq!(
        gridhub::service::service_item::release_stale_claims(&app.state)
            .await
            .expect("sweep"),
        1
    );
    let c3 = claim(&app, worker, &o1).await;
    assert_ok(&step(&app, worker, START, &c3).await);
    assert_ok(
        &app.gql(Some(worker), COMPLETE, json!({"c": c3, "n": 8}))
            .await,
    );
    assert_ok(&step(&app, police, VERIFY, &c3).await);

    let q = "query($r:UUID,$f:NaiveDate!,$t:NaiveDate!){serviceFollowThrough(regionId:$r,from:$f,to:$t){
        committees{committeeRegion{id name} itemsPosted claimsMade claimsCompleted claimsVerified claimsWithdrawn claimsReleased peopleServed}
        units{unit{id name} itemsPosted claimsMade claimsCompleted claimsVerified claimsWithdrawn claimsReleased peopleServed}
        totals{itemsPosted claimsMade peopleServed}}}";
    let figures = |row: &Value| -> Vec<i64> {
        [
            "itemsPosted",
            "claimsMade",
            "claimsCompleted",
            "claimsVerified",
            "claimsWithdrawn",
            "claimsReleased",
            "peopleServed",
        ]
        .iter()
        .map(|k| row[*k].as_i64().unwrap())
        .collect()
    };
    let unit_row = |body: &Value, id: &str| -> Vec<i64> {
        let row = body["data"]["serviceFollowThrough"]["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"]["id"] == id)
            .unwrap_or_else(|| panic!("no row for {id}: {body}"))
            .clone();
        figures(&row)
    };

    // The whole period, from the sub-district.
    let body = app
        .gql(
            Some(&w.sd1_admin.access),
            q,
            json!({"r": w.sd1, "f": "2026-11-02", "t": "2026-11-04"}),
        )
        .await;
    assert_ok(&body);
    let ft = &body["data"]["serviceFollowThrough"];
    let committees = ft["committees"].as_array().unwrap();
    assert_eq!(committees.len(), 1, "{body}");
    assert_eq!(committees[0]["committeeRegion"]["name"], "新华社区");
    // posted, claimed, completed, verified, withdrawn, released, people
    assert_eq!(figures(&committees[0]), vec![3, 4, 2, 2, 1, 1, 38]);
    assert_eq!(ft["totals"]["peopleServed"], 38);
    assert_eq!(ft["units"].as_array().unwrap().len(), 2);
    // The police: offered one item; party to three claims (two needs, and the claim on their
    // offer), completed and verified two, one released.
    assert_eq!(unit_row(&body, &w.unit_id), vec![1, 3, 2, 2, 0, 1, 38]);
    assert_eq!(unit_row(&body, &property.id), vec![0, 1, 0, 0, 1, 0, 0]);

    // Only the first day: nothing of day three counts.
    let body = app
        .gql(
            Some(worker),
            q,
            json!({"f": "2026-11-02", "t": "2026-11-02"}),
        )
        .await;
    assert_ok(&body);
    let committees = body["data"]["serviceFollowThrough"]["committees"]
        .as_array()
        .unwrap();
    assert_eq!(figures(&committees[0]), vec![3, 3, 1, 1, 1, 0, 30]);
    assert_eq!(unit_row(&body, &w.unit_id), vec![1, 2, 1, 1, 0, 0, 30]);

    // Out of scope, out of role, out of order.
    let body = app
        .gql(
            Some(&w.sd2_admin.access),
            q,
            json!({"f": "2026-11-02", "t": "2026-11-04"}),
        )
        .await;
    assert_ok(&body);
    let committees = body["data"]["serviceFollowThrough"]["committees"]
        .as_array()
        .unwrap();
    assert_eq!(committees.len(), 1);
    assert_eq!(figures(&committees[0]), vec![1, 0, 0, 0, 0, 0, 0]);
    assert_code(
        &app.gql(
            Some(&w.sd2_admin.access),
            q,
            json!({"r": w.sd1, "f": "2026-11-02", "t": "2026-11-04"}),
        )
        .await,
        "NOT_FOUND",
    );
    assert_code(
        &app.gql(
            Some(police),
            q,
            json!({"f": "2026-11-02", "t": "2026-11-04"}),
        )
        .await,
        "FORBIDDEN",
    );
    let body = app
        .gql(
            Some(worker),
            q,
            json!({"f": "2026-11-04", "t": "2026-11-02"}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("to"));
}

#[tokio::test]
async fn nested_fields_of_a_page_cost_the_same_statements_for_2_or_20_items() {
    let app = spawn_app().await;
    let w = world(&app).await;
    join(&app, &w.admin.access, &w.unit_id, &w.c1).await;
    for i in 0..20 {
        let id = need(&app, &w.c1_worker.access, &w.c1, &format!("项目{i}"), 2).await;
        claim(&app, &w.c1_liaison.access, &id).await;
    }
    let query = |n: usize| {
        format!(
            "{{serviceItems(first:{n}){{edges{{node{{id region{{name}} offeredBy{{name}} beneficiary{{maskedName}} photos{{url}}
              claims{{state unit{{name}} community{{name}} item{{id}} photos{{url}}}} timeline{{action}}}}}}}}}}"
        )
    };
    for token in [&w.c1_worker.access, &w.c1_liaison.access] {
        // The caller is resolved (and cached) first, so both counts are the page's alone.
        assert_ok(&app.gql(Some(token), "{ me { id } }", json!({})).await);
        let small = cost(&app, token, &query(2)).await;
        let large = cost(&app, token, &query(20)).await;
        assert_eq!(small, large, "statements grew with the page size");
    }
}

async fn cost(app: &TestApp, token: &str, query: &str) -> u64 {
    let before = app.statements().await;
    let body = app.gql(Some(token), query, json!({})).await;
    assert_ok(&body);
    app.statements().await - before
}

#[tokio::test]
async fn labels_cover_the_service_enums() {
    let app = spawn_app().await;
    let body = app
        .gql(None, "{labels{name values{value label}}}", json!({}))
        .await;
    let labels = body["data"]["labels"].as_array().unwrap();
    for name in [
        "ServiceDirection",
        "ServiceItemKind",
        "ServiceCategory",
        "ServiceItemState",
        "ServiceClaimState",
        "ServiceStepAction",
    ] {
        assert!(labels.iter().any(|e| e["name"] == name), "{name} missing");
    }
    let kinds = labels
        .iter()
        .find(|e| e["name"] == "ServiceItemKind")
        .unwrap();
    assert!(
        kinds["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["value"] == "MICRO_WISH" && v["label"] == "微心愿")
    );
}

#[tokio::test]
async fn the_demo_data_has_items_and_claims_in_every_state() {
    use gridhub::seed::{DEMO_ACCOUNTS, DEMO_PASSWORD, SERVICE_LIAISONS, demo};
    use sea_orm::{EntityTrait, PaginatorTrait};
    let app = spawn_app_with(|s| s.claim_sweep_interval = None).await;
    demo(&app.state).await.expect("first seed");
    let db = &app.state.db;
    let counts = || async {
        (
            gridhub::store::entity::service_item::Entity::find()
                .count(db)
                .await
                .unwrap(),
            gridhub::store::entity::service_claim::Entity::find()
                .count(db)
                .await
                .unwrap(),
        )
    };
    let first = counts().await;
    demo(&app.state).await.expect("second seed");
    assert_eq!(counts().await, first, "seeding twice adds nothing");

    let admin = app.login(DEMO_ACCOUNTS[0].phone, DEMO_PASSWORD).await;
    let body = app
        .gql(
            Some(&admin.access),
            "{serviceItems(first:100){edges{node{state direction kind claims{state} timeline{action}}}}}",
            json!({}),
        )
        .await;
    assert_ok(&body);
    let nodes: Vec<&Value> = body["data"]["serviceItems"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let item_states: std::collections::HashSet<&str> =
        nodes.iter().map(|n| n["state"].as_str().unwrap()).collect();
    for state in ["OPEN", "FULL", "CLOSED", "CANCELLED"] {
        assert!(item_states.contains(state), "no {state} item: {body}");
    }
    let claim_states: std::collections::HashSet<&str> = nodes
        .iter()
        .flat_map(|n| n["claims"].as_array().unwrap())
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    for state in [
        "CLAIMED",
        "IN_PROGRESS",
        "COMPLETED",
        "VERIFIED",
        "WITHDRAWN",
        "RELEASED",
    ] {
        assert!(claim_states.contains(state), "no {state} claim: {body}");
    }
    assert!(nodes.iter().any(|n| n["direction"] == "OFFER"));
    assert!(nodes.iter().any(|n| n["kind"] == "MICRO_WISH"));

    // The couriers claimed the micro-wish and see it without its beneficiary; their liaison
    // account works, as does every other demo liaison.
    for (phone, _, _) in SERVICE_LIAISONS {
        app.login(phone, DEMO_PASSWORD).await;
    }
    let couriers = app.login(SERVICE_LIAISONS[3].0, DEMO_PASSWORD).await;
    let body = app
        .gql(
            Some(&couriers.access),
            "{serviceItems(first:100,kind:MICRO_WISH){edges{node{beneficiary{maskedName} beneficiarySummary claims{state}}}}}",
            json!({}),
        )
        .await;
    assert_ok(&body);
    let wish = &body["data"]["serviceItems"]["edges"][0]["node"];
    assert_eq!(wish["beneficiary"], Value::Null);
    assert!(wish["beneficiarySummary"].is_string());
    assert_eq!(wish["claims"][0]["state"], "CLAIMED");
}

/// A GraphQL multipart request (spec: operations, map, files) with one file per variable path.
async fn upload(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
    files: Vec<(&str, Vec<u8>)>,
) -> Value {
    let mut map = serde_json::Map::new();
    for (i, (path, _)) in files.iter().enumerate() {
        map.insert(i.to_string(), json!([format!("variables.{path}")]));
    }
    let mut form = reqwest::multipart::Form::new()
        .text(
            "operations",
            json!({"query": query, "variables": variables}).to_string(),
        )
        .text("map", Value::Object(map).to_string());
    for (i, (_, bytes)) in files.into_iter().enumerate() {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(format!("{i}.jpg"))
            .mime_str("image/jpeg")
            .unwrap();
        form = form.part(i.to_string(), part);
    }
    app.client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Bytes a JPEG decoder would start on.
fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..len - 4).map(|i| (i as u8).wrapping_add(seed)));
    bytes
}

async fn fetch(app: &TestApp, token: &str, url: &str) -> (u16, Vec<u8>) {
    let res = app
        .client
        .get(format!("{}{}", app.address, url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn items_and_completion_reports_carry_photos_seen_only_by_who_sees_them() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    join(&app, admin, &w.unit_id, &w.c1).await;
    let other = unit(&app, admin, "碧桂园物业党支部", "13700000009", &[&w.c1]).await;
    let worker = &w.c1_worker.access;
    let police = &w.c1_liaison.access;
    let post_q = "mutation($i:PostServiceItemInput!){postServiceItem(input:$i){id photos{id url contentType sizeBytes}}}";

    // A text file claiming to be a JPEG is refused and nothing is posted.
    let mut vars = item_input("NEED", &w.c1, "带照片的需求", 1, "2026-11-20");
    vars["i"]["photos"] = json!([null]);
    let body = upload(
        &app,
        worker,
        post_q,
        vars.clone(),
        vec![("i.photos.0", b"<html>not a photo</html>".to_vec())],
    )
    .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("photos.0"));
    let list = app.gql(Some(worker), LIST, json!({})).await;
    assert!(node_ids(&list["data"]["serviceItems"]).is_empty());

    vars["i"]["photos"] = json!([null, null]);
    let wall = jpeg(3, 1500);
    let body = upload(
        &app,
        worker,
        post_q,
        vars,
        vec![("i.photos.0", wall.clone()), ("i.photos.1", jpeg(5, 900))],
    )
    .await;
    assert_ok(&body);
    let posted = &body["data"]["postServiceItem"];
    let id = posted["id"].as_str().unwrap().to_owned();
    let photos = posted["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0]["sizeBytes"], 1500);
    let item_url = photos[0]["url"].as_str().unwrap().to_owned();
    // The claimable unit sees the picture; another sub-district and grid members do not.
    assert_eq!(fetch(&app, police, &item_url).await, (200, wall));
    assert_eq!(fetch(&app, &w.sd2_admin.access, &item_url).await.0, 404);
    assert_eq!(fetch(&app, &w.g1_member.access, &item_url).await.0, 404);

    let c = claim(&app, police, &id).await;
    assert_ok(&step(&app, police, START, &c).await);
    let done = jpeg(9, 700);
    let body = upload(
        &app,
        police,
        "mutation($c:UUID!,$i:CompleteClaimInput!){completeClaim(claimId:$c,input:$i){id state photos{url}}}",
        json!({"c": c, "i": {"peopleServed": 4, "notes": "已清理", "photos": [null]}}),
        vec![("i.photos.0", done.clone())],
    )
    .await;
    assert_ok(&body);
    assert_eq!(body["data"]["completeClaim"]["state"], "COMPLETED");
    let claim_url = body["data"]["completeClaim"]["photos"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    // The community verifying it sees the report's picture; a unit that is not party does not.
    assert_eq!(fetch(&app, worker, &claim_url).await, (200, done));
    assert_eq!(fetch(&app, &other.liaison.access, &claim_url).await.0, 404);
    assert_eq!(fetch(&app, &w.sd2_admin.access, &claim_url).await.0, 404);
    let it = item(&app, worker, &id).await;
    assert_eq!(it["state"], "FULL");
    let seen = app
        .gql(
            Some(worker),
            "query($id:UUID!){serviceItem(id:$id){photos{id} claims{photos{id}}}}",
            json!({"id": id}),
        )
        .await;
    assert_ok(&seen);
    assert_eq!(
        seen["data"]["serviceItem"]["photos"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        seen["data"]["serviceItem"]["claims"][0]["photos"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// A list reads each item's committee region in its own statement (on PostgreSQL): the region
/// the item answers alone, for a liaison (who has no region scope) as for staff, claimable or
/// not, through `edges` and through `nodes`.
#[tokio::test]
async fn a_listed_items_region_is_the_one_it_answers_alone() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let housing = seated(&app, &w).await;
    let ours = need(&app, &w.c1_worker.access, &w.c1, "楼道清理", 5).await;
    let theirs = need(&app, &w.sd2_admin.access, &w.c3, "东溪村助学", 5).await;
    let regions = [
        (ours.as_str(), w.c1.as_str()),
        (theirs.as_str(), w.c3.as_str()),
    ];
    let lists = [
        "{serviceItems(first:50){edges{node{id region{id name}}} nodes{id region{id name}}}}",
        "{serviceItems(first:50,claimableByMe:true){edges{node{id region{id name}}} nodes{id region{id name}}}}",
    ];
    for (token, sees) in [
        (&w.c1_liaison.access, vec![&ours]),
        (&housing.liaison.access, vec![&ours]),
        (&w.c1_worker.access, vec![&ours]),
        (&w.sd2_admin.access, vec![&theirs]),
        (&w.admin.access, vec![&theirs, &ours]),
    ] {
        for list in lists {
            let body = app.gql(Some(token), list, json!({})).await;
            let staff = token != &w.c1_liaison.access && token != &housing.liaison.access;
            if list.contains("claimableByMe") && staff {
                // Staff claim offers, and none is posted: an empty list.
                assert_ok(&body);
                assert_eq!(
                    node_ids(&body["data"]["serviceItems"]),
                    Vec::<String>::new()
                );
                continue;
            }
            assert_ok(&body);
            let ids = node_ids(&body["data"]["serviceItems"]);
            assert_eq!(ids.iter().collect::<Vec<_>>(), sees, "{list}");
            let nodes = body["data"]["serviceItems"]["nodes"].as_array().unwrap();
            let edges = body["data"]["serviceItems"]["edges"].as_array().unwrap();
            for (node, edge) in nodes.iter().zip(edges) {
                assert_eq!(node, &edge["node"]);
                let id = node["id"].as_str().unwrap();
                let region = regions.iter().find(|(i, _)| *i == id).unwrap().1;
                assert_eq!(node["region"]["id"], region, "{list}: {node}");
                assert_eq!(node["region"], item(&app, token, id).await["region"]);
            }
        }
    }
    // On PostgreSQL the regions come in the page's statement.
    if on_postgres() {
        let asked = app
            .statements_for(&w.c1_liaison.access, lists[1], json!({}))
            .await;
        assert_eq!(asked, 1);
    }
}

/// Every page of "claimable by me", `first` at a time.
async fn claimable_pages(app: &TestApp, token: &str, first: i32) -> Vec<String> {
    let query = "query($n:Int!,$a:String){serviceItems(first:$n,after:$a,claimableByMe:true){edges{node{id}} pageInfo{hasNextPage endCursor}}}";
    let (mut ids, mut after) = (Vec::new(), Value::Null);
    loop {
        let body = app
            .gql(Some(token), query, json!({"n": first, "a": after}))
            .await;
        assert_ok(&body);
        let conn = &body["data"]["serviceItems"];
        let page = node_ids(conn);
        assert!(page.len() <= first as usize, "{body}");
        ids.extend(page);
        if conn["pageInfo"]["hasNextPage"] != true {
            return ids;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
}

/// "Claimable by me", page by page: exactly the open needs of the unit's committees (every
/// community under a sub-district's) not past their due day that it holds no claim on, newest
/// first, the same rows whatever the page size; a community's: the open offers made to it or
/// above it.
#[tokio::test]
async fn claimable_pages_hold_exactly_what_the_caller_could_take_now() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.access.as_str();
    let housing = seated(&app, &w).await;
    let other = unit(&app, admin, "碧桂园物业党支部", "13700000008", &[&w.c1]).await;
    let sd1 = w.sd1_admin.access.as_str();
    let taker = housing.liaison.access.as_str();
    let mut open = Vec::new();
    for i in 0..7 {
        let community = if i % 2 == 0 { &w.c1 } else { &w.c2 };
        let title = format!("入户走访 {i}");
        open.push(
            post(
                &app,
                sd1,
                item_input("NEED", community, &title, 2, "2026-11-20"),
            )
            .await,
        );
    }
    let soon = post(
        &app,
        sd1,
        item_input("NEED", &w.c2, "即将到期", 2, "2026-11-06"),
    )
    .await;
    // Not claimable by the housing bureau: another sub-district's need, a full one, one it holds.
    post(
        &app,
        &w.sd2_admin.access,
        item_input("NEED", &w.c3, "东溪村助学", 2, "2026-11-20"),
    )
    .await;
    let full = post(
        &app,
        sd1,
        item_input("NEED", &w.c1, "送餐上门", 1, "2026-11-20"),
    )
    .await;
    claim(&app, &other.liaison.access, &full).await;
    let held = post(
        &app,
        sd1,
        item_input("NEED", &w.c2, "护学岗", 3, "2026-11-20"),
    )
    .await;
    claim(&app, taker, &held).await;
    // Withdrawn, an item is claimable again.
    let again = post(
        &app,
        sd1,
        item_input("NEED", &w.c1, "楼道清理", 3, "2026-11-20"),
    )
    .await;
    let withdrawn = claim(&app, taker, &again).await;
    assert_ok(&step(&app, taker, WITHDRAW, &withdrawn).await);
    // The bureau's own offer to its committee is the communities' to claim, not its own.
    let offer = post(
        &app,
        taker,
        item_input("OFFER", &w.sd1, "住房安全宣讲", 3, "2026-11-20"),
    )
    .await;

    let newest_first = |mut ids: Vec<String>| {
        ids.sort();
        ids.reverse();
        ids
    };
    let mut expected: Vec<String> = open.clone();
    expected.extend([soon.clone(), again.clone()]);
    let expected = newest_first(expected);
    for first in [1, 3, 100] {
        assert_eq!(
            claimable_pages(&app, taker, first).await,
            expected,
            "first: {first}"
        );
    }
    // A unit on c1's committee only: c1's open needs, less the full one.
    let c1_open: Vec<String> = newest_first(
        open.iter()
            .step_by(2)
            .cloned()
            .chain([again.clone()])
            .collect(),
    );
    assert_eq!(
        claimable_pages(&app, &other.liaison.access, 2).await,
        c1_open
    );
    // The communities under the sub-district may claim the offer; it is not the unit's to claim.
    assert_eq!(
        claimable_pages(&app, &w.c1_worker.access, 2).await,
        vec![offer.clone()]
    );

    // After the due day of `soon` (Asia/Shanghai), it is no longer claimable.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 6, 16, 0, 0).unwrap());
    let expected: Vec<String> = expected.into_iter().filter(|id| *id != soon).collect();
    assert_eq!(claimable_pages(&app, taker, 2).await, expected);
}
