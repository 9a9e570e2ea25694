//! Subscriptions over graphql-transport-ws: who hears of which event change, and across
//! instances on PostgreSQL.
use crate::helpers::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn connect(app: &TestApp) -> Socket {
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("ws connect");
    socket
}

pub(crate) async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

/// The next protocol message (pings answered), or `None` when the socket closed or nothing came
/// within `wait`.
pub(crate) async fn next(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(wait, socket.next())
            .await
            .ok()??
            .ok()?;
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == "ping" {
                    send(socket, json!({"type": "pong"})).await;
                    continue;
                }
                return Some(value);
            }
            Message::Close(frame) => {
                return Some(json!({"type": "closed", "code": frame.map(|f| u16::from(f.code))}));
            }
            _ => continue,
        }
    }
}

/// Sends `connection_init` with `token` and waits for the acknowledgement.
pub(crate) async fn acknowledged(socket: &mut Socket, token: &str) {
    send(
        socket,
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}}),
    )
    .await;
    let ack = next(socket, Duration::from_secs(5)).await.expect("ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
}

/// A socket past `connection_ack`, subscribed to `eventChanged`.
pub(crate) async fn subscribed(app: &TestApp, token: &str, region: Option<&str>) -> Socket {
    let mut socket = connect(app).await;
    acknowledged(&mut socket, token).await;
    send(
        &mut socket,
        json!({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription($r: UUID) { eventChanged(regionId: $r) { action at event { id title state grid { name } } } }",
            "variables": {"r": region}
        }}),
    )
    .await;
    // Let the subscription register before anything happens.
    tokio::time::sleep(Duration::from_millis(200)).await;
    socket
}

