//! The GraphQL endpoint. Bodies are read with a size cap; batches are refused; GET serves
//! GraphiQL in development and runs read-only queries, never mutations. The caller is resolved
//! here, once, and handed to the resolvers with per-request loaders bound to its scope.
use super::Shared;
use super::body;
use super::persisted;
use super::request_id::RequestId;
use crate::access::Actor;
use crate::budget::Payer;
use crate::error::AppError;
use crate::graphql::guard;
use crate::graphql::loaders::Loaders;
use crate::graphql::{Caller, RequestId as GqlRequestId};
use crate::service::session::authenticate;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use futures_util::FutureExt;
use serde_json::json;
use std::panic::AssertUnwindSafe;

pub(super) fn request_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// A response in GraphQL shape for a request refused before execution.
pub(super) fn refuse(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "errors": [{
            "message": message,
            "extensions": { "code": code, "requestId": request_id }
        }]
    }))
}

/// 503 with `Retry-After` for a request that failed for a temporary reason (`UNAVAILABLE`).
pub(super) fn unavailable(retry_after_secs: u64, message: &str, request_id: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, retry_after_secs.to_string()))
        .json(json!({
            "errors": [{
                "message": message,
                "extensions": {
                    "code": "UNAVAILABLE",
                    "retryAfterSeconds": retry_after_secs,
                    "requestId": request_id
                }
            }]
        }))
}

/// The answer when resolving the caller failed for a reason other than the token.
pub(super) fn caller_failed(err: AppError, request_id: &str) -> HttpResponse {
    match err {
        AppError::Unavailable {
            retry_after_secs,
            message,
        } => unavailable(retry_after_secs, &message, request_id),
        err => {
            err.log("resolving the caller failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                err.code(),
                &err.message(),
                request_id,
            )
        }
    }
}

/// The signed-in caller of a plain HTTP endpoint (photos, exports), or the response refusing
/// it: 401 without or with a bad token, 503/500 when the check itself failed.
pub(super) async fn signed_in(
    req: &HttpRequest,
    state: &crate::state::AppState,
    rid: &str,
) -> Result<crate::access::principal::Principal, HttpResponse> {
    let Some(token) = bearer(req.headers()) else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "请先登录",
            rid,
        ));
    };
    match authenticate(state, token).await {
        Ok(principal) => Ok(principal),
        Err(err @ (AppError::Internal(_) | AppError::Unavailable { .. })) => {
            Err(caller_failed(err, rid))
        }
        Err(e) => Err(refuse(
            StatusCode::UNAUTHORIZED,
            e.code(),
            &e.message(),
            rid,
        )),
    }
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The media type of the answer: `application/graphql-response+json` when the client accepts
/// it (GraphQL over HTTP), else the legacy `application/json`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResponseMedia {
    GraphqlResponseJson,
    Json,
}

