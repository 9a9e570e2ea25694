//! argon2id password hashing. Hashing is CPU-bound, so it runs on the blocking pool.
use crate::config::PasswordParams;
use crate::error::{AppError, AppResult};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use password_hash::rand_core::OsRng;
use std::sync::Arc;

#[derive(Clone)]
pub struct Passwords {
    argon: Arc<Argon2<'static>>,
    /// Verified against when the phone is unknown, so both paths cost the same.
    dummy_hash: Arc<String>,
}

impl Passwords {
    pub fn new(params: &PasswordParams) -> anyhow::Result<Self> {
        let params = Params::new(params.memory_kib, params.iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::generate(&mut OsRng);
        let dummy_hash = argon
            .hash_password(b"gridhub-dummy-password", &salt)
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
            .to_string();
        Ok(Self {
            argon: Arc::new(argon),
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let argon = self.argon.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when `hash` is `None`.
    pub async fn verify(&self, hash: Option<&str>, password: &str) -> AppResult<bool> {
        let argon = self.argon.clone();
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash)
                .map_err(|e| AppError::internal(anyhow::anyhow!("stored hash: {e}")))?;
            Ok::<_, AppError>(argon.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(AppError::internal)??;
        Ok(ok && known)
    }
}
