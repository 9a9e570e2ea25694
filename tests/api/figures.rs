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

/// GETs the export; (status, body bytes).
async fn export(app: &TestApp, token: Option<&str>, query: &str) -> (u16, Vec<u8>) {
    let mut req = app
        .client
        .get(format!("{}/exports/events.csv?{query}", app.address));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.bytes().await.expect("body").to_vec())
}

/// The CSV's records after the header (the BOM stripped).
fn records(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

async fn report_in(app: &TestApp, token: &str, grid: &str, title: &str, category: &str) -> String {
    let body = app
        .gql(
            Some(token),
            "mutation($i:ReportInput!){reportEvent(input:$i){id}}",
            json!({"i": {
                "clientId": uuid::Uuid::now_v7(), "category": category, "title": title,
                "description": "巡查发现", "location": {"lat": 22.76, "lng": 112.96},
                "capturedAt": (app.state.now() - Duration::minutes(1)).to_rfc3339(),
                "gridId": grid}}),
        )
        .await;
    assert_ok(&body);
    body["data"]["reportEvent"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_export_opens_right_in_excel_and_holds_what_the_list_holds() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let worker = w.c1_worker.access.as_str();
    let plain = report_in(&app, worker, &w.g1, "井盖松动", "SAFETY_HAZARD").await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"点我\")";
    report_in(&app, worker, &w.g1, formula, "SANITATION").await;
    report_in(&app, worker, &w.g1, "@SUM(1+1)", "SANITATION").await;
    // Another community's event stays out of 新华社区's export.
    report_in(&app, &w.admin.access, &w.g2, "凤凰的事件", "SANITATION").await;
    for m in ["acceptEvent", "startEvent"] {
        let body = app
            .gql(
                Some(worker),
                &format!("mutation($id:UUID!){{{m}(id:$id){{state}}}}"),
                json!({"id": plain}),
            )
            .await;
        assert_ok(&body);
    }
    for q in [
        "mutation($id:UUID!){resolveEvent(id:$id,result:\"已处理\"){state}}",
        "mutation($id:UUID!){closeEvent(id:$id,satisfaction:4){state}}",
    ] {
        assert_ok(&app.gql(Some(worker), q, json!({"id": plain})).await);
    }
    let today = shanghai_day(app.state.now());
    let window = format!(
        "regionId={}&from={}&to={}",
        w.c1,
        today - Duration::days(6),
        today
    );

    let (status, bytes) = export(&app, Some(worker), &window).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a UTF-8 BOM first");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.ends_with("\r\n"));
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "CRLF line ends only"
    );
    let header_line = text.split("\r\n").next().unwrap();
    assert_eq!(
        header_line,
        "事件编号,标题,类别,状态,网格,社区,上报人类型,上报时间,受理时限,受理是否按时,方案时限,方案是否按时,办结时限,办结是否按时,承办单位,结案时间,满意度"
    );
    let (header, rows) = records(&bytes);
    assert_eq!(header.len(), 17);
    let (lo, hi) = bounds(today - Duration::days(6), today);
    let listed = listed(
        &app,
        worker,
        &w.c1,
        today - Duration::days(6),
        today,
        json!({}),
    )
    .await;
    assert_eq!(rows.len(), listed.len());
    assert_eq!(rows.len(), 3);
    let _ = (lo, hi);
    // Newest first, as the list.
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let list_ids: Vec<&str> = listed.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, list_ids);
    // Formulas are neutralised: the cell is text to Excel.
    let titles: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert!(
        titles.contains(&format!("'{formula}").as_str()),
        "{titles:?}"
    );
    assert!(titles.contains(&"'@SUM(1+1)"), "{titles:?}");
    assert!(titles.contains(&"井盖松动"));
    assert!(!text.contains(",=HYPERLINK") && !text.contains("\"=HYPERLINK"));
    // zh-CN labels, Shanghai times, the clocks and the close.
    let closed = rows.iter().find(|r| r[0] == plain).unwrap();
    assert_eq!(closed[2], "安全隐患");
    assert_eq!(closed[3], "已结案");
    assert_eq!(closed[4], "新华第一网格");
    assert_eq!(closed[5], "新华社区");
    assert_eq!(closed[6], "工作人员");
    assert!(closed[7].starts_with(&today.to_string()), "{}", closed[7]);
    assert_eq!(
        (closed[9].as_str(), closed[11].as_str(), closed[13].as_str()),
        ("按时", "按时", "按时")
    );
    assert!(!closed[15].is_empty());
    assert_eq!(closed[16], "4");
    let open = rows.iter().find(|r| r[0] != plain).unwrap();
    assert_eq!(open[3], "已上报");
    assert_eq!(open[15], "");
    // Never the reporter's phone or name.
    assert!(!text.contains("13900000004"));

    // Filters: one state, one category.
    let (_, bytes) = export(&app, Some(worker), &format!("{window}&state=CLOSED")).await;
    assert_eq!(records(&bytes).1.len(), 1);
    let (_, bytes) = export(&app, Some(worker), &format!("{window}&category=SANITATION")).await;
    assert_eq!(records(&bytes).1.len(), 2);
    let (_, bytes) = export(&app, Some(worker), &format!("{window}&category=FIRE_RISK")).await;
    let (header, rows) = records(&bytes);
    assert_eq!((header.len(), rows.len()), (17, 0));

    // Each export is audited: who, which region, window and filters, how many rows.
    use gridhub::store::entity::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let entries = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("EXPORT_EVENTS"))
        .order_by_asc(audit_log::Column::At)
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 4);
    let first = &entries[0];
    assert_eq!(
        first.actor_id.map(|a| a.to_string()),
        Some(w.c1_worker.account_id.clone())
    );
    assert_eq!(first.region_id.map(|r| r.to_string()), Some(w.c1.clone()));
    let detail: Value = serde_json::from_str(first.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["rows"], 3);
    assert_eq!(detail["from"], (today - Duration::days(6)).to_string());
    let filtered: Value = serde_json::from_str(entries[1].detail.as_deref().unwrap()).unwrap();
    assert_eq!(
        (filtered["state"].as_str(), filtered["rows"].as_i64()),
        (Some("CLOSED"), Some(1))
    );
}

