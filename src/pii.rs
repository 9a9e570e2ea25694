//! Personal data at rest: AES-256-GCM encryption and a keyed hash for exact look-ups.
//!
//! Ciphertexts and hashes name the key that made them (`kid`), so a new key can be put first in
//! `GRIDHUB_PII_KEY` while the old ones still decrypt and match; re-encrypting then retires them.
use crate::config::Secret;
use crate::error::AppError;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

struct PiiKey {
    kid: String,
    cipher: Aes256Gcm,
    lookup_key: [u8; 32],
}

pub struct PiiVault {
    keys: Vec<PiiKey>,
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl PiiVault {
    pub fn new(keys: &[Secret]) -> anyhow::Result<Self> {
        let keys = keys
            .iter()
            .map(|k| {
                let cipher = Aes256Gcm::new_from_slice(&k.bytes)
                    .map_err(|_| anyhow::anyhow!("PII key {} must be 32 bytes", k.kid))?;
                // A separate sub-key for hashing, so the hash key never touches the cipher.
                let lookup_key = hmac(&k.bytes, b"gridhub/pii/lookup/v1");
                Ok(PiiKey {
                    kid: k.kid.clone(),
                    cipher,
                    lookup_key,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(!keys.is_empty(), "no PII key");
        Ok(Self { keys })
    }

    fn active(&self) -> &PiiKey {
        &self.keys[0]
    }

    /// `kid.base64(nonce ‖ ciphertext)`; the field name is bound in as associated data so a
    /// ciphertext cannot be moved to another column.
    pub fn encrypt(&self, field: &str, plaintext: &str) -> Result<String, AppError> {
        let key = self.active();
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                aes_gcm::aead::Payload {
                    msg: plaintext.as_bytes(),
                    aad: field.as_bytes(),
                },
            )
            .map_err(|_| AppError::internal(anyhow::anyhow!("PII encryption failed")))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{}.{}", key.kid, URL_SAFE_NO_PAD.encode(out)))
    }

    pub fn decrypt(&self, field: &str, stored: &str) -> Result<String, AppError> {
        let fail = |why: &str| AppError::internal(anyhow::anyhow!("PII decryption failed: {why}"));
        let (kid, body) = stored.split_once('.').ok_or_else(|| fail("format"))?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| fail("unknown key id"))?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| fail("encoding"))?;
        if bytes.len() < 12 + 16 {
            return Err(fail("length"));
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                aes_gcm::aead::Payload {
                    msg: sealed,
                    aad: field.as_bytes(),
                },
            )
            .map_err(|_| fail("authentication"))?;
        String::from_utf8(plain).map_err(|_| fail("utf-8"))
    }

    /// The look-up hash under the active key: store this.
    pub fn lookup_hash(&self, field: &str, value: &str) -> String {
        Self::hash_with(self.active(), field, value)
    }

    /// The look-up hashes under every configured key: match any of these.
    pub fn lookup_hashes(&self, field: &str, value: &str) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| Self::hash_with(k, field, value))
            .collect()
    }

    fn hash_with(key: &PiiKey, field: &str, value: &str) -> String {
        let mut data = Vec::with_capacity(field.len() + 1 + value.len());
        data.extend_from_slice(field.as_bytes());
        data.push(0);
        data.extend_from_slice(value.as_bytes());
        format!(
            "{}.{}",
            key.kid,
            hex::encode(&hmac(&key.lookup_key, &data)[..24])
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(kid: &str, b: u8) -> Secret {
        Secret {
            kid: kid.into(),
            bytes: vec![b; 32],
        }
    }

    #[test]
    fn round_trip_and_field_binding() {
        let vault = PiiVault::new(&[secret("a", 1)]).unwrap();
        let c = vault.encrypt("phone", "13812345678").unwrap();
        assert!(!c.contains("13812345678"));
        assert_eq!(vault.decrypt("phone", &c).unwrap(), "13812345678");
        assert!(vault.decrypt("id_number", &c).is_err());
        assert_ne!(vault.encrypt("phone", "13812345678").unwrap(), c);
    }

    #[test]
    fn rotation_keeps_old_data_readable() {
        let old = PiiVault::new(&[secret("a", 1)]).unwrap();
        let c = old.encrypt("phone", "13812345678").unwrap();
        let h = old.lookup_hash("phone", "13812345678");
        let new = PiiVault::new(&[secret("b", 2), secret("a", 1)]).unwrap();
        assert_eq!(new.decrypt("phone", &c).unwrap(), "13812345678");
        assert!(new.lookup_hashes("phone", "13812345678").contains(&h));
        assert!(new.encrypt("phone", "x").unwrap().starts_with("b."));
    }
}
