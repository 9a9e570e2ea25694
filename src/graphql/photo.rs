//! Photos over GraphQL: the `Photo` type and reading multipart uploads into photos.
use crate::error::AppError;
use crate::graphql::state;
use crate::service::photo::IncomingPhoto;
use crate::store::photo::PhotoRow;
use async_graphql::{Context, Result, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use std::io::Read;
use uuid::Uuid;

/// A stored photo. Fetch `url` with the same bearer token; only callers who may see what the
/// photo belongs to get it.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Photo {
    pub id: Uuid,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the content (the app can skip re-downloading a picture it has).
    pub sha256: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

impl From<PhotoRow> for Photo {
    fn from(row: PhotoRow) -> Self {
        Photo {
            url: format!("/photos/{}", row.id),
            id: row.id,
            content_type: row.content_type,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
            created_at: row.created_at,
        }
    }
}

/// Reads uploads into memory, each capped one byte over the limit so an oversized file is
/// recognised without reading it all.
pub fn read_uploads(
    ctx: &Context<'_>,
    field: &str,
    uploads: Vec<Upload>,
) -> Result<Vec<IncomingPhoto>, AppError> {
    let max = state(ctx).settings.limits.max_file_bytes as u64;
    uploads
        .into_iter()
        .enumerate()
        .map(|(i, upload)| {
            let bad = || AppError::bad_input(format!("{field}.{i}"), "无法读取上传的照片");
            let value = upload.value(ctx).map_err(|_| bad())?;
            let mut bytes = Vec::new();
            value
                .into_read()
                .take(max + 1)
                .read_to_end(&mut bytes)
                .map_err(|_| bad())?;
            Ok(IncomingPhoto::new(bytes))
        })
        .collect()
}