#[tokio::test]
async fn the_export_is_for_staff_in_scope_with_a_token() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let q = |region: &str| format!("regionId={region}&from=2026-10-01&to=2026-11-02");
    let (status, _) = export(&app, None, &q(&w.c1)).await;
    assert_eq!(status, 401);
    let (status, _) = export(&app, Some("not-a-token"), &q(&w.c1)).await;
    assert_eq!(status, 401);
    // Another community's worker, another sub-district's admin: 404.
    let (status, _) = export(&app, Some(&w.c1_worker.access), &q(&w.c2)).await;
    assert_eq!(status, 404);
    let (status, _) = export(&app, Some(&w.sd2_admin.access), &q(&w.c1)).await;
    assert_eq!(status, 404);
    // Grid members and liaisons take no exports: 403.
    let (status, _) = export(&app, Some(&w.g1_member.access), &q(&w.g1)).await;
    assert_eq!(status, 403);
    let (status, _) = export(&app, Some(&w.c1_liaison.access), &q(&w.c1)).await;
    assert_eq!(status, 403);
    // A wrong window or filter: 400 naming the field.
    let (status, body) = export(
        &app,
        Some(&w.c1_worker.access),
        &format!("regionId={}&from=2026-11-02&to=2026-10-01", w.c1),
    )
    .await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["field"], "to");
    let (status, _) = export(
        &app,
        Some(&w.c1_worker.access),
        &format!("{}&state=NOPE", q(&w.c1)),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = export(&app, Some(&w.c1_worker.access), &q(&w.c1)).await;
    assert_eq!(status, 200);
}

