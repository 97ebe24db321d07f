//! Refresh tokens: opaque, stored hashed, rotated on every use. A sign-in starts a family;
//! presenting a token that was already used means it was stolen or replayed, and revokes the
//! whole family. A family idles out when not refreshed in time and ends after a fixed life.
//!
//! One exception, for browsers only: a page reloaded while its refresh was on the wire never
//! stores the answer's cookie, and presents the token it already used. Within
//! [`BROWSER_RETRY_GRACE`] of that use, and only while the token issued in its place has not
//! been used, the retry is answered with a new token and the unused one is retired, so the
//! family still has one live token. Anything else is a reuse.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{CoreError, CoreResult, TenantTx, UserId, entities::refresh_token};

/// How long after a token's use a browser's retry with it is still taken for a lost answer.
pub const BROWSER_RETRY_GRACE: Duration = Duration::from_secs(10);

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
/// `device`: the coarse device it starts from ([`describe_device`]).
pub async fn start(
    tx: &TenantTx,
    user: UserId,
    policy: &SessionPolicy,
    device: &str,
) -> CoreResult<IssuedRefresh> {
    let now = Utc::now();
    let ends = until(now, policy.absolute);
    let family = Family {
        id: Uuid::now_v7(),
        started_at: now,
        ends,
        device: Some(device.chars().take(64).collect()),
    };
    insert(tx, user, &family, policy.idle_timeout).await
}

/// What every token of a family shares.
struct Family {
    id: Uuid,
    started_at: DateTime<Utc>,
    ends: DateTime<Utc>,
    device: Option<String>,
}

/// `family_ends` is stored as the family's start plus its absolute life, so a rotation
/// keeps both the idle timeout and the end the family began with.
async fn insert(
    tx: &TenantTx,
    user: UserId,
    family: &Family,
    idle: Duration,
) -> CoreResult<IssuedRefresh> {
    let now = Utc::now();
    let token = new_token();
    let idle_expires_at = until(now, idle).min(family.ends);
    refresh_token::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        user_id: Set(user.as_uuid()),
        family_id: Set(family.id),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        family_started_at: Set(family.started_at),
        family_ends_at: Set(family.ends),
        idle_expires_at: Set(idle_expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
        device: Set(family.device.clone()),
    }
    .insert(tx.conn())
    .await?;
    Ok(IssuedRefresh {
        token,
        family_id: family.id,
        idle_expires_at,
    })
}

/// Exchanges a refresh token for the next one in its family. `retry_grace` is set for
/// browser sessions only (see the module's comment); `Retried` says the answer replaced one
/// the browser lost.
pub async fn rotate(
    tx: &TenantTx,
    presented: &str,
    retry_grace: Option<Duration>,
) -> Result<(UserId, IssuedRefresh, Rotation), RefreshError> {
    let Some(current) = tx
        .find::<refresh_token::Entity>()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
        .one(tx.conn())
        .await?
    else {
        return Err(RefreshError::Invalid);
    };
    let now = Utc::now();
    let rotation = match (current.used_at, current.revoked_at) {
        (None, None) => Rotation::Fresh,
        // A retry the browser may make (see the module's comment); otherwise a replay.
        (Some(used_at), None)
            if within(retry_grace, used_at, now)
                && retire_successor(tx, &current, used_at, now).await? =>
        {
            Rotation::Retried
        }
        _ => {
            revoke_family(tx, current.family_id).await?;
            return Err(RefreshError::Reused {
                family_id: current.family_id,
            });
        }
    };
    if current.idle_expires_at <= now {
        return Err(RefreshError::Expired);
    }
    let user = UserId::from_uuid(current.user_id);
    let family_id = current.family_id;
    let idle = (current.idle_expires_at - current.created_at)
        .to_std()
        .unwrap_or_default();
    let family = Family {
        id: family_id,
        started_at: current.family_started_at,
        ends: current.family_ends_at,
        device: current.device.clone(),
    };
    if rotation == Rotation::Fresh {
        // Conditional, so two concurrent refreshes with one token cannot both win: the
        // loser sees a reuse.
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
    }
    let next = insert(tx, user, &family, idle).await?;
    Ok((user, next, rotation))
}

/// How a refresh was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token's first use.
    Fresh,
    /// A browser's retry within the grace: the token issued for the first use was retired.
    Retried,
}

fn within(grace: Option<Duration>, used_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    grace.is_some_and(|g| now >= used_at && now < until(used_at, g))
}

