//! Where photo blobs live: a directory under the data dir by default, or any S3-compatible store
//! when `GRIDHUB_OBJECT_STORE=s3://bucket[/prefix]` is set (endpoint, region and keys from the
//! standard `AWS_*` variables: `AWS_ENDPOINT`, `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP` for a plain-HTTP endpoint).
use anyhow::{Context, bail};
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use std::sync::Arc;

/// Opens the configured blob store.
pub fn open(data_dir: &std::path::Path, url: Option<&str>) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let Some(url) = url else {
        let dir = data_dir.join("photos");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        return Ok(Arc::new(LocalFileSystem::new_with_prefix(dir)?));
    };
    let Some(rest) = url.strip_prefix("s3://") else {
        bail!("GRIDHUB_OBJECT_STORE must be s3://bucket[/prefix], not {url:?}");
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        bail!("GRIDHUB_OBJECT_STORE names no bucket: {url:?}");
    }
    let s3 = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()
        .context("configuring the S3 photo store (AWS_* variables)")?;
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        Ok(Arc::new(s3))
    } else {
        Ok(Arc::new(PrefixStore::new(s3, Path::from(prefix))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_s3_urls_with_a_bucket_are_taken() {
        let dir = tempfile::tempdir().unwrap();
        assert!(open(dir.path(), Some("gs://bucket")).is_err());
        assert!(open(dir.path(), Some("s3://")).is_err());
        assert!(open(dir.path(), None).is_ok());
        assert!(dir.path().join("photos").is_dir());
    }
}
