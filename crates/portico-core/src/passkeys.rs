//! Passkeys: the WebAuthn credentials of each account, and the challenges of ceremonies
//! under way. The cryptography is the [`crate::ports::PasskeyCeremonies`] adapter's; this
//! module keeps what must be stored, tenant-scoped like everything else.
//!
//! A challenge lives in the database for [`CHALLENGE_TTL`] so any instance can finish what
//! another began; taking it deletes it, so it is answered at most once.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx, UserId,
    entities::{passkey, passkey_challenge},
    ports::{RegisteredPasskey, RelyingParty},
};

/// How long a ceremony may take between its begin and finish.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(5 * 60);

/// The longest name a person may give a passkey.
pub const MAX_NAME_CHARS: usize = 64;

/// Which ceremony a challenge belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ceremony {
    Register,
    SignIn,
}

impl Ceremony {
    fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::SignIn => "sign_in",
        }
    }
}

/// Stores a ceremony's state; returns its id. Challenges of this practice that ran out are
/// removed on the way, so the table only holds ceremonies that may still finish.
pub async fn save_challenge(
    tx: &TenantTx,
    ceremony: Ceremony,
    user: Option<UserId>,
    rp: &RelyingParty,
    state: String,
) -> CoreResult<Uuid> {
    let now = Utc::now();
    tx.delete::<passkey_challenge::Entity>()
        .filter(passkey_challenge::Column::ExpiresAt.lt(now))
        .exec(tx.conn())
        .await?;
    let id = Uuid::now_v7();
    passkey_challenge::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(id),
        kind: Set(ceremony.as_str().to_owned()),
        user_id: Set(user.map(|u| u.as_uuid())),
        rp_id: Set(rp.id.clone()),
        origin: Set(rp.origin.clone()),
        state: Set(state),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::from_std(CHALLENGE_TTL).unwrap_or_default()),
    }
    .insert(tx.conn())
    .await?;
    Ok(id)
}

/// Takes (deletes) a challenge of `ceremony`, when it is known and still running, and for a
/// registration when it is `user`'s. `None` for anything else: unknown, already answered,
/// expired, someone else's. Only the winner of two concurrent takes gets it.
pub async fn take_challenge(
    tx: &TenantTx,
    id: Uuid,
    ceremony: Ceremony,
    user: Option<UserId>,
) -> CoreResult<Option<passkey_challenge::Model>> {
    let Some(found) = tx
        .find::<passkey_challenge::Entity>()
        .filter(passkey_challenge::Column::Id.eq(id))
        .filter(passkey_challenge::Column::Kind.eq(ceremony.as_str()))
        .one(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    if found.user_id != user.map(|u| u.as_uuid()) {
        return Ok(None);
    }
    let taken = tx
        .delete::<passkey_challenge::Entity>()
        .filter(passkey_challenge::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    if taken.rows_affected != 1 || found.expires_at <= Utc::now() {
        return Ok(None);
    }
    Ok(Some(found))
}

/// The relying party a challenge was issued for.
pub fn relying_party(challenge: &passkey_challenge::Model, name: &str) -> RelyingParty {
    RelyingParty {
        id: challenge.rp_id.clone(),
        origin: challenge.origin.clone(),
        name: name.to_owned(),
    }
}

/// `user`'s passkeys, oldest first.
pub async fn of_user(tx: &TenantTx, user: UserId) -> CoreResult<Vec<passkey::Model>> {
    Ok(tx
        .find::<passkey::Entity>()
        .filter(passkey::Column::UserId.eq(user.as_uuid()))
        .order_by_asc(passkey::Column::CreatedAt)
        .order_by_asc(passkey::Column::Id)
        .all(tx.conn())
        .await?)
}

/// A passkey's name as given: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no control
/// characters.
pub fn normalize_name(name: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CoreError::invalid(
            "name",
            "NAME_REQUIRED",
            "give the passkey a name, such as the device it is on",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(CoreError::invalid(
            "name",
            "NAME_TOO_LONG",
            format!("a passkey's name is at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "name",
            "INVALID_NAME",
            "a passkey's name cannot contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// Stores a registered passkey for `user`. The same credential twice is `PASSKEY_EXISTS`.
pub async fn add(
    tx: &TenantTx,
    user: UserId,
    name: &str,
    rp_id: &str,
    registered: RegisteredPasskey,
) -> CoreResult<passkey::Model> {
    let name = normalize_name(name)?;
    passkey::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        user_id: Set(user.as_uuid()),
        name: Set(name),
        credential_id: Set(registered.credential_id),
        rp_id: Set(rp_id.to_owned()),
        credential: Set(registered.credential),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
    }
    .insert(tx.conn())
    .await
    .map_err(|e| {
        let exists = CoreError::invalid(
            "credential",
            "PASSKEY_EXISTS",
            "this passkey is already registered",
        );
        CoreError::unique_as(e, exists)
    })
}

/// The passkey with this credential id, made for `rp_id`.
pub async fn by_credential(
    tx: &TenantTx,
    credential_id: &str,
    rp_id: &str,
) -> CoreResult<Option<passkey::Model>> {
    Ok(tx
        .find::<passkey::Entity>()
        .filter(passkey::Column::CredentialId.eq(credential_id))
        .filter(passkey::Column::RpId.eq(rp_id))
        .one(tx.conn())
        .await?)
}

/// Records a sign-in with `passkey`: when, and the credential as verified (its signature
/// counter and backup state).
pub async fn record_use(tx: &TenantTx, passkey: Uuid, credential: String) -> CoreResult<()> {
    tx.update::<passkey::Entity>()
        .col_expr(
            passkey::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .col_expr(
            passkey::Column::Credential,
            sea_orm::sea_query::Expr::value(credential),
        )
        .filter(passkey::Column::Id.eq(passkey))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Removes one of `user`'s passkeys; `NotFound` when it is not theirs (or does not exist).
pub async fn remove(tx: &TenantTx, user: UserId, passkey: Uuid) -> CoreResult<()> {
    let removed = tx
        .delete::<passkey::Entity>()
        .filter(passkey::Column::Id.eq(passkey))
        .filter(passkey::Column::UserId.eq(user.as_uuid()))
        .exec(tx.conn())
        .await?;
    if removed.rows_affected == 0 {
        return Err(CoreError::NotFound);
    }
    Ok(())
}
