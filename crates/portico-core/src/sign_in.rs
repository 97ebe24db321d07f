//! Signing in: the throttles per account and per address with their growing lock-outs, the
//! password, and the second factor (a TOTP code or a recovery code), each outcome with its
//! audit event. Every refusal looks the same to the caller, so none tells whether an account
//! exists, is locked, or had the right password.
//!
//! A sign-in runs in three steps because argon2 takes tens of milliseconds and SQLite's
//! write lock must not wait on it: [`look_up`] in a reading transaction, [`check_password`]
//! outside any transaction, then [`conclude`] in the writing transaction that also starts
//! the session.

use std::{net::IpAddr, sync::Arc, time::Duration};

use sha2::{Digest, Sha256};

use crate::{
    CoreError, CoreResult, TenantId, TenantTx, UserId, accounts,
    audit::{self, Access as AuditAccess, Actor},
    entities::user,
    identity::Role,
    passkeys::{self, Ceremony},
    ports::{Credentials, PasskeyCeremonies, PasskeyError, PortError, Throttle, ThrottlePolicy},
    recovery,
};

/// Five wrong attempts within 15 minutes lock an account for a minute, then 2, 4, ... up to
/// an hour while the attempts go on.
pub const ACCOUNT_THROTTLE: ThrottlePolicy = ThrottlePolicy {
    max_failures: 5,
    window: Duration::from_secs(15 * 60),
    base_lock: Duration::from_secs(60),
    max_lock: Duration::from_secs(3600),
};

/// One address may fail more often (a practice behind one NAT), but not without limit.
pub const IP_THROTTLE: ThrottlePolicy = ThrottlePolicy {
    max_failures: 50,
    window: Duration::from_secs(15 * 60),
    base_lock: Duration::from_secs(60),
    max_lock: Duration::from_secs(3600),
};

/// The throttle key of an account's sign-in failures (by its email, so an unknown address is
/// throttled like a known one).
pub fn account_key(tenant: TenantId, email: &str) -> String {
    format!(
        "signin:{tenant}:{}",
        hex::encode(&Sha256::digest(email.trim().to_lowercase().as_bytes())[..16])
    )
}

/// The throttle key of one address's sign-in failures.
pub fn ip_key(ip: Option<IpAddr>) -> Option<String> {
    ip.map(|ip| format!("signin-ip:{ip}"))
}

/// A failure of the throttle (or the password hasher), as the domain reports it.
pub fn port_failure(e: PortError) -> CoreError {
    CoreError::adapter(e)
}

/// What signing in needs from outside the database.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    pub credentials: &'a Arc<dyn Credentials>,
    pub throttle: &'a dyn Throttle,
}

/// Whether the account's key (when one is named) or the address's is locked.
pub async fn any_locked(
    throttle: &dyn Throttle,
    account_key: Option<&str>,
    ip_key: Option<&str>,
) -> CoreResult<bool> {
    let mut locked = false;
    for key in [account_key, ip_key].into_iter().flatten() {
        locked |= throttle
            .locked_for(key)
            .await
            .map_err(port_failure)?
            .is_some();
    }
    Ok(locked)
}

/// Counts a failed attempt against the account (when one is named) and the address;
/// `auth.lockout` when it locked the account, else `failed`.
pub async fn count_failure(
    throttle: &dyn Throttle,
    account_key: Option<&str>,
    ip_key: Option<&str>,
    failed: &'static str,
) -> CoreResult<&'static str> {
    let mut action = failed;
    if let Some(key) = account_key {
        let lock = throttle
            .record_failure(key, &ACCOUNT_THROTTLE)
            .await
            .map_err(port_failure)?;
        if lock.is_some() {
            action = "auth.lockout";
        }
    }
    if let Some(key) = ip_key {
        throttle
            .record_failure(key, &IP_THROTTLE)
            .await
            .map_err(port_failure)?;
    }
    Ok(action)
}

/// How the audit log names someone signing in: the account (with its role) when the attempt
/// names one, else Portico itself; with the request's id and address.
pub fn actor_for(user: Option<&user::Model>, request: &Actor) -> Actor {
    match user {
        Some(u) => Actor {
            kind: "user",
            id: Some(u.id),
            role: Role::parse(&u.role).map(Role::as_str),
            ..request.clone()
        },
        None => request.clone(),
    }
}

