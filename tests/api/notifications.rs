//! The notification inbox: who is told what, live over `notificationAdded` and later from
//! `notifications`; marking read; a stalled subscriber that holds up nobody.
use crate::helpers::*;
use crate::realtime::{Socket, acknowledged, connect, next, report, send, subscribed};
use chrono::Duration as Days;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const INBOX: &str = "query($f: Int, $a: String, $u: Boolean) {
    notifications(first: $f, after: $a, unreadOnly: $u) {
        edges { cursor node { id kind message read readAt createdAt event { id title } serviceItem { id } } }
        pageInfo { hasNextPage endCursor }
    }
    unreadNotificationCount
}";

async fn inbox(app: &TestApp, token: &str, unread_only: bool) -> Vec<Value> {
    let body = app
        .gql(Some(token), INBOX, json!({"f": 100, "u": unread_only}))
        .await;
    assert_ok(&body);
    body["data"]["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn kinds(notes: &[Value]) -> Vec<&str> {
    notes.iter().map(|n| n["kind"].as_str().unwrap()).collect()
}

async fn step(app: &TestApp, token: &str, call: &str, id: &str) {
    let body = app
        .gql(
            Some(token),
            &format!("mutation($id: UUID!) {{ {call} {{ state }} }}"),
            json!({"id": id}),
        )
        .await;
    assert_ok(&body);
}

/// A socket subscribed to `notificationAdded`.
async fn listening(app: &TestApp, token: &str) -> Socket {
    let mut socket = connect(app).await;
    acknowledged(&mut socket, token).await;
    send(
        &mut socket,
        json!({"id": "n", "type": "subscribe", "payload": {
            "query": "subscription { notificationAdded { id kind message event { id } } }"
        }}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    socket
}

async fn unread(app: &TestApp, token: &str) -> i64 {
    let body = app
        .gql(Some(token), "{ unreadNotificationCount }", json!({}))
        .await;
    assert_ok(&body);
    body["data"]["unreadNotificationCount"].as_i64().unwrap()
}

#[tokio::test]
async fn the_people_who_must_act_are_told_live_and_find_it_in_their_inbox_later() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (member, worker, liaison) = (
        &w.g1_member.access,
        &w.c1_worker.access,
        &w.c1_liaison.access,
    );
    let mut live = listening(&app, liaison).await;

    let id = report(&app, member, &w.g1, "新华路井盖松动").await;
    step(&app, worker, "acceptEvent(id: $id)", &id).await;
    let started = Instant::now();
    step(
        &app,
        worker,
        &format!("dispatchEvent(id: $id, unitId: \"{}\")", w.unit_id),
        &id,
    )
    .await;
    // The liaison hears of the dispatch at once, and may open the event it is about.
    let heard = next(&mut live, Duration::from_secs(5))
        .await
        .expect("a notification");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let note = &heard["payload"]["data"]["notificationAdded"];
    assert_eq!(note["kind"], "EVENT_DISPATCHED", "{heard}");
    assert_eq!(note["event"]["id"], id.as_str());
    assert!(note["message"].as_str().unwrap().contains("新华路井盖松动"));

    step(&app, liaison, "startEvent(id: $id)", &id).await;
    step(
        &app,
        liaison,
        "resolveEvent(id: $id, result: \"已更换\")",
        &id,
    )
    .await;
    // The reporter says it is not fixed: back to the unit, whose liaison is told again.
    step(
        &app,
        member,
        "reopenEvent(id: $id, reason: \"仍然松动\")",
        &id,
    )
    .await;
    let heard = next(&mut live, Duration::from_secs(5))
        .await
        .expect("a notification");
    assert_eq!(
        heard["payload"]["data"]["notificationAdded"]["kind"],
        "EVENT_REOPENED"
    );
    step(&app, liaison, "startEvent(id: $id)", &id).await;
    step(
        &app,
        liaison,
        "resolveEvent(id: $id, result: \"已加固\")",
        &id,
    )
    .await;
    step(&app, worker, "closeEvent(id: $id, satisfaction: 5)", &id).await;

    // The reporter was offline: its inbox holds every answer to its report, newest first; it
    // is not told of its own reopening.
    let notes = inbox(&app, member, false).await;
    assert_eq!(
        kinds(&notes),
        [
            "REPORT_CLOSED",
            "REPORT_RESOLVED",
            "REPORT_RESOLVED",
            "REPORT_ACCEPTED"
        ]
    );
    assert!(
        notes
            .iter()
            .all(|n| n["event"]["id"] == id.as_str() && n["read"] == false)
    );
    // The worker who did the work, and the other sub-district, are told nothing.
    assert!(inbox(&app, worker, false).await.is_empty());
    assert!(inbox(&app, &w.sd2_admin.access, false).await.is_empty());
    assert_eq!(
        kinds(&inbox(&app, liaison, false).await),
        ["EVENT_REOPENED", "EVENT_DISPATCHED"]
    );

    // Pages follow the cursor without repeats.
    let first = app.gql(Some(member), INBOX, json!({"f": 3})).await;
    assert_ok(&first);
    assert_eq!(
        first["data"]["notifications"]["pageInfo"]["hasNextPage"],
        true
    );
    let after = first["data"]["notifications"]["pageInfo"]["endCursor"].clone();
    let rest = app
        .gql(Some(member), INBOX, json!({"f": 3, "a": after}))
        .await;
    assert_ok(&rest);
    let rest = rest["data"]["notifications"]["edges"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["node"]["id"], notes[3]["id"]);

    // Someone else's ids change nothing, and are not told apart from ids that do not exist.
    let ids: Vec<&Value> = notes.iter().map(|n| &n["id"]).collect();
    let mark = "mutation($ids: [UUID!]!) { markNotificationsRead(ids: $ids) { marked unread } }";
    let body = app.gql(Some(liaison), mark, json!({"ids": ids})).await;
    assert_ok(&body);
    assert_eq!(
        body["data"]["markNotificationsRead"],
        json!({"marked": 0, "unread": 2})
    );
    assert_eq!(unread(&app, member).await, 4);
    // The owner marks two; marking them again changes nothing.
    let two = &ids[..2];
    let body = app.gql(Some(member), mark, json!({"ids": two})).await;
    assert_eq!(
        body["data"]["markNotificationsRead"],
        json!({"marked": 2, "unread": 2})
    );
    let body = app.gql(Some(member), mark, json!({"ids": two})).await;
    assert_eq!(
        body["data"]["markNotificationsRead"],
        json!({"marked": 0, "unread": 2})
    );
    let left = inbox(&app, member, true).await;
    assert_eq!(kinds(&left), ["REPORT_RESOLVED", "REPORT_ACCEPTED"]);
    let read = inbox(&app, member, false).await;
    assert_eq!(read[0]["read"], true);
    assert!(read[0]["readAt"].is_string());

    // A rejected report is news to its reporter too; a worker acting on its own report is not
    // told of its own steps.
    let other = report(&app, member, &w.g1, "重复上报").await;
    step(
        &app,
        worker,
        "rejectEvent(id: $id, reason: \"重复\")",
        &other,
    )
    .await;
    assert_eq!(
        inbox(&app, member, true).await[0]["kind"],
        "REPORT_REJECTED"
    );
    let own = report(&app, worker, &w.g1, "自报自办").await;
    step(&app, worker, "acceptEvent(id: $id)", &own).await;
    assert!(inbox(&app, worker, false).await.is_empty());
}

#[tokio::test]
async fn the_inbox_refuses_strangers_and_bad_input() {
    let app = spawn_app().await;
    let w = world(&app).await;
    assert_code(&app.gql(None, INBOX, json!({})).await, "UNAUTHENTICATED");
    let mark = "mutation($ids: [UUID!]!) { markNotificationsRead(ids: $ids) { marked } }";
    assert_code(
        &app.gql(None, mark, json!({"ids": [uuid::Uuid::now_v7()]}))
            .await,
        "UNAUTHENTICATED",
    );
    let token = &w.g1_member.access;
    let body = app
        .gql(Some(token), mark, json!({"ids": ["not-a-uuid"]}))
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    let many: Vec<uuid::Uuid> = (0..101).map(|_| uuid::Uuid::now_v7()).collect();
    assert_code(
        &app.gql(Some(token), mark, json!({"ids": many})).await,
        "BAD_USER_INPUT",
    );
    for bad in [json!({"f": 0}), json!({"f": 101}), json!({"a": "@@@"})] {
        assert_code(&app.gql(Some(token), INBOX, bad).await, "BAD_USER_INPUT");
    }
    // Unauthenticated sockets never get as far as subscribing.
    let mut socket = connect(&app).await;
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": {}}),
    )
    .await;
    let closed = next(&mut socket, Duration::from_secs(5))
        .await
        .expect("closed");
    assert_eq!(closed["code"], 4403, "{closed}");
}

#[tokio::test]
async fn the_sweeps_tell_the_community_workers_and_no_one_else() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let c2_worker = {
        let body = app
            .gql(
                Some(&w.admin.access),
                "mutation($i: CreateAccountInput!) { createAccount(input: $i) { id } }",
                json!({"i": {"phone": "13900000099", "name": "凤凰社区工作者", "password": PASSWORD,
                    "role": "COMMUNITY_WORKER", "regionId": w.c2}}),
            )
            .await;
        assert_ok(&body);
        app.login("13900000099", PASSWORD).await
    };
    let mut live = listening(&app, &w.c1_worker.access).await;
    let id = report(&app, &w.g1_member.access, &w.g1, "电线裸露").await;
    app.clock.advance(Days::hours(2));
    assert_eq!(
        gridhub::service::event::sweep_breaches(&app.state)
            .await
            .unwrap(),
        1
    );
    let heard = next(&mut live, Duration::from_secs(5))
        .await
        .expect("a notification");
    assert_eq!(
        heard["payload"]["data"]["notificationAdded"]["kind"],
        "DEADLINE_BREACHED"
    );
    assert_eq!(
        heard["payload"]["data"]["notificationAdded"]["event"]["id"],
        id.as_str()
    );
    // A second sweep marks nothing and tells nobody again.
    assert_eq!(
        gridhub::service::event::sweep_breaches(&app.state)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        kinds(&inbox(&app, &w.c1_worker.access, false).await),
        ["DEADLINE_BREACHED"]
    );
    assert!(inbox(&app, &c2_worker.access, false).await.is_empty());
    assert!(inbox(&app, &w.sd1_admin.access, false).await.is_empty());
    assert!(inbox(&app, &w.g1_member.access, false).await.is_empty());
}