/// The export entries of the audit log as the city admin reads them: (actor, outcome, target,
/// region, refused code), oldest first.
async fn export_entries(app: &TestApp, admin: &str) -> Vec<(String, String, String, Value, Value)> {
    let body = app
        .gql(
            Some(admin),
            "{auditLog(first:100,action:\"EXPORT_EVENTS\"){edges{node{actorId outcome targetId regionId detail}}}}",
            json!({}),
        )
        .await;
    assert_ok(&body);
    let mut out: Vec<_> = body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["actorId"].as_str().unwrap().to_owned(),
                n["outcome"].as_str().unwrap().to_owned(),
                n["targetId"].as_str().unwrap().to_owned(),
                n["regionId"].clone(),
                n["detail"]["refused"].clone(),
            )
        })
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn a_refused_export_is_audited_as_denied() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let q = |region: &str| format!("regionId={region}&from=2026-10-01&to=2026-11-02");
    // Out of scope (404), no figures for the role (403), each written as DENIED.
    let (status, _) = export(&app, Some(&w.c1_worker.access), &q(&w.c2)).await;
    assert_eq!(status, 404);
    let (status, _) = export(&app, Some(&w.g1_member.access), &q(&w.g1)).await;
    assert_eq!(status, 403);
    let (status, _) = export(&app, Some(&w.c1_liaison.access), &q(&w.c1)).await;
    assert_eq!(status, 403);
    let unknown = uuid::Uuid::now_v7().to_string();
    let (status, _) = export(&app, Some(&w.sd1_admin.access), &q(&unknown)).await;
    assert_eq!(status, 404);
    // A wrong window is refused before any scope is judged, and is not an export attempt.
    let (status, _) = export(
        &app,
        Some(&w.c1_worker.access),
        &format!("regionId={}&from=2026-11-02&to=2026-10-01", w.c2),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = export(&app, Some(&w.c1_worker.access), &q(&w.c1)).await;
    assert_eq!(status, 200);

    let entries = export_entries(&app, &w.admin.access).await;
    let summary: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|(actor, outcome, target, _, _)| (actor.as_str(), outcome.as_str(), target.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (w.c1_worker.account_id.as_str(), "DENIED", w.c2.as_str()),
            (w.g1_member.account_id.as_str(), "DENIED", w.g1.as_str()),
            (w.c1_liaison.account_id.as_str(), "DENIED", w.c1.as_str()),
            (w.sd1_admin.account_id.as_str(), "DENIED", unknown.as_str()),
            (w.c1_worker.account_id.as_str(), "SUCCESS", w.c1.as_str()),
        ]
    );
    let refused: Vec<&Value> = entries.iter().map(|e| &e.4).collect();
    assert_eq!(
        refused,
        vec![
            &json!("NOT_FOUND"),
            &json!("FORBIDDEN"),
            &json!("FORBIDDEN"),
            &json!("NOT_FOUND"),
            &Value::Null
        ]
    );
    // A denied attempt is filed under the caller's own region, so its own admins see it.
    assert_eq!(entries[0].3, json!(w.c1));
    let body = app
        .gql(
            Some(&w.sd1_admin.access),
            "{auditLog(first:100,action:\"EXPORT_EVENTS\"){edges{node{actorId outcome}}}}",
            json!({}),
        )
        .await;
    assert_ok(&body);
    let denied_seen = body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["outcome"] == "DENIED")
        .count();
    // The worker's, the grid member's and its own; the liaison is bound to no region.
    assert_eq!(denied_seen, 3, "{body}");
}

