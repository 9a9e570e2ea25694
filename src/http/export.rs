//! `GET /exports/events.csv?regionId=…&from=…&to=…[&state=…&category=…]`: the events of a
//! region and window as a CSV that Excel opens right (UTF-8 with a BOM, CRLF, zh-CN headers and
//! labels), streamed page by page from a keyset cursor so memory stays flat however many rows.
//! Bearer token; 401 without one, 403 for callers who see no figures, 404 for a region outside
//! scope. Every export is audited before its first byte is sent.
use super::Shared;
use super::graphql::{refuse, request_id, signed_in, unavailable};
use crate::access::Actor;
use crate::domain::event::{EventCategory, EventState};
use crate::error::AppError;
use crate::service::figures::{self as figures, EXPORT_HEADERS, Export, ExportRequest};
use crate::store::figures::export_page;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows per statement (and per chunk sent).
const PAGE: u64 = 500;

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn answer(err: AppError, rid: &str) -> HttpResponse {
    let status = match &err {
        AppError::Unavailable {
            retry_after_secs,
            message,
        } => return unavailable(*retry_after_secs, message, rid),
        AppError::Internal(_) => {
            err.log("starting an export failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::BadUserInput { field, message } => {
            return HttpResponse::BadRequest().json(serde_json::json!({
                "errors": [{
                    "message": message,
                    "extensions": { "code": "BAD_USER_INPUT", "field": field, "requestId": rid }
                }]
            }));
        }
        _ => StatusCode::BAD_REQUEST,
    };
    refuse(status, err.code(), &err.message(), rid)
}

fn parse_request(query: &HashMap<String, String>) -> Result<ExportRequest, AppError> {
    fn required<'a>(q: &'a HashMap<String, String>, name: &str) -> Result<&'a str, AppError> {
        q.get(name)
            .map(String::as_str)
            .ok_or_else(|| AppError::bad_input(name, format!("缺少参数 {name}")))
    }
    let day = |name: &str| -> Result<NaiveDate, AppError> {
        required(query, name)?
            .parse()
            .map_err(|_| AppError::bad_input(name, "日期格式应为 YYYY-MM-DD"))
    };
    let region_id = Uuid::parse_str(required(query, "regionId")?)
        .map_err(|_| AppError::bad_input("regionId", "区域编号格式错误"))?;
    let state = match query.get("state") {
        Some(s) => Some(
            EventState::parse(s).ok_or_else(|| AppError::bad_input("state", "未知的事件状态"))?,
        ),
        None => None,
    };
    let category = match query.get("category") {
        Some(c) => Some(
            EventCategory::parse(c)
                .ok_or_else(|| AppError::bad_input("category", "未知的事件类别"))?,
        ),
        None => None,
    };
    Ok(ExportRequest {
        region_id,
        from: day("from")?,
        to: day("to")?,
        state,
        category,
    })
}

pub async fn events_csv(
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let rid = request_id(&req);
    let state = &shared.state;
    let principal = match signed_in(&req, state, &rid).await {
        Ok(principal) => principal,
        Err(refused) => return refused,
    };
    let request = match parse_request(&query) {
        Ok(r) => r,
        Err(e) => return answer(e, &rid),
    };
    let actor = Actor {
        principal,
        request_id: rid.clone(),
    };
    let export = match figures::start_export(state, &actor, &request).await {
        Ok(export) => export,
        Err(e) => return answer(e, &rid),
    };
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"events.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Export-Rows", export.rows.to_string()))
        .streaming(rows(shared.clone(), export, rid))
}

/// Where the stream is.
enum Cursor {
    Header,
    After(Option<(DateTime<Utc>, Uuid)>),
    Done,
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, AppError> {
    writer
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))
}

/// The header, then one chunk per page; at most one page is held at a time.
fn rows(
    shared: web::Data<Shared>,
    export: Export,
    rid: String,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> {
    futures_util::stream::unfold(Cursor::Header, move |cursor| {
        let shared = shared.clone();
        let export = export.clone();
        let rid = rid.clone();
        async move {
            let step = match cursor {
                Cursor::Done => return None,
                Cursor::Header => header_chunk().map(|bytes| (bytes, Cursor::After(None))),
                Cursor::After(after) => page_chunk(&shared, &export, after).await,
            };
            match step {
                Ok((bytes, next)) => Some((Ok(bytes), next)),
                Err(err) => {
                    // The status line is gone: cut the body short, so the client sees a broken
                    // download rather than a file that looks complete.
                    tracing::error!(request_id = %rid, "export stopped");
                    err.log("streaming an export failed");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError("export failed")),
                        Cursor::Done,
                    ))
                }
            }
        }
    })
}

fn header_chunk() -> Result<Bytes, AppError> {
    let mut writer = csv_writer();
    writer
        .write_record(EXPORT_HEADERS)
        .map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))?;
    let mut bytes = BOM.to_vec();
    bytes.extend(finish(writer)?);
    Ok(Bytes::from(bytes))
}

async fn page_chunk(
    shared: &Shared,
    export: &Export,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> Result<(Bytes, Cursor), AppError> {
    let page = export_page(&shared.state.db, &export.cohort, after, PAGE).await?;
    let mut writer = csv_writer();
    for row in &page {
        writer
            .write_record(figures::export_cells(row, export.now)?)
            .map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))?;
    }
    let next = match page.last() {
        Some(last) if page.len() as u64 == PAGE => Cursor::After(Some((last.reported_at, last.id))),
        _ => Cursor::Done,
    };
    Ok((Bytes::from(finish(writer)?), next))
}
