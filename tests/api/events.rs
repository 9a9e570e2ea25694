//! Events: reporting (idempotent, offline sync, photos), the workflow and who may do what,
//! deadlines and the breach sweep, duplicates, points and the leaderboard, the list.
use crate::helpers::*;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

const EVENT_FIELDS: &str = "id state level title category priority reporterName reporterKind resolution satisfaction pausedSeconds capturedAt reportedAt location{lat lng address} assignedUnit{id name} deadlines{stage dueAt metAt status breachedAt} overdue photos{id url contentType sizeBytes sha256} timeline{action fromState toState note actorName unitName stage pausedSeconds mergedEventIds photos{id}}";

fn report_query() -> String {
    format!("mutation($i:ReportInput!){{reportEvent(input:$i){{{EVENT_FIELDS}}}}}")
}

/// A JPEG as far as its magic bytes go, varied by `seed`.
fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..len.saturating_sub(4)).map(|i| (i as u8).wrapping_mul(seed)));
    bytes
}

fn now(app: &TestApp) -> DateTime<Utc> {
    app.state.now()
}

fn report_input(app: &TestApp, grid: &str, title: &str) -> Value {
    json!({
        "clientId": uuid::Uuid::now_v7(),
        "category": "SAFETY_HAZARD",
        "source": "PATROL",
        "priority": "NORMAL",
        "title": title,
        "description": "井盖松动，电动车经过有翻车危险",
        "location": {"lat": 22.7601, "lng": 112.9601, "address": "沙坪街道新华路 12 号"},
        "capturedAt": (now(app) - Duration::minutes(2)).to_rfc3339(),
        "gridId": grid,
    })
}

async fn report(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(Some(token), &report_query(), json!({ "i": input }))
        .await
}

async fn reported(app: &TestApp, token: &str, input: Value) -> Value {
    let body = report(app, token, input).await;
    assert_ok(&body);
    body["data"]["reportEvent"].clone()
}

/// A workflow mutation by name with extra arguments (`id` is always passed).
async fn act(app: &TestApp, token: &str, mutation: &str, id: &str, args: Value) -> Value {
    let mut decl = vec!["$id:UUID!".to_owned()];
    let mut pass = vec!["id:$id".to_owned()];
    let mut vars = json!({ "id": id });
    if let Value::Object(map) = args {
        for (k, v) in map {
            let ty = match k.as_str() {
                "unitId" | "duplicateOfId" => "UUID",
                "satisfaction" => "Int",
                "resolution" => "Resolution",
                "reason" | "result" => "String!",
                _ => "String",
            };
            decl.push(format!("${k}:{ty}"));
            pass.push(format!("{k}:${k}"));
            vars[k] = v;
        }
    }
    let query = format!(
        "mutation({}){{{mutation}({}){{{EVENT_FIELDS}}}}}",
        decl.join(","),
        pass.join(",")
    );
    app.gql(Some(token), &query, vars).await
}

async fn acted(app: &TestApp, token: &str, mutation: &str, id: &str, args: Value) -> Value {
    let body = act(app, token, mutation, id, args).await;
    assert_ok(&body);
    body["data"][mutation].clone()
}

/// Accepted, then dispatched by `worker` with `args` (`unitId`, `instructions`).
async fn dispatched(app: &TestApp, worker: &str, id: &str, args: Value) -> Value {
    acted(app, worker, "acceptEvent", id, json!({})).await;
    acted(app, worker, "dispatchEvent", id, args).await
}

async fn fetch_event(app: &TestApp, token: &str, id: &str) -> Value {
    let body = app
        .gql(
            Some(token),
            &format!("query($id:UUID!){{event(id:$id){{{EVENT_FIELDS}}}}}"),
            json!({"id": id}),
        )
        .await;
    assert_ok(&body);
    body["data"]["event"].clone()
}

fn actions(event: &Value) -> Vec<String> {
    event["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap().to_owned())
        .collect()
}

fn deadline<'a>(event: &'a Value, stage: &str) -> &'a Value {
    event["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["stage"] == stage)
        .unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn a_report_goes_from_patrol_to_closed_through_a_member_unit_and_back_when_not_fixed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let event = reported(
        &app,
        &w.g1_member.access,
        report_input(&app, &w.g1, "新华路井盖松动"),
    )
    .await;
    let id = event["id"].as_str().unwrap();
    assert_eq!(event["state"], "REPORTED");
    assert_eq!(event["reporterKind"], "PART_TIME");
    assert_eq!(actions(&event), ["REPORTED"]);

    // The unit liaison cannot see it before it is dispatched to its unit.
    let body = app
        .gql(
            Some(&w.c1_liaison.access),
            "query($id:UUID!){event(id:$id){id}}",
            json!({"id": id}),
        )
        .await;
    assert_code(&body, "NOT_FOUND");

    let accepted = acted(&app, &w.c1_worker.access, "acceptEvent", id, json!({})).await;
    assert_eq!(accepted["state"], "ACCEPTED");
    assert_eq!(deadline(&accepted, "ACCEPT")["status"], "MET");
    let dispatched = acted(
        &app,
        &w.c1_worker.access,
        "dispatchEvent",
        id,
        json!({"unitId": w.unit_id, "instructions": "请交警大队协调路政修复"}),
    )
    .await;
    assert_eq!(dispatched["state"], "DISPATCHED");
    assert_eq!(dispatched["assignedUnit"]["id"], w.unit_id.as_str());
    assert_eq!(deadline(&dispatched, "PLAN")["status"], "MET");

    // Now the liaison sees and works it.
    let started = acted(&app, &w.c1_liaison.access, "startEvent", id, json!({})).await;
    assert_eq!(started["state"], "IN_PROGRESS");
    let resolved = acted(
        &app,
        &w.c1_liaison.access,
        "resolveEvent",
        id,
        json!({"result": "已更换井盖"}),
    )
    .await;
    assert_eq!(resolved["state"], "RESOLVED");
    assert_eq!(resolved["resolution"], "HANDLED");

    // The reporter says it is not fixed: back to the unit, close clock restarted from now.
    app.clock.advance(Duration::hours(30));
    let reopened = acted(
        &app,
        &w.g1_member.access,
        "reopenEvent",
        id,
        json!({"reason": "井盖仍然松动"}),
    )
    .await;
    assert_eq!(reopened["state"], "DISPATCHED");
    let close_due: DateTime<Utc> = deadline(&reopened, "CLOSE")["dueAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(close_due, now(&app) + Duration::days(7));
    assert!(deadline(&reopened, "CLOSE")["metAt"].is_null());

    acted(&app, &w.c1_liaison.access, "startEvent", id, json!({})).await;
    acted(
        &app,
        &w.c1_liaison.access,
        "resolveEvent",
        id,
        json!({"result": "重新加固"}),
    )
    .await;
    // The liaison may not close: the community verifies.
    let body = act(&app, &w.c1_liaison.access, "closeEvent", id, json!({})).await;
    assert_code(&body, "FORBIDDEN");
    let closed = acted(
        &app,
        &w.c1_worker.access,
        "closeEvent",
        id,
        json!({"satisfaction": 5}),
    )
    .await;
    assert_eq!(closed["state"], "CLOSED");
    assert_eq!(closed["satisfaction"], 5);
    assert_eq!(deadline(&closed, "CLOSE")["status"], "MET");
    assert_eq!(
        actions(&closed),
        [
            "REPORTED",
            "ACCEPTED",
            "DISPATCHED",
            "STARTED",
            "RESOLVED",
            "REOPENED",
            "STARTED",
            "RESOLVED",
            "CLOSED"
        ]
    );
    let dispatch_entry = &closed["timeline"][2];
    assert_eq!(dispatch_entry["unitName"], "鹤山市公安局交通警察大队");
    assert_eq!(dispatch_entry["note"], "请交警大队协调路政修复");
    assert_eq!(dispatch_entry["fromState"], "ACCEPTED");
    assert_eq!(dispatch_entry["toState"], "DISPATCHED");

    // Every step is in the audit log, and so is the liaison's refused attempt to close.
    let audit = app
        .gql(
            Some(&w.admin.access),
            "{auditLog(first:100){edges{node{action outcome}}}}",
            json!({}),
        )
        .await;
    let logged: Vec<(&str, &str)> = audit["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            Some((
                e["node"]["action"].as_str()?,
                e["node"]["outcome"].as_str()?,
            ))
        })
        .filter(|(a, _)| a.starts_with("event."))
        .collect();
    let succeeded = logged.iter().filter(|(_, o)| *o == "SUCCESS").count();
    assert_eq!(succeeded, 9, "{logged:?}");
    let denied: Vec<&str> = logged
        .iter()
        .filter(|(_, o)| *o == "DENIED")
        .map(|(a, _)| *a)
        .collect();
    assert_eq!(denied, ["event.closed"], "{logged:?}");
}

