//! Figures for admins: the dashboard equals what the lists show, on both backends; who may see
//! it and for which region; the CSV export's bytes, rows, scope and audit entry.
use crate::helpers::*;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use gridhub::seed::{DEMO_PASSWORD, demo};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const DASHBOARD: &str =
    "query($r:UUID!,$f:NaiveDate!,$t:NaiveDate!){dashboard(regionId:$r,from:$f,to:$t){
  region{name} from to
  events{total overdueNow medianCloseMinutes byState{key label count} byCategory{key label count}
         bySource{key label count} byReporterKind{key label count}}
  deadlines{stage met breached pending onTimeRate}
  busiestGrids(first:3){grid{id name} count}
  service{posted claimed completed verified released peopleServed}
  residentsByTag{key label count}
  daily{day reported closed breached}}}";

fn shanghai_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive()
}

/// The window's bounds as instants, for the list's `from`/`to`.
fn bounds(from: NaiveDate, to: NaiveDate) -> (String, String) {
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .unwrap()
            .and_local_timezone(FixedOffset::east_opt(8 * 3600).unwrap())
            .unwrap()
            .with_timezone(&Utc)
            .to_rfc3339()
    };
    (start(from), start(to + Duration::days(1)))
}

async fn region_named(app: &TestApp, token: &str, name: &str) -> String {
    let body = app
        .gql(
            Some(token),
            "query($s:String){regions(first:5,search:$s){edges{node{id name}}}}",
            json!({ "s": name }),
        )
        .await;
    assert_ok(&body);
    body["data"]["regions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["name"] == name)
        .unwrap_or_else(|| panic!("no region {name}: {body}"))["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn dashboard(
    app: &TestApp,
    token: &str,
    region: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Value {
    app.gql(
        Some(token),
        DASHBOARD,
        json!({"r": region, "f": from.to_string(), "t": to.to_string()}),
    )
    .await
}

/// Every event the list shows for the region and window: (state, reporterKind, reportedAt).
async fn listed(
    app: &TestApp,
    token: &str,
    region: &str,
    from: NaiveDate,
    to: NaiveDate,
    extra: Value,
) -> Vec<Value> {
    let (lo, hi) = bounds(from, to);
    let mut filter = json!({"regionId": region, "from": lo, "to": hi});
    if let Value::Object(more) = extra {
        for (k, v) in more {
            filter[k] = v;
        }
    }
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .gql(
                Some(token),
                "query($f:EventFilterInput,$a:String){events(first:100,after:$a,filter:$f){edges{cursor node{id title state reporterKind reportedAt}} pageInfo{hasNextPage}}}",
                json!({"f": filter, "a": after}),
            )
            .await;
        assert_ok(&body);
        let conn = &body["data"]["events"];
        for e in conn["edges"].as_array().unwrap() {
            out.push(e["node"].clone());
            after = Some(e["cursor"].as_str().unwrap().to_owned());
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            return out;
        }
    }
}

fn non_zero(counts: &Value) -> BTreeMap<String, i64> {
    counts
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["count"].as_i64().unwrap() > 0)
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_owned(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn tally<'a>(keys: impl Iterator<Item = &'a str>) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for k in keys {
        *out.entry(k.to_owned()).or_insert(0) += 1;
    }
    out
}

#[tokio::test]
async fn the_dashboard_equals_what_the_lists_show_on_the_demo_data() {
    let app = spawn_app().await;
    demo(&app.state).await.expect("seed");
    let admin = app.login("13800000002", DEMO_PASSWORD).await; // 沙坪街道
    let t = admin.access.as_str();
    let shaping = region_named(&app, t, "沙坪街道").await;
    let today = shanghai_day(app.state.now());
    let (from, to) = (today - Duration::days(13), today);

    let body = dashboard(&app, t, &shaping, from, to).await;
    assert_ok(&body);
    let d = &body["data"]["dashboard"];
    let events = listed(&app, t, &shaping, from, to, json!({})).await;
    assert!(events.len() >= 12, "the demo's events: {}", events.len());
    assert_eq!(
        d["events"]["total"].as_u64().unwrap() as usize,
        events.len()
    );
    assert_eq!(
        non_zero(&d["events"]["byState"]),
        tally(events.iter().map(|e| e["state"].as_str().unwrap()))
    );
    assert_eq!(
        non_zero(&d["events"]["byReporterKind"]),
        tally(events.iter().map(|e| e["reporterKind"].as_str().unwrap()))
    );
    // Every value is listed, with its zh-CN label.
    let states = d["events"]["byState"].as_array().unwrap();
    assert_eq!(states.len(), 9);
    let closed = states.iter().find(|s| s["key"] == "CLOSED").unwrap();
    assert_eq!(closed["label"], "已结案");
    let part_time = d["events"]["byReporterKind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "PART_TIME")
        .unwrap();
    assert_eq!(part_time["label"], "兼职网格员");
    assert!(
        part_time["count"].as_i64().unwrap() > 0,
        "riders report in the demo"
    );

    // By day: one entry per day of the window, empty days included.
    let daily = d["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 14);
    assert_eq!(daily[0]["day"], from.to_string());
    assert_eq!(daily[13]["day"], to.to_string());
    let by_day: BTreeMap<String, i64> = daily
        .iter()
        .filter(|x| x["reported"].as_i64().unwrap() > 0)
        .map(|x| {
            (
                x["day"].as_str().unwrap().to_owned(),
                x["reported"].as_i64().unwrap(),
            )
        })
        .collect();
    let listed_days: Vec<String> = events
        .iter()
        .map(|e| {
            let at: DateTime<Utc> = e["reportedAt"].as_str().unwrap().parse().unwrap();
            shanghai_day(at).to_string()
        })
        .collect();
    assert_eq!(by_day, tally(listed_days.iter().map(|s| s.as_str())));
    assert!(
        daily.iter().any(|x| x["reported"] == 0),
        "empty days are there"
    );
    let closed_daily: i64 = daily.iter().map(|x| x["closed"].as_i64().unwrap()).sum();
    assert_eq!(closed_daily, closed["count"].as_i64().unwrap());

    // Overdue now: as the list's overdue filter.
    let overdue = listed(&app, t, &shaping, from, to, json!({"overdue": true})).await;
    assert_eq!(
        d["events"]["overdueNow"].as_u64().unwrap() as usize,
        overdue.len()
    );

    // The three clocks add up to the events, with a rate between 0 and 1.
    let deadlines = d["deadlines"].as_array().unwrap();
    assert_eq!(
        deadlines
            .iter()
            .map(|x| x["stage"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["ACCEPT", "PLAN", "CLOSE"]
    );
    for x in deadlines {
        let sum = x["met"].as_i64().unwrap()
            + x["breached"].as_i64().unwrap()
            + x["pending"].as_i64().unwrap();
        assert_eq!(sum as usize, events.len(), "{x}");
    }
    // The seeder closes at the moment it reports (one clock reading), so the median is 0 here;
    // `deadlines_median_and_days_follow_the_clock` checks it with time passing.
    assert!(d["events"]["medianCloseMinutes"].as_f64().is_some());

    // Busiest grids: the demo's events are in 凤凰社区's first two grids.
    let busiest = d["busiestGrids"].as_array().unwrap();
    assert!(!busiest.is_empty() && busiest.len() <= 3);
    let grid_total: i64 = busiest.iter().map(|g| g["count"].as_i64().unwrap()).sum();
    assert_eq!(grid_total as usize, events.len());
    assert!(
        busiest[0]["grid"]["name"]
            .as_str()
            .unwrap()
            .starts_with("凤凰")
    );

    // Service and residents are there for an admin.
    assert!(
        d["service"]["posted"].as_i64().unwrap() > 0,
        "{}",
        d["service"]
    );
    let tags = d["residentsByTag"].as_array().unwrap();
    assert!(
        tags.iter().any(|x| x["count"].as_i64().unwrap() > 0),
        "{tags:?}"
    );
    assert!(
        tags.iter()
            .all(|x| !x["label"].as_str().unwrap().is_empty())
    );

    // The community worker of 凤凰社区 sees the same events for its community.
    let worker = app.login("13800000003", DEMO_PASSWORD).await;
    let fenghuang = region_named(&app, &worker.access, "凤凰社区").await;
    let body = dashboard(&app, &worker.access, &fenghuang, from, to).await;
    assert_ok(&body);
    let mine = listed(&app, &worker.access, &fenghuang, from, to, json!({})).await;
    assert_eq!(
        body["data"]["dashboard"]["events"]["total"]
            .as_u64()
            .unwrap() as usize,
        mine.len()
    );
}

#[tokio::test]
async fn deadlines_median_and_days_follow_the_clock() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let worker = w.c1_worker.access.as_str();
    let report = "mutation($i:ReportInput!){reportEvent(input:$i){id}}";
    let mut ids = Vec::new();
    for title in ["井盖松动", "=HYPERLINK(\"http://x\")", "路灯不亮"] {
        let body = app
            .gql(
                Some(worker),
                report,
                json!({"i": {
                    "clientId": uuid::Uuid::now_v7(), "category": "SAFETY_HAZARD", "title": title,
                    "description": "巡查发现", "location": {"lat": 22.76, "lng": 112.96},
                    "capturedAt": (app.state.now() - Duration::minutes(1)).to_rfc3339(),
                    "gridId": w.g1}}),
            )
            .await;
        assert_ok(&body);
        ids.push(
            body["data"]["reportEvent"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        app.clock.advance(Duration::minutes(10));
    }
    // The first is accepted in time and closed 2 hours after its report; the second closed
    // after 4 hours; the third is left alone and runs past its accept clock.
    let step = |m: &str| format!("mutation($id:UUID!){{{m}(id:$id){{state}}}}");
    for id in &ids[..2] {
        assert_ok(
            &app.gql(Some(worker), &step("acceptEvent"), json!({"id": id}))
                .await,
        );
    }
    let close = "mutation($id:UUID!){closeEvent(id:$id,satisfaction:5){state}}";
    let resolve = "mutation($id:UUID!){resolveEvent(id:$id,result:\"已处理\"){state}}";
    let start = step("startEvent");
    for id in &ids[..2] {
        assert_ok(&app.gql(Some(worker), &start, json!({"id": id})).await);
        assert_ok(&app.gql(Some(worker), resolve, json!({"id": id})).await);
    }
    // Reported at 0, 10 and 20 minutes, accepted at 30.
    app.clock.advance(Duration::minutes(90)); // 120
    assert_ok(&app.gql(Some(worker), close, json!({"id": ids[0]})).await);
    app.clock.advance(Duration::minutes(130)); // 250: the second was reported at 10
    assert_ok(&app.gql(Some(worker), close, json!({"id": ids[1]})).await);

    let today = shanghai_day(app.state.now());
    let first_day = today - Duration::days(1);
    let body = dashboard(&app, worker, &w.c1, first_day, today).await;
    assert_ok(&body);
    let d = &body["data"]["dashboard"];
    assert_eq!(d["events"]["total"], 3);
    // Closed after 120 and 240 minutes: the median is 180.
    assert_eq!(d["events"]["medianCloseMinutes"], 180.0);
    let accept = &d["deadlines"][0];
    assert_eq!(accept["stage"], "ACCEPT");
    assert_eq!(
        (accept["met"].as_i64(), accept["breached"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(accept["onTimeRate"].as_f64().unwrap(), 2.0 / 3.0);
    let close_clock = &d["deadlines"][2];
    assert_eq!(
        (close_clock["met"].as_i64(), close_clock["pending"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(d["events"]["overdueNow"], 1);
    let daily = d["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 2);
    let sum = |k: &str| daily.iter().map(|x| x[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!((sum("reported"), sum("closed"), sum("breached")), (3, 2, 1));
    assert_eq!(d["busiestGrids"][0]["grid"]["id"], w.g1.as_str());
    assert_eq!(d["busiestGrids"][0]["count"], 3);

    // The sub-district admin sees the same; the other sub-district has none of it.
    let body = dashboard(&app, &w.sd1_admin.access, &w.sd1, first_day, today).await;
    assert_eq!(body["data"]["dashboard"]["events"]["total"], 3);
    let body = dashboard(&app, &w.admin.access, &w.sd2, first_day, today).await;
    assert_eq!(body["data"]["dashboard"]["events"]["total"], 0);
    assert_eq!(
        body["data"]["dashboard"]["events"]["medianCloseMinutes"],
        Value::Null
    );
}

#[tokio::test]
async fn the_dashboard_is_for_staff_in_scope_over_a_sane_window() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
    let (from, to) = (day("2026-10-01"), day("2026-10-31"));
    // Another community, another sub-district: NOT_FOUND, as an unknown region.
    let body = dashboard(&app, &w.c1_worker.access, &w.c2, from, to).await;
    assert_code(&body, "NOT_FOUND");
    let body = dashboard(&app, &w.sd1_admin.access, &w.sd2, from, to).await;
    assert_code(&body, "NOT_FOUND");
    let body = dashboard(
        &app,
        &w.sd1_admin.access,
        &uuid::Uuid::now_v7().to_string(),
        from,
        to,
    )
    .await;
    assert_code(&body, "NOT_FOUND");
    // Grid members and liaisons see no figures.
    let body = dashboard(&app, &w.g1_member.access, &w.g1, from, to).await;
    assert_code(&body, "FORBIDDEN");
    let body = dashboard(&app, &w.c1_liaison.access, &w.c1, from, to).await;
    assert_code(&body, "FORBIDDEN");
    // Without a token.
    let body = app
        .gql(
            None,
            DASHBOARD,
            json!({"r": w.c1, "f": "2026-10-01", "t": "2026-10-31"}),
        )
        .await;
    assert_code(&body, "UNAUTHENTICATED");
    // The window: from ≤ to, at most 366 days.
    let body = dashboard(&app, &w.c1_worker.access, &w.c1, to, from).await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("to"));
    let body = dashboard(
        &app,
        &w.c1_worker.access,
        &w.c1,
        day("2025-01-01"),
        day("2026-01-02"),
    )
    .await;
    assert_code(&body, "BAD_USER_INPUT");
    let body = dashboard(
        &app,
        &w.c1_worker.access,
        &w.c1,
        day("2025-01-01"),
        day("2025-12-31"),
    )
    .await;
    assert_ok(&body);
    // busiestGrids(first:) is bounded.
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            "query($r:UUID!){dashboard(regionId:$r,from:\"2026-10-01\",to:\"2026-10-02\"){busiestGrids(first:0){count}}}",
            json!({"r": w.c1}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
}
