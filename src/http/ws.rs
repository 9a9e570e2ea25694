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
    let schema = shared.schema.clone();
    let request_id = super::graphql::request_id(&req);
    // The token the socket was opened with, for the periodic re-check.
    let token: Arc<Mutex<Option<String>>> = Arc::default();

    // Client frames in, as text for the protocol engine; pings answered at the frame level.
    let (to_engine, from_client) = tokio::sync::mpsc::channel::<String>(16);
    let mut pong = session.clone();
    actix_web::rt::spawn(async move {
        let mut messages = messages.max_frame_size(MAX_FRAME);
        while let Some(Ok(message)) = messages.next().await {
            match message {
                Message::Text(text) if to_engine.send(text.to_string()).await.is_err() => {
                    return;
                }
                Message::Ping(bytes) => {
                    let _ = pong.pong(&bytes).await;
                }
                Message::Close(_) => return,
                _ => {}
            }
        }
    });
    let mut from_client = from_client;
    let client = futures_util::stream::poll_fn(move |cx| from_client.poll_recv(cx));

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
        &state.db,
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