impl ResponseMedia {
    fn of(headers: &HeaderMap) -> Self {
        let accepts = headers
            .get_all(header::ACCEPT)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|item| {
                let mut parts = item.split(';').map(str::trim);
                let essence = parts.next().unwrap_or_default();
                let refused = parts.any(|p| {
                    p.strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                essence.eq_ignore_ascii_case("application/graphql-response+json") && !refused
            });
        if accepts {
            ResponseMedia::GraphqlResponseJson
        } else {
            ResponseMedia::Json
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            ResponseMedia::GraphqlResponseJson => {
                "application/graphql-response+json; charset=utf-8"
            }
            ResponseMedia::Json => "application/json",
        }
    }
}

/// The HTTP answer to an executed request. A request error (the document did not parse or
/// validate, or its variables did not coerce: nothing ran) is 400 without a `data` entry under
/// `application/graphql-response+json`; legacy JSON clients get 200 with `data: null` as before.
fn graphql_response(response: async_graphql::Response, media: ResponseMedia) -> HttpResponse {
    let hint = crate::graphql::errors::retry_hint(&response);
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut http = match &hint {
        Some(hint) => come_back_later(hint),
        None if request_error && media == ResponseMedia::GraphqlResponseJson => {
            HttpResponse::BadRequest()
        }
        None => HttpResponse::Ok(),
    };
    // Answers depend on the caller: never cached or shared.
    http.insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type(media.content_type());
    if request_error && media == ResponseMedia::GraphqlResponseJson {
        let mut body = serde_json::Map::new();
        body.insert("errors".into(), json!(response.errors));
        if !response.extensions.is_empty() {
            body.insert("extensions".into(), json!(response.extensions));
        }
        return http.body(serde_json::Value::Object(body).to_string());
    }
    match serde_json::to_string(&response) {
        Ok(text) => http.body(text),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// The status of a response whose error asks the client to come back later.
fn come_back_later(hint: &crate::graphql::errors::RetryHint) -> actix_web::HttpResponseBuilder {
    let status = match hint.code {
        "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut http = HttpResponse::build(status);
    http.insert_header((header::RETRY_AFTER, hint.after_secs.to_string()));
    http
}

/// A coded error refused before execution, with the status and `Retry-After` it calls for.
fn error_response(error: AppError, rid: &str, metrics: &crate::telemetry::Metrics) -> HttpResponse {
    let mut response = async_graphql::Response::from_errors(vec![
        async_graphql::Error::from(error).into_server_error(async_graphql::Pos::default()),
    ]);
    crate::graphql::errors::finish(
        &mut response,
        "",
        &async_graphql::Variables::default(),
        rid,
        metrics,
    );
    let mut http = match &crate::graphql::errors::retry_hint(&response) {
        Some(hint) => come_back_later(hint),
        None => HttpResponse::BadRequest(),
    };
    http.insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "errors": response.errors }))
}

/// The client's address: the peer, or the nearest hop a trusted proxy recorded.
fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> std::net::IpAddr {
    let forwarded = trust_forwarded_for
        .then(|| req.headers().get("x-forwarded-for")?.to_str().ok())
        .flatten()
        .and_then(|list| list.rsplit(',').next())
        .and_then(|hop| hop.trim().parse().ok());
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// The media type of a POST body: JSON or multipart, matched on the essence of `Content-Type`
/// (`application/jsonfoo` is neither). No header reads as JSON.
enum BodyKind {
    Json,
    Multipart,
}

fn body_kind(req: &HttpRequest) -> Option<BodyKind> {
    let Some(raw) = req.headers().get(header::CONTENT_TYPE) else {
        return Some(BodyKind::Json);
    };
    let mime: actix_web::mime::Mime = raw.to_str().ok()?.parse().ok()?;
    match (
        mime.type_().as_str(),
        mime.subtype().as_str(),
        mime.suffix(),
    ) {
        ("application", "json", None) => Some(BodyKind::Json),
        ("application", "graphql-response", Some(suffix)) if suffix == "json" => {
            Some(BodyKind::Json)
        }
        ("multipart", "form-data", None) => Some(BodyKind::Multipart),
        _ => None,
    }
}

pub async fn post(
    req: HttpRequest,
    payload: web::Payload,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let rid = request_id(&req);
    let limits = &shared.state.settings.limits;
    let read = match body_kind(&req) {
        Some(BodyKind::Json) => body::read_json(payload, limits).await,
        Some(BodyKind::Multipart) => {
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            body::read_multipart(content_type, payload, limits).await
        }
        None => {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "BAD_USER_INPUT",
                "请求须为 application/json 或 multipart/form-data",
                &rid,
            );
        }
    };
    let mut request = match read {
        Ok(request) => request,
        Err(response) => return response(&rid),
    };
    if let Err(refused) = shared.persisted.resolve(&mut request) {
        return persisted_refusal(refused, &rid);
    }
    execute(&req, &shared, request, rid).await
}

/// `GET /graphql`: GraphiQL (development) or a read-only query from the query string.
pub async fn get(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let rid = request_id(&req);
    if req.query_string().is_empty() {
        if shared.state.settings.is_production() {
            return refuse(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "GraphiQL 仅在开发环境提供",
                &rid,
            );
        }
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(GraphiQLSource::build().endpoint("/graphql").finish());
    }
    let mut request = match request_from_query_string(req.query_string()) {
        Some(request) => request,
        None => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                "查询参数格式不正确",
                &rid,
            );
        }
    };
    if let Err(refused) = shared.persisted.resolve(&mut request) {
        return persisted_refusal(refused, &rid);
    }
    let max_nesting = shared.state.settings.limits.max_nesting;
    if guard::nesting_exceeds(&request.query, max_nesting) {
        let error = guard::too_deep(max_nesting);
        return refuse(
            StatusCode::BAD_REQUEST,
            "QUERY_TOO_COMPLEX",
            &error.message,
            &rid,
        );
    }
    if !is_query_only(&request) {
        return refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "变更（mutation）须用 POST 发送",
            &rid,
        );
    }
    execute(&req, &shared, request, rid).await
}

