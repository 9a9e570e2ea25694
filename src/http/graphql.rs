//! The GraphQL endpoint. Bodies are read with a size cap; batches are refused; GET serves
//! GraphiQL in development and runs read-only queries, never mutations. The caller is resolved
//! here, once, and handed to the resolvers with per-request loaders bound to its scope.
use super::Shared;
use super::request_id::RequestId;
use crate::access::Actor;
use crate::access::event::EventReach;
use crate::access::resident::ResidentReach;
use crate::error::AppError;
use crate::graphql::loaders::Loaders;
use crate::graphql::{Caller, RequestId as GqlRequestId};
use crate::service::session::authenticate;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::http::{GraphiQLSource, MultipartOptions};
use async_graphql::parser::types::OperationType;
use futures_util::{FutureExt, StreamExt, TryStreamExt};
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

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub async fn post(
    req: HttpRequest,
    payload: web::Payload,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let rid = request_id(&req);
    let limits = &shared.state.settings.limits;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let request = if content_type.starts_with("multipart/form-data") {
        match read_multipart(&content_type, payload, limits).await {
            Ok(request) => request,
            Err(response) => return response(&rid),
        }
    } else if content_type.starts_with("application/json")
        || content_type.starts_with("application/graphql-response+json")
    {
        match read_json(payload, limits.json_body_bytes).await {
            Ok(request) => request,
            Err(response) => return response(&rid),
        }
    } else {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            "请求须为 application/json 或 multipart/form-data",
            &rid,
        );
    };
    execute(&req, &shared, request, rid).await
}

type Refusal = Box<dyn FnOnce(&str) -> HttpResponse>;

fn refusal(status: StatusCode, message: &'static str) -> Refusal {
    Box::new(move |rid| refuse(status, "BAD_USER_INPUT", message, rid))
}

async fn read_json(
    mut payload: web::Payload,
    limit: usize,
) -> Result<async_graphql::Request, Refusal> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| refusal(StatusCode::BAD_REQUEST, "请求体读取失败"))?;
        if body.len() + chunk.len() > limit {
            return Err(refusal(StatusCode::PAYLOAD_TOO_LARGE, "请求体过大"));
        }
        body.extend_from_slice(&chunk);
    }
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| refusal(StatusCode::BAD_REQUEST, "请求体不是有效的 JSON"))?;
    if value.is_array() {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "不支持批量请求，请逐个发送（离线上报请用 syncReports）",
        ));
    }
    serde_json::from_value(value).map_err(|_| {
        refusal(
            StatusCode::BAD_REQUEST,
            "请求体须为 {query, variables, operationName}",
        )
    })
}

async fn read_multipart(
    content_type: &str,
    mut payload: web::Payload,
    limits: &crate::config::Limits,
) -> Result<async_graphql::Request, Refusal> {
    // The payload is not Send; pipe it through a channel, counting bytes against the cap.
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<web::Bytes>>(16);
    let cap = limits.multipart_body_bytes;
    actix_web::rt::spawn(async move {
        let mut seen = 0usize;
        while let Some(chunk) = payload.next().await {
            let item = match chunk {
                Ok(bytes) => {
                    seen += bytes.len();
                    if seen > cap {
                        let _ = tx
                            .send(Err(std::io::Error::other("body over the size cap")))
                            .await;
                        return;
                    }
                    Ok(bytes)
                }
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            if tx.send(item).await.is_err() {
                return;
            }
        }
    });
    let stream = tokio_stream_from(rx);
    let options = MultipartOptions::default()
        .max_file_size(limits.max_file_bytes)
        .max_num_files(limits.max_files);
    let batch = async_graphql::http::receive_batch_body(
        Some(content_type),
        stream.into_async_read(),
        options,
    )
    .await
    .map_err(|e| match e {
        async_graphql::ParseRequestError::PayloadTooLarge => {
            refusal(StatusCode::PAYLOAD_TOO_LARGE, "上传文件过大或过多")
        }
        _ => refusal(StatusCode::BAD_REQUEST, "multipart 请求格式不正确"),
    })?;
    match batch {
        async_graphql::BatchRequest::Single(request) => Ok(request),
        async_graphql::BatchRequest::Batch(_) => {
            Err(refusal(StatusCode::BAD_REQUEST, "不支持批量请求"))
        }
    }
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<std::io::Result<web::Bytes>>,
) -> impl futures_util::Stream<Item = std::io::Result<web::Bytes>> + Send {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
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
    let request = match request_from_query_string(req.query_string()) {
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

/// `?query=…&operationName=…&variables=<json>` as the GraphQL-over-HTTP spec writes it.
fn request_from_query_string(qs: &str) -> Option<async_graphql::Request> {
    let params = web::Query::<std::collections::HashMap<String, String>>::from_query(qs).ok()?;
    let mut request = async_graphql::Request::new(params.get("query")?.clone());
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
    let caller = match bearer(req.headers()) {
        None => Caller::Anonymous,
        Some(token) => match authenticate(state, token).await {
            Ok(principal) => Caller::Authenticated(Actor {
                principal,
                request_id: rid.clone(),
            }),
            Err(AppError::Internal(cause)) => {
                tracing::error!(error = ?cause, "resolving the caller failed");
                return refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "INTERNAL",
                    "内部错误",
                    &rid,
                );
            }
            Err(refused) => Caller::Refused(refused.message()),
        },
    };
    let (reach, residents) = match &caller {
        Caller::Authenticated(actor) => (
            EventReach::of(&actor.principal),
            ResidentReach::nested(&actor.principal),
        ),
        _ => (EventReach::nobody(), ResidentReach::nobody()),
    };
    let query = request.query.clone();
    let request = request
        .data(state.clone())
        .data(Loaders::new(
            &state.db,
            &reach,
            &residents,
            state.settings.loader_delay,
        ))
        .data(GqlRequestId(rid.clone()))
        .data(caller);
    let response = AssertUnwindSafe(shared.schema.execute(request))
        .catch_unwind()
        .await;
    match response {
        // Answers depend on the caller: never cached or shared.
        Ok(mut response) => {
            crate::graphql::errors::finish(&mut response, &query, &rid, &state.metrics);
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(response)
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
