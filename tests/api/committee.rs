//! Committee meetings and joint activities (issue 14 part 3): who may record one, what a record
//! must hold, who sees which in the list and its pages, the follow-through and dashboard counts
//! against the list, photos, and the demo data drawn from the seed articles.
use crate::helpers::*;
use gridhub::seed::{DEMO_ACCOUNTS, DEMO_PASSWORD, demo};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const RECORD: &str = "mutation($i:RecordCommitteeActivityInput!){recordCommitteeActivity(input:$i){
    id clientId kind kindLabel heldOn title peopleReached notes recordedByName recordedAt
    region{id name} units{id name} serviceItems{id title} photos{id url} recordedBy{id}}}";
const LIST: &str = "query($r:UUID,$f:NaiveDate,$t:NaiveDate,$n:Int,$a:String){
    committeeActivities(regionId:$r,from:$f,to:$t,first:$n,after:$a){
      edges{cursor node{id kind kindLabel heldOn title peopleReached region{id name} units{id name}}}
      pageInfo{hasNextPage}}}";

/// A member unit, seated on the given committees, with a logged-in liaison.
struct Unit {
    id: String,
    liaison: Session,
}

async fn join(app: &TestApp, admin: &str, unit: &str, committee: &str) {
    let body = app
        .gql(
            Some(admin),
            "mutation($i:JoinCommitteeInput!){joinCommittee(input:$i){id}}",
            json!({"i": {"unitId": unit, "committeeRegionId": committee, "joinedOn": "2026-03-01",
                         "agreement": {"commitments": ["参加联席会议", "开展共建活动"]}}}),
        )
        .await;
    assert_ok(&body);
}

async fn unit(app: &TestApp, admin: &str, name: &str, phone: &str, committees: &[&str]) -> Unit {
    let body = app
        .gql(
            Some(admin),
            "mutation($i:CreateMemberUnitInput!){createMemberUnit(input:$i){id}}",
            json!({"i": {"name": name, "kind": "SCHOOL"}}),
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
            json!({"i": {"phone": phone, "name": format!("{name}联络员"), "password": PASSWORD,
                         "role": "UNIT_LIAISON", "memberUnitId": id}}),
        )
        .await;
    assert_ok(&body);
    Unit {
        id,
        liaison: app.login(phone, PASSWORD).await,
    }
}

