//! Logging in, refreshing, logging out, and resolving an access token to the caller.
//!
//! Refresh tokens rotate on every use. Presenting a rotated token again is treated as theft and
//! revokes the whole session, with one exception: within a short window, while its successor
//! has not been used, the previous token may be presented again — a double tap, or a retry after
//! a lost response. Such calls get the very same successor (it is derived from the presented
//! token with a keyed HMAC), so no caller ever holds a token that is already dead.
use crate::access::cache::Revoked;
use crate::access::principal::{self, Actor, Principal};
use crate::auth::refresh::{
    hash_refresh_token, looks_like_refresh_token, new_refresh_token, successor_refresh_token,
};
use crate::domain::person::parse_phone;
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Entry, Outcome};
use crate::state::AppState;
use crate::store::{account, session};
use chrono::Duration;
use sea_orm::TransactionTrait;

/// What a successful login or refresh hands back.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub account: account::AccountRow,
    /// The account's own region (the caller has no scope yet when the payload is resolved).
    pub region: Option<crate::store::region::RegionRow>,
}

async fn own_region(
    state: &AppState,
    acc: &account::AccountRow,
) -> AppResult<Option<crate::store::region::RegionRow>> {
    match acc.region_id {
        Some(id) => Ok(crate::store::region::find_unscoped(&state.db, id).await?),
        None => Ok(None),
    }
}

fn bad_credentials() -> AppError {
    AppError::Unauthenticated("手机号或密码错误".into())
}

fn refresh_refused() -> AppError {
    AppError::Unauthenticated("刷新令牌无效或已失效，请重新登录".into())
}

fn std_to_chrono(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    phone: &str,
    password: &str,
    request_id: &str,
) -> AppResult<Issued> {
    let phone = parse_phone("phone", phone)?;
    if password.is_empty() || password.len() > 1024 {
        return Err(bad_credentials());
    }
    let now = state.now();
    let hashes = state.pii.lookup_hashes("phone", &phone);
    let found = account::find_by_phone_hashes(&state.db, &hashes).await?;
    let policy = &state.settings.login;
    if let Some(acc) = &found {
        if let Some(until) = acc.locked_until.filter(|until| *until > now) {
            return Err(AppError::RateLimited {
                message: "登录失败次数过多，账号已临时锁定".into(),
                retry_after_secs: (until - now).num_seconds().max(1) as u64,
            });
        }
        if acc.failed_logins >= policy.slow_after {
            let exponent = (acc.failed_logins - policy.slow_after).min(16) as u32;
            let delay = Duration::seconds(1i64 << exponent).min(std_to_chrono(policy.max_delay));
            if let Some(last) = acc.last_failed_login_at
                && last + delay > now
            {
                return Err(AppError::RateLimited {
                    message: "登录尝试过于频繁，请稍后再试".into(),
                    retry_after_secs: (last + delay - now).num_seconds().max(1) as u64,
                });
            }
        }
    }
    let verified = state
        .passwords
        .verify(found.as_ref().map(|a| a.password_hash.as_str()), password)
        .await?;
    let Some(acc) = found else {
        return Err(bad_credentials());
    };
    let entry = |outcome| Entry {
        action: "login",
        target_type: "account",
        target_id: Some(acc.id),
        region_id: acc.region_id,
        outcome,
        detail: None,
    };
    if !verified || acc.disabled_at.is_some() {
        if !verified {
            let locked_until = now + std_to_chrono(policy.lock_for);
            account::record_failed_login(&state.db, acc.id, now, policy.lock_after, locked_until)
                .await?;
        }
        audit::record_as(
            &state.db,
            Some((acc.id, acc.role.as_str())),
            Some(request_id),
            now,
            entry(Outcome::Denied),
        )
        .await?;
        return Err(bad_credentials());
    }
    if acc.failed_logins > 0 || acc.locked_until.is_some() {
        account::reset_failed_logins(&state.db, acc.id).await?;
    }
    let txn = state.db.begin().await?;
    let sess = session::create_session(&txn, acc.id, now).await?;
    let refresh_token = new_refresh_token();
    let expires = now + std_to_chrono(state.settings.refresh_ttl);
    session::insert_token(
        &txn,
        sess.id,
        hash_refresh_token(&refresh_token),
        now,
        expires,
    )
    .await?;
    audit::record_as(
        &txn,
        Some((acc.id, acc.role.as_str())),
        Some(request_id),
        now,
        entry(Outcome::Success),
    )
    .await?;
    txn.commit().await?;
    Ok(Issued {
        access_token: state.jwt.issue(acc.id, sess.id)?,
        refresh_token,
        expires_in: state.jwt.ttl_secs(),
        region: own_region(state, &acc).await?,
        account: acc,
    })
}

