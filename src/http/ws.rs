//! WebSocket on `/graphql` (graphql-transport-ws). The access token comes in the
//! `connection_init` payload as `{"Authorization": "Bearer …"}` and is checked like a request's;
//! a refused token closes the socket with 4403, a subscribe before the acknowledgement with 4401.
//! The session behind a socket is checked again every half minute: after logout, a disabled
//! account or an expired token the server closes the socket (4403) and the client reconnects
//! with a fresh token.
use super::Shared;
use crate::access::principal::Actor;
use crate::graphql::Caller;
use crate::graphql::loaders::Loaders;
use crate::service::session::authenticate;
use crate::state::AppState;
use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message};
use async_graphql::Data;
use async_graphql::http::{WebSocket, WsMessage};
use futures_util::StreamExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A socket that has said nothing (not even a pong) for this long is closed.
const KEEPALIVE: Duration = Duration::from_secs(60);
/// Largest message a client may send.
const MAX_FRAME: usize = 256 * 1024;
/// Live subscriptions one socket may hold: each costs the server work on every change.
pub const MAX_SUBSCRIPTIONS: usize = 16;

/// The ids of a socket's live subscriptions, counted from both sides of the conversation.
#[derive(Default)]
struct Live(std::collections::HashSet<String>);

impl Live {
    /// A client frame: `Err(id)` for a subscribe beyond the cap (answered here, never run).
    fn heard_from_client(&mut self, text: &str) -> Result<(), String> {
        let Ok(frame) = serde_json::from_str::<serde_json::Value>(text) else {
            return Ok(());
        };
        let id = frame["id"].as_str().unwrap_or_default().to_owned();
        match frame["type"].as_str() {
            Some("subscribe") if !self.0.contains(&id) => {
                if self.0.len() >= MAX_SUBSCRIPTIONS {
                    return Err(id);
                }
                self.0.insert(id);
            }
            Some("complete") => {
                self.0.remove(&id);
            }
            _ => {}
        }
        Ok(())
    }

    /// A server frame: a subscription that completed or failed no longer counts.
    fn sent_by_server(&mut self, text: &str) {
        // Data frames are the bulk; only short frames can be `complete` or `error` ones.
        if self.0.is_empty() || text.len() > 4096 || !text.contains("\"type\"") {
            return;
        }
        if let Ok(frame) = serde_json::from_str::<serde_json::Value>(text)
            && matches!(frame["type"].as_str(), Some("complete" | "error"))
            && let Some(id) = frame["id"].as_str()
        {
            self.0.remove(id);
        }
    }
}

/// The protocol's `error` frame for a subscribe refused before it ran.
fn too_many(id: &str) -> String {
    serde_json::json!({
        "id": id,
        "type": "error",
        "payload": [{
            "message": format!("每个连接最多 {MAX_SUBSCRIPTIONS} 个订阅"),
            "extensions": {"code": "QUERY_TOO_COMPLEX"},
        }],
    })
    .to_string()
}

/// The bearer token of a `connection_init` payload.
fn token_of(payload: &serde_json::Value) -> Option<String> {
    let raw = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))?
        .as_str()?;
    let (scheme, token) = raw.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The protocol's close codes for what async-graphql reports in its own terms.
fn close_code(code: u16, acknowledged: bool) -> u16 {
    match code {
        // The init callback refused the connection.
        1002 if !acknowledged => 4403,
        // A subscribe before `connection_ack`.
        1011 if !acknowledged => 4401,
        other => other,
    }
}