/// An audit event about an account signing in (or trying to).
pub fn event(action: &'static str, user: Option<&user::Model>) -> AuditAccess<'static> {
    AuditAccess {
        action,
        resource_type: "User",
        resource_id: user.map(|u| u.id),
        patient_id: None,
    }
}

/// A sign-in attempt as the client sent it.
pub struct Attempt {
    pub tenant: TenantId,
    pub email: String,
    pub password: String,
    /// The 6-digit code, when two-step verification is on.
    pub totp_code: Option<String>,
    /// Instead of `totp_code`: one of the recovery codes.
    pub recovery_code: Option<String>,
    pub client_ip: Option<IpAddr>,
}

/// The account an attempt names and the state of its throttles, read before the password
/// is checked.
pub struct Candidate {
    user: Option<user::Model>,
    account_key: String,
    ip_key: Option<String>,
    locked: bool,
    password_ok: bool,
}

/// How a sign-in ended.
pub enum Verdict {
    /// Signed in: start the session in the same transaction.
    SignedIn { user: Box<user::Model>, role: Role },
    /// Unknown email, wrong password or code, or a locked account (all alike).
    Refused,
    /// The password was right; a TOTP or recovery code is needed too.
    MfaRequired,
}

/// Step one, in a reading transaction: the account and whether a lock stands.
pub async fn look_up(tx: &TenantTx, ports: Ports<'_>, attempt: &Attempt) -> CoreResult<Candidate> {
    let email = attempt.email.trim().to_lowercase();
    let user = accounts::find_by_email(tx, &email).await?;
    let account_key = account_key(attempt.tenant, &email);
    let ip_key = ip_key(attempt.client_ip);
    let locked = any_locked(ports.throttle, Some(&account_key), ip_key.as_deref()).await?;
    Ok(Candidate {
        user,
        account_key,
        ip_key,
        locked,
        password_ok: false,
    })
}

/// Step two, outside any transaction: the password, checked even when the account is locked
/// or unknown, so neither shows in the time taken.
pub async fn check_password(
    ports: Ports<'_>,
    mut candidate: Candidate,
    password: String,
) -> CoreResult<Candidate> {
    let hasher = Arc::clone(ports.credentials);
    let stored = candidate
        .user
        .as_ref()
        .and_then(|u| u.password_hash.clone());
    candidate.password_ok =
        tokio::task::spawn_blocking(move || hasher.verify(&password, stored.as_deref()))
            .await
            .map_err(|e| port_failure(PortError::new("argon2", e)))?;
    Ok(candidate)
}

/// Step three, in the writing transaction: counts a failure (and audits it), checks the
/// second factor, and audits the sign-in. A refusal is `Ok` so that its audit event and its
/// spent codes are kept.
pub async fn conclude(
    tx: &TenantTx,
    ports: Ports<'_>,
    candidate: Candidate,
    attempt: &Attempt,
    request: &Actor,
) -> CoreResult<Verdict> {
    let actor = actor_for(candidate.user.as_ref(), request);
    let user = match candidate.user {
        Some(u) if candidate.password_ok && !candidate.locked => u,
        user => {
            let action = if candidate.locked {
                "auth.sign_in_locked"
            } else {
                count_failure(
                    ports.throttle,
                    Some(&candidate.account_key),
                    candidate.ip_key.as_deref(),
                    "auth.sign_in_failed",
                )
                .await?
            };
            audit::record(tx, &actor, event(action, user.as_ref())).await?;
            return Ok(Verdict::Refused);
        }
    };
    if let Some(secret) = user
        .totp_secret
        .as_deref()
        .filter(|_| user.totp_enabled_at.is_some())
    {
        let offered = (
            attempt.totp_code.as_deref(),
            attempt.recovery_code.as_deref(),
        );
        let second_factor = match offered {
            (Some(code), _) => {
                match ports
                    .credentials
                    .verify_totp(secret, code, user.totp_last_step)
                {
                    Some(step) => accounts::spend_totp_step(tx, &user, step).await?,
                    None => false,
                }
            }
            (None, Some(code)) => {
                let used = recovery::consume(tx, UserId::from_uuid(user.id), code).await?;
                if used {
                    audit::record(tx, &actor, event("auth.recovery_code_used", Some(&user)))
                        .await?;
                }
                used
            }
            (None, None) => return Ok(Verdict::MfaRequired),
        };
        if !second_factor {
            count_failure(
                ports.throttle,
                Some(&candidate.account_key),
                None,
                "auth.sign_in_failed",
            )
            .await?;
            audit::record(tx, &actor, event("auth.sign_in_failed", Some(&user))).await?;
            return Ok(Verdict::Refused);
        }
    }
    ports
        .throttle
        .clear(&candidate.account_key)
        .await
        .map_err(port_failure)?;
    let Some(role) = Role::parse(&user.role) else {
        return Ok(Verdict::Refused);
    };
    audit::record(tx, &actor, event("auth.sign_in", Some(&user))).await?;
    Ok(Verdict::SignedIn {
        user: Box::new(user),
        role,
    })
}

/// A sign-in with a passkey as the client sent it.
pub struct PasskeyAttempt<'a> {
    /// The challenge `begin` stored.
    pub sign_in: uuid::Uuid,
    /// The browser's `PublicKeyCredential`.
    pub credential: &'a serde_json::Value,
    pub tenant: TenantId,
    /// The practice's name, for the relying party.
    pub practice_name: &'a str,
    pub client_ip: Option<IpAddr>,
}