#[tokio::test]
async fn the_export_pages_through_more_rows_than_one_statement_reads() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let worker = w.c1_worker.access.as_str();
    let id = report_in(&app, worker, &w.g1, "井盖松动", "SAFETY_HAZARD").await;
    let row = gridhub::store::event::find_unscoped(&app.state.db, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    // 1,200 copies, four to each instant: pages (500 rows) break inside groups of equal
    // report times, which the keyset's id settles.
    for n in 0..1200i64 {
        let mut copy = row.clone();
        copy.id = uuid::Uuid::now_v7();
        copy.payload_hash = format!("{0}{0}", copy.id.simple()); // 64 characters
        copy.reported_at = row.reported_at - Duration::seconds(n / 4);
        gridhub::store::event::insert(&app.state.db, copy)
            .await
            .unwrap();
    }
    let today = shanghai_day(app.state.now());
    let (status, bytes) = export(
        &app,
        Some(worker),
        &format!(
            "regionId={}&from={}&to={}",
            w.c1,
            today - Duration::days(1),
            today
        ),
    )
    .await;
    assert_eq!(status, 200);
    let (_, rows) = records(&bytes);
    assert_eq!(rows.len(), 1201);
    let unique: std::collections::HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(unique.len(), 1201);
    let body = dashboard(&app, worker, &w.c1, today - Duration::days(1), today).await;
    assert_eq!(body["data"]["dashboard"]["events"]["total"], 1201);
}

/// The blocks a region's dashboard shares with the dashboard of its only grid.
fn event_blocks(body: &Value) -> Value {
    assert_ok(body);
    let d = &body["data"]["dashboard"];
    json!({
        "events": d["events"],
        "deadlines": d["deadlines"],
        "busiestGrids": d["busiestGrids"],
        "daily": d["daily"],
    })
}

