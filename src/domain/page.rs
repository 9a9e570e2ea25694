//! Keyset pagination: how many rows a page may hold and the opaque cursors that mark a place.
//!
//! A cursor is the sort key of the last row seen, base64url-encoded. It only says where to resume;
//! every page is still filtered by the caller's scope, so a cursor never reveals or reaches a row
//! outside it.
use crate::error::{AppError, AppResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub first: u64,
    /// The decoded sort key to resume after.
    pub after: Option<String>,
}

impl PageRequest {
    pub fn new(first: Option<i32>, after: Option<&str>) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE,
            Some(n) if (1..=MAX_PAGE as i32).contains(&n) => n as u64,
            Some(_) => {
                return Err(AppError::bad_input(
                    "first",
                    format!("first 须在 1 到 {MAX_PAGE} 之间"),
                ));
            }
        };
        let after = after.map(decode_cursor).transpose()?;
        Ok(PageRequest { first, after })
    }
}

impl PageRequest {
    /// The cursor of a list ordered by id: the id to resume after.
    pub fn after_id(&self) -> AppResult<Option<uuid::Uuid>> {
        self.after
            .as_deref()
            .map(|s| {
                uuid::Uuid::parse_str(s).map_err(|_| AppError::bad_input("after", "无效的分页游标"))
            })
            .transpose()
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

pub fn decode_cursor(cursor: &str) -> AppResult<String> {
    let bad = || AppError::bad_input("after", "无效的分页游标");
    if cursor.len() > 1024 {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    String::from_utf8(bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_is_bounded() {
        assert_eq!(PageRequest::new(None, None).unwrap().first, DEFAULT_PAGE);
        assert_eq!(PageRequest::new(Some(100), None).unwrap().first, 100);
        assert!(PageRequest::new(Some(101), None).is_err());
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(-5), None).is_err());
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor("/abc/def/");
        assert_eq!(decode_cursor(&c).unwrap(), "/abc/def/");
        assert!(decode_cursor("%%%").is_err());
    }
}
