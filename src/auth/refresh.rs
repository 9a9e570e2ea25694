//! Opaque refresh tokens. Only their SHA-256 is stored, so a database dump yields no usable token.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every refresh token starts with this, so it can never be mistaken for a JWT.
const PREFIX: &str = "grt_";

pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The token that succeeds `presented` when it is rotated: a keyed HMAC of it, so concurrent
/// refreshes and a retry of a lost response all compute the same successor without any
/// plaintext being stored. `secret` is a server secret (a JWT signing key); a domain label
/// keeps the derived key apart from the key's other uses.
pub fn successor_refresh_token(secret: &[u8], presented: &str) -> String {
    let key = hmac_sha256(secret, b"gridhub/refresh/successor/v1");
    let next = hmac_sha256(&key, presented.as_bytes());
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(next))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
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

    #[test]
    fn the_successor_is_stable_keyed_and_well_formed() {
        let a = new_refresh_token();
        let next = successor_refresh_token(b"secret-one", &a);
        assert!(looks_like_refresh_token(&next));
        assert_eq!(next, successor_refresh_token(b"secret-one", &a));
        assert_ne!(next, successor_refresh_token(b"secret-two", &a));
        assert_ne!(
            next,
            successor_refresh_token(b"secret-one", &new_refresh_token())
        );
    }
}
