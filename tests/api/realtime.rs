//! Subscriptions over graphql-transport-ws: who hears of which event change, and across
//! instances on PostgreSQL.
use crate::helpers::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp) -> Socket {
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

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

/// The next protocol message (pings answered), or `None` when the socket closed or nothing came
/// within `wait`.
async fn next(socket: &mut Socket, wait: Duration) -> Option<Value> {
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

/// A socket past `connection_ack`, subscribed to `eventChanged`.
async fn subscribed(app: &TestApp, token: &str, region: Option<&str>) -> Socket {
    let mut socket = connect(app).await;
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}}),
    )
    .await;
    let ack = next(&mut socket, Duration::from_secs(5))
        .await
        .expect("ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
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

async fn report(app: &TestApp, token: &str, grid: &str, title: &str) -> String {
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

#[tokio::test]
async fn a_socket_without_a_valid_token_is_closed() {
    let app = spawn_app().await;
    let mut socket = connect(&app).await;
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": {"Authorization": "Bearer forged"}}),
    )
    .await;
    let closed = next(&mut socket, Duration::from_secs(5)).await;
    assert_eq!(
        closed.as_ref().map(|c| c["type"].clone()),
        Some(json!("closed")),
        "{closed:?}"
    );
    let mut socket = connect(&app).await;
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": {}}),
    )
    .await;
    let closed = next(&mut socket, Duration::from_secs(5)).await;
    assert_eq!(
        closed.as_ref().map(|c| c["type"].clone()),
        Some(json!("closed")),
        "{closed:?}"
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
    let id = report(&app, &w.g1_member.access, &w.g1, "跨实例推送").await;
    let heard = next(&mut listener, Duration::from_secs(5))
        .await
        .expect("a message");
    assert_eq!(
        heard["payload"]["data"]["eventChanged"]["event"]["id"],
        id.as_str(),
        "{heard}"
    );
}