#[tokio::test]
async fn illegal_steps_are_refused_naming_the_current_state() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.c1_worker.access;
    let event = reported(
        &app,
        &w.g1_member.access,
        report_input(&app, &w.g1, "垃圾堆放"),
    )
    .await;
    let id = event["id"].as_str().unwrap();

    for (mutation, args) in [
        ("startEvent", json!({})),
        ("closeEvent", json!({})),
        ("resumeEvent", json!({})),
        ("reopenEvent", json!({"reason": "x"})),
        ("resolveEvent", json!({"result": "x"})),
    ] {
        let body = act(&app, t, mutation, id, args).await;
        assert_code(&body, "INVALID_TRANSITION");
        assert_eq!(
            body["errors"][0]["extensions"]["state"], "REPORTED",
            "{mutation}"
        );
    }
    acted(&app, t, "acceptEvent", id, json!({})).await;
    let body = act(&app, t, "acceptEvent", id, json!({})).await;
    assert_code(&body, "INVALID_TRANSITION");
    assert_eq!(body["errors"][0]["extensions"]["state"], "ACCEPTED");
    let body = act(&app, t, "rejectEvent", id, json!({"reason": "重复"})).await;
    assert_code(&body, "INVALID_TRANSITION");

    // Suspension needs a reason; a suspended event only resumes.
    let body = act(&app, t, "suspendEvent", id, json!({"reason": "  "})).await;
    assert_code(&body, "BAD_USER_INPUT");
    acted(
        &app,
        t,
        "suspendEvent",
        id,
        json!({"reason": "等待供电局停电检修"}),
    )
    .await;
    let body = act(&app, t, "dispatchEvent", id, json!({"unitId": w.unit_id})).await;
    assert_code(&body, "INVALID_TRANSITION");
    assert_eq!(body["errors"][0]["extensions"]["state"], "SUSPENDED");
    let resumed = acted(&app, t, "resumeEvent", id, json!({})).await;
    assert_eq!(resumed["state"], "ACCEPTED");

    acted(&app, t, "startEvent", id, json!({})).await;
    acted(&app, t, "resolveEvent", id, json!({"result": "已清运"})).await;
    acted(&app, t, "closeEvent", id, json!({})).await;
    for (mutation, args) in [
        ("acceptEvent", json!({})),
        ("suspendEvent", json!({"reason": "x"})),
        ("escalateEvent", json!({"reason": "x"})),
        ("reopenEvent", json!({"reason": "x"})),
    ] {
        let body = act(&app, t, mutation, id, args).await;
        assert_code(&body, "INVALID_TRANSITION");
        assert_eq!(
            body["errors"][0]["extensions"]["state"], "CLOSED",
            "{mutation}"
        );
    }
    // Satisfaction out of range, unknown unit: clear input errors, nothing changes.
    let other = reported(
        &app,
        &w.g1_member.access,
        report_input(&app, &w.g1, "占道经营"),
    )
    .await;
    let oid = other["id"].as_str().unwrap();
    acted(&app, t, "acceptEvent", oid, json!({})).await;
    let body = act(
        &app,
        t,
        "dispatchEvent",
        oid,
        json!({"unitId": uuid::Uuid::now_v7()}),
    )
    .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("unitId"));
}

#[tokio::test]
async fn who_may_do_what_follows_roles_levels_and_scope() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let event = reported(
        &app,
        &w.g1_member.access,
        report_input(&app, &w.g1, "楼道堆放杂物"),
    )
    .await;
    let id = event["id"].as_str().unwrap();

    // Out of scope: another sub-district's admin does not even see it.
    let body = act(&app, &w.sd2_admin.access, "acceptEvent", id, json!({})).await;
    assert_code(&body, "NOT_FOUND");
    // Grid members and liaisons do not triage.
    let body = act(&app, &w.g1_member.access, "acceptEvent", id, json!({})).await;
    assert_code(&body, "FORBIDDEN");
    // A liaison cannot report.
    let body = report(
        &app,
        &w.c1_liaison.access,
        report_input(&app, &w.g1, "liaison"),
    )
    .await;
    assert_code(&body, "FORBIDDEN");
    // A grid member cannot report into a grid outside its own.
    let body = report(
        &app,
        &w.g1_member.access,
        report_input(&app, &w.g2, "越界上报"),
    )
    .await;
    assert_code(&body, "NOT_FOUND");

    // Escalated to the sub-district, the community worker no longer triages; the
    // sub-district admin does.
    let escalated = acted(
        &app,
        &w.c1_worker.access,
        "escalateEvent",
        id,
        json!({"reason": "涉及多个社区"}),
    )
    .await;
    assert_eq!(escalated["level"], "SUB_DISTRICT");
    assert_eq!(escalated["state"], "REPORTED");
    let body = act(&app, &w.c1_worker.access, "acceptEvent", id, json!({})).await;
    assert_code(&body, "FORBIDDEN");
    acted(&app, &w.sd1_admin.access, "acceptEvent", id, json!({})).await;
    let up = acted(
        &app,
        &w.sd1_admin.access,
        "escalateEvent",
        id,
        json!({"reason": "需市级协调"}),
    )
    .await;
    assert_eq!(up["level"], "CITY");
    let body = act(
        &app,
        &w.admin.access,
        "escalateEvent",
        id,
        json!({"reason": "再上报"}),
    )
    .await;
    assert_code(&body, "INVALID_TRANSITION");

    // The grid member may settle a small matter of its grid on the spot; a dispatched event
    // belongs to the unit.
    let small = reported(
        &app,
        &w.g1_member.access,
        report_input(&app, &w.g1, "小广告"),
    )
    .await;
    let sid = small["id"].as_str().unwrap();
    let on_site = acted(
        &app,
        &w.g1_member.access,
        "resolveEvent",
        sid,
        json!({"resolution": "ON_SITE", "result": "已清除"}),
    )
    .await;
    assert_eq!(on_site["state"], "RESOLVED");
    assert_eq!(on_site["resolution"], "ON_SITE");
    let body = act(&app, &w.g1_member.access, "closeEvent", sid, json!({})).await;
    assert_code(&body, "FORBIDDEN");

    let big = reported(
        &app,
        &w.g1_member.access,
        report_input(&app, &w.g1, "路面塌陷"),
    )
    .await;
    let bid = big["id"].as_str().unwrap();
    dispatched(&app, &w.c1_worker.access, bid, json!({"unitId": w.unit_id})).await;
    let body = act(&app, &w.g1_member.access, "startEvent", bid, json!({})).await;
    assert_code(&body, "FORBIDDEN");

    // The liaison's list holds only what was dispatched to its unit.
    let body = app
        .gql(
            Some(&w.c1_liaison.access),
            "{events(first:50){edges{node{id}}}}",
            json!({}),
        )
        .await;
    assert_eq!(node_ids(&body["data"]["events"]), vec![bid.to_owned()]);
    // The other sub-district sees none of these.
    let body = app
        .gql(
            Some(&w.sd2_admin.access),
            "{events(first:50){edges{node{id}}}}",
            json!({}),
        )
        .await;
    assert!(node_ids(&body["data"]["events"]).is_empty());
}

#[tokio::test]
async fn concurrent_steps_on_one_event_cannot_both_win() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let event = reported(
        &app,
        &w.g1_member.access,
        report_input(&app, &w.g1, "并发受理"),
    )
    .await;
    let id = event["id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let token = if i % 2 == 0 {
            w.c1_worker.access.clone()
        } else {
            w.sd1_admin.access.clone()
        };
        let (mutation, args) = if i % 3 == 0 {
            ("rejectEvent", json!({"reason": "无效"}))
        } else {
            ("acceptEvent", json!({}))
        };
        let app_ref = &app;
        let id = id.clone();
        tasks.push(async move { act(app_ref, &token, mutation, &id, args).await });
    }
    let results = futures_util::future::join_all(tasks).await;
    let wins = results.iter().filter(|b| b.get("errors").is_none()).count();
    assert_eq!(wins, 1, "{results:?}");
    for body in results.iter().filter(|b| b.get("errors").is_some()) {
        assert_code(body, "INVALID_TRANSITION");
    }
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            &format!("query($id:UUID!){{event(id:$id){{{EVENT_FIELDS}}}}}"),
            json!({"id": id}),
        )
        .await;
    assert_eq!(actions(&body["data"]["event"]).len(), 2);
}

