//! Short-lived access tokens (HS256). Algorithm, issuer, audience, expiry and token type are pinned
//! and required; the header's `kid` picks the verifying key, so a new key can sign while tokens
//! signed by the previous one stay valid until they expire.
use crate::config::Settings;
use crate::error::AppError;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

const ACCESS: &str = "access";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    /// The session (refresh-token family) this token belongs to.
    pub sid: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: Uuid,
    pub typ: String,
}

pub struct JwtKeys {
    signing_kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: u64,
}

impl JwtKeys {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let first = settings
            .jwt_keys
            .first()
            .ok_or_else(|| anyhow::anyhow!("no JWT key"))?;
        let verifying = settings
            .jwt_keys
            .iter()
            .map(|k| (k.kid.clone(), DecodingKey::from_secret(&k.bytes)))
            .collect();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[&settings.jwt_issuer]);
        validation.set_audience(&[&settings.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "iat"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        Ok(Self {
            signing_kid: first.kid.clone(),
            signing: EncodingKey::from_secret(&first.bytes),
            verifying,
            validation,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            ttl_secs: settings.access_ttl.as_secs(),
        })
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// Signs an access token for `account` in `session`. Token times are wall-clock times.
    pub fn issue(&self, account: Uuid, session: Uuid) -> Result<String, AppError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = AccessClaims {
            sub: account,
            sid: session,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + self.ttl_secs,
            jti: Uuid::now_v7(),
            typ: ACCESS.into(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing_kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.signing).map_err(AppError::internal)
    }

    /// Verifies an access token. Every failure is the same `UNAUTHENTICATED` to the client.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, AppError> {
        let refused = || AppError::Unauthenticated("访问令牌无效或已过期".into());
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused())?;
        if header.alg != Algorithm::HS256 {
            return Err(refused());
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.verifying.get(kid))
            .ok_or_else(refused)?;
        let data =
            jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation).map_err(|e| {
                tracing::debug!(error = %e, "access token refused");
                refused()
            })?;
        if data.claims.typ != ACCESS {
            return Err(refused());
        }
        Ok(data.claims)
    }
}
