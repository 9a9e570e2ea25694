//! Automatic persisted queries (the Apollo protocol): a client sends
//! `extensions.persistedQuery.sha256Hash` instead of the document once the server has seen it.
//! Documents are kept as text in a bounded LRU per instance (a miss on another instance just makes
//! the client send the text once more), and the hash is resolved before anything else looks at
//! the request, so the GET read-only check and the nesting pre-scan see the real document.
//! async-graphql's own extension is not used: it parses and caches documents itself, before our
//! pre-scan, and runs after the GET check.
use async_graphql::Value;
use sha2::{Digest, Sha256};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

/// Documents longer than this are run but not kept (real app queries are a few KiB).
const MAX_KEPT_BYTES: usize = 16 * 1024;

pub struct PersistedQueries {
    cache: Mutex<lru::LruCache<String, Arc<str>>>,
}

/// Why a persisted-query request cannot run.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The hash is unknown here: the client sends it again with the document.
    NotFound,
    /// The hash does not match the document sent with it.
    HashMismatch,
    /// `persistedQuery` is not `{version: 1, sha256Hash: "<64 hex>"}`.
    Malformed,
}

impl PersistedQueries {
    pub fn new(entries: usize) -> Self {
        PersistedQueries {
            cache: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(entries).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// Fills in the document of a hash-only request, or registers a document sent with its
    /// hash. Requests without `persistedQuery` pass untouched.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<(), Refused> {
        let Some(persisted) = request.extensions.get("persistedQuery") else {
            return Ok(());
        };
        let Value::Object(fields) = persisted else {
            return Err(Refused::Malformed);
        };
        let version_ok =
            matches!(fields.get("version"), Some(Value::Number(n)) if n.as_u64() == Some(1));
        let hash = match fields.get("sha256Hash") {
            Some(Value::String(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                h.to_ascii_lowercase()
            }
            _ => return Err(Refused::Malformed),
        };
        if !version_ok {
            return Err(Refused::Malformed);
        }
        let mut cache = self.cache.lock().map_err(|_| Refused::NotFound)?;
        if request.query.trim().is_empty() {
            let text = cache.get(&hash).ok_or(Refused::NotFound)?;
            request.query = text.to_string();
            return Ok(());
        }
        if hex::encode(Sha256::digest(request.query.as_bytes())) != hash {
            return Err(Refused::HashMismatch);
        }
        if request.query.len() <= MAX_KEPT_BYTES {
            cache.put(hash, Arc::from(request.query.as_str()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, hash: &str) -> async_graphql::Request {
        let mut r = async_graphql::Request::new(query);
        let ext = serde_json::json!({ "version": 1, "sha256Hash": hash });
        r.extensions.insert(
            "persistedQuery".into(),
            Value::from_json(ext).expect("json"),
        );
        r
    }

    #[test]
    fn a_hash_is_registered_with_its_text_then_works_alone() {
        let apq = PersistedQueries::new(2);
        let text = "{ labels { name } }";
        let hash = hex::encode(Sha256::digest(text.as_bytes()));
        assert_eq!(apq.resolve(&mut request("", &hash)), Err(Refused::NotFound));
        assert_eq!(
            apq.resolve(&mut request("{ me { id } }", &hash)),
            Err(Refused::HashMismatch)
        );
        apq.resolve(&mut request(text, &hash)).expect("registered");
        let mut alone = request("", &hash);
        apq.resolve(&mut alone).expect("found");
        assert_eq!(alone.query, text);
        assert_eq!(
            apq.resolve(&mut request("", "abc")),
            Err(Refused::Malformed)
        );
        // Bounded: the least recently used hash goes first.
        for other in ["{ a }", "{ b }"] {
            let h = hex::encode(Sha256::digest(other.as_bytes()));
            apq.resolve(&mut request(other, &h)).expect("registered");
        }
        assert_eq!(apq.resolve(&mut request("", &hash)), Err(Refused::NotFound));
    }
}