#[tokio::test]
async fn a_retried_report_never_makes_a_second_event() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let input = report_input(&app, &w.g1, "消防通道被占");
    let first = reported(&app, &w.g1_member.access, input.clone()).await;
    let again = reported(&app, &w.g1_member.access, input.clone()).await;
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["reportedAt"], again["reportedAt"]);
    assert_eq!(count(&app, "event").await, 1);

    // Same id, different content: conflict, the first stands.
    let mut changed = input.clone();
    changed["title"] = json!("消防通道被占（补充）");
    let body = report(&app, &w.g1_member.access, changed).await;
    assert_code(&body, "CONFLICT");
    assert_eq!(error_field(&body), Some("clientId"));

    // Another account's id is never replayed to it.
    let body = report(&app, &w.c1_worker.access, input.clone()).await;
    assert_code(&body, "CONFLICT");
    assert!(body["data"].is_null() || body["data"]["reportEvent"].is_null());

    // Twenty identical submissions at once: one event, twenty identical answers.
    let storm = report_input(&app, &w.g1, "暴雨积水");
    let tasks = (0..20).map(|_| report(&app, &w.g1_member.access, storm.clone()));
    let results = futures_util::future::join_all(tasks).await;
    for body in &results {
        assert_ok(body);
        assert_eq!(body["data"]["reportEvent"]["id"], storm["clientId"]);
    }
    assert_eq!(count(&app, "event").await, 2);
    assert_eq!(count(&app, "event_step").await, 2);
}

#[tokio::test]
async fn sync_reports_answers_each_report_on_its_own_in_order() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let good = report_input(&app, &w.g1, "离线上报一");
    let mut bad_location = report_input(&app, &w.g1, "离线上报二");
    bad_location["location"]["lat"] = json!(123.0);
    let mut future = report_input(&app, &w.g1, "离线上报三");
    future["capturedAt"] = json!((now(&app) + Duration::hours(2)).to_rfc3339());
    let mut conflicting = good.clone();
    conflicting["title"] = json!("离线上报一（改）");
    let good2 = report_input(&app, &w.g1, "离线上报四");
    let body = app
        .gql(
            Some(&w.g1_member.access),
            "mutation($r:[ReportInput!]!){syncReports(reports:$r){clientId event{id title} error{code field message}}}",
            json!({"r": [good, bad_location, future, conflicting, good2, good]}),
        )
        .await;
    assert_ok(&body);
    let results = body["data"]["syncReports"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    assert_eq!(results[0]["event"]["title"], "离线上报一");
    assert_eq!(results[1]["error"]["code"], "BAD_USER_INPUT");
    assert_eq!(results[1]["error"]["field"], "location.lat");
    assert_eq!(results[2]["error"]["field"], "capturedAt");
    assert_eq!(results[3]["error"]["code"], "CONFLICT");
    assert_eq!(results[4]["event"]["title"], "离线上报四");
    // The same report twice in one queue is one event.
    assert_eq!(results[5]["event"]["id"], results[0]["event"]["id"]);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["clientId"], body["data"]["syncReports"][i]["clientId"]);
    }
    assert_eq!(count(&app, "event").await, 2);
}