/// How a passkey sign-in ended.
pub enum PasskeyVerdict {
    /// Signed in: start the session in the same transaction.
    SignedIn { user: Box<user::Model>, role: Role },
    /// The challenge ran out or was answered already.
    ChallengeExpired,
    /// Anything about the passkey or its account (unknown, removed, another practice's or
    /// another site's, a bad signature, a locked account), all alike.
    Rejected,
    /// The account's role is unknown to this version.
    UnknownRole,
}

/// Signs in with a passkey alone (a user-verified, discoverable passkey is two factors).
/// Failures count towards the same lock-outs as a password's, and are audited; a refusal is
/// `Ok` so that the spent challenge and the audit event are kept.
pub async fn with_passkey(
    tx: &TenantTx,
    throttle: &dyn Throttle,
    ceremonies: &dyn PasskeyCeremonies,
    attempt: PasskeyAttempt<'_>,
    request: &Actor,
) -> CoreResult<PasskeyVerdict> {
    let Some(challenge) =
        passkeys::take_challenge(tx, attempt.sign_in, Ceremony::SignIn, None).await?
    else {
        return Ok(PasskeyVerdict::ChallengeExpired);
    };
    let rp = passkeys::relying_party(&challenge, attempt.practice_name);
    let credential = attempt.credential;
    let found = match ceremonies.identify(credential).ok() {
        Some(c) => passkeys::by_credential(tx, &c.credential_id, &rp.id)
            .await?
            .filter(|p| p.user_id == c.user_handle),
        None => None,
    };
    let user = match &found {
        Some(p) => accounts::find_by_id(tx, UserId::from_uuid(p.user_id))
            .await?
            .filter(|u| u.status == "active"),
        None => None,
    };
    let account_key = user.as_ref().map(|u| account_key(attempt.tenant, &u.email));
    let ip_key = ip_key(attempt.client_ip);
    let locked = any_locked(throttle, account_key.as_deref(), ip_key.as_deref()).await?;
    let verified = match (&found, &user) {
        (Some(p), Some(_)) if !locked => {
            match ceremonies.finish_sign_in(&rp, &challenge.state, credential, &p.credential) {
                Ok(updated) => Some(updated),
                Err(PasskeyError::Port(e)) => return Err(port_failure(e)),
                Err(_) => None,
            }
        }
        _ => None,
    };
    let actor = actor_for(user.as_ref(), request);
    let (Some(updated), Some(passkey), Some(user)) = (verified, found, user.clone()) else {
        let action = if locked {
            "auth.sign_in_locked"
        } else {
            count_failure(
                throttle,
                account_key.as_deref(),
                ip_key.as_deref(),
                "auth.passkey_sign_in_failed",
            )
            .await?
        };
        audit::record(tx, &actor, event(action, user.as_ref())).await?;
        return Ok(PasskeyVerdict::Rejected);
    };
    passkeys::record_use(tx, passkey.id, updated).await?;
    if let Some(key) = &account_key {
        throttle.clear(key).await.map_err(port_failure)?;
    }
    let Some(role) = Role::parse(&user.role) else {
        return Ok(PasskeyVerdict::UnknownRole);
    };
    audit::record(tx, &actor, event("auth.passkey_sign_in", Some(&user))).await?;
    Ok(PasskeyVerdict::SignedIn {
        user: Box::new(user),
        role,
    })
}