async fn need(app: &TestApp, token: &str, community: &str, title: &str) -> String {
    let body = app
        .gql(
            Some(token),
            "mutation($i:PostServiceItemInput!){postServiceItem(input:$i){id}}",
            json!({"i": {"direction": "NEED", "category": "EDUCATION", "title": title,
                         "description": "社区青少年需要课后辅导", "dueOn": "2026-11-30", "regionId": community}}),
        )
        .await;
    assert_ok(&body);
    body["data"]["postServiceItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A valid record of `committee` with `units`; change fields with `patch`.
fn input(committee: &str, units: &[&str], patch: Value) -> Value {
    let mut i = json!({
        "clientId": uuid::Uuid::now_v7(), "committeeRegionId": committee, "kind": "MEETING",
        "heldOn": "2026-10-20", "title": "大党委联席会议", "unitIds": units, "peopleReached": 0,
        "notes": "通报辖区需求清单，商定认领分工",
    });
    if let (Some(i), Some(patch)) = (i.as_object_mut(), patch.as_object()) {
        for (k, v) in patch {
            i.insert(k.clone(), v.clone());
        }
    }
    json!({ "i": i })
}

async fn record(app: &TestApp, token: &str, vars: Value) -> Value {
    let body = app.gql(Some(token), RECORD, vars).await;
    assert_ok(&body);
    body["data"]["recordCommitteeActivity"].clone()
}

#[track_caller]
fn assert_field(body: &Value, field: &str) {
    assert_code(body, "BAD_USER_INPUT");
    assert_eq!(error_field(body), Some(field), "{body}");
}

/// Every node of the list for these arguments, page by page (`first` per page).
async fn list_all(app: &TestApp, token: &str, args: Value, first: i32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut vars = args.clone();
        vars["n"] = json!(first);
        vars["a"] = json!(after);
        let body = app.gql(Some(token), LIST, vars).await;
        assert_ok(&body);
        let conn = &body["data"]["committeeActivities"];
        let edges = conn["edges"].as_array().unwrap();
        assert!(edges.len() <= first as usize);
        for e in edges {
            out.push(e["node"].clone());
            after = e["cursor"].as_str().map(str::to_owned);
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
    }
    out
}

fn ids(nodes: &[Value]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The tree of `world` with units on its committees: the police (the world's liaison) on 新华
/// (c1), a school on 凤凰 (c2), a bureau on 沙坪街道's working committee (sd1), a clinic on 东溪村
/// (c3); needs in c1 and c2.
struct Committees {
    w: World,
    school: Unit,
    bureau: Unit,
    clinic: Unit,
    c1_need: String,
    c2_need: String,
}

async fn committees(app: &TestApp) -> Committees {
    let w = world(app).await;
    let admin = w.admin.access.clone();
    join(app, &admin, &w.unit_id, &w.c1).await;
    let school = unit(app, &admin, "凤凰小学", "13700000101", &[&w.c2]).await;
    let bureau = unit(app, &admin, "鹤山市住建局", "13700000102", &[&w.sd1]).await;
    let clinic = unit(app, &admin, "东溪卫生站", "13700000103", &[&w.c3]).await;
    let c1_need = need(app, &w.c1_worker.access, &w.c1, "新华课后辅导").await;
    let c2_need = need(app, &w.sd1_admin.access, &w.c2, "凤凰课后辅导").await;
    Committees {
        w,
        school,
        bureau,
        clinic,
        c1_need,
        c2_need,
    }
}

#[tokio::test]
async fn each_allowed_role_records_and_a_retry_returns_the_first_record() {
    let app = spawn_app().await;
    let k = committees(&app).await;
    let w = &k.w;
    let worker = w.c1_worker.access.as_str();

    // The community worker, for its community's committee, with a need it served.
    let vars = input(
        &w.c1,
        &[&w.unit_id],
        json!({"peopleReached": 30, "serviceItemIds": [k.c1_need], "kind": "ACTIVITY", "title": "交通安全进校园"}),
    );
    let first = record(&app, worker, vars.clone()).await;
    assert_eq!(first["kind"], "ACTIVITY");
    assert_eq!(first["kindLabel"], "共建活动");
    assert_eq!(first["heldOn"], "2026-10-20");
    assert_eq!(first["peopleReached"], 30);
    assert_eq!(first["region"]["name"], "新华社区");
    assert_eq!(first["units"][0]["id"], json!(w.unit_id));
    assert_eq!(first["serviceItems"][0]["id"], json!(k.c1_need));
    assert_eq!(first["recordedBy"]["id"], json!(w.c1_worker.account_id));
    assert_eq!(first["recordedByName"], "测试COMMUNITY_WORKER");
    assert_eq!(first["clientId"], vars["i"]["clientId"]);

    // A retry gets the first record; the same id with other content, or from someone else, is
    // a conflict on clientId.
    let again = record(&app, worker, vars.clone()).await;
    assert_eq!(again["id"], first["id"]);
    let mut changed = vars.clone();
    changed["i"]["peopleReached"] = json!(31);
    let body = app.gql(Some(worker), RECORD, changed).await;
    assert_code(&body, "CONFLICT");
    assert_eq!(error_field(&body), Some("clientId"));
    let body = app.gql(Some(&w.sd1_admin.access), RECORD, vars).await;
    assert_code(&body, "CONFLICT");
    assert!(
        body["data"].is_null() || body["data"]["recordCommitteeActivity"].is_null(),
        "never the other account's record: {body}"
    );

    // The sub-district admin, for its working committee and a community's committee.
    let meeting = record(
        &app,
        &w.sd1_admin.access,
        input(&w.sd1, &[&k.bureau.id], json!({})),
    )
    .await;
    assert_eq!(meeting["kindLabel"], "联席会议");
    assert_eq!(meeting["region"]["name"], "沙坪街道");
    record(
        &app,
        &w.sd1_admin.access,
        input(
            &w.c2,
            &[&k.school.id],
            json!({"serviceItemIds": [k.c2_need]}),
        ),
    )
    .await;
    // The city admin, anywhere.
    record(
        &app,
        &w.admin.access,
        input(&w.c3, &[&k.clinic.id], json!({"kind": "ACTIVITY"})),
    )
    .await;
    // A liaison, for its own unit's committee; it sees the region and units although it has no
    // region scope.
    let by_liaison = record(
        &app,
        &w.c1_liaison.access,
        input(
            &w.c1,
            &[&w.unit_id],
            json!({"kind": "ACTIVITY", "peopleReached": 120, "notes": null}),
        ),
    )
    .await;
    assert_eq!(by_liaison["region"]["name"], "新华社区");
    assert_eq!(by_liaison["units"][0]["name"], "鹤山市公安局交通警察大队");
    assert_eq!(by_liaison["notes"], Value::Null);
    let school = record(
        &app,
        &k.school.liaison.access,
        input(&w.c2, &[&k.school.id], json!({})),
    )
    .await;
    assert_eq!(school["region"]["name"], "凤凰社区");

    // Each write is audited.
    let body = app
        .gql(
            Some(&w.admin.access),
            "query($t:UUID){auditLog(first:10,targetId:$t){edges{node{action outcome actorId}}}}",
            json!({"t": first["id"]}),
        )
        .await;
    assert_ok(&body);
    let node = &body["data"]["auditLog"]["edges"][0]["node"];
    assert_eq!(node["action"], "committee_activity.record");
    assert_eq!(node["outcome"], "SUCCESS");
    assert_eq!(node["actorId"], json!(w.c1_worker.account_id));
    assert_eq!(
        body["data"]["auditLog"]["edges"].as_array().unwrap().len(),
        1,
        "a retry writes nothing: {body}"
    );
}

#[tokio::test]
async fn refusals_carry_exact_codes_and_write_nothing() {
    let app = spawn_app().await;
    let k = committees(&app).await;
    let w = &k.w;
    let worker = w.c1_worker.access.as_str();
    let ok = |patch: Value| input(&w.c1, &[&w.unit_id], patch);

    // Grid members take no part, in recording or reading.
    let body = app
        .gql(Some(&w.g1_member.access), RECORD, ok(json!({})))
        .await;
    assert_code(&body, "FORBIDDEN");
    let body = app.gql(Some(&w.g1_member.access), LIST, json!({})).await;
    assert_code(&body, "FORBIDDEN");
    // A liaison of a unit not on the committee, even naming a unit that is.
    let body = app
        .gql(Some(&k.school.liaison.access), RECORD, ok(json!({})))
        .await;
    assert_code(&body, "FORBIDDEN");
    // Another community's worker; the working committee above the worker; an unknown id.
    let body = app
        .gql(
            Some(worker),
            RECORD,
            input(&w.c2, &[&k.school.id], json!({})),
        )
        .await;
    assert_code(&body, "NOT_FOUND");
    let body = app
        .gql(
            Some(worker),
            RECORD,
            input(&w.sd1, &[&k.bureau.id], json!({})),
        )
        .await;
    assert_code(&body, "NOT_FOUND");
    let unknown = uuid::Uuid::now_v7().to_string();
    let body = app
        .gql(
            Some(worker),
            RECORD,
            input(&unknown, &[&w.unit_id], json!({})),
        )
        .await;
    assert_code(&body, "NOT_FOUND");
    let body = app
        .gql(Some(&w.sd2_admin.access), RECORD, ok(json!({})))
        .await;
    assert_code(&body, "NOT_FOUND");
    // A grid is no committee.
    let body = app
        .gql(Some(worker), RECORD, input(&w.g1, &[&w.unit_id], json!({})))
        .await;
    assert_field(&body, "committeeRegionId");
    // A unit not on the committee (the school sits on 凤凰's), or none at all.
    let body = app
        .gql(
            Some(worker),
            RECORD,
            input(&w.c1, &[&w.unit_id, &k.school.id], json!({})),
        )
        .await;
    assert_field(&body, "unitIds");
    let body = app
        .gql(Some(worker), RECORD, ok(json!({"unitIds": []})))
        .await;
    assert_field(&body, "unitIds");
    // A service item out of the worker's scope; one the admin sees, of another committee.
    let body = app
        .gql(
            Some(worker),
            RECORD,
            ok(json!({"serviceItemIds": [k.c2_need]})),
        )
        .await;
    assert_code(&body, "NOT_FOUND");
    let body = app
        .gql(
            Some(&w.sd1_admin.access),
            RECORD,
            ok(json!({"serviceItemIds": [k.c2_need]})),
        )
        .await;
    assert_field(&body, "serviceItemIds");
    // Bad days, people and text.
    for (patch, field) in [
        (json!({"heldOn": "2026-11-03"}), "heldOn"),
        (json!({"heldOn": "2024-01-01"}), "heldOn"),
        (json!({"peopleReached": -1}), "peopleReached"),
        (json!({"peopleReached": 1_000_001}), "peopleReached"),
        (json!({"title": "会".repeat(101)}), "title"),
        (json!({"title": "  "}), "title"),
        (json!({"notes": "记".repeat(2001)}), "notes"),
        (
            json!({"clientId": "00000000-0000-0000-0000-000000000000"}),
            "clientId",
        ),
    ] {
        let body = app.gql(Some(worker), RECORD, ok(patch.clone())).await;
        assert_field(&body, field);
    }
    // A malformed day never reaches the resolver, and still names the field.
    let body = app
        .gql(Some(worker), RECORD, ok(json!({"heldOn": "2026-13-01"})))
        .await;
    assert_code(&body, "BAD_USER_INPUT");

    // Nothing was recorded; the refused liaison is in the audit log as DENIED.
    let all = list_all(&app, &w.admin.access, json!({}), 100).await;
    assert!(all.is_empty(), "{all:?}");
    let body = app
        .gql(
            Some(&w.admin.access),
            "{auditLog(first:100,action:\"committee_activity.record\"){edges{node{outcome actorId}}}}",
            json!({}),
        )
        .await;
    assert_ok(&body);
    let entries = body["data"]["auditLog"]["edges"].as_array().unwrap();
    assert!(entries.iter().all(|e| e["node"]["outcome"] == "DENIED"));
    assert!(
        entries
            .iter()
            .any(|e| e["node"]["actorId"] == json!(k.school.liaison.account_id)),
        "{body}"
    );
}

/// Seven records over four committees: c1 ×3 (one in September), c2 ×2, sd1 ×1, c3 ×1.
async fn seven_records(app: &TestApp, k: &Committees) {
    let w = &k.w;
    let worker = w.c1_worker.access.as_str();
    let sd1 = w.sd1_admin.access.as_str();
    for (token, committee, unit, patch) in [
        (
            worker,
            &w.c1,
            &w.unit_id,
            json!({"heldOn": "2026-09-15", "peopleReached": 5}),
        ),
        (
            worker,
            &w.c1,
            &w.unit_id,
            json!({"heldOn": "2026-10-03", "kind": "ACTIVITY", "peopleReached": 200}),
        ),
        (
            w.c1_liaison.access.as_str(),
            &w.c1,
            &w.unit_id,
            json!({"heldOn": "2026-11-01", "kind": "ACTIVITY", "peopleReached": 45}),
        ),
        (
            sd1,
            &w.c2,
            &k.school.id,
            json!({"heldOn": "2026-10-10", "peopleReached": 12}),
        ),
        (
            sd1,
            &w.c2,
            &k.school.id,
            json!({"heldOn": "2026-10-31", "kind": "ACTIVITY", "peopleReached": 300}),
        ),
        (
            sd1,
            &w.sd1,
            &k.bureau.id,
            json!({"heldOn": "2026-10-15", "peopleReached": 0}),
        ),
        (
            w.sd2_admin.access.as_str(),
            &w.c3,
            &k.clinic.id,
            json!({"heldOn": "2026-10-20", "kind": "ACTIVITY", "peopleReached": 77}),
        ),
    ] {
        record(app, token, input(committee, &[unit], patch)).await;
    }
}

#[tokio::test]
async fn the_list_is_scoped_by_committee_and_paged_without_gaps() {
    let app = spawn_app().await;
    let k = committees(&app).await;
    seven_records(&app, &k).await;
    let w = &k.w;
    let count = |nodes: &[Value]| nodes.len();

    // Everything, in pages of two: the same rows as one page, newest recorded first, none twice.
    let all = list_all(&app, &w.admin.access, json!({}), 100).await;
    assert_eq!(count(&all), 7);
    let paged = list_all(&app, &w.admin.access, json!({}), 2).await;
    assert_eq!(ids(&paged), ids(&all));
    let mut sorted = ids(&all);
    sorted.sort();
    sorted.reverse();
    assert_eq!(ids(&all), sorted, "newest recorded first");

    // Staff see the committees in their scope.
    let names = |nodes: &[Value]| -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for n in nodes {
            *m.entry(n["region"]["name"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        m
    };
    let c1_worker = list_all(&app, &w.c1_worker.access, json!({}), 100).await;
    assert_eq!(
        names(&c1_worker),
        BTreeMap::from([("新华社区".to_owned(), 3)])
    );
    let sd1 = list_all(&app, &w.sd1_admin.access, json!({}), 2).await;
    assert_eq!(
        names(&sd1),
        BTreeMap::from([
            ("凤凰社区".to_owned(), 2),
            ("新华社区".to_owned(), 3),
            ("沙坪街道".to_owned(), 1)
        ])
    );
    let sd2 = list_all(&app, &w.sd2_admin.access, json!({}), 100).await;
    assert_eq!(names(&sd2), BTreeMap::from([("东溪村".to_owned(), 1)]));
    // A region narrows; one outside scope is not found.
    let c2 = list_all(&app, &w.sd1_admin.access, json!({"r": w.c2}), 100).await;
    assert_eq!(count(&c2), 2);
    let body = app
        .gql(Some(&w.c1_worker.access), LIST, json!({"r": w.c2}))
        .await;
    assert_code(&body, "NOT_FOUND");
    // Days narrow, inclusive.
    let october = list_all(
        &app,
        &w.sd1_admin.access,
        json!({"f": "2026-10-03", "t": "2026-10-31"}),
        100,
    )
    .await;
    assert_eq!(count(&october), 4);
    let body = app
        .gql(
            Some(&w.sd1_admin.access),
            LIST,
            json!({"f": "2026-11-01", "t": "2026-10-01"}),
        )
        .await;
    assert_field(&body, "to");

    // A liaison sees its unit's committees: the police 新华's three, the bureau the working
    // committee's one (not the communities' below it), the school 凤凰's two.
    let police = list_all(&app, &w.c1_liaison.access, json!({}), 100).await;
    assert_eq!(names(&police), BTreeMap::from([("新华社区".to_owned(), 3)]));
    let bureau = list_all(&app, &k.bureau.liaison.access, json!({}), 100).await;
    assert_eq!(names(&bureau), BTreeMap::from([("沙坪街道".to_owned(), 1)]));
    let school = list_all(&app, &k.school.liaison.access, json!({"r": w.c1}), 100).await;
    assert!(school.is_empty(), "a region narrows, never widens");
    let unknown = uuid::Uuid::now_v7().to_string();
    let school = list_all(&app, &k.school.liaison.access, json!({"r": unknown}), 100).await;
    assert!(school.is_empty());
    let school = list_all(&app, &k.school.liaison.access, json!({}), 100).await;
    assert_eq!(names(&school), BTreeMap::from([("凤凰社区".to_owned(), 2)]));
    // A cursor that names no record is refused.
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            LIST,
            json!({"n": 100, "a": "bm90LWEtdXVpZA"}),
        )
        .await;
    assert_field(&body, "after");
}

#[tokio::test]
async fn follow_through_and_dashboard_count_what_the_list_shows() {
    let app = spawn_app().await;
    let k = committees(&app).await;
    seven_records(&app, &k).await;
    let w = &k.w;
    let sd1 = w.sd1_admin.access.as_str();
    let (from, to) = ("2026-10-01", "2026-11-02");

    // What the list shows for the window, per committee: (meetings, activities, people).
    let listed = list_all(&app, sd1, json!({"r": w.sd1, "f": from, "t": to}), 100).await;
    let mut expected: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for n in &listed {
        let e = expected
            .entry(n["region"]["id"].as_str().unwrap().to_owned())
            .or_default();
        match n["kind"].as_str().unwrap() {
            "MEETING" => e.0 += 1,
            _ => e.1 += 1,
        }
        e.2 += n["peopleReached"].as_i64().unwrap();
    }
    assert_eq!(
        expected.get(&w.c1),
        Some(&(0, 2, 245)),
        "September's meeting is outside the window"
    );
    assert_eq!(expected.get(&w.c2), Some(&(1, 1, 312)));
    assert_eq!(expected.get(&w.sd1), Some(&(1, 0, 0)));

    let body = app
        .gql(
            Some(sd1),
            "query($r:UUID,$f:NaiveDate!,$t:NaiveDate!){serviceFollowThrough(regionId:$r,from:$f,to:$t){
              committees{committeeRegion{id} meetings activities peopleReached}
              units{unit{id} meetings activities peopleReached}
              totals{meetings activities peopleReached}}}",
            json!({"r": w.sd1, "f": from, "t": to}),
        )
        .await;
    assert_ok(&body);
    let report = &body["data"]["serviceFollowThrough"];
    let triple = |row: &Value| {
        (
            row["meetings"].as_i64().unwrap(),
            row["activities"].as_i64().unwrap(),
            row["peopleReached"].as_i64().unwrap(),
        )
    };
    let committees: BTreeMap<String, (i64, i64, i64)> = report["committees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["committeeRegion"]["id"].as_str().unwrap().to_owned(),
                triple(c),
            )
        })
        .filter(|(_, t)| *t != (0, 0, 0))
        .collect();
    assert_eq!(committees, expected);
    assert_eq!(triple(&report["totals"]), (2, 3, 557));
    // Per unit: the ones it took part in.
    let units: BTreeMap<String, (i64, i64, i64)> = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["unit"]["id"].as_str().unwrap().to_owned(), triple(u)))
        .filter(|(_, t)| *t != (0, 0, 0))
        .collect();
    assert_eq!(
        units,
        BTreeMap::from([
            (w.unit_id.clone(), (0, 2, 245)),
            (k.school.id.clone(), (1, 1, 312)),
            (k.bureau.id.clone(), (1, 0, 0)),
        ])
    );

    // The dashboard's service block: the same sums, for the region's subtree and window.
    let dashboard = |region: String, token: String| {
        let app = &app;
        async move {
            let body = app
                .gql(
                    Some(&token),
                    "query($r:UUID!,$f:NaiveDate!,$t:NaiveDate!){dashboard(regionId:$r,from:$f,to:$t){
                      service{meetings activities peopleReached}}}",
                    json!({"r": region, "f": from, "t": to}),
                )
                .await;
            assert_ok(&body);
            triple(&body["data"]["dashboard"]["service"])
        }
    };
    assert_eq!(dashboard(w.sd1.clone(), sd1.to_owned()).await, (2, 3, 557));
    assert_eq!(dashboard(w.c2.clone(), sd1.to_owned()).await, (1, 1, 312));
    assert_eq!(
        dashboard(w.c1.clone(), w.c1_worker.access.clone()).await,
        (0, 2, 245)
    );
    // The whole city: 东溪村's activity too.
    let city = list_all(&app, &w.admin.access, json!({"f": from, "t": to}), 100).await;
    let people: i64 = city
        .iter()
        .map(|n| n["peopleReached"].as_i64().unwrap())
        .sum();
    assert_eq!(people, 557 + 77);
    assert_eq!(
        dashboard(w.sd2.clone(), w.admin.access.clone()).await,
        (0, 1, 77)
    );
    // From September on, 新华's September meeting counts.
    let body = app
        .gql(
            Some(sd1),
            "query($r:UUID!){dashboard(regionId:$r,from:\"2026-09-01\",to:\"2026-11-02\"){service{meetings activities peopleReached}}}",
            json!({"r": w.c1}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(triple(&body["data"]["dashboard"]["service"]), (1, 2, 250));
}

/// A GraphQL multipart request with one file at `variables.i.photos.0`.
async fn record_with_photo(app: &TestApp, token: &str, vars: Value, photo: Vec<u8>) -> Value {
    let form = reqwest::multipart::Form::new()
        .text(
            "operations",
            json!({"query": RECORD, "variables": vars}).to_string(),
        )
        .text("map", json!({"0": ["variables.i.photos.0"]}).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(photo)
                .file_name("0.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
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

async fn fetch(app: &TestApp, token: &str, url: &str) -> u16 {
    app.client
        .get(format!("{}{}", app.address, url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn photos_are_seen_by_who_sees_the_activity() {
    let app = spawn_app().await;
    let k = committees(&app).await;
    let w = &k.w;
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend((0..2000).map(|i| (i % 251) as u8));
    let body = record_with_photo(
        &app,
        &w.c1_worker.access,
        input(&w.c1, &[&w.unit_id], json!({"photos": [null]})),
        jpeg.clone(),
    )
    .await;
    assert_ok(&body);
    let url = body["data"]["recordCommitteeActivity"]["photos"][0]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    assert_eq!(fetch(&app, &w.c1_worker.access, &url).await, 200);
    assert_eq!(fetch(&app, &w.c1_liaison.access, &url).await, 200);
    assert_eq!(fetch(&app, &w.sd1_admin.access, &url).await, 200);
    assert_eq!(fetch(&app, &k.school.liaison.access, &url).await, 404);
    assert_eq!(fetch(&app, &w.sd2_admin.access, &url).await, 404);
    assert_eq!(fetch(&app, &w.g1_member.access, &url).await, 404);
    // Not a picture: refused with the field, nothing recorded.
    let body = record_with_photo(
        &app,
        &w.c1_worker.access,
        input(&w.c1, &[&w.unit_id], json!({"photos": [null]})),
        b"not a picture at all".to_vec(),
    )
    .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(
        list_all(&app, &w.admin.access, json!({}), 100).await.len(),
        1
    );
}

#[tokio::test]
async fn the_demo_data_holds_the_articles_meetings_and_activities() {
    let app = spawn_app().await;
    demo(&app.state).await.expect("seed");
    demo(&app.state).await.expect("seed again");
    let admin = app.login(DEMO_ACCOUNTS[0].phone, DEMO_PASSWORD).await;
    let region = |name: &'static str| {
        let app = &app;
        let token = admin.access.clone();
        async move {
            let body = app
                .gql(
                    Some(&token),
                    "query($s:String){regions(first:5,search:$s){edges{node{id name}}}}",
                    json!({ "s": name }),
                )
                .await;
            body["data"]["regions"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["node"]["name"] == name)
                .unwrap_or_else(|| panic!("no {name}: {body}"))["node"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let tangxia = region("棠下镇").await;
    let fenghuang = region("凤凰社区").await;
    // "累计召开“大党委”联席会议8场次，开展共建活动18场次……惠及群众超3万人次" (棠下镇).
    let today = gridhub::domain::service_item::shanghai_day(app.state.now());
    let from = today - chrono::Days::new(365);
    let listed = list_all(
        &app,
        &admin.access,
        json!({"r": tangxia, "f": from, "t": today}),
        100,
    )
    .await;
    let meetings = listed.iter().filter(|n| n["kind"] == "MEETING").count();
    let activities = listed.iter().filter(|n| n["kind"] == "ACTIVITY").count();
    let people: i64 = listed
        .iter()
        .map(|n| n["peopleReached"].as_i64().unwrap())
        .sum();
    assert_eq!(
        (meetings, activities),
        (8, 18),
        "seeding twice adds nothing"
    );
    assert!(people > 30_000, "{people}");
    let body = app
        .gql(
            Some(&admin.access),
            "query($r:UUID!,$f:NaiveDate!,$t:NaiveDate!){dashboard(regionId:$r,from:$f,to:$t){service{meetings activities peopleReached}}}",
            json!({"r": tangxia, "f": from, "t": today}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(
        body["data"]["dashboard"]["service"],
        json!({"meetings": 8, "activities": 18, "peopleReached": people})
    );
    // 凤凰社区's committee holds its own, seen by its community worker and by the drivers'
    // liaison (the branch sits on it).
    let worker = app.login(DEMO_ACCOUNTS[2].phone, DEMO_PASSWORD).await;
    let mine = list_all(&app, &worker.access, json!({"r": fenghuang}), 100).await;
    assert!(
        mine.iter().any(|n| n["kind"] == "MEETING") && mine.iter().any(|n| n["kind"] == "ACTIVITY"),
        "{mine:?}"
    );
    let drivers = app.login(DEMO_ACCOUNTS[4].phone, DEMO_PASSWORD).await;
    let theirs = list_all(&app, &drivers.access, json!({}), 100).await;
    assert!(!theirs.is_empty());
    assert!(
        theirs.iter().all(|n| n["region"]["name"] == "凤凰社区"),
        "{theirs:?}"
    );
}

async fn statements_for(app: &TestApp, token: &str, first: usize) -> u64 {
    let query = format!(
        "{{committeeActivities(first:{first}){{edges{{node{{id kindLabel region{{name}} units{{name}}
          serviceItems{{title region{{name}}}} photos{{url}} recordedBy{{name}}}}}}}}}}"
    );
    let before = app.statements().await;
    let body = app.gql(Some(token), &query, json!({})).await;
    assert_ok(&body);
    assert_eq!(
        body["data"]["committeeActivities"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        first
    );
    app.statements().await - before
}

#[tokio::test]
async fn nested_fields_of_a_page_cost_the_same_statements_for_2_or_12_records() {
    let app = spawn_app().await;
    let k = committees(&app).await;
    let w = &k.w;
    for i in 0..12 {
        record(
            &app,
            &w.c1_worker.access,
            input(
                &w.c1,
                &[&w.unit_id],
                json!({"title": format!("联席会议{i}"), "serviceItemIds": [k.c1_need]}),
            ),
        )
        .await;
    }
    for token in [&w.c1_worker.access, &w.c1_liaison.access] {
        // The caller is resolved (and cached) first, so both counts are the page's alone.
        assert_ok(&app.gql(Some(token), "{ me { id } }", json!({})).await);
        let small = statements_for(&app, token, 2).await;
        let large = statements_for(&app, token, 12).await;
        assert_eq!(small, large, "statements grew with the page size");
    }
}