/// A GraphQL multipart request (spec: operations, map, files).
async fn upload(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
    files: Vec<(&str, Vec<u8>, &str, &str)>,
) -> Value {
    let mut map = serde_json::Map::new();
    let mut form = reqwest::multipart::Form::new().text(
        "operations",
        json!({"query": query, "variables": variables}).to_string(),
    );
    for (i, (path, _, _, _)) in files.iter().enumerate() {
        map.insert(i.to_string(), json!([format!("variables.{path}")]));
    }
    form = form.text("map", Value::Object(map).to_string());
    for (i, (_, bytes, mime, name)) in files.into_iter().enumerate() {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
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

#[tokio::test]
async fn photos_are_checked_by_content_stored_once_and_served_only_in_scope() {
    let app = spawn_app_with(|s| s.limits.max_file_bytes = 64 * 1024).await;
    let w = world(&app).await;
    let q = report_query();
    let mut input = report_input(&app, &w.g1, "违章搭建");
    input["photos"] = json!([null, null]);
    let picture = jpeg(7, 2048);
    let body = upload(
        &app,
        &w.g1_member.access,
        &q,
        json!({"i": input}),
        vec![
            ("i.photos.0", picture.clone(), "image/jpeg", "a.jpg"),
            // A JPEG sent as PNG named .png: the bytes decide.
            ("i.photos.1", jpeg(9, 1000), "image/png", "b.png"),
        ],
    )
    .await;
    assert_ok(&body);
    let event = &body["data"]["reportEvent"];
    let photos = event["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[1]["contentType"], "image/jpeg");
    assert_eq!(photos[0]["sizeBytes"], 2048);
    let url = format!("{}{}", app.address, photos[0]["url"].as_str().unwrap());

    // The reporter and the community see the bytes; another sub-district and anonymous do not.
    for token in [&w.g1_member.access, &w.c1_worker.access] {
        let res = app
            .client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(res.bytes().await.unwrap().to_vec(), picture);
    }
    let res = app
        .client
        .get(&url)
        .bearer_auth(&w.sd2_admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);

    // A text file claiming to be a JPEG, too many photos, too big: refused, nothing written.
    let events_before = count(&app, "event").await;
    let photos_before = count(&app, "photo").await;
    let mut lie = report_input(&app, &w.g1, "伪装图片");
    lie["photos"] = json!([null]);
    let body = upload(
        &app,
        &w.g1_member.access,
        &q,
        json!({"i": lie}),
        vec![(
            "i.photos.0",
            b"<html>not a photo</html>".to_vec(),
            "image/jpeg",
            "x.jpg",
        )],
    )
    .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("photos.0"));

    let mut many = report_input(&app, &w.g1, "照片过多");
    many["photos"] = json!(vec![Value::Null; 10]);
    let files = (0..10)
        .map(|i| {
            let path: &'static str = Box::leak(format!("i.photos.{i}").into_boxed_str());
            (path, jpeg(i as u8 + 1, 100), "image/jpeg", "p.jpg")
        })
        .collect();
    let body = upload(&app, &w.g1_member.access, &q, json!({"i": many}), files).await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("photos"));

    let mut big = report_input(&app, &w.g1, "照片过大");
    big["photos"] = json!([null]);
    let body = upload(
        &app,
        &w.g1_member.access,
        &q,
        json!({"i": big}),
        vec![(
            "i.photos.0",
            jpeg(3, 64 * 1024 + 1),
            "image/jpeg",
            "big.jpg",
        )],
    )
    .await;
    assert!(body.get("errors").is_some(), "{body}");
    assert_eq!(count(&app, "event").await, events_before);
    assert_eq!(count(&app, "photo").await, photos_before);

    // Photos on a timeline entry travel with the step.
    let id = event["id"].as_str().unwrap();
    acted(&app, &w.c1_worker.access, "acceptEvent", id, json!({})).await;
    acted(&app, &w.c1_worker.access, "startEvent", id, json!({})).await;
    let body = upload(
        &app,
        &w.c1_worker.access,
        &format!("mutation($id:UUID!,$p:[Upload!]!){{resolveEvent(id:$id,result:\"已拆除\",photos:$p){{{EVENT_FIELDS}}}}}"),
        json!({"id": id, "p": [null]}),
        vec![("p.0", picture.clone(), "image/jpeg", "after.jpg")],
    )
    .await;
    assert_ok(&body);
    let timeline = body["data"]["resolveEvent"]["timeline"].as_array().unwrap();
    assert_eq!(
        timeline.last().unwrap()["photos"].as_array().unwrap().len(),
        1
    );
    // Same content, one blob in the store (local disk, or S3 when TEST_OBJECT_STORE is set).
    use futures_util::StreamExt;
    let blobs = app.state.photos.list(None).count().await;
    assert_eq!(blobs, 2, "two distinct pictures stored");
    if std::env::var_os("TEST_OBJECT_STORE").is_some() {
        assert!(
            !app.data_dir.path().join("photos").exists(),
            "photos went to local disk, not to S3"
        );
    }
}

#[tokio::test]
async fn deadlines_run_from_capture_pause_while_suspended_and_are_swept_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.c1_worker.access;
    let captured = now(&app) - Duration::minutes(10);
    let mut input = report_input(&app, &w.g1, "电线裸露");
    input["capturedAt"] = json!(captured.to_rfc3339());
    let event = reported(&app, &w.g1_member.access, input).await;
    let id = event["id"].as_str().unwrap().to_owned();
    let due: DateTime<Utc> = deadline(&event, "ACCEPT")["dueAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(due, captured + Duration::hours(1));
    assert_eq!(deadline(&event, "ACCEPT")["status"], "PENDING");

    app.clock.advance(Duration::minutes(40));
    assert_eq!(
        deadline(&fetch_event(&app, t, &id).await, "ACCEPT")["status"],
        "DUE_SOON"
    );
    app.clock.advance(Duration::minutes(15));
    let late = fetch_event(&app, t, &id).await;
    assert_eq!(deadline(&late, "ACCEPT")["status"], "BREACHED");
    assert_eq!(late["overdue"], true);

    let overdue = app
        .gql(
            Some(t),
            "{events(filter:{overdue:true}){edges{node{id}}}}",
            json!({}),
        )
        .await;
    assert_eq!(node_ids(&overdue["data"]["events"]), vec![id.clone()]);

    // The sweep records the breach once, however often it runs.
    assert_eq!(
        gridhub::service::event::sweep_breaches(&app.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        gridhub::service::event::sweep_breaches(&app.state)
            .await
            .unwrap(),
        0
    );
    let swept = fetch_event(&app, t, &id).await;
    assert_eq!(
        actions(&swept)
            .iter()
            .filter(|a| *a == "DEADLINE_BREACHED")
            .count(),
        1
    );
    assert_eq!(swept["timeline"][1]["stage"], "ACCEPT");
    assert_eq!(swept["timeline"][1]["actorName"], "系统");
    assert!(deadline(&swept, "ACCEPT")["breachedAt"].is_string());

    // Accepted late: the accept clock stays breached; the plan clock runs. Suspended for five
    // hours, the plan clock moves five hours later and reads the same as before.
    acted(&app, t, "acceptEvent", &id, json!({})).await;
    let before = fetch_event(&app, t, &id).await;
    assert_eq!(deadline(&before, "ACCEPT")["status"], "BREACHED");
    let plan_due: DateTime<Utc> = deadline(&before, "PLAN")["dueAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    acted(
        &app,
        t,
        "suspendEvent",
        &id,
        json!({"reason": "等待产权单位确认"}),
    )
    .await;
    app.clock.advance(Duration::days(3));
    let suspended = fetch_event(&app, t, &id).await;
    assert_eq!(deadline(&suspended, "PLAN")["status"], "PENDING");
    assert_eq!(suspended["overdue"], false);
    assert_eq!(
        gridhub::service::event::sweep_breaches(&app.state)
            .await
            .unwrap(),
        0
    );
    let resumed = acted(&app, t, "resumeEvent", &id, json!({})).await;
    assert_eq!(resumed["state"], "ACCEPTED");
    assert_eq!(resumed["pausedSeconds"], 3 * 24 * 3600);
    let moved: DateTime<Utc> = deadline(&resumed, "PLAN")["dueAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(moved, plan_due + Duration::days(3));
    assert_eq!(deadline(&resumed, "PLAN")["status"], "PENDING");
    assert_eq!(
        resumed["timeline"].as_array().unwrap().last().unwrap()["pausedSeconds"],
        3 * 24 * 3600
    );
}

#[tokio::test]
async fn deadline_rules_are_set_by_category_and_priority() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let set = "mutation($c:EventCategory,$p:EventPriority,$a:Int!,$pl:Int!,$cl:Int!){setDeadlineRule(category:$c,priority:$p,acceptMinutes:$a,planMinutes:$pl,closeMinutes:$cl){category priority acceptMinutes}}";
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            set,
            json!({"c": "FIRE_RISK", "a": 15, "pl": 120, "cl": 1440}),
        )
        .await;
    assert_code(&body, "FORBIDDEN");
    let body = app
        .gql(
            Some(&w.admin.access),
            set,
            json!({"c": "FIRE_RISK", "a": 600, "pl": 120, "cl": 1440}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    for vars in [
        json!({"c": "FIRE_RISK", "a": 15, "pl": 120, "cl": 1440}),
        json!({"c": "FIRE_RISK", "p": "URGENT", "a": 5, "pl": 60, "cl": 720}),
        json!({"c": "FIRE_RISK", "a": 20, "pl": 120, "cl": 1440}),
    ] {
        assert_ok(&app.gql(Some(&w.admin.access), set, vars).await);
    }
    let rules = app
        .gql(
            Some(&w.c1_worker.access),
            "{deadlineRules{category priority acceptMinutes}}",
            json!({}),
        )
        .await;
    assert_eq!(rules["data"]["deadlineRules"].as_array().unwrap().len(), 2);

    let mut fire = report_input(&app, &w.g1, "电动车楼道充电");
    fire["category"] = json!("FIRE_RISK");
    let captured: DateTime<Utc> = fire["capturedAt"].as_str().unwrap().parse().unwrap();
    let event = reported(&app, &w.g1_member.access, fire.clone()).await;
    let due: DateTime<Utc> = deadline(&event, "ACCEPT")["dueAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(due, captured + Duration::minutes(20));
    fire["clientId"] = json!(uuid::Uuid::now_v7());
    fire["priority"] = json!("URGENT");
    let urgent = reported(&app, &w.g1_member.access, fire).await;
    let due: DateTime<Utc> = deadline(&urgent, "CLOSE")["dueAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(due, captured + Duration::minutes(720));
    // Other categories keep the default.
    let plain = reported(&app, &w.g1_member.access, report_input(&app, &w.g1, "普通")).await;
    let captured: DateTime<Utc> = plain["capturedAt"].as_str().unwrap().parse().unwrap();
    let due: DateTime<Utc> = deadline(&plain, "CLOSE")["dueAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(due, captured + Duration::days(7));
}

#[tokio::test]
async fn possible_duplicates_are_near_recent_open_and_of_the_same_category() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let m = &w.g1_member.access;
    let at = |lat: f64, lng: f64, title: &str| {
        let mut i = report_input(&app, &w.g1, title);
        i["location"] = json!({"lat": lat, "lng": lng});
        i
    };
    let origin = reported(&app, m, at(22.760000, 112.960000, "原始")).await;
    // ~30 m north, ~45 m east, ~80 m north.
    let near = reported(&app, m, at(22.760270, 112.960000, "三十米")).await;
    let east = reported(&app, m, at(22.760000, 112.960437, "四十五米")).await;
    reported(&app, m, at(22.760720, 112.960000, "八十米")).await;
    let mut other = at(22.760010, 112.960000, "别的类别");
    other["category"] = json!("SANITATION");
    reported(&app, m, other).await;
    let closed = reported(&app, m, at(22.760050, 112.960000, "已退回")).await;
    let body = act(
        &app,
        &w.c1_worker.access,
        "rejectEvent",
        closed["id"].as_str().unwrap(),
        json!({"reason": "无效"}),
    )
    .await;
    assert_ok(&body);

    let body = app
        .gql(
            Some(&w.c1_worker.access),
            "query($id:UUID!){possibleDuplicates(eventId:$id){distanceMeters event{id title}}}",
            json!({"id": origin["id"]}),
        )
        .await;
    assert_ok(&body);
    let list = body["data"]["possibleDuplicates"].as_array().unwrap();
    let titles: Vec<&str> = list
        .iter()
        .map(|d| d["event"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["三十米", "四十五米"]);
    let d0 = list[0]["distanceMeters"].as_f64().unwrap();
    assert!((29.0..31.0).contains(&d0), "{d0}");
    assert_eq!(list[1]["event"]["id"], east["id"]);

    // Merging: the duplicates point at the target, whose timeline lists them.
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            "mutation($t:UUID!,$s:[UUID!]!){mergeEvents(targetId:$t,sourceIds:$s){id state timeline{action mergedEventIds}}}",
            json!({"t": origin["id"], "s": [near["id"], east["id"]]}),
        )
        .await;
    assert_ok(&body);
    let last = body["data"]["mergeEvents"]["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "MERGED_FROM");
    assert_eq!(last["mergedEventIds"].as_array().unwrap().len(), 2);
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            "query($id:UUID!){event(id:$id){state mergedInto{id}}}",
            json!({"id": near["id"]}),
        )
        .await;
    assert_eq!(body["data"]["event"]["state"], "MERGED");
    assert_eq!(body["data"]["event"]["mergedInto"]["id"], origin["id"]);
    // Merged events are no longer offered.
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            "query($id:UUID!){possibleDuplicates(eventId:$id){event{id}}}",
            json!({"id": origin["id"]}),
        )
        .await;
    assert!(
        body["data"]["possibleDuplicates"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Older than 72 hours: not a duplicate.
    app.clock.advance(Duration::hours(80));
    let fresh = reported(&app, m, at(22.760010, 112.960010, "三天后")).await;
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            "query($id:UUID!){possibleDuplicates(eventId:$id){event{id}}}",
            json!({"id": fresh["id"]}),
        )
        .await;
    assert!(
        body["data"]["possibleDuplicates"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{body}"
    );
}

#[tokio::test]
async fn points_are_a_ledger_and_the_leaderboard_adds_it_up() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let m = &w.g1_member.access;
    let t = &w.c1_worker.access;
    let a = reported(&app, m, report_input(&app, &w.g1, "有效上报一")).await;
    let b = reported(&app, m, report_input(&app, &w.g1, "有效上报二")).await;
    let dup = reported(&app, m, report_input(&app, &w.g1, "重复上报")).await;
    let small = reported(&app, m, report_input(&app, &w.g1, "小事")).await;
    let staff = reported(&app, t, report_input(&app, &w.g1, "工作人员上报")).await;
    acted(&app, t, "acceptEvent", a["id"].as_str().unwrap(), json!({})).await;
    acted(&app, t, "acceptEvent", b["id"].as_str().unwrap(), json!({})).await;
    acted(
        &app,
        t,
        "acceptEvent",
        staff["id"].as_str().unwrap(),
        json!({}),
    )
    .await;
    acted(
        &app,
        t,
        "rejectEvent",
        dup["id"].as_str().unwrap(),
        json!({"reason": "重复", "duplicateOfId": a["id"]}),
    )
    .await;
    acted(
        &app,
        m,
        "resolveEvent",
        small["id"].as_str().unwrap(),
        json!({"resolution": "ON_SITE", "result": "已劝离"}),
    )
    .await;
    acted(
        &app,
        t,
        "closeEvent",
        small["id"].as_str().unwrap(),
        json!({}),
    )
    .await;
    // Accepted, then found to duplicate `a`: the credit is reversed by a new row.
    let body = app
        .gql(
            Some(t),
            "mutation($t:UUID!,$s:[UUID!]!){mergeEvents(targetId:$t,sourceIds:$s){id}}",
            json!({"t": a["id"], "s": [b["id"]]}),
        )
        .await;
    assert_ok(&body);

    let board = |region: String, from: DateTime<Utc>, to: DateTime<Utc>, token: String| {
        let app = &app;
        async move {
            app.gql(
                Some(&token),
                "query($r:UUID!,$f:DateTime!,$t:DateTime!){leaderboard(regionId:$r,from:$f,to:$t){rank accountId name points acceptedReports onSiteResolutions}}",
                json!({"r": region, "f": from.to_rfc3339(), "t": to.to_rfc3339()}),
            )
            .await
        }
    };
    let from = now(&app) - Duration::days(1);
    let to = now(&app) + Duration::days(1);
    let body = board(w.sd1.clone(), from, to, w.sd1_admin.access.clone()).await;
    assert_ok(&body);
    let rows = body["data"]["leaderboard"].as_array().unwrap();
    // Only the grid member earns: a (2) + b (2 − 2) + small accepted at close (2) + on-site (3).
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["accountId"], w.g1_member.account_id.as_str());
    assert_eq!(rows[0]["points"], 7);
    assert_eq!(rows[0]["acceptedReports"], 2);
    assert_eq!(rows[0]["onSiteResolutions"], 1);
    assert_eq!(rows[0]["rank"], 1);

    let ledger = count(&app, "points_ledger").await;
    assert_eq!(ledger, 5);
    // A window before any of it, and another sub-district: nothing.
    let body = board(
        w.sd1.clone(),
        from - Duration::days(30),
        from,
        w.sd1_admin.access.clone(),
    )
    .await;
    assert!(body["data"]["leaderboard"].as_array().unwrap().is_empty());
    let body = board(w.sd2.clone(), from, to, w.sd2_admin.access.clone()).await;
    assert!(body["data"]["leaderboard"].as_array().unwrap().is_empty());
    // A region out of scope is refused.
    let body = board(w.sd1.clone(), from, to, w.sd2_admin.access.clone()).await;
    assert_code(&body, "BAD_USER_INPUT");
}

#[tokio::test]
async fn the_grid_is_found_from_its_boundary_when_not_chosen() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let square = json!({"type": "Polygon", "coordinates": [[[112.95, 22.75], [112.97, 22.75], [112.97, 22.77], [112.95, 22.77], [112.95, 22.75]]]});
    let body = app
        .gql(
            Some(&w.admin.access),
            "mutation($id:UUID!,$i:UpdateRegionInput!){updateRegion(id:$id,input:$i){id}}",
            json!({"id": w.g1, "i": {"boundary": square}}),
        )
        .await;
    assert_ok(&body);
    let mut input = report_input(&app, &w.g1, "自动定位网格");
    input["gridId"] = Value::Null;
    let body = app
        .gql(
            Some(&w.g1_member.access),
            "mutation($i:ReportInput!){reportEvent(input:$i){id grid{id}}}",
            json!({"i": input}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["reportEvent"]["grid"]["id"], w.g1.as_str());

    let mut outside = report_input(&app, &w.g1, "网格外");
    outside["gridId"] = Value::Null;
    outside["location"] = json!({"lat": 22.80, "lng": 112.99});
    let body = report(&app, &w.g1_member.access, outside).await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("location"));
    // A phone without a fix sends 0,0.
    let mut nofix = report_input(&app, &w.g1, "无定位");
    nofix["location"] = json!({"lat": 0.0, "lng": 0.0});
    assert_code(
        &report(&app, &w.g1_member.access, nofix).await,
        "BAD_USER_INPUT",
    );
}

#[tokio::test]
async fn the_events_list_filters_pages_and_batches_nested_fields() {
    let app = spawn_app_with(|s| s.loader_delay = std::time::Duration::from_millis(30)).await;
    let w = world(&app).await;
    let m = &w.g1_member.access;
    let t = &w.c1_worker.access;
    let mut ids = Vec::new();
    for i in 0..30 {
        let mut input = report_input(&app, &w.g1, &format!("事件{i:02}"));
        if i % 3 == 0 {
            input["category"] = json!("SANITATION");
        }
        let e = reported(&app, m, input).await;
        ids.push(e["id"].as_str().unwrap().to_owned());
        app.clock.advance(Duration::seconds(1));
    }
    // The newest is dispatched, so every page measured below holds a unit to load.
    acted(&app, t, "acceptEvent", &ids[29], json!({})).await;
    acted(
        &app,
        t,
        "dispatchEvent",
        &ids[29],
        json!({"unitId": w.unit_id}),
    )
    .await;
    // Newest first, pages follow on.
    let page = "query($a:String,$f:EventFilterInput){events(first:10,after:$a,filter:$f){edges{cursor node{id}} pageInfo{hasNextPage endCursor}}}";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app.gql(Some(t), page, json!({"a": after})).await;
        assert_ok(&body);
        let conn = &body["data"]["events"];
        seen.extend(node_ids(conn));
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let filtered = |f: Value| {
        let app = &app;
        let t = t.clone();
        async move {
            let body = app
                .gql(
                    Some(&t),
                    "query($f:EventFilterInput){events(first:100,filter:$f){edges{node{id}}}}",
                    json!({"f": f}),
                )
                .await;
            assert_ok(&body);
            node_ids(&body["data"]["events"]).len()
        }
    };
    assert_eq!(filtered(json!({"category": "SANITATION"})).await, 10);
    assert_eq!(filtered(json!({"states": ["DISPATCHED"]})).await, 1);
    assert_eq!(filtered(json!({"assignedUnitId": w.unit_id})).await, 1);
    assert_eq!(filtered(json!({"reporterKind": "PART_TIME"})).await, 30);
    assert_eq!(filtered(json!({"reporterKind": "STAFF"})).await, 0);
    assert_eq!(
        filtered(json!({"reporterId": w.g1_member.account_id})).await,
        30
    );
    assert_eq!(filtered(json!({"text": "事件0"})).await, 10);
    assert_eq!(filtered(json!({"text": "%"})).await, 0);
    assert_eq!(filtered(json!({"regionId": w.c1})).await, 30);
    assert_eq!(filtered(json!({"gridId": w.g2})).await, 0);
    assert_eq!(filtered(json!({"overdue": false})).await, 30);
    let mid = now(&app) - Duration::seconds(15);
    assert_eq!(filtered(json!({"from": mid.to_rfc3339()})).await, 15);
    let body = app
        .gql(
            Some(t),
            "query($f:EventFilterInput){events(filter:$f){edges{node{id}}}}",
            json!({"f": {"regionId": w.c3}}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    let body = app
        .gql(
            Some(t),
            "{events(after:\"bm9wZQ\"){edges{node{id}}}}",
            json!({}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");

    // Statements do not grow with the page.
    let nested = "query($n:Int){events(first:$n){edges{node{id grid{name} reporter{name} assignedUnit{name} photos{id} timeline{action actor{name} photos{id}} deadlines{status}}}}}";
    let mut costs = Vec::new();
    // The caller is resolved (and cached) first, so both counts are the page's alone.
    assert_ok(&app.gql(Some(t), "{ me { id } }", json!({})).await);
    for n in [3, 30] {
        let before = app.statements().await;
        let body = app.gql(Some(t), nested, json!({"n": n})).await;
        assert_ok(&body);
        assert_eq!(node_ids(&body["data"]["events"]).len(), n);
        costs.push(app.statements().await - before);
    }
    assert_eq!(costs[0], costs[1], "statements per request: {costs:?}");
}

#[tokio::test]
async fn lists_merge_what_is_reached_by_unit_by_scope_and_by_report_in_order() {
    // A liaison reaches events by unit only, a worker by scope and by report: the list takes
    // each part by its own index and merges them, so pages must still be in order and whole.
    let app = spawn_app().await;
    let w = world(&app).await;
    let worker = &w.c1_worker.access;
    let mut sent = Vec::new();
    for i in 0..5 {
        let event = reported(
            &app,
            &w.g1_member.access,
            report_input(&app, &w.g1, &format!("派遣顺序 {i}")),
        )
        .await;
        let id = event["id"].as_str().unwrap().to_owned();
        app.clock.advance(Duration::minutes(1));
        if i % 2 == 0 {
            acted(&app, worker, "acceptEvent", &id, json!({})).await;
            acted(
                &app,
                worker,
                "dispatchEvent",
                &id,
                json!({"unitId": w.unit_id}),
            )
            .await;
            sent.push(id);
        }
    }
    sent.reverse();
    let page = "query($a:String){events(first:2,after:$a){edges{node{id}} pageInfo{hasNextPage endCursor}}}";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app
            .gql(Some(&w.c1_liaison.access), page, json!({"a": after}))
            .await;
        assert_ok(&body);
        seen.extend(node_ids(&body["data"]["events"]));
        if body["data"]["events"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = body["data"]["events"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, sent);
    // The worker reaches events by scope and what it reported itself: after a grid it reported
    // in moves to another community, its reports there interleave with its community's events.
    let moved = app
        .create_region(&w.admin.access, Some(&w.c1), "GRID", "迁出网格")
        .await;
    let mut expected = Vec::new();
    for i in 0..4 {
        let (grid, token) = if i % 2 == 0 {
            (&moved, worker)
        } else {
            (&w.g1, &w.g1_member.access)
        };
        let title = format!("交错 {i}");
        reported(&app, token, report_input(&app, grid, &title)).await;
        app.clock.advance(Duration::minutes(1));
        expected.push(title);
    }
    let body = app
        .gql(
            Some(&w.admin.access),
            "mutation($id:UUID!,$p:UUID){updateRegion(id:$id,input:{parentId:$p}){id}}",
            json!({"id": moved, "p": w.c2}),
        )
        .await;
    assert_ok(&body);
    expected.reverse();
    expected.extend((0..5).rev().map(|i| format!("派遣顺序 {i}")));
    let page = "query($a:String){events(first:3,after:$a){edges{node{title}} pageInfo{hasNextPage endCursor}}}";
    let mut titles = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app.gql(Some(worker), page, json!({"a": after})).await;
        assert_ok(&body);
        titles.extend(
            body["data"]["events"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["title"].as_str().unwrap().to_owned()),
        );
        if body["data"]["events"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = body["data"]["events"]["pageInfo"]["endCursor"].clone();
    }
    // Of the moved grid it keeps only its own reports (交错 0 and 2); the member's are in g1.
    assert_eq!(titles, expected);
}

#[tokio::test]
async fn a_list_answers_every_field_as_the_event_itself_does_whatever_else_it_asks() {
    // A list reads only the columns its selected fields need: each field, asked alone or with
    // the others, must come out exactly as `event(id)` (whole row) gives it, for events in
    // every state, and an event reached twice (in scope and reported by the caller) comes once.
    let app = spawn_app().await;
    let w = world(&app).await;
    let (member, worker) = (&w.g1_member.access, &w.c1_worker.access);
    let mut ids = Vec::new();
    for (i, token) in [member, member, worker, member, member, worker]
        .iter()
        .enumerate()
    {
        let event = reported(&app, token, report_input(&app, &w.g1, &format!("字段 {i}"))).await;
        ids.push(event["id"].as_str().unwrap().to_owned());
        app.clock.advance(Duration::minutes(1));
    }
    acted(&app, worker, "acceptEvent", &ids[0], json!({})).await;
    acted(
        &app,
        worker,
        "dispatchEvent",
        &ids[0],
        json!({"unitId": w.unit_id}),
    )
    .await;
    acted(
        &app,
        worker,
        "rejectEvent",
        &ids[1],
        json!({"reason": "重复上报"}),
    )
    .await;
    acted(&app, worker, "acceptEvent", &ids[3], json!({})).await;
    acted(
        &app,
        member,
        "resolveEvent",
        &ids[3],
        json!({"result": "已现场处理", "resolution": "ON_SITE"}),
    )
    .await;
    acted(
        &app,
        worker,
        "closeEvent",
        &ids[3],
        json!({"satisfaction": 4}),
    )
    .await;
    acted(&app, worker, "acceptEvent", &ids[4], json!({})).await;
    acted(
        &app,
        worker,
        "suspendEvent",
        &ids[4],
        json!({"reason": "等待产权单位答复"}),
    )
    .await;
    // Two hours on: the unaccepted ones are late.
    app.clock.advance(Duration::hours(2));
    let fields = [
        "id",
        "category",
        "source",
        "priority",
        "title",
        "description",
        "location{lat lng address}",
        "capturedAt",
        "reportedAt",
        "updatedAt",
        "state",
        "level",
        "resolution",
        "satisfaction",
        "suspendedAt",
        "pausedSeconds",
        "reporterName",
        "reporterKind",
        "reporter{id name}",
        "grid{id name}",
        "assignedUnit{id name}",
        "duplicateOf{id}",
        "mergedInto{id}",
        "photos{id}",
        "timeline{action toState}",
        "deadlines{stage dueAt metAt breachedAt status}",
        "overdue",
        "relatedResidents{id}",
        "__typename",
    ];
    let all = fields.join(" ");
    for token in [worker, member] {
        let mut whole = std::collections::HashMap::new();
        for id in &ids {
            let body = app
                .gql(
                    Some(token),
                    &format!("query($id:UUID!){{event(id:$id){{{all}}}}}"),
                    json!({"id": id}),
                )
                .await;
            if error_code(&body) == Some("NOT_FOUND") {
                continue;
            }
            assert_ok(&body);
            whole.insert(id.clone(), body["data"]["event"].clone());
        }
        assert!(whole.len() >= 5, "{token}: {whole:?}");
        for asked in fields.iter().map(|f| f.to_string()).chain([all.clone()]) {
            let body = app
                .gql(
                    Some(token),
                    &format!("{{events(first:50){{edges{{node{{id {asked}}}}} nodes{{id}}}}}}"),
                    json!({}),
                )
                .await;
            assert_ok(&body);
            let nodes = body["data"]["events"]["edges"].as_array().unwrap();
            let listed: Vec<&str> = nodes
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap())
                .collect();
            let mut distinct = listed.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(
                distinct.len(),
                listed.len(),
                "an event came twice: {listed:?}"
            );
            assert_eq!(listed.len(), whole.len(), "{asked}: {listed:?}");
            for edge in nodes {
                let node = &edge["node"];
                let event = &whole[node["id"].as_str().unwrap()];
                let keys: Vec<&String> = node.as_object().unwrap().keys().collect();
                for key in keys {
                    assert_eq!(
                        node[key], event[key],
                        "{key} of {} asked as `{asked}`",
                        node["id"]
                    );
                }
            }
        }
        // Fields behind fragments, inline fragments, aliases and directives are read too.
        let body = app
            .gql(
                Some(token),
                "{events(first:50){...Page}} fragment Page on EventConnection{edges{node{id ...on Event{heading: title} ...Clocks}}} fragment Clocks on Event{deadlines{stage status} grid{name} state @include(if: true) description @skip(if: true)}",
                json!({}),
            )
            .await;
        assert_ok(&body);
        let edges = body["data"]["events"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), whole.len());
        for edge in edges {
            let node = &edge["node"];
            let event = &whole[node["id"].as_str().unwrap()];
            assert_eq!(node["heading"], event["title"]);
            assert_eq!(node["deadlines"].as_array().unwrap().len(), 3);
            for (i, clock) in node["deadlines"].as_array().unwrap().iter().enumerate() {
                assert_eq!(clock["status"], event["deadlines"][i]["status"]);
            }
            assert_eq!(node["grid"], json!({"name": event["grid"]["name"]}));
            assert_eq!(node["state"], event["state"]);
            assert!(node.get("description").is_none());
        }
    }
}

/// `event(id)` reads the grid in the event's own statement when the document asks for it: the
/// grid comes only where the caller's scope holds it, however the field is asked for, and an
/// event out of reach stays out of reach.
#[tokio::test]
async fn an_events_grid_comes_with_it_only_within_the_callers_scope() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let event = reported(
        &app,
        &w.g1_member.access,
        report_input(&app, &w.g1, "路灯不亮"),
    )
    .await;
    let id = event["id"].as_str().unwrap();
    dispatched(
        &app,
        &w.c1_worker.access,
        id,
        json!({"unitId": w.unit_id, "instructions": "请维修路灯"}),
    )
    .await;
    let documents = [
        "query($id:UUID!){event(id:$id){id title grid{id name} timeline{action}}}",
        "query($id:UUID!){event(id:$id){...E}} fragment E on Event{id title grid{id name}}",
        "query($id:UUID!){event(id:$id){id ...on Event{title} where: grid{id name}}}",
        "query($id:UUID!){event(id:$id){id title grid @include(if: true){id name}}}",
    ];
    for document in documents {
        let grid = |body: &Value| {
            let event = &body["data"]["event"];
            event.get("grid").or(event.get("where")).cloned().unwrap()
        };
        // The community worker's scope holds the grid.
        let body = app
            .gql(Some(&w.c1_worker.access), document, json!({"id": id}))
            .await;
        assert_ok(&body);
        assert_eq!(body["data"]["event"]["title"], "路灯不亮", "{document}");
        assert_eq!(grid(&body)["id"], w.g1.as_str(), "{document}");
        assert_eq!(grid(&body)["name"], "新华第一网格", "{document}");
        // The unit's liaison reaches the event (dispatched to its unit), not its grid.
        let body = app
            .gql(Some(&w.c1_liaison.access), document, json!({"id": id}))
            .await;
        assert_ok(&body);
        assert_eq!(body["data"]["event"]["id"], id, "{document}");
        assert!(grid(&body).is_null(), "{document}: {body}");
        // The other sub-district's admin does not reach the event at all.
        let body = app
            .gql(Some(&w.sd2_admin.access), document, json!({"id": id}))
            .await;
        assert_code(&body, "NOT_FOUND");
    }
    // Without the grid asked, the same event.
    let body = app
        .gql(
            Some(&w.c1_liaison.access),
            "query($id:UUID!){event(id:$id){id title}}",
            json!({"id": id}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["event"]["title"], "路灯不亮");
}

/// `event(id)` reads its photos and timeline in the event's own statement (on PostgreSQL): they
/// are the same as a list's loaders read, in upload order and oldest first, for every caller
/// that reaches the event however it reaches it; an event without photos has none.
#[tokio::test]
async fn an_events_photos_and_timeline_are_the_same_read_with_it_or_by_the_loaders() {
    // What JSON must escape, as a note may hold it.
    const NOTE: &str = "请补装\"井盖\" \\ 第二行\n\t制表 😀 </script>";
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut input = report_input(&app, &w.g1, "井盖缺失");
    input["photos"] = json!([null, null]);
    let body = upload(
        &app,
        &w.g1_member.access,
        &report_query(),
        json!({"i": input}),
        vec![
            ("i.photos.0", jpeg(3, 1500), "image/jpeg", "a.jpg"),
            ("i.photos.1", jpeg(5, 900), "image/jpeg", "b.jpg"),
        ],
    )
    .await;
    assert_ok(&body);
    let id = body["data"]["reportEvent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    dispatched(
        &app,
        &w.c1_worker.access,
        &id,
        json!({"unitId": w.unit_id, "instructions": NOTE}),
    )
    .await;
    let bare = reported(&app, &w.g1_member.access, report_input(&app, &w.g1, "无图")).await;
    let bare = bare["id"].as_str().unwrap().to_owned();

    let fields = "id photos{id sha256 contentType sizeBytes} timeline{action fromState toState actorName note createdAt photos{id}}";
    let detail = format!("query($id:UUID!){{event(id:$id){{grid{{name}} {fields}}}}}");
    let listed = format!("{{events(first:50){{edges{{node{{{fields}}}}}}}}}");
    for token in [
        &w.c1_worker.access,
        &w.c1_liaison.access,
        &w.g1_member.access,
    ] {
        let body = app.gql(Some(token), &listed, json!({})).await;
        assert_ok(&body);
        let by_loaders = |id: &str| {
            body["data"]["events"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| &e["node"])
                .find(|n| n["id"] == id)
                .cloned()
        };
        let one = app.gql(Some(token), &detail, json!({"id": id})).await;
        assert_ok(&one);
        let event = &one["data"]["event"];
        let sizes: Vec<_> = event["photos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["sizeBytes"].as_i64().unwrap())
            .collect();
        assert_eq!(sizes, [1500, 900], "{one}");
        assert_eq!(
            actions(event),
            ["REPORTED", "ACCEPTED", "DISPATCHED"],
            "{one}"
        );
        assert_eq!(event["timeline"][0]["toState"], "REPORTED");
        assert_eq!(event["timeline"][2]["note"], NOTE);
        let listed = by_loaders(&id).expect("the event in the caller's list");
        assert_eq!(event["photos"], listed["photos"]);
        assert_eq!(event["timeline"], listed["timeline"]);
        if token != &w.c1_liaison.access {
            let one = app.gql(Some(token), &detail, json!({"id": bare})).await;
            assert_ok(&one);
            assert_eq!(one["data"]["event"]["photos"], json!([]));
            assert_eq!(actions(&one["data"]["event"]), ["REPORTED"]);
            assert_eq!(
                one["data"]["event"]["timeline"],
                by_loaders(&bare).unwrap()["timeline"]
            );
        }
    }
    // On PostgreSQL grid, photos and timeline come in the event's statement; the timeline's
    // photos take a second.
    if on_postgres() {
        let asked = app
            .statements_for(&w.c1_worker.access, &detail, json!({"id": id}))
            .await;
        assert_eq!(asked, 2);
    }
    // Out of reach: nothing of it.
    let body = app
        .gql(Some(&w.sd2_admin.access), &detail, json!({"id": id}))
        .await;
    assert_code(&body, "NOT_FOUND");
    assert!(body["data"].is_null() || body["data"]["event"].is_null());
}

/// A list reads its rows' grids, reporters and units in its own statement (on PostgreSQL), each
/// only where the caller may see it, exactly as `event(id)` answers them through the loaders:
/// the unit's liaison sees its unit but neither the grid nor the rider who reported (outside its
/// scope), the community worker sees all three, the rider its own report but not a unit of the
/// community.
#[tokio::test]
async fn a_lists_reporters_and_units_are_those_the_caller_may_see() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // A unit of the community itself: the community's staff see it, a rider of one of its
    // grids does not.
    let body = app
        .gql(
            Some(&w.admin.access),
            "mutation($i:CreateMemberUnitInput!){createMemberUnit(input:$i){id}}",
            json!({"i": {"name": "新华社区物业", "kind": "ENTERPRISE", "regionId": w.c1}}),
        )
        .await;
    assert_ok(&body);
    let local = body["data"]["createMemberUnit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = Vec::new();
    for (title, unit) in [
        ("派单一", Some(&w.unit_id)),
        ("未派单", None),
        ("派给社区单位", Some(&local)),
    ] {
        let event = reported(&app, &w.g1_member.access, report_input(&app, &w.g1, title)).await;
        let id = event["id"].as_str().unwrap().to_owned();
        if let Some(unit) = unit {
            dispatched(&app, &w.c1_worker.access, &id, json!({"unitId": unit})).await;
        }
        ids.push(id);
        app.clock.advance(Duration::minutes(1));
    }
    let fields =
        "id grid{id name} reporter{id name role disabled createdAt phone} assignedUnit{id name}";
    let listed = format!("{{events(first:50){{edges{{node{{{fields}}}}}}}}}");
    let one = format!("query($id:UUID!){{event(id:$id){{{fields}}}}}");
    let mut seen = std::collections::HashMap::new();
    for (who, token) in [
        ("liaison", &w.c1_liaison.access),
        ("worker", &w.c1_worker.access),
        ("member", &w.g1_member.access),
    ] {
        let body = app.gql(Some(token), &listed, json!({})).await;
        assert_ok(&body);
        for edge in body["data"]["events"]["edges"].as_array().unwrap() {
            let node = &edge["node"];
            let id = node["id"].as_str().unwrap();
            if !ids.iter().any(|i| i == id) {
                continue;
            }
            let alone = app.gql(Some(token), &one, json!({"id": id})).await;
            assert_ok(&alone);
            assert_eq!(node, &alone["data"]["event"], "{who}");
            seen.insert((who, id.to_owned()), node.clone());
        }
    }
    let dispatched = &ids[0];
    let liaison = &seen[&("liaison", dispatched.clone())];
    assert!(liaison["reporter"].is_null(), "{liaison}");
    assert!(liaison["grid"].is_null(), "{liaison}");
    assert_eq!(liaison["assignedUnit"]["id"], w.unit_id.as_str());
    assert!(!seen.contains_key(&("liaison", ids[1].clone())));
    let worker = &seen[&("worker", dispatched.clone())];
    assert_eq!(worker["reporter"]["id"], w.g1_member.account_id.as_str());
    assert_eq!(worker["assignedUnit"]["id"], w.unit_id.as_str());
    // The reporter as a list reads it along: its role, and its phone masked for another and
    // whole for itself (decrypted from what was read).
    assert_eq!(worker["reporter"]["role"], "GRID_MEMBER", "{worker}");
    assert_eq!(worker["reporter"]["disabled"], false, "{worker}");
    let masked = worker["reporter"]["phone"].as_str().unwrap();
    assert!(masked.contains("****") && masked.len() == 11, "{worker}");
    let own = seen[&("member", dispatched.clone())]["reporter"]["phone"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        own.len() == 11 && own.chars().all(|c| c.is_ascii_digit()) && own.ends_with(&masked[7..]),
        "{own} / {masked}"
    );
    assert_eq!(worker["grid"]["id"], w.g1.as_str());
    let member = &seen[&("member", ids[1].clone())];
    assert_eq!(member["reporter"]["id"], w.g1_member.account_id.as_str());
    assert!(member["assignedUnit"].is_null());
    // The rider's own report, dispatched to a unit of the community: the unit is not the
    // rider's to see.
    let member = &seen[&("member", ids[2].clone())];
    assert_eq!(member["reporter"]["id"], w.g1_member.account_id.as_str());
    assert!(member["assignedUnit"].is_null(), "{member}");
    let worker = &seen[&("worker", ids[2].clone())];
    assert_eq!(worker["assignedUnit"]["id"], local.as_str());
    // On PostgreSQL grids, reporters and units come in the list's statement.
    if on_postgres() {
        let asked = app
            .statements_for(&w.c1_worker.access, &listed, json!({}))
            .await;
        assert_eq!(asked, 1);
    }
    // Another sub-district lists neither.
    let body = app.gql(Some(&w.sd2_admin.access), &listed, json!({})).await;
    assert_ok(&body);
    assert!(!body.to_string().contains(dispatched.as_str()));
}

/// A list that shows its rows' reporters and units by name reads only their names (still in
/// its one statement on PostgreSQL, still only where the caller may see them), and a field that
/// asks more of such an account or unit elsewhere in the document gets the whole row, not a
/// name with blanks: here a rejected duplicate's original, reached from the list, shows its
/// reporter's role and phone and its unit's kind as `event(id)` does.
#[tokio::test]
async fn a_list_that_shows_names_reads_the_rest_only_when_asked() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let original = reported(&app, &w.g1_member.access, report_input(&app, &w.g1, "原报")).await;
    let original = original["id"].as_str().unwrap().to_owned();
    dispatched(
        &app,
        &w.c1_worker.access,
        &original,
        json!({"unitId": w.unit_id}),
    )
    .await;
    app.clock.advance(Duration::minutes(1));
    let copy = reported(&app, &w.g1_member.access, report_input(&app, &w.g1, "重报")).await;
    let copy = copy["id"].as_str().unwrap().to_owned();
    acted(
        &app,
        &w.c1_worker.access,
        "rejectEvent",
        &copy,
        json!({"reason": "重复", "duplicateOfId": original}),
    )
    .await;
    let whole = "reporter{id name role disabled createdAt phone} \
                 assignedUnit{id name kind contactName address createdAt}";
    // Names alone, beside the whole rows, for each caller: the same names, the same nulls.
    let names =
        "{events(first:50){edges{node{id reporter{id name} assignedUnit{__typename id name}}}}}";
    let wholes = format!("{{events(first:50){{edges{{node{{id {whole}}}}}}}}}");
    for (who, token) in [
        ("liaison", &w.c1_liaison.access),
        ("worker", &w.c1_worker.access),
        ("member", &w.g1_member.access),
    ] {
        let by_name = app.gql(Some(token), names, json!({})).await;
        assert_ok(&by_name);
        let by_row = app.gql(Some(token), &wholes, json!({})).await;
        assert_ok(&by_row);
        let by_name = by_name["data"]["events"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        let by_row = by_row["data"]["events"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(by_name.len(), by_row.len(), "{who}");
        assert!(!by_name.is_empty(), "{who}");
        for (named, row) in by_name.iter().zip(&by_row) {
            let (named, row) = (&named["node"], &row["node"]);
            assert_eq!(named["id"], row["id"], "{who}");
            for link in ["reporter", "assignedUnit"] {
                assert_eq!(
                    named[link].is_null(),
                    row[link].is_null(),
                    "{who} {link}: {named} / {row}"
                );
                if !row[link].is_null() {
                    assert_eq!(named[link]["id"], row[link]["id"], "{who} {link}");
                    assert_eq!(named[link]["name"], row[link]["name"], "{who} {link}");
                }
            }
        }
        if who == "liaison" {
            // The unit's liaison sees its unit, never the rider who reported.
            let node = by_name
                .iter()
                .map(|e| &e["node"])
                .find(|n| n["id"] == original.as_str())
                .expect("the dispatched event in the liaison's list");
            assert!(node["reporter"].is_null(), "{node}");
            assert_eq!(
                node["assignedUnit"]["name"], "鹤山市公安局交通警察大队",
                "{node}"
            );
            assert_eq!(node["assignedUnit"]["__typename"], "MemberUnit");
        }
    }
    if on_postgres() {
        let asked = app
            .statements_for(&w.c1_worker.access, names, json!({}))
            .await;
        assert_eq!(asked, 1);
    }
    // The list reads the rows' reporters and units by name; the duplicate's original, reached
    // from the list, asks its reporter and unit for more.
    let listed = format!(
        "{{events(first:50){{edges{{node{{id reporter{{name}} assignedUnit{{name}} \
         duplicateOf{{id {whole}}}}}}}}}}}"
    );
    let alone = format!("query($id:UUID!){{event(id:$id){{id {whole}}}}}");
    for token in [&w.c1_worker.access, &w.g1_member.access] {
        let body = app.gql(Some(token), &listed, json!({})).await;
        assert_ok(&body);
        let edges = body["data"]["events"]["edges"].as_array().unwrap();
        let node = edges
            .iter()
            .map(|e| &e["node"])
            .find(|n| n["id"] == copy.as_str())
            .expect("the rejected copy in the list");
        let expected = app.gql(Some(token), &alone, json!({"id": original})).await;
        assert_ok(&expected);
        assert_eq!(node["duplicateOf"], expected["data"]["event"]);
        let reporter = &node["duplicateOf"]["reporter"];
        assert_eq!(reporter["role"], "GRID_MEMBER", "{reporter}");
        assert_eq!(reporter["disabled"], false, "{reporter}");
        assert_eq!(
            reporter["phone"].as_str().map(str::len),
            Some(11),
            "{reporter}"
        );
        assert!(reporter["createdAt"].is_string(), "{reporter}");
    }
    // The original's reporter and unit are read whole once each, however many of their fields
    // are asked: the list, the original, its reporter's card, its unit's row.
    if on_postgres() {
        let asked = app
            .statements_for(&w.c1_worker.access, &listed, json!({}))
            .await;
        assert_eq!(asked, 4);
    }
    let worker = app.gql(Some(&w.c1_worker.access), &listed, json!({})).await;
    let unit = worker["data"]["events"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == copy.as_str())
        .map(|e| e["node"]["duplicateOf"]["assignedUnit"].clone())
        .unwrap();
    assert_eq!(unit["kind"], "GOVERNMENT_DEPARTMENT", "{unit}");
}