/// A community above one grid reads the daily rollups; the grid itself reads its events. Through
/// every kind of step, days passing and clocks running out, both give the same figures, and a
/// rebuild of the rollups from the events changes nothing.
#[tokio::test]
async fn the_rollups_agree_with_the_events_through_every_step() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let worker = w.c1_worker.access.as_str();
    let member = w.g1_member.access.as_str();
    let day0 = shanghai_day(app.state.now());
    let mut ids = Vec::new();
    for (i, category) in [
        "SAFETY_HAZARD",
        "SANITATION",
        "DISPUTE",
        "FIRE_RISK",
        "SANITATION",
        "OTHER",
        "SANITATION",
    ]
    .iter()
    .enumerate()
    {
        let token = if i % 2 == 0 { member } else { worker };
        ids.push(report_in(&app, token, &w.g1, &format!("事件{i}"), category).await);
        app.clock.advance(Duration::minutes(7));
    }
    let run = |m: &'static str, extra: &'static str, id: String| {
        let query = format!("mutation($id:UUID!){{{m}(id:$id{extra}){{state}}}}");
        (query, json!({ "id": id }))
    };
    let check = |label: &'static str| {
        let app = &app;
        let c1 = w.c1.clone();
        let g1 = w.g1.clone();
        async move {
            let today = shanghai_day(app.state.now());
            let (from, to) = (day0 - Duration::days(1), today + Duration::days(1));
            let up = dashboard(app, worker, &c1, from, to).await;
            let live = dashboard(app, worker, &g1, from, to).await;
            assert_eq!(event_blocks(&up), event_blocks(&live), "{label}");
            up
        }
    };
    check("reported").await;

    let steps: Vec<(&str, &str, usize, i64)> = vec![
        // (mutation, extra arguments, event, minutes to wait first)
        ("acceptEvent", "", 0, 5),
        ("startEvent", "", 0, 5),
        ("resolveEvent", ",result:\"已处理\"", 0, 5),
        ("reopenEvent", ",reason:\"复发\"", 0, 5),
        ("resolveEvent", ",result:\"已处理\"", 0, 5),
        ("closeEvent", ",satisfaction:5", 0, 30),
        ("rejectEvent", ",reason:\"不属实\"", 1, 1),
        ("acceptEvent", "", 2, 2),
        ("suspendEvent", ",reason:\"等待配合\"", 3, 1),
        ("acceptEvent", "", 4, 1),
        // A day and a half later: late clocks, closes on another day.
        ("startEvent", "", 2, 36 * 60),
        ("resolveEvent", ",result:\"已处理\"", 2, 10),
        ("closeEvent", ",satisfaction:3", 2, 10),
        ("resumeEvent", "", 3, 5),
        ("escalateEvent", ",reason:\"需要街道协调\"", 5, 5),
    ];
    for (m, extra, event, wait) in steps {
        app.clock.advance(Duration::minutes(wait));
        let (query, vars) = run(m, extra, ids[event].clone());
        let body = app.gql(Some(worker), &query, vars).await;
        assert_ok(&body);
        check(m).await;
    }
    // The unit gets one, another is merged into it.
    let body = app
        .gql(
            Some(worker),
            "mutation($id:UUID!,$u:UUID!){dispatchEvent(id:$id,unitId:$u){state}}",
            json!({"id": ids[4], "u": w.unit_id}),
        )
        .await;
    assert_ok(&body);
    let body = app
        .gql(
            Some(worker),
            "mutation($t:UUID!,$s:[UUID!]!){mergeEvents(targetId:$t,sourceIds:$s){state}}",
            json!({"t": ids[4], "s": [ids[6]]}),
        )
        .await;
    assert_ok(&body);
    app.clock.advance(Duration::days(3));
    let before = check("merged, three days on").await;
    let e = &before["data"]["dashboard"]["events"];
    assert_eq!(e["total"], 7);
    let by_state = non_zero(&e["byState"]);
    assert_eq!(by_state.get("CLOSED"), Some(&2), "{by_state:?}");
    assert_eq!(by_state.get("MERGED"), Some(&1), "{by_state:?}");
    assert_eq!(by_state.get("REJECTED"), Some(&1), "{by_state:?}");
    assert!(
        before["data"]["dashboard"]["daily"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["closed"].as_i64().unwrap() > 0)
            .count()
            >= 1
    );
    // Closed 104 and 2,275 minutes after their reports.
    assert_eq!(e["medianCloseMinutes"], 1189.5);

    // The sub-district adds its communities up.
    let today = shanghai_day(app.state.now());
    let (from, to) = (day0 - Duration::days(1), today + Duration::days(1));
    let sd = dashboard(&app, &w.sd1_admin.access, &w.sd1, from, to).await;
    assert_eq!(event_blocks(&sd), event_blocks(&before));

    // Rebuilt from the events: the same figures.
    gridhub::store::rollup::rebuild(&app.state.db)
        .await
        .expect("rebuild");
    let after = dashboard(&app, worker, &w.c1, from, to).await;
    assert_eq!(event_blocks(&after), event_blocks(&before));

    // A whole month in the window reads the monthly grid rollup: the same busiest grid.
    let month_start = NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&day0),
        chrono::Datelike::month(&day0),
        1,
    )
    .unwrap();
    let year = dashboard(
        &app,
        worker,
        &w.c1,
        month_start,
        month_start + Duration::days(365),
    )
    .await;
    let grid_year = dashboard(
        &app,
        worker,
        &w.g1,
        month_start,
        month_start + Duration::days(365),
    )
    .await;
    assert_eq!(event_blocks(&year), event_blocks(&grid_year));
    assert_eq!(year["data"]["dashboard"]["busiestGrids"][0]["count"], 7);
}

