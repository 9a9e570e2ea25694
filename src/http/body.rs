//! Reading a GraphQL request body: JSON, or multipart per the GraphQL multipart request spec.
//! Every path has the same bounds: `operations` and `map` are capped like a JSON body, files by
//! size and count, and a body that stalls or drags on is dropped with 408.
use crate::config::Limits;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use async_graphql::{UploadValue, Variables};
use futures_util::StreamExt;
use std::collections::HashMap;
use tokio::time::Instant;

/// A refusal before execution: the response, given the request id.
pub type Refusal = Box<dyn FnOnce(&str) -> HttpResponse>;

pub fn refusal(status: StatusCode, message: &'static str) -> Refusal {
    Box::new(move |rid| super::graphql::refuse(status, "BAD_USER_INPUT", message, rid))
}

/// Why reading the body stopped early.
#[derive(Debug)]
enum BodyError {
    TooLarge,
    TimedOut,
    Broken,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BodyError::TooLarge => "request body over the size cap",
            BodyError::TimedOut => "request body too slow",
            BodyError::Broken => "request body could not be read",
        })
    }
}

impl std::error::Error for BodyError {}

impl BodyError {
    fn refusal(&self) -> Refusal {
        match self {
            BodyError::TooLarge => refusal(StatusCode::PAYLOAD_TOO_LARGE, "请求体过大"),
            BodyError::TimedOut => refusal(StatusCode::REQUEST_TIMEOUT, "请求体发送超时"),
            BodyError::Broken => refusal(StatusCode::BAD_REQUEST, "请求体读取失败"),
        }
    }
}

/// The next chunk, waiting at most `idle` for it and never past `deadline`.
async fn next_chunk(
    payload: &mut web::Payload,
    idle: std::time::Duration,
    deadline: Instant,
) -> Result<Option<web::Bytes>, BodyError> {
    let wait = deadline.min(Instant::now() + idle);
    match tokio::time::timeout_at(wait, payload.next()).await {
        Err(_) => Err(BodyError::TimedOut),
        Ok(None) => Ok(None),
        Ok(Some(Ok(bytes))) => Ok(Some(bytes)),
        Ok(Some(Err(_))) => Err(BodyError::Broken),
    }
}

/// A single GraphQL request from a JSON body.
pub async fn read_json(
    mut payload: web::Payload,
    limits: &Limits,
) -> Result<async_graphql::Request, Refusal> {
    let deadline = Instant::now() + limits.body_timeout;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = next_chunk(&mut payload, limits.body_idle_timeout, deadline)
        .await
        .map_err(|e| e.refusal())?
    {
        if body.len() + chunk.len() > limits.json_body_bytes {
            return Err(BodyError::TooLarge.refusal());
        }
        body.extend_from_slice(&chunk);
    }
    parse_operations(&body)
}

