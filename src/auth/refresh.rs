//! Opaque refresh tokens. Only their SHA-256 is stored, so a database dump yields no usable token.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every refresh token starts with this, so it can never be mistaken for a JWT.
const PREFIX: &str = "grt_";

pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn looks_like_refresh_token(token: &str) -> bool {
    token.starts_with(PREFIX) && token.len() == PREFIX.len() + 43
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_recognisable() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_ne!(a, b);
        assert!(looks_like_refresh_token(&a));
        assert!(!looks_like_refresh_token("eyJhbGciOi.x.y"));
        assert_eq!(hash_refresh_token(&a).len(), 64);
    }
}