#[tracing::instrument(skip_all)]
pub async fn refresh(state: &AppState, presented: &str) -> AppResult<Issued> {
    if !looks_like_refresh_token(presented) {
        return Err(refresh_refused());
    }
    let now = state.now();
    let Some(token) = session::find_token(&state.db, &hash_refresh_token(presented)).await? else {
        return Err(refresh_refused());
    };
    let Some(sess) = session::find_session(&state.db, token.session_id).await? else {
        return Err(refresh_refused());
    };
    if sess.revoked_at.is_some() || token.expires_at <= now {
        return Err(refresh_refused());
    }
    if token.revoked_at.is_some() {
        // A token of a revoked family, or one revoked by reuse, came back: someone holds a copy.
        session::revoke_session(&state.db, sess.id, "reuse", now).await?;
        state.principals.forget(Revoked::Session(sess.id));
        tracing::warn!(session = %sess.id, "revoked refresh token presented; session revoked");
        return Err(refresh_refused());
    }
    let Some(acc) = account::find_unscoped(&state.db, sess.account_id).await? else {
        return Err(refresh_refused());
    };
    if acc.disabled_at.is_some() {
        return Err(refresh_refused());
    }

    let signing = &state.settings.jwt_keys;
    let successor = successor_refresh_token(&signing[0].bytes, presented);
    // The conditional update comes first: it takes the row's lock (PostgreSQL) or the write
    // lock (SQLite), so concurrent rotations of one token run one after the other and the
    // losers see the winner's successor.
    let txn = state.db.begin().await?;
    let fresh = session::mark_rotated(&txn, token.id, now).await?;
    let refresh_token = if fresh {
        let expires = now + std_to_chrono(state.settings.refresh_ttl);
        session::insert_token(&txn, sess.id, hash_refresh_token(&successor), now, expires).await?;
        session::touch_session(&txn, sess.id, now).await?;
        txn.commit().await?;
        successor
    } else {
        // Rotated already, earlier or by a concurrent call: hand out the same successor while
        // it is unused and the window is open (under any of the signing keys, in case they
        // rotated in between); anything else is reuse.
        let current = session::find_token_by_id(&txn, token.id).await?;
        let candidates: Vec<String> = signing
            .iter()
            .map(|key| successor_refresh_token(&key.bytes, presented))
            .collect();
        let hashes: Vec<String> = candidates.iter().map(|t| hash_refresh_token(t)).collect();
        let next = session::find_tokens(&txn, &hashes).await?;
        txn.commit().await?;
        let window = std_to_chrono(state.settings.refresh_retry_window);
        let within_window = current
            .as_ref()
            .filter(|t| t.revoked_at.is_none())
            .and_then(|t| t.rotated_at)
            .is_some_and(|rotated_at| now - rotated_at <= window);
        let unused = next.into_iter().find(|t| {
            t.session_id == sess.id
                && t.rotated_at.is_none()
                && t.revoked_at.is_none()
                && t.expires_at > now
        });
        match unused {
            Some(next) if within_window => candidates
                .into_iter()
                .find(|t| hash_refresh_token(t) == next.token_hash)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("successor hash mismatch")))?,
            _ => {
                session::revoke_session(&state.db, sess.id, "reuse", now).await?;
                state.principals.forget(Revoked::Session(sess.id));
                tracing::warn!(session = %sess.id, "rotated refresh token reused; session revoked");
                return Err(refresh_refused());
            }
        }
    };
    tracing::debug!(session = %sess.id, retry = !fresh, "refresh token rotated");
    Ok(Issued {
        access_token: state.jwt.issue(acc.id, sess.id)?,
        refresh_token,
        expires_in: state.jwt.ttl_secs(),
        region: own_region(state, &acc).await?,
        account: acc,
    })
}

/// Ends the caller's session (and, if given, the session of a refresh token of the caller's).
pub async fn logout(
    state: &AppState,
    actor: Option<&Actor>,
    presented: Option<&str>,
) -> AppResult<bool> {
    let now = state.now();
    let mut ended = false;
    if let Some(actor) = actor {
        let echo = state.principals.echo();
        session::revoke_session(&state.db, actor.principal.session_id, "logout", now).await?;
        state
            .principals
            .revoked(echo, Revoked::Session(actor.principal.session_id))
            .await;
        ended = true;
    }
    if let Some(presented) = presented.filter(|t| looks_like_refresh_token(t))
        && let Some(token) = session::find_token(&state.db, &hash_refresh_token(presented)).await?
    {
        let echo = state.principals.echo();
        session::revoke_session(&state.db, token.session_id, "logout", now).await?;
        state
            .principals
            .revoked(echo, Revoked::Session(token.session_id))
            .await;
        ended = true;
    }
    if !ended {
        return Err(refresh_refused());
    }
    Ok(true)
}

/// Turns a bearer token into the caller. Refresh tokens, forged, expired and mis-signed tokens,
/// disabled accounts and revoked sessions are all `UNAUTHENTICATED`.
pub async fn authenticate(state: &AppState, bearer: &str) -> AppResult<Principal> {
    if looks_like_refresh_token(bearer) {
        return Err(AppError::Unauthenticated("刷新令牌不能用作访问令牌".into()));
    }
    let claims = state.jwt.verify(bearer)?;
    if let Some(cached) = state.principals.get(claims.sid, claims.sub) {
        return Ok(cached);
    }
    let ticket = state.principals.ticket();
    let principal = principal::resolve(&state.db, claims.sub, principal::Session::Live(claims.sid))
        .await?
        .ok_or_else(|| AppError::Unauthenticated("会话已失效，请重新登录".into()))?;
    state.principals.put(ticket, &principal);
    Ok(principal)
}