/// A grid moved to another community takes its figures along, in the move's transaction.
#[tokio::test]
async fn a_grid_moved_takes_its_figures_along() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let worker = w.c1_worker.access.as_str();
    let today = shanghai_day(app.state.now());
    let mut ids = Vec::new();
    for title in ["井盖松动", "路灯不亮", "垃圾堆放"] {
        ids.push(report_in(&app, worker, &w.g1, title, "SANITATION").await);
    }
    let close = "mutation($id:UUID!){closeEvent(id:$id,satisfaction:5){state}}";
    for m in ["acceptEvent", "startEvent"] {
        let q = format!("mutation($id:UUID!){{{m}(id:$id){{state}}}}");
        assert_ok(&app.gql(Some(worker), &q, json!({"id": ids[0]})).await);
    }
    let resolve = "mutation($id:UUID!){resolveEvent(id:$id,result:\"已处理\"){state}}";
    assert_ok(&app.gql(Some(worker), resolve, json!({"id": ids[0]})).await);
    app.clock.advance(Duration::minutes(90));
    assert_ok(&app.gql(Some(worker), close, json!({"id": ids[0]})).await);

    let admin = w.admin.access.as_str();
    let (from, to) = (today - Duration::days(1), today + Duration::days(1));
    let c1_before = dashboard(&app, admin, &w.c1, from, to).await;
    assert_eq!(c1_before["data"]["dashboard"]["events"]["total"], 3);
    let c2_before = dashboard(&app, admin, &w.c2, from, to).await;
    assert_eq!(c2_before["data"]["dashboard"]["events"]["total"], 0);

    let body = app
        .gql(
            Some(admin),
            "mutation($id:UUID!,$p:UUID!){updateRegion(id:$id,input:{parentId:$p}){id}}",
            json!({"id": w.g1, "p": w.c2}),
        )
        .await;
    assert_ok(&body);
    let c1_after = dashboard(&app, admin, &w.c1, from, to).await;
    assert_eq!(c1_after["data"]["dashboard"]["events"]["total"], 0);
    assert_eq!(
        c1_after["data"]["dashboard"]["events"]["medianCloseMinutes"],
        Value::Null
    );
    let c2_after = dashboard(&app, admin, &w.c2, from, to).await;
    assert_eq!(event_blocks(&c2_after), event_blocks(&c1_before));
    // Steps after the move are filed under the new community.
    let reject = "mutation($id:UUID!){rejectEvent(id:$id,reason:\"不属实\"){state}}";
    assert_ok(&app.gql(Some(admin), reject, json!({"id": ids[1]})).await);
    let c2_later = dashboard(&app, admin, &w.c2, from, to).await;
    let by_state = non_zero(&c2_later["data"]["dashboard"]["events"]["byState"]);
    assert_eq!(by_state.get("REJECTED"), Some(&1), "{by_state:?}");
    let live = dashboard(&app, admin, &w.g1, from, to).await;
    assert_eq!(event_blocks(&c2_later), event_blocks(&live));
    gridhub::store::rollup::rebuild(&app.state.db)
        .await
        .expect("rebuild");
    let rebuilt = dashboard(&app, admin, &w.c2, from, to).await;
    assert_eq!(event_blocks(&rebuilt), event_blocks(&c2_later));
}

