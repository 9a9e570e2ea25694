//! Logging in and out over GraphQL.
use super::account::Account;
use super::{caller_actor, request_id, state};
use crate::service::session as service;
use async_graphql::{Context, Object, Result, SimpleObject};

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Short-lived JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Opaque, single-use: exchange it with `refreshSession` for a new pair.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub account: Account,
}

impl From<service::Issued> for AuthPayload {
    fn from(issued: service::Issued) -> Self {
        AuthPayload {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_in: issued.expires_in as i64,
            account: super::account::Account::from(issued.account).with_own_region(issued.region),
        }
    }
}

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Logs in with phone and password. Repeated failures slow down, then lock the account.
    async fn login(
        &self,
        ctx: &Context<'_>,
        phone: String,
        password: String,
    ) -> Result<AuthPayload> {
        let issued = service::login(state(ctx), &phone, &password, &request_id(ctx)).await?;
        Ok(issued.into())
    }

    /// Exchanges a refresh token for a new access token and a new refresh token.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> Result<AuthPayload> {
        Ok(service::refresh(state(ctx), &refresh_token).await?.into())
    }

    /// Ends the current session (the one of the access token, and/or of the given refresh token).
    async fn logout(&self, ctx: &Context<'_>, refresh_token: Option<String>) -> Result<bool> {
        Ok(service::logout(state(ctx), caller_actor(ctx), refresh_token.as_deref()).await?)
    }
}
