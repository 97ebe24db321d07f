//! Setting up two-step verification (TOTP): a new secret, pending until a code from the app
//! confirms it; replacing the secret in force needs a current code. Confirming ends every
//! other session of the account, since they began without this factor (or with the old one).

use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx, UserId, accounts,
    audit::{self, Actor},
    entities::user,
    ports::Credentials,
    recovery, sessions, sign_in,
};

/// What an authenticator app needs to start producing codes.
pub struct Enrolment {
    /// Base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://`, usually shown as a QR code.
    pub otpauth_uri: String,
}

/// A confirmed enrolment.
pub struct Confirmed {
    pub user: user::Model,
    /// Shown this once.
    pub recovery_codes: Vec<String>,
    /// The sessions that ended (in the database): put them on the revocation list once the
    /// change is committed.
    pub ended_sessions: Vec<Uuid>,
}

/// Spends `code` when it is a current code of `secret` not used before.
async fn spend(
    tx: &TenantTx,
    credentials: &dyn Credentials,
    user: &user::Model,
    secret: &str,
    code: &str,
) -> CoreResult<bool> {
    match credentials.verify_totp(secret, code, user.totp_last_step) {
        Some(step) => accounts::spend_totp_step(tx, user, step).await,
        None => Ok(false),
    }
}

/// Starts an enrolment with a new secret. With a secret in force, `current_code` must be a
/// current code of it (`INVALID_TOTP_CODE` on `currentCode`).
pub async fn begin(
    tx: &TenantTx,
    credentials: &dyn Credentials,
    user: &user::Model,
    current_code: Option<&str>,
    actor: &Actor,
) -> CoreResult<Enrolment> {
    if let (Some(secret), Some(_)) = (user.totp_secret.as_deref(), user.totp_enabled_at) {
        let code = current_code.unwrap_or_default();
        if !spend(tx, credentials, user, secret, code).await? {
            return Err(CoreError::invalid(
                "currentCode",
                "INVALID_TOTP_CODE",
                "enter a current code from your app to replace it",
            ));
        }
    }
    let secret = credentials.new_totp_secret();
    let otpauth_uri = credentials
        .totp_uri(&secret, &user.email)
        .ok_or_else(|| CoreError::adapter("TOTP URI"))?;
    accounts::begin_totp(tx, user, &secret).await?;
    audit::record(
        tx,
        actor,
        sign_in::event("auth.mfa_enrolment_started", Some(user)),
    )
    .await?;
    Ok(Enrolment {
        secret,
        otpauth_uri,
    })
}

/// Puts the pending secret in force when `code` is a current code of it (`TOTP_NOT_STARTED`,
/// `INVALID_TOTP_CODE` on `code`), with new recovery codes; every session of the account
/// ends (the caller starts a new one in the same transaction).
pub async fn confirm(
    tx: &TenantTx,
    credentials: &dyn Credentials,
    user: &user::Model,
    code: &str,
    actor: &Actor,
) -> CoreResult<Confirmed> {
    let Some(secret) = user.totp_pending_secret.as_deref() else {
        return Err(CoreError::invalid(
            "code",
            "TOTP_NOT_STARTED",
            "start with beginTotpEnrolment",
        ));
    };
    if !spend(tx, credentials, user, secret, code).await? {
        return Err(CoreError::invalid(
            "code",
            "INVALID_TOTP_CODE",
            "that code is not right; check the app's clock and try again",
        ));
    }
    let user = accounts::enable_totp(tx, user).await?;
    let id = UserId::from_uuid(user.id);
    let recovery_codes = recovery::regenerate(tx, id).await?;
    let ended_sessions = sessions::families_of(tx, id).await?;
    for family in &ended_sessions {
        sessions::revoke_family(tx, *family).await?;
    }
    audit::record(tx, actor, sign_in::event("auth.mfa_enabled", Some(&user))).await?;
    Ok(Confirmed {
        user,
        recovery_codes,
        ended_sessions,
    })
}