pub(crate) async fn report(app: &TestApp, token: &str, grid: &str, title: &str) -> String {
    let body = app
        .gql(
            Some(token),
            "mutation($i: ReportInput!) { reportEvent(input: $i) { id } }",
            json!({"i": {
                "clientId": uuid::Uuid::now_v7(), "category": "SANITATION", "title": title,
                "location": {"lat": 22.76, "lng": 112.96},
                "capturedAt": (app.state.now() - chrono::Duration::minutes(1)).to_rfc3339(),
                "gridId": grid,
            }}),
        )
        .await;
    assert_ok(&body);
    body["data"]["reportEvent"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn consoles_hear_every_change_they_may_see_and_nothing_else() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut c1 = subscribed(&app, &w.c1_worker.access, None).await;
    let mut sd2 = subscribed(&app, &w.sd2_admin.access, None).await;
    let mut g1_only = subscribed(&app, &w.sd1_admin.access, Some(&w.g2)).await;

    let id = report(&app, &w.g1_member.access, &w.g1, "新华路积水").await;
    let heard = next(&mut c1, Duration::from_secs(5))
        .await
        .expect("a message");
    assert_eq!(heard["type"], "next", "{heard}");
    let change = &heard["payload"]["data"]["eventChanged"];
    assert_eq!(change["action"], "REPORTED");
    assert_eq!(change["event"]["id"], id.as_str());
    assert_eq!(change["event"]["grid"]["name"], "新华第一网格");

    let accepted = app
        .gql(
            Some(&w.c1_worker.access),
            "mutation($id: UUID!) { acceptEvent(id: $id) { state } }",
            json!({"id": id}),
        )
        .await;
    assert_ok(&accepted);
    let heard = next(&mut c1, Duration::from_secs(5))
        .await
        .expect("a message");
    assert_eq!(
        heard["payload"]["data"]["eventChanged"]["action"],
        "ACCEPTED"
    );
    assert_eq!(
        heard["payload"]["data"]["eventChanged"]["event"]["state"],
        "ACCEPTED"
    );

    // The other sub-district and a subscriber narrowed to another grid hear nothing of it: the
    // first thing they hear is an event of their own.
    let own = report(&app, &w.sd2_admin.access, &w.g3, "东溪村垃圾").await;
    let heard = next(&mut sd2, Duration::from_secs(5))
        .await
        .expect("a message");
    assert_eq!(
        heard["payload"]["data"]["eventChanged"]["event"]["id"],
        own.as_str(),
        "{heard}"
    );
    let in_g2 = report(&app, &w.sd1_admin.access, &w.g2, "凤凰路积水").await;
    let heard = next(&mut g1_only, Duration::from_secs(5))
        .await
        .expect("a message");
    assert_eq!(
        heard["payload"]["data"]["eventChanged"]["event"]["id"],
        in_g2.as_str(),
        "{heard}"
    );
}

pub(crate) fn close_code(message: Option<Value>) -> Option<u64> {
    let message = message?;
    assert_eq!(message["type"], "closed", "{message}");
    message["code"].as_u64()
}

#[tokio::test]
async fn a_socket_without_a_valid_token_is_closed_with_the_protocol_codes() {
    let app = spawn_app_with(|s| s.server.ws_recheck = Duration::from_millis(500)).await;
    let mut socket = connect(&app).await;
    let forged = json!({"type": "connection_init", "payload": {"Authorization": "Bearer forged"}});
    send(&mut socket, forged).await;
    assert_eq!(
        close_code(next(&mut socket, Duration::from_secs(5)).await),
        Some(4403)
    );
    let mut socket = connect(&app).await;
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": {}}),
    )
    .await;
    assert_eq!(
        close_code(next(&mut socket, Duration::from_secs(5)).await),
        Some(4403)
    );
    // Subscribing before the acknowledgement.
    let mut socket = connect(&app).await;
    let early = json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { eventChanged { at } }"}});
    send(&mut socket, early).await;
    assert_eq!(
        close_code(next(&mut socket, Duration::from_secs(5)).await),
        Some(4401)
    );
    // A region outside the caller's scope is refused.
    let w = world(&app).await;
    let mut socket = subscribed(&app, &w.c1_worker.access, Some(&w.g3)).await;
    let refused = next(&mut socket, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
    // Logging out closes a live socket at the next check.
    let session = app.login("13900000004", PASSWORD).await;
    let mut socket = subscribed(&app, &session.access, None).await;
    let out = app
        .gql(
            Some(&session.access),
            "mutation($r: String) { logout(refreshToken: $r) }",
            json!({"r": session.refresh}),
        )
        .await;
    assert_ok(&out);
    assert_eq!(
        close_code(next(&mut socket, Duration::from_secs(5)).await),
        Some(4403)
    );
}

#[tokio::test]
async fn a_change_through_one_instance_reaches_subscribers_on_another() {
    if std::env::var_os("TEST_DATABASE_URL").is_none() {
        eprintln!("skipped on SQLite: one instance per database file");
        return;
    }
    let app = spawn_app().await;
    let w = world(&app).await;
    let other = spawn_on(app.data_dir.clone(), app.database_url.clone(), |_| {}).await;
    let mut listener = subscribed(&other, &w.c1_worker.access, None).await;
    // Give the second instance's LISTEN a moment to be in place.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = std::time::Instant::now();
    let id = report(&app, &w.g1_member.access, &w.g1, "跨实例推送").await;
    let heard = next(&mut listener, Duration::from_secs(5))
        .await
        .expect("a message");
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(
        heard["payload"]["data"]["eventChanged"]["event"]["id"],
        id.as_str(),
        "{heard}"
    );

    // Notifications cross instances the same way: the liaison listening on the second
    // instance hears of a dispatch made through the first.
    let mut inbox = connect(&other).await;
    acknowledged(&mut inbox, &w.c1_liaison.access).await;
    send(
        &mut inbox,
        json!({"id": "n", "type": "subscribe", "payload": {
            "query": "subscription { notificationAdded { kind event { id } } }"}}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for call in [
        "acceptEvent(id: $id)".to_owned(),
        format!("dispatchEvent(id: $id, unitId: \"{}\")", w.unit_id),
    ] {
        let body = app
            .gql(
                Some(&w.c1_worker.access),
                &format!("mutation($id: UUID!) {{ {call} {{ state }} }}"),
                json!({"id": id}),
            )
            .await;
        assert_ok(&body);
    }
    let sent = std::time::Instant::now();
    let heard = next(&mut inbox, Duration::from_secs(5))
        .await
        .expect("a notification");
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(
        heard["payload"]["data"]["notificationAdded"],
        json!({"kind": "EVENT_DISPATCHED", "event": {"id": id}}),
        "{heard}"
    );
}

#[tokio::test]
async fn one_socket_holds_at_most_sixteen_subscriptions() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut socket = connect(&app).await;
    acknowledged(&mut socket, &w.c1_worker.access).await;
    let subscribe = |id: usize| {
        json!({"id": id.to_string(), "type": "subscribe",
            "payload": {"query": "subscription { eventChanged { at } }"}})
    };
    for id in 0..16 {
        send(&mut socket, subscribe(id)).await;
    }
    send(&mut socket, subscribe(16)).await;
    let refused = next(&mut socket, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "16");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );
    // Completing one makes room for another, and the socket still works.
    send(&mut socket, json!({"id": "3", "type": "complete"})).await;
    send(&mut socket, subscribe(17)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    report(&app, &w.g1_member.access, &w.g1, "订阅上限").await;
    let mut ids = Vec::new();
    while let Some(message) = next(&mut socket, Duration::from_secs(2)).await {
        if message["type"] == "complete" {
            assert_eq!(message["id"], "3");
            continue;
        }
        assert_eq!(message["type"], "next", "{message}");
        ids.push(message["id"].as_str().unwrap().to_owned());
    }
    ids.sort_by_key(|id| id.parse::<u32>().unwrap());
    let expected: Vec<String> = (0..18)
        .filter(|id| *id != 3 && *id != 16)
        .map(|id| id.to_string())
        .collect();
    assert_eq!(ids, expected);
}
