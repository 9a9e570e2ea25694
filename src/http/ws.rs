//! WebSocket on `/graphql` (graphql-transport-ws): the access token comes in the
//! `connection_init` payload as `{"Authorization": "Bearer …"}` and is checked like a request's;
//! the subscriber then sees what `event(id)` would show it.
use super::Shared;
use crate::access::event::EventReach;
use crate::access::principal::Actor;
use crate::access::resident::ResidentReach;
use crate::graphql::Caller;
use crate::graphql::loaders::Loaders;
use crate::service::session::authenticate;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::Data;
use async_graphql_actix_web::GraphQLSubscription;
use std::time::Duration;

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

pub async fn subscribe(
    req: HttpRequest,
    payload: web::Payload,
    shared: web::Data<Shared>,
) -> actix_web::Result<HttpResponse> {
    let state = shared.state.clone();
    let request_id = super::graphql::request_id(&req);
    GraphQLSubscription::new(shared.schema.clone())
        .on_connection_init(move |init| async move {
            let token = token_of(&init).ok_or_else(|| {
                async_graphql::Error::new("connection_init 须携带 Authorization: Bearer <token>")
            })?;
            let principal = authenticate(&state, &token)
                .await
                .map_err(|refused| async_graphql::Error::new(refused.message()))?;
            let reach = EventReach::of(&principal);
            let residents = ResidentReach::nested(&principal);
            let mut data = Data::default();
            data.insert(state.clone());
            data.insert(Loaders::new(
                &state.db,
                &reach,
                &residents,
                state.settings.loader_delay,
            ));
            data.insert(Caller::Authenticated(Actor {
                principal,
                request_id,
            }));
            Ok(data)
        })
        .keepalive_timeout(Duration::from_secs(60))
        .start(&req, payload)
}