#[tokio::test]
async fn a_stalled_subscriber_is_told_it_lagged_and_holds_up_nobody() {
    let app = spawn_app_with(|s| s.server.subscriber_backlog = 16).await;
    let w = world(&app).await;
    let token = &w.c1_worker.access;

    // A client that subscribes to big messages and then stops reading, with a small receive
    // buffer so the server's writes back up soon.
    let stalled = {
        let addr: std::net::SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
        let tcp = tokio::net::TcpSocket::new_v4().unwrap();
        tcp.set_recv_buffer_size(4096).unwrap();
        let stream = tcp.connect(addr).await.unwrap();
        let url = format!("ws://{addr}/graphql");
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
                .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (socket, _) = tokio_tungstenite::client_async(
            request,
            tokio_tungstenite::MaybeTlsStream::Plain(stream),
        )
        .await
        .unwrap();
        let mut socket: Socket = socket;
        acknowledged(&mut socket, token).await;
        let fields: String = (0..25).map(|i| format!("d{i}: description ")).collect();
        send(
            &mut socket,
            json!({"id": "big", "type": "subscribe", "payload": {
                "query": format!("subscription {{ eventChanged {{ action event {{ id {fields} }} }} }}")
            }}),
        )
        .await;
        socket
    };
    let mut brisk = subscribed(&app, token, None).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // 150 changes of ~150 KB each for the stalled client (far more than the socket, the
    // outgoing queue of 32 messages and the backlog of 16 hold); the brisk one hears each
    // within 1 s.
    let long = "长".repeat(2000);
    for i in 0..150 {
        let body = app
            .gql(
                Some(&w.g1_member.access),
                "mutation($i: ReportInput!) { reportEvent(input: $i) { id } }",
                json!({"i": {
                    "clientId": uuid::Uuid::now_v7(), "category": "SANITATION",
                    "title": format!("积压测试 {i}"), "description": long,
                    "location": {"lat": 22.76, "lng": 112.96},
                    "capturedAt": (app.state.now() - Days::minutes(1)).to_rfc3339(),
                    "gridId": w.g1,
                }}),
            )
            .await;
        assert_ok(&body);
        let id = body["data"]["reportEvent"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let heard = next(&mut brisk, Duration::from_secs(1))
            .await
            .unwrap_or_else(|| panic!("change {i} not heard within 1 s"));
        assert_eq!(
            heard["payload"]["data"]["eventChanged"]["event"]["id"],
            id.as_str(),
            "{heard}"
        );
    }

    // The stalled client reads again: somewhere in its stream it is told how much it missed,
    // and it did not get all 150.
    let mut got = 0;
    let mut lagged = None;
    let mut socket = stalled;
    while let Some(message) = next(&mut socket, Duration::from_secs(2)).await {
        assert_eq!(message["type"], "next", "{message}");
        if let Some(errors) = message["payload"]["errors"].as_array() {
            assert_eq!(errors[0]["extensions"]["code"], "LAGGED", "{message}");
            assert!(errors[0]["extensions"]["missed"].as_u64().unwrap() > 0);
            lagged = Some(got);
        } else {
            got += 1;
        }
    }
    assert!(
        lagged.is_some(),
        "the stalled subscriber was never told it lagged ({got} messages)"
    );
    assert!(got < 150, "{got}");
}