/// `{query, variables, operationName, extensions}`; arrays (batches) are refused.
fn parse_operations(body: &[u8]) -> Result<async_graphql::Request, Refusal> {
    let value: serde_json::Value = serde_json::from_slice(body)
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

/// Does `path` (`variables.a.0.b`) name a value inside the variables?
fn points_at_variable(variables: &Variables, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("variables.") else {
        return false;
    };
    let mut parts = rest.split('.');
    let Some(first) = parts.next().and_then(|name| variables.get(name)) else {
        return false;
    };
    parts
        .try_fold(first, |current, part| match current {
            async_graphql::Value::List(items) => {
                part.parse::<usize>().ok().and_then(|i| items.get(i))
            }
            async_graphql::Value::Object(fields) => fields.get(part),
            _ => None,
        })
        .is_some()
}

/// A request from a multipart body: `operations`, then `map`, then the files it names.
pub async fn read_multipart(
    content_type: &str,
    mut payload: web::Payload,
    limits: &Limits,
) -> Result<async_graphql::Request, Refusal> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| refusal(StatusCode::BAD_REQUEST, "multipart 请求缺少 boundary"))?;
    // The payload is not Send; a local task feeds it through a channel, with the timeouts.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, BodyError>>(16);
    let idle = limits.body_idle_timeout;
    let deadline = Instant::now() + limits.upload_timeout;
    actix_web::rt::spawn(async move {
        loop {
            let item = match next_chunk(&mut payload, idle, deadline).await {
                Ok(Some(bytes)) => Ok(bytes),
                Ok(None) => return,
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    });
    let mut rx = rx;
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let size = multer::SizeLimit::new()
        .whole_stream(limits.multipart_body_bytes as u64)
        .per_field(limits.max_file_bytes as u64)
        .for_field("operations", limits.json_body_bytes as u64)
        .for_field("map", limits.json_body_bytes as u64);
    let mut multipart = multer::Multipart::with_constraints(
        stream,
        boundary,
        multer::Constraints::new().size_limit(size),
    );

    let mut request: Option<async_graphql::Request> = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    let mut files = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(multer_refusal)? {
        match field.name() {
            Some("operations") if request.is_none() => {
                let bytes = field.bytes().await.map_err(multer_refusal)?;
                request = Some(parse_operations(&bytes)?);
            }
            Some("map") if request.is_some() && map.is_none() => {
                let bytes = field.bytes().await.map_err(multer_refusal)?;
                let parsed: HashMap<String, Vec<String>> =
                    serde_json::from_slice(&bytes).map_err(|_| {
                        refusal(
                            StatusCode::BAD_REQUEST,
                            "map 须为 {\"文件字段\": [\"variables.路径\"]}",
                        )
                    })?;
                let variables = &request.as_ref().expect("checked above").variables;
                if parsed.len() > limits.max_files {
                    return Err(refusal(StatusCode::PAYLOAD_TOO_LARGE, "上传文件过多"));
                }
                if parsed
                    .values()
                    .flatten()
                    .any(|path| !points_at_variable(variables, path))
                {
                    return Err(refusal(
                        StatusCode::BAD_REQUEST,
                        "map 中的路径未指向任何变量（须为 variables.… 且该变量存在）",
                    ));
                }
                map = Some(parsed);
            }
            Some(name) if map.is_some() => {
                let name = name.to_owned();
                let Some(paths) = map.as_mut().and_then(|m| m.remove(&name)) else {
                    return Err(refusal(StatusCode::BAD_REQUEST, "文件字段不在 map 中"));
                };
                files += 1;
                if files > limits.max_files {
                    return Err(refusal(StatusCode::PAYLOAD_TOO_LARGE, "上传文件过多"));
                }
                let filename = field.file_name().unwrap_or(&name).to_owned();
                let content_type = field.content_type().map(|m| m.to_string());
                let mut file = tempfile::tempfile()
                    .map_err(|_| refusal(StatusCode::INSUFFICIENT_STORAGE, "无法暂存上传文件"))?;
                while let Some(chunk) = field.chunk().await.map_err(multer_refusal)? {
                    use std::io::Write;
                    file.write_all(&chunk).map_err(|_| {
                        refusal(StatusCode::INSUFFICIENT_STORAGE, "无法暂存上传文件")
                    })?;
                }
                let request = request.as_mut().expect("map follows operations");
                for path in paths {
                    let content = file.try_clone().map_err(|_| {
                        refusal(StatusCode::INSUFFICIENT_STORAGE, "无法暂存上传文件")
                    })?;
                    use std::io::Seek;
                    let mut content = content;
                    content.rewind().map_err(|_| {
                        refusal(StatusCode::INSUFFICIENT_STORAGE, "无法暂存上传文件")
                    })?;
                    request.set_upload(
                        &path,
                        UploadValue {
                            filename: filename.clone(),
                            content_type: content_type.clone(),
                            content,
                        },
                    );
                }
            }
            _ => {
                return Err(refusal(
                    StatusCode::BAD_REQUEST,
                    "multipart 各部分须依次为 operations、map 和文件",
                ));
            }
        }
    }
    let request =
        request.ok_or_else(|| refusal(StatusCode::BAD_REQUEST, "multipart 请求缺少 operations"))?;
    match map {
        None => Err(refusal(StatusCode::BAD_REQUEST, "multipart 请求缺少 map")),
        Some(rest) if !rest.is_empty() => Err(refusal(
            StatusCode::BAD_REQUEST,
            "map 中列出的文件未随请求发送",
        )),
        Some(_) => Ok(request),
    }
}

fn multer_refusal(error: multer::Error) -> Refusal {
    match &error {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            BodyError::TooLarge.refusal()
        }
        multer::Error::StreamReadFailed(cause) => match cause.downcast_ref::<BodyError>() {
            Some(e) => e.refusal(),
            None => BodyError::Broken.refusal(),
        },
        _ => refusal(StatusCode::BAD_REQUEST, "multipart 请求格式不正确"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_paths_must_name_a_variable() {
        let variables = Variables::from_json(serde_json::json!({
            "i": { "photos": [null, null] }, "file": null
        }));
        assert!(points_at_variable(&variables, "variables.i.photos.1"));
        assert!(points_at_variable(&variables, "variables.file"));
        assert!(!points_at_variable(&variables, "variables.i.photos.2"));
        assert!(!points_at_variable(&variables, "variables.i.nothere.0"));
        assert!(!points_at_variable(&variables, "i.photos.0"));
        assert!(!points_at_variable(&variables, "variables.missing"));
    }
}
