//! A signed-in person changing their password: the new one meets the policy, the current one
//! is checked (its failures count towards the same lock-out as signing in), and every other
//! session of the account ends.
//!
//! Like signing in it runs in three steps, so argon2 (twice: verify, hash) never runs inside
//! a writing transaction: [`prepare`] reads, [`hash`] runs outside any transaction, and
//! [`conclude`] writes.

use std::{net::IpAddr, sync::Arc, time::Duration};

use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx, UserId, accounts,
    audit::{self, Actor},
    entities::user,
    ports::{Credentials, PortError, Revocations, Throttle},
    sessions,
    sign_in::{self, account_key, ip_key, port_failure},
};

/// What changing a password needs from outside the database.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    pub credentials: &'a Arc<dyn Credentials>,
    pub throttle: &'a dyn Throttle,
    pub revocations: &'a dyn Revocations,
    /// How long a revoked session stays on the revocation list (an access token's life).
    pub access_ttl: Duration,
}

/// A change under way.
pub struct Change {
    user: user::Model,
    account_key: String,
    ip_key: Option<String>,
    /// The new password's hash, when the current password was right.
    new_hash: Option<String>,
}

/// What [`prepare`] found.
pub enum Prepared {
    /// The account is gone (its token outlived it).
    NoAccount,
    /// The account or the address is locked after failed attempts: retry after this long.
    Locked(Duration),
    Ready(Box<Change>),
}

/// How a change ended.
pub enum Changed {
    /// Changed; this many other sessions ended.
    Changed { ended_sessions: usize },
    /// The current password was wrong (the failure is counted and audited).
    Refused(CoreError),
}

/// Step one, in a reading transaction: the account, the new password against the policy
/// (`newPassword`: `PASSWORD_TOO_SHORT`, ...), and the locks.
pub async fn prepare(
    tx: &TenantTx,
    ports: Ports<'_>,
    user: UserId,
    client_ip: Option<IpAddr>,
    new_password: &str,
) -> CoreResult<Prepared> {
    let Some(user) = accounts::find_by_id(tx, user).await? else {
        return Ok(Prepared::NoAccount);
    };
    ports
        .credentials
        .check_policy(new_password, &[&user.email, &user.display_name])
        .map_err(|e| CoreError::invalid("newPassword", e.code(), e.to_string()))?;
    let account_key = account_key(tx.tenant_id(), &user.email);
    let ip_key = ip_key(client_ip);
    for key in [Some(account_key.as_str()), ip_key.as_deref()]
        .into_iter()
        .flatten()
    {
        if let Some(wait) = ports.throttle.locked_for(key).await.map_err(port_failure)? {
            return Ok(Prepared::Locked(wait));
        }
    }
    Ok(Prepared::Ready(Box::new(Change {
        user,
        account_key,
        ip_key,
        new_hash: None,
    })))
}

/// Step two, outside any transaction: checks the current password and hashes the new one.
pub async fn hash(
    ports: Ports<'_>,
    mut change: Change,
    current: String,
    new: String,
) -> CoreResult<Change> {
    let hasher = Arc::clone(ports.credentials);
    let stored = change.user.password_hash.clone();
    change.new_hash = tokio::task::spawn_blocking(move || {
        if hasher.verify(&current, stored.as_deref()) {
            hasher.hash(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| port_failure(PortError::new("argon2", e)))?
    .map_err(port_failure)?;
    Ok(change)
}

/// Step three, in the writing transaction: a wrong current password is counted and audited
/// (and kept: `Ok(Changed::Refused)`); a right one sets the new hash and ends every other
/// session (`current_session` stays), on the revocation list too.
pub async fn conclude(
    tx: &TenantTx,
    ports: Ports<'_>,
    change: Change,
    current_session: Uuid,
    actor: &Actor,
) -> CoreResult<Changed> {
    let user = &change.user;
    let Some(hash) = change.new_hash else {
        sign_in::count_failure(
            ports.throttle,
            Some(&change.account_key),
            change.ip_key.as_deref(),
            "auth.password_change_failed",
        )
        .await?;
        audit::record(
            tx,
            actor,
            sign_in::event("auth.password_change_failed", Some(user)),
        )
        .await?;
        return Ok(Changed::Refused(CoreError::invalid(
            "currentPassword",
            "INVALID_CURRENT_PASSWORD",
            "that is not your current password",
        )));
    };
    ports
        .throttle
        .clear(&change.account_key)
        .await
        .map_err(port_failure)?;
    accounts::set_password_hash(tx, user, hash).await?;
    let others: Vec<Uuid> = sessions::families_of(tx, UserId::from_uuid(user.id))
        .await?
        .into_iter()
        .filter(|f| *f != current_session)
        .collect();
    for family in &others {
        sessions::revoke_family(tx, *family).await?;
        // Before the commit: a session left valid would outlive the old password, so a
        // failure here fails the change.
        ports
            .revocations
            .revoke(*family, ports.access_ttl)
            .await
            .map_err(port_failure)?;
    }
    audit::record(
        tx,
        actor,
        sign_in::event("auth.password_changed", Some(user)),
    )
    .await?;
    Ok(Changed::Changed {
        ended_sessions: others.len(),
    })
}
