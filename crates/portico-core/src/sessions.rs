//! Refresh tokens: opaque, stored hashed, rotated on every use. A sign-in starts a family;
//! presenting a token that was already used means it was stolen or replayed, and revokes the
//! whole family. A family idles out when not refreshed in time and ends after a fixed life.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{CoreError, CoreResult, TenantTx, UserId, entities::refresh_token};

/// How long sessions last.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    /// Signed out automatically when not refreshed within this time.
    pub idle_timeout: Duration,
    /// Signed out at the latest this long after signing in.
    pub absolute: Duration,
}

/// A refresh token as handed to the client (the only time it exists in clear).
#[derive(Clone, Debug)]
pub struct IssuedRefresh {
    pub token: String,
    pub family_id: Uuid,
    pub idle_expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("unknown refresh token")]
    Invalid,
    /// The token had been used already: the family is now revoked. Commit the transaction.
    #[error("refresh token reused")]
    Reused { family_id: Uuid },
    #[error("session expired")]
    Expired,
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl From<sea_orm::DbErr> for RefreshError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Core(CoreError::Database(e))
    }
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    // Two random (v4) UUIDs: 244 bits from the OS generator.
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    format!("prt_{}{}", a.simple(), b.simple())
}

fn until(from: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    from + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Starts a new family for `user`.
pub async fn start(
    tx: &TenantTx,
    user: UserId,
    policy: &SessionPolicy,
) -> CoreResult<IssuedRefresh> {
    let now = Utc::now();
    let ends = until(now, policy.absolute);
    insert(tx, user, Uuid::now_v7(), now, policy.idle_timeout, ends).await
}

/// `family_ends` is stored as the family's start plus its absolute life, so a rotation
/// keeps both the idle timeout and the end the family began with.
async fn insert(
    tx: &TenantTx,
    user: UserId,
    family_id: Uuid,
    family_started_at: DateTime<Utc>,
    idle: Duration,
    family_ends: DateTime<Utc>,
) -> CoreResult<IssuedRefresh> {
    let now = Utc::now();
    let token = new_token();
    let idle_expires_at = until(now, idle).min(family_ends);
    refresh_token::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        user_id: Set(user.as_uuid()),
        family_id: Set(family_id),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        family_started_at: Set(family_started_at),
        family_ends_at: Set(family_ends),
        idle_expires_at: Set(idle_expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    Ok(IssuedRefresh {
        token,
        family_id,
        idle_expires_at,
    })
}

/// Exchanges a refresh token for the next one in its family.
pub async fn rotate(
    tx: &TenantTx,
    presented: &str,
) -> Result<(UserId, IssuedRefresh), RefreshError> {
    let Some(current) = tx
        .find::<refresh_token::Entity>()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
        .one(tx.conn())
        .await?
    else {
        return Err(RefreshError::Invalid);
    };
    if current.used_at.is_some() || current.revoked_at.is_some() {
        revoke_family(tx, current.family_id).await?;
        return Err(RefreshError::Reused {
            family_id: current.family_id,
        });
    }
    let now = Utc::now();
    if current.idle_expires_at <= now {
        return Err(RefreshError::Expired);
    }
    let user = UserId::from_uuid(current.user_id);
    let family_id = current.family_id;
    let started = current.family_started_at;
    let idle = (current.idle_expires_at - current.created_at)
        .to_std()
        .unwrap_or_default();
    let ends = current.family_ends_at;
    // Conditional, so two concurrent refreshes with one token cannot both win: the loser
    // sees a reuse.
    let claimed = tx
        .update::<refresh_token::Entity>()
        .col_expr(
            refresh_token::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(refresh_token::Column::Id.eq(current.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(tx.conn())
        .await?;
    if claimed.rows_affected != 1 {
        revoke_family(tx, family_id).await?;
        return Err(RefreshError::Reused { family_id });
    }
    let next = insert(tx, user, family_id, started, idle, ends).await?;
    Ok((user, next))
}

/// The family a token belongs to, if the token is known.
pub async fn family_of(tx: &TenantTx, presented: &str) -> CoreResult<Option<Uuid>> {
    Ok(tx
        .find::<refresh_token::Entity>()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
        .one(tx.conn())
        .await?
        .map(|t| t.family_id))
}

/// The session families of `user` that are not revoked.
pub async fn families_of(tx: &TenantTx, user: UserId) -> CoreResult<Vec<Uuid>> {
    let mut families: Vec<Uuid> = tx
        .find::<refresh_token::Entity>()
        .filter(refresh_token::Column::UserId.eq(user.as_uuid()))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|t| t.family_id)
        .collect();
    families.sort_unstable();
    families.dedup();
    Ok(families)
}

/// Revokes every token of a family (sign-out, or a detected reuse).
pub async fn revoke_family(tx: &TenantTx, family_id: Uuid) -> CoreResult<u64> {
    let res = tx
        .update::<refresh_token::Entity>()
        .col_expr(
            refresh_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(res.rows_affected)
}
