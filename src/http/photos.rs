//! `GET /photos/{id}`: a stored photo, for a caller (bearer token) allowed to see what it
//! belongs to. Anything else is 404, so photo ids cannot be probed.
use super::Shared;
use super::graphql::{refuse, request_id, signed_in, unavailable};
use crate::error::AppError;
use crate::service::photo_owner::open_photo;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

pub async fn get(
    req: HttpRequest,
    path: web::Path<String>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let rid = request_id(&req);
    let state = &shared.state;
    let principal = match signed_in(&req, state, &rid).await {
        Ok(principal) => principal,
        Err(refused) => return refused,
    };
    let Ok(id) = Uuid::parse_str(&path) else {
        return refuse(StatusCode::NOT_FOUND, "NOT_FOUND", "照片不存在", &rid);
    };
    match open_photo(state, &principal, id).await {
        Ok((row, bytes)) => HttpResponse::Ok()
            .content_type(row.content_type)
            .insert_header((header::CACHE_CONTROL, "private, max-age=86400, immutable"))
            .insert_header((header::ETAG, format!("\"{}\"", row.sha256)))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(bytes),
        Err(AppError::Unavailable {
            retry_after_secs,
            message,
        }) => unavailable(retry_after_secs, &message, &rid),
        Err(err @ AppError::Internal(_)) => {
            err.log("reading a photo failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "内部错误",
                &rid,
            )
        }
        Err(e) => refuse(StatusCode::NOT_FOUND, e.code(), &e.message(), &rid),
    }
}