/// Residents per tag come from counts kept with every registration and edit (tags replaced, a
/// move to another grid); a rebuild from the residents gives the same.
#[tokio::test]
async fn residents_by_tag_follow_registrations_and_edits() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let worker = w.c1_worker.access.as_str();
    let create = "mutation($i:CreateResidentInput!){createResident(input:$i){id}}";
    let mut ids = Vec::new();
    for (i, tags) in [
        json!(["ELDERLY_ALONE", "LOW_INCOME"]),
        json!(["ELDERLY_ALONE"]),
        json!([]),
    ]
    .into_iter()
    .enumerate()
    {
        let body = app
            .gql(
                Some(worker),
                create,
                json!({"i": {"regionId": w.g1, "name": format!("居民{i}"),
                    "idNumber": fake_id("19450302", i as u32 + 1), "tags": tags}}),
            )
            .await;
        assert_ok(&body);
        ids.push(
            body["data"]["createResident"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let today = shanghai_day(app.state.now());
    let tags = |body: &Value| non_zero(&body["data"]["dashboard"]["residentsByTag"]);
    let admin = w.admin.access.as_str();
    let d = dashboard(&app, admin, &w.sd1, today, today).await;
    assert_eq!(
        tags(&d),
        BTreeMap::from([
            ("ELDERLY_ALONE".to_owned(), 2),
            ("LOW_INCOME".to_owned(), 1)
        ])
    );
    // Tags replaced; another resident moves to c2's grid.
    let update = "mutation($id:UUID!,$i:UpdateResidentInput!){updateResident(id:$id,input:$i){id}}";
    let body = app
        .gql(
            Some(admin),
            update,
            json!({"id": ids[0], "i": {"tags": ["DISABLED"]}}),
        )
        .await;
    assert_ok(&body);
    let body = app
        .gql(
            Some(admin),
            update,
            json!({"id": ids[1], "i": {"regionId": w.g2}}),
        )
        .await;
    assert_ok(&body);
    let sd = tags(&dashboard(&app, admin, &w.sd1, today, today).await);
    assert_eq!(
        sd,
        BTreeMap::from([("DISABLED".to_owned(), 1), ("ELDERLY_ALONE".to_owned(), 1)])
    );
    let c1 = tags(&dashboard(&app, admin, &w.c1, today, today).await);
    assert_eq!(c1, BTreeMap::from([("DISABLED".to_owned(), 1)]));
    let g2 = tags(&dashboard(&app, admin, &w.g2, today, today).await);
    assert_eq!(g2, BTreeMap::from([("ELDERLY_ALONE".to_owned(), 1)]));
    let sd2 = tags(&dashboard(&app, admin, &w.sd2, today, today).await);
    assert!(sd2.is_empty(), "{sd2:?}");
    gridhub::store::rollup::rebuild(&app.state.db)
        .await
        .expect("rebuild");
    assert_eq!(
        tags(&dashboard(&app, admin, &w.sd1, today, today).await),
        sd
    );
}

/// Reports and steps at the same time in one community and day all land in its rollup row: the
/// rollup (additive upserts in each writer's transaction) still equals the events.
#[tokio::test]
async fn concurrent_reports_and_steps_all_land_in_the_rollup() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let worker = w.c1_worker.access.as_str();
    let member = w.g1_member.access.as_str();
    let reports = (0..16).map(|i| {
        let token = if i % 2 == 0 { member } else { worker };
        let title = format!("并发{i}");
        let app = &app;
        let g1 = w.g1.clone();
        async move { report_in(app, token, &g1, &title, "SANITATION").await }
    });
    let ids = futures_util::future::join_all(reports).await;
    let accept = "mutation($id:UUID!){acceptEvent(id:$id){state}}";
    let reject = "mutation($id:UUID!){rejectEvent(id:$id,reason:\"不属实\"){state}}";
    // Each event gets two steps at once: one wins, the other is refused, never both counted.
    let steps = ids.iter().flat_map(|id| {
        [accept, reject].map(|q| {
            let app = &app;
            let vars = json!({ "id": id });
            async move { app.gql(Some(worker), q, vars).await }
        })
    });
    let answers = futures_util::future::join_all(steps).await;
    let ok = answers.iter().filter(|b| b["errors"].is_null()).count();
    assert_eq!(ok, ids.len(), "one step wins per event");
    let today = shanghai_day(app.state.now());
    let up = dashboard(&app, worker, &w.c1, today, today).await;
    let live = dashboard(&app, worker, &w.g1, today, today).await;
    assert_eq!(event_blocks(&up), event_blocks(&live));
    let by_state = non_zero(&up["data"]["dashboard"]["events"]["byState"]);
    assert_eq!(by_state.values().sum::<i64>(), 16, "{by_state:?}");
    assert!(
        by_state.keys().all(|k| k == "ACCEPTED" || k == "REJECTED"),
        "{by_state:?}"
    );
}