/// Retires the token issued when `used` was used, if it is still the family's live token
/// and no token issued since has been used (the browser never went on from the lost answer).
/// Conditional, so of two retries only one wins.
async fn retire_successor(
    tx: &TenantTx,
    used: &refresh_token::Model,
    used_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let moved_on = tx
        .find::<refresh_token::Entity>()
        .filter(refresh_token::Column::FamilyId.eq(used.family_id))
        .filter(refresh_token::Column::Id.ne(used.id))
        .filter(refresh_token::Column::CreatedAt.gte(used_at))
        .filter(refresh_token::Column::UsedAt.is_not_null())
        .one(tx.conn())
        .await?;
    if moved_on.is_some() {
        return Ok(false);
    }
    let retired = tx
        .update::<refresh_token::Entity>()
        .col_expr(
            refresh_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(refresh_token::Column::FamilyId.eq(used.family_id))
        .filter(refresh_token::Column::Id.ne(used.id))
        .filter(refresh_token::Column::CreatedAt.gte(used_at))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(retired.rows_affected == 1)
}

/// A refresh answered ([`refresh`]).
pub enum Refreshed {
    /// The next token of the family, for the account and its role.
    Renewed {
        user: Box<crate::entities::user::Model>,
        role: crate::identity::Role,
        next: IssuedRefresh,
    },
    /// The token had been used already: the family is revoked in the database and the event
    /// audited; commit, put the family on the revocation list, and refuse.
    Reused { family_id: Uuid },
}

/// The code of a [`refresh`] refused for an unknown or expired token, or an account gone.
const REFRESH_REFUSED: &str = "REFRESH_REFUSED";

/// Whether a [`refresh`] failure is its refusal (roll back, and refuse as unauthenticated)
/// rather than a failure of the database.
pub fn is_refusal(err: &CoreError) -> bool {
    matches!(err, CoreError::Invalid { code, .. } if *code == REFRESH_REFUSED)
}

/// Exchanges a refresh token for the next one (see [`rotate`]), audits a browser's retry
/// (`auth.refresh_retried`) and a reuse (`auth.refresh_reused`). An unknown or expired token,
/// or an account that is gone, is an error ([`is_refusal`]): nothing done here is kept.
pub async fn refresh(
    tx: &TenantTx,
    presented: &str,
    retry_grace: Option<Duration>,
    actor: &crate::audit::Actor,
) -> CoreResult<Refreshed> {
    let refused = || CoreError::invalid("refreshToken", REFRESH_REFUSED, "sign in again");
    let (user_id, next) = match rotate(tx, presented, retry_grace).await {
        Ok((user_id, next, rotation)) => {
            if rotation == Rotation::Retried {
                crate::audit::record(
                    tx,
                    actor,
                    session_event("auth.refresh_retried", next.family_id),
                )
                .await?;
            }
            (user_id, next)
        }
        Err(RefreshError::Reused { family_id }) => {
            crate::audit::record(tx, actor, session_event("auth.refresh_reused", family_id))
                .await?;
            return Ok(Refreshed::Reused { family_id });
        }
        Err(RefreshError::Invalid | RefreshError::Expired) => return Err(refused()),
        Err(RefreshError::Core(e)) => return Err(e),
    };
    // Read here rather than through `accounts`, which ends sessions on a role change: the
    // two areas do not depend on each other.
    let user = tx
        .find::<crate::entities::user::Entity>()
        .filter(crate::entities::user::Column::Id.eq(user_id.as_uuid()))
        .one(tx.conn())
        .await?
        .ok_or_else(refused)?;
    let role = crate::identity::Role::parse(&user.role).ok_or_else(refused)?;
    Ok(Refreshed::Renewed {
        user: Box::new(user),
        role,
        next,
    })
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

/// A session of a person, as they see it in their list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedInSession {
    /// The refresh-token family.
    pub id: Uuid,
    pub started_at: DateTime<Utc>,
    /// When it last signed in or refreshed (the access token in between is not tracked).
    pub last_active_at: DateTime<Utc>,
    pub device: Option<String>,
}

/// `user`'s sessions still running (not signed out, idled out or past their end), the most
/// recently active first.
pub async fn running_of(tx: &TenantTx, user: UserId) -> CoreResult<Vec<SignedInSession>> {
    let now = Utc::now();
    let mut sessions: Vec<SignedInSession> = tx
        .find::<refresh_token::Entity>()
        .filter(refresh_token::Column::UserId.eq(user.as_uuid()))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::IdleExpiresAt.gt(now))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|t| SignedInSession {
            id: t.family_id,
            started_at: t.family_started_at,
            last_active_at: t.created_at,
            device: t.device,
        })
        .collect();
    sessions.sort_by(|a, b| {
        b.last_active_at
            .cmp(&a.last_active_at)
            .then(a.id.cmp(&b.id))
    });
    sessions.dedup_by_key(|s| s.id);
    Ok(sessions)
}

