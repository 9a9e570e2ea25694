//! Photos: checked by content, stored once per content hash in the photo store (local disk by
//! default, any S3-compatible store through `object_store`), attached to their owner in the
//! owner's transaction, and opened only for callers allowed to see the owner (which the owner's
//! module decides: see `photo_owner`).
use crate::domain::photo::{ImageFormat, MAX_PHOTOS, sniff};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::photo::{self as photo_store, PhotoRow};
use chrono::{DateTime, Utc};
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;
use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

/// The photo store: a local directory unless configured otherwise.
pub fn local_store(data_dir: &std::path::Path) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let dir = data_dir.join("photos");
    std::fs::create_dir_all(&dir)?;
    Ok(Arc::new(
        object_store::local::LocalFileSystem::new_with_prefix(dir)?,
    ))
}

/// A photo as it arrived in a request, before any check, with its content hash (computed
/// once: it names the stored blob and is part of a report's idempotency payload).
pub struct IncomingPhoto {
    bytes: Vec<u8>,
    sha256: String,
}

impl IncomingPhoto {
    pub fn new(bytes: Vec<u8>) -> Self {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        IncomingPhoto { bytes, sha256 }
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// A photo that passed the checks and is in the store, waiting for its row.
#[derive(Debug, Clone)]
pub struct StagedPhoto {
    pub sha256: String,
    pub format: ImageFormat,
    pub size: i64,
}

/// Who a photo belongs to. Photos of events and their timeline entries carry the event id, so
/// that whoever may see the event may see them. Service items', claims' and committee
/// activities' photos are seen by whoever may see the item, the claim or the activity.
#[derive(Debug, Clone, Copy)]
pub enum PhotoOwner {
    Event(Uuid),
    EventStep {
        event_id: Uuid,
        step_id: Uuid,
    },
    ServiceItem(Uuid),
    /// A claim's completion report.
    ServiceClaim(Uuid),
    /// A committee's meeting or co-building activity.
    CommitteeActivity(Uuid),
}

impl PhotoOwner {
    pub fn kind(self) -> &'static str {
        match self {
            PhotoOwner::Event(_) => "EVENT",
            PhotoOwner::EventStep { .. } => "EVENT_STEP",
            PhotoOwner::ServiceItem(_) => "SERVICE_ITEM",
            PhotoOwner::ServiceClaim(_) => "SERVICE_CLAIM",
            // The column holds 16 characters.
            PhotoOwner::CommitteeActivity(_) => "COMMITTEE_ACT",
        }
    }

    fn ids(self) -> (Uuid, Option<Uuid>) {
        match self {
            PhotoOwner::Event(id) => (id, Some(id)),
            PhotoOwner::EventStep { event_id, step_id } => (step_id, Some(event_id)),
            PhotoOwner::ServiceItem(id)
            | PhotoOwner::ServiceClaim(id)
            | PhotoOwner::CommitteeActivity(id) => (id, None),
        }
    }
}

fn object_path(sha256: &str) -> ObjectPath {
    ObjectPath::from(format!("{}/{}", &sha256[..2], sha256))
}

/// Checks count, size and format of every photo (`field` names the argument in errors) before
/// anything is stored, then puts each in the store under its content hash. Nothing is written
/// to the database here: a request that fails later leaves at most an unreferenced blob, which
/// the next upload of the same picture reuses.
pub async fn stage(
    state: &AppState,
    field: &str,
    photos: Vec<IncomingPhoto>,
) -> AppResult<Vec<StagedPhoto>> {
    if photos.len() > MAX_PHOTOS {
        return Err(AppError::bad_input(
            field,
            format!("最多上传 {MAX_PHOTOS} 张照片"),
        ));
    }
    let max = state.settings.limits.max_file_bytes;
    let mut checked = Vec::with_capacity(photos.len());
    for (i, photo) in photos.iter().enumerate() {
        let at = format!("{field}.{i}");
        if photo.bytes.is_empty() {
            return Err(AppError::bad_input(at, "照片为空"));
        }
        if photo.bytes.len() > max {
            return Err(AppError::bad_input(
                at,
                format!("单张照片不能超过 {} MB", max / (1024 * 1024)),
            ));
        }
        let format = sniff(&photo.bytes)
            .ok_or_else(|| AppError::bad_input(at, "只接受 JPEG、PNG、WebP 或 HEIC 格式的照片"))?;
        checked.push(format);
    }
    let mut staged = Vec::with_capacity(photos.len());
    for (photo, format) in photos.into_iter().zip(checked) {
        let sha256 = photo.sha256;
        let path = object_path(&sha256);
        let size = photo.bytes.len() as i64;
        if state.photos.head(&path).await.is_err() {
            state
                .photos
                .put(&path, photo.bytes.into())
                .await
                .map_err(AppError::internal)?;
            tracing::debug!(%sha256, size, "photo stored");
        }
        staged.push(StagedPhoto {
            sha256,
            format,
            size,
        });
    }
    Ok(staged)
}

/// The rows that attach staged photos to their owner (in the owner's transaction).
pub async fn attach(
    db: &impl ConnectionTrait,
    owner: PhotoOwner,
    staged: &[StagedPhoto],
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<PhotoRow>, DbErr> {
    let (owner_id, event_id) = owner.ids();
    let mut rows = Vec::with_capacity(staged.len());
    for (position, photo) in staged.iter().enumerate() {
        rows.push(
            photo_store::insert(
                db,
                PhotoRow {
                    id: Uuid::now_v7(),
                    sha256: photo.sha256.clone(),
                    content_type: photo.format.as_str().to_owned(),
                    size_bytes: photo.size,
                    owner_kind: owner.kind().to_owned(),
                    owner_id,
                    event_id,
                    position: position as i16,
                    uploaded_by: by,
                    created_at: now,
                },
            )
            .await?,
        );
    }
    Ok(rows)
}

/// A photo's row and bytes, if `may_see` (the owner's decision, made by the caller) allows it.
/// Anything else is NOT_FOUND, so ids cannot be probed.
pub async fn open(
    state: &AppState,
    id: Uuid,
    may_see: impl AsyncFnOnce(&PhotoRow) -> AppResult<bool>,
) -> AppResult<(PhotoRow, bytes::Bytes)> {
    let row = photo_store::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("照片"))?;
    if !may_see(&row).await? {
        return Err(AppError::not_found("照片"));
    }
    let bytes = state
        .photos
        .get(&object_path(&row.sha256))
        .await
        .map_err(AppError::internal)?
        .bytes()
        .await
        .map_err(AppError::internal)?;
    Ok((row, bytes))
}