pub async fn subscribe(
    req: HttpRequest,
    payload: web::Payload,
    shared: web::Data<Shared>,
) -> actix_web::Result<HttpResponse> {
    let protocol = req
        .headers()
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| {
            list.split(',')
                .map(str::trim)
                .find_map(|p| p.parse::<async_graphql::http::WebSocketProtocols>().ok())
        })
        .unwrap_or(async_graphql::http::WebSocketProtocols::GraphQLWS);
    let (mut response, mut session, messages) = actix_ws::handle(&req, payload)?;
    response.headers_mut().insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol.sec_websocket_protocol()),
    );
    let state = shared.state.clone();
    let schema = shared.schemas.guarded.clone();
    let request_id = super::graphql::request_id(&req);
    // The token the socket was opened with, for the periodic re-check.
    let token: Arc<Mutex<Option<String>>> = Arc::default();

    // Client frames in, as text for the protocol engine; pings answered at the frame level.
    let (to_engine, heard_from_client) = tokio::sync::mpsc::channel::<String>(16);
    let mut pong = session.clone();
    let live: Arc<Mutex<Live>> = Arc::default();
    let counted = live.clone();
    actix_web::rt::spawn(async move {
        let mut messages = messages.max_frame_size(MAX_FRAME);
        while let Some(Ok(message)) = messages.next().await {
            match message {
                Message::Text(text) => {
                    let admitted = counted
                        .lock()
                        .map_or(Ok(()), |mut l| l.heard_from_client(&text));
                    match admitted {
                        Err(id) => {
                            if pong.text(too_many(&id)).await.is_err() {
                                return;
                            }
                        }
                        Ok(()) => {
                            if to_engine.send(text.to_string()).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                Message::Ping(bytes) => {
                    let _ = pong.pong(&bytes).await;
                }
                Message::Close(_) => return,
                _ => {}
            }
        }
    });
    let mut heard_from_client = heard_from_client;
    let client = futures_util::stream::poll_fn(move |cx| heard_from_client.poll_recv(cx));

    let init_state = state.clone();
    let init_token = token.clone();
    let mut engine = WebSocket::new(schema, client, protocol)
        .on_connection_init(move |init| async move {
            let bearer = token_of(&init).ok_or_else(|| {
                async_graphql::Error::new("connection_init 须携带 Authorization: Bearer <token>")
            })?;
            let principal = authenticate(&init_state, &bearer)
                .await
                .map_err(|refused| async_graphql::Error::new(refused.message()))?;
            if let Ok(mut slot) = init_token.lock() {
                *slot = Some(bearer);
            }
            Ok(connection_data(&init_state, principal, request_id))
        })
        .keepalive_timeout(KEEPALIVE);

    actix_web::rt::spawn(async move {
        let mut acknowledged = false;
        let every = state.settings.server.ws_recheck;
        let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                message = engine.next() => match message {
                    Some(WsMessage::Text(text)) => {
                        acknowledged |= text.contains("\"connection_ack\"");
                        if let Ok(mut live) = live.lock() {
                            live.sent_by_server(&text);
                        }
                        if session.text(text).await.is_err() {
                            return;
                        }
                    }
                    Some(WsMessage::Close(code, reason)) => {
                        let code = close_code(code, acknowledged);
                        let _ = session
                            .close(Some(CloseReason {
                                code: CloseCode::Other(code),
                                description: Some(reason),
                            }))
                            .await;
                        return;
                    }
                    None => {
                        let _ = session.close(None).await;
                        return;
                    }
                },
                _ = recheck.tick() => {
                    let current = token.lock().ok().and_then(|t| t.clone());
                    if let Some(bearer) = current
                        && still_signed_in(&state, &bearer).await.is_err()
                    {
                        let _ = session
                            .close(Some(CloseReason {
                                code: CloseCode::Other(4403),
                                description: Some("会话已结束，请重新连接".into()),
                            }))
                            .await;
                        return;
                    }
                }
            }
        }
    });
    Ok(response)
}

/// Is the socket's session still live? Temporary database trouble keeps the socket open.
async fn still_signed_in(state: &AppState, bearer: &str) -> Result<(), ()> {
    match authenticate(state, bearer).await {
        Ok(_) => Ok(()),
        Err(crate::error::AppError::Unavailable { .. }) => Ok(()),
        Err(_) => Err(()),
    }
}

/// What the resolvers of one socket see: the state, the caller and its loaders.
fn connection_data(
    state: &AppState,
    principal: crate::access::principal::Principal,
    request_id: String,
) -> Data {
    let mut data = Data::default();
    data.insert(state.clone());
    data.insert(Loaders::for_caller(
        &state.keyed,
        Some(&principal),
        state.settings.loader_delay,
    ));
    data.insert(Caller::Authenticated(Actor {
        principal,
        request_id,
    }));
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_holds_a_bounded_number_of_live_subscriptions() {
        let mut live = Live::default();
        let sub = |id: usize| format!(r#"{{"id":"{id}","type":"subscribe","payload":{{}}}}"#);
        for id in 0..MAX_SUBSCRIPTIONS {
            assert_eq!(live.heard_from_client(&sub(id)), Ok(()));
        }
        assert_eq!(live.heard_from_client(&sub(99)), Err("99".to_owned()));
        // The same id again is the engine's to refuse; it does not count twice.
        assert_eq!(live.heard_from_client(&sub(0)), Ok(()));
        live.heard_from_client(r#"{"id":"0","type":"complete"}"#)
            .unwrap();
        assert_eq!(live.heard_from_client(&sub(99)), Ok(()));
        live.sent_by_server(r#"{"type":"complete","id":"1"}"#);
        live.sent_by_server(r#"{"type":"error","id":"2","payload":[]}"#);
        assert_eq!(live.heard_from_client(&sub(100)), Ok(()));
        assert_eq!(live.heard_from_client(&sub(101)), Ok(()));
        assert_eq!(live.heard_from_client(&sub(102)), Err("102".to_owned()));
    }

    #[test]
    fn refusals_before_the_ack_use_the_protocol_codes() {
        assert_eq!(close_code(1002, false), 4403);
        assert_eq!(close_code(1011, false), 4401);
        assert_eq!(close_code(1002, true), 1002);
        assert_eq!(close_code(4429, false), 4429);
        assert_eq!(
            token_of(&serde_json::json!({"Authorization": "Bearer abc"})).as_deref(),
            Some("abc")
        );
        assert_eq!(token_of(&serde_json::json!({"Authorization": "abc"})), None);
    }
}