/// The answer to a persisted-query request that cannot run. `PersistedQueryNotFound` is the
/// message Apollo clients look for before sending the document with its hash.
fn persisted_refusal(refused: persisted::Refused, rid: &str) -> HttpResponse {
    match refused {
        persisted::Refused::NotFound => {
            refuse(StatusCode::OK, "NOT_FOUND", "PersistedQueryNotFound", rid)
        }
        persisted::Refused::HashMismatch => refuse(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "provided sha does not match query",
            rid,
        ),
        persisted::Refused::Malformed => refuse(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "extensions.persistedQuery 须为 {version: 1, sha256Hash}",
            rid,
        ),
    }
}

/// `?query=…&operationName=…&variables=<json>&extensions=<json>` as the GraphQL-over-HTTP spec
/// and the persisted-query protocol write it (a hash alone needs no `query`).
fn request_from_query_string(qs: &str) -> Option<async_graphql::Request> {
    let params = web::Query::<std::collections::HashMap<String, String>>::from_query(qs).ok()?;
    let query = params.get("query").cloned().unwrap_or_default();
    let mut request = async_graphql::Request::new(query);
    if let Some(extensions) = params.get("extensions") {
        let value: serde_json::Value = serde_json::from_str(extensions).ok()?;
        let serde_json::Value::Object(fields) = value else {
            return None;
        };
        for (key, value) in fields {
            request
                .extensions
                .insert(key, async_graphql::Value::from_json(value).ok()?);
        }
    } else if !params.contains_key("query") {
        return None;
    }
    if let Some(name) = params.get("operationName") {
        request = request.operation_name(name.clone());
    }
    if let Some(variables) = params.get("variables") {
        let value: serde_json::Value = serde_json::from_str(variables).ok()?;
        request = request.variables(async_graphql::Variables::from_json(value));
    }
    Some(request)
}

/// Does the operation the request would run read only? (Unparseable documents pass through to
/// the engine, which reports the syntax error.)
fn is_query_only(request: &async_graphql::Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return true;
    };
    let selected = match request.operation_name.as_deref() {
        Some(name) => doc
            .operations
            .iter()
            .find(|(n, _)| n.map(|n| n.as_str()) == Some(name))
            .map(|(_, op)| op.node.ty),
        // Without a name, refuse if any operation in the document writes.
        None => doc
            .operations
            .iter()
            .map(|(_, op)| op.node.ty)
            .find(|ty| *ty != OperationType::Query)
            .or(Some(OperationType::Query)),
    };
    !matches!(
        selected,
        Some(OperationType::Mutation) | Some(OperationType::Subscription)
    )
}

async fn execute(
    req: &HttpRequest,
    shared: &Shared,
    request: async_graphql::Request,
    rid: String,
) -> HttpResponse {
    let state = &shared.state;
    let media = ResponseMedia::of(req.headers());
    let caller = match bearer(req.headers()) {
        None => Caller::Anonymous,
        Some(token) => match authenticate(state, token).await {
            Ok(principal) => Caller::Authenticated(Actor {
                principal,
                request_id: rid.clone(),
            }),
            Err(err @ (AppError::Internal(_) | AppError::Unavailable { .. })) => {
                return caller_failed(err, &rid);
            }
            Err(refused) => Caller::Refused(refused.message()),
        },
    };
    let payer = match &caller {
        Caller::Authenticated(actor) => Payer::Account(actor.principal.account_id),
        _ => Payer::Address(client_address(
            req,
            state.settings.rates.trust_forwarded_for,
        )),
    };
    if let Err(refused) = state.budgets.charge(payer, 1) {
        return error_response(refused, &rid, &state.metrics);
    }
    let query = request.query.clone();
    let variables = request.variables.clone();
    let request = request
        .data(state.clone())
        .data(Loaders::for_caller(
            &state.keyed,
            match &caller {
                Caller::Authenticated(actor) => Some(&actor.principal),
                _ => None,
            },
            state.settings.loader_delay,
        ))
        .data(GqlRequestId(rid.clone()))
        .data(payer)
        .data(caller);
    let response = AssertUnwindSafe(shared.schemas.execute(request, state, payer))
        .catch_unwind()
        .await;
    match response {
        // Answers depend on the caller: never cached or shared.
        Ok(mut response) => {
            crate::graphql::errors::finish(&mut response, &query, &variables, &rid, &state.metrics);
            graphql_response(response, media)
        }
        Err(_) => {
            tracing::error!("a resolver panicked");
            state
                .metrics
                .graphql_errors
                .with_label_values(&["INTERNAL"])
                .inc();
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "内部错误",
                &rid,
            )
        }
    }
}