/// Ends one of `user`'s sessions; `NotFound` when it is not theirs or already ended.
pub async fn end_of(tx: &TenantTx, user: UserId, family_id: Uuid) -> CoreResult<()> {
    let ended = tx
        .update::<refresh_token::Entity>()
        .col_expr(
            refresh_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::UserId.eq(user.as_uuid()))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(tx.conn())
        .await?;
    if ended.rows_affected == 0 {
        return Err(CoreError::NotFound);
    }
    Ok(())
}

/// A coarse name for the device behind a User-Agent: the browser and the system
/// ("Chrome · Linux", "Safari · iOS"), nothing finer (no versions, no models). Product names
/// only, in no language (a page puts them in its own words); empty when neither is known.
pub fn describe_device(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or_default();
    let browser = if ua.contains("Edg/") || ua.contains("EdgA/") || ua.contains("EdgiOS/") {
        Some("Edge")
    } else if ua.contains("OPR/") || ua.contains("Opera") {
        Some("Opera")
    } else if ua.contains("Firefox/") || ua.contains("FxiOS/") {
        Some("Firefox")
    } else if ua.contains("SamsungBrowser/") {
        Some("Samsung Internet")
    } else if ua.contains("Chrome/") || ua.contains("CriOS/") || ua.contains("Chromium/") {
        Some("Chrome")
    } else if ua.contains("Safari/") || ua.contains("AppleWebKit/") {
        Some("Safari")
    } else {
        None
    };
    let system = if ua.contains("Windows") {
        Some("Windows")
    } else if ua.contains("Android") {
        Some("Android")
    } else if ua.contains("iPhone") || ua.contains("iPod") {
        Some("iOS")
    } else if ua.contains("iPad") {
        Some("iPadOS")
    } else if ua.contains("CrOS") {
        Some("ChromeOS")
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        Some("macOS")
    } else if ua.contains("Linux") || ua.contains("X11") {
        Some("Linux")
    } else {
        None
    };
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} · {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => s.to_owned(),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_device;

    #[test]
    fn devices_are_named_by_browser_and_system_only() {
        for (ua, expected) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome · Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari · iOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge · Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox · macOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome · Android",
            ),
            ("curl/8.5.0", ""),
            ("", ""),
        ] {
            assert_eq!(describe_device(Some(ua)), expected, "{ua}");
        }
        assert_eq!(describe_device(None), "");
    }
}

/// Where an ended session is listed as revoked, so its access token stops working before it
/// expires.
#[derive(Clone, Copy)]
pub struct RevocationList<'a> {
    pub revocations: &'a dyn crate::ports::Revocations,
    /// How long an entry must last: an access token's longest life.
    pub access_ttl: Duration,
}

impl RevocationList<'_> {
    /// Lists `family` as revoked; a failure fails the caller's change (its session would
    /// otherwise stay valid).
    pub async fn revoke(&self, family: Uuid) -> CoreResult<()> {
        self.revocations
            .revoke(family, self.access_ttl)
            .await
            .map_err(CoreError::adapter)
    }
}

fn session_event(action: &str, family_id: Uuid) -> crate::audit::Access<'_> {
    crate::audit::Access {
        action,
        resource_type: "Session",
        resource_id: Some(family_id),
        patient_id: None,
    }
}

/// Signs `session` out: its refresh tokens stop working, its access token too
/// (`auth.sign_out`).
pub async fn sign_out(
    tx: &TenantTx,
    list: RevocationList<'_>,
    actor: &crate::audit::Actor,
    session: Uuid,
) -> CoreResult<()> {
    revoke_family(tx, session).await?;
    list.revoke(session).await?;
    crate::audit::record(tx, actor, session_event("auth.sign_out", session)).await
}

/// Ends one of `user`'s sessions (`auth.session_ended`); another person's, or one already
/// ended, is not found.
pub async fn end(
    tx: &TenantTx,
    list: RevocationList<'_>,
    actor: &crate::audit::Actor,
    user: UserId,
    family_id: Uuid,
) -> CoreResult<()> {
    end_of(tx, user, family_id).await?;
    crate::audit::record(tx, actor, session_event("auth.session_ended", family_id)).await?;
    list.revoke(family_id).await
}
