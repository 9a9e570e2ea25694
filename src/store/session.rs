//! Sessions (refresh-token families) and their rotating refresh tokens.
use super::entity::refresh_token::{self, Column as TokenColumn, Entity as Token};
use super::entity::session::{self, Column as SessionColumn, Entity as Session};
use crate::access::cache::{Revoked, announce};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

pub use refresh_token::Model as RefreshTokenRow;
pub use session::Model as SessionRow;

pub async fn create_session(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<SessionRow, DbErr> {
    session::ActiveModel::from(SessionRow {
        id: Uuid::now_v7(),
        account_id,
        created_at: now,
        last_used_at: now,
        revoked_at: None,
        revoked_reason: None,
    })
    .insert(db)
    .await
}

pub async fn find_session(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<SessionRow>, DbErr> {
    Session::find_by_id(id).one(db).await
}

pub async fn insert_token(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    token_hash: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<RefreshTokenRow, DbErr> {
    refresh_token::ActiveModel::from(RefreshTokenRow {
        id: Uuid::now_v7(),
        session_id,
        token_hash,
        created_at: now,
        expires_at,
        rotated_at: None,
        retried_at: None,
        revoked_at: None,
    })
    .insert(db)
    .await
}

pub async fn find_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<RefreshTokenRow>, DbErr> {
    Token::find()
        .filter(TokenColumn::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// Marks a live token as rotated. Only one of several concurrent callers succeeds.
pub async fn mark_rotated(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Token::update_many()
        .col_expr(TokenColumn::RotatedAt, Expr::val(now))
        .filter(TokenColumn::Id.eq(id))
        .filter(TokenColumn::RotatedAt.is_null())
        .filter(TokenColumn::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn find_token_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<RefreshTokenRow>, DbErr> {
    Token::find_by_id(id).one(db).await
}

/// The tokens with any of these hashes.
pub async fn find_tokens(
    db: &impl ConnectionTrait,
    token_hashes: &[String],
) -> Result<Vec<RefreshTokenRow>, DbErr> {
    Token::find()
        .filter(TokenColumn::TokenHash.is_in(token_hashes.iter().cloned()))
        .all(db)
        .await
}

pub async fn touch_session(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Session::update_many()
        .col_expr(SessionColumn::LastUsedAt, Expr::val(now))
        .filter(SessionColumn::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes a session and every token in it, and tells every instance to stop honouring it
/// (when the enclosing transaction, if any, commits). The caller then forgets it locally.
pub async fn revoke_session(
    db: &impl ConnectionTrait,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Session::update_many()
        .col_expr(SessionColumn::RevokedAt, Expr::val(now))
        .col_expr(SessionColumn::RevokedReason, Expr::val(reason))
        .filter(SessionColumn::Id.eq(id))
        .filter(SessionColumn::RevokedAt.is_null())
        .exec(db)
        .await?;
    Token::update_many()
        .col_expr(TokenColumn::RevokedAt, Expr::val(now))
        .filter(TokenColumn::SessionId.eq(id))
        .filter(TokenColumn::RevokedAt.is_null())
        .exec(db)
        .await?;
    announce(db, Revoked::Session(id)).await
}

/// Revokes every session of an account (disable, password change); every instance drops the
/// account's cached callers when the enclosing transaction commits.
pub async fn revoke_all_for_account(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let sessions: Vec<Uuid> = Session::find()
        .filter(SessionColumn::AccountId.eq(account_id))
        .filter(SessionColumn::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    for id in sessions {
        revoke_session(db, id, reason, now).await?;
    }
    announce(db, Revoked::Account(account_id)).await
}
