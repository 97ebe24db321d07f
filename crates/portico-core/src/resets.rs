//! Password reset by an emailed one-time token. Setting the new password ends every session
//! of the account.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx, UserId,
    audit::{self, Access, Actor},
    entities::{password_reset, user},
    ports::Credentials,
    sessions::hash_token,
};

/// A token for `user`, returned in clear for the email.
pub async fn request(tx: &TenantTx, user: &user::Model, ttl: Duration) -> CoreResult<String> {
    let token = format!("prs_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let now = Utc::now();
    password_reset::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(1))),
        used_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    audit::record(
        tx,
        &Actor::user(user.id),
        Access {
            action: "auth.password_reset_requested",
            resource_type: "User",
            resource_id: Some(user.id),
            patient_id: None,
        },
    )
    .await?;
    Ok(token)
}

/// Sets a new password from a token; returns the session families that were ended.
pub async fn reset(
    tx: &TenantTx,
    credentials: &dyn Credentials,
    token: &str,
    password: &str,
) -> CoreResult<Vec<Uuid>> {
    let found = tx
        .find::<password_reset::Entity>()
        .filter(password_reset::Column::TokenHash.eq(hash_token(token)))
        .one(tx.conn())
        .await?
        .ok_or_else(|| {
            CoreError::invalid("token", "RESET_INVALID", "this reset link is not valid")
        })?;
    if found.used_at.is_some() {
        return Err(CoreError::invalid(
            "token",
            "RESET_USED",
            "this reset link was already used",
        ));
    }
    if found.expires_at <= Utc::now() {
        return Err(CoreError::invalid(
            "token",
            "RESET_EXPIRED",
            "this reset link has expired; ask for a new one",
        ));
    }
    let account = crate::accounts::find_by_id(tx, UserId::from_uuid(found.user_id))
        .await?
        .ok_or(CoreError::NotFound)?;
    credentials
        .check_policy(password, &[&account.email, &account.display_name])
        .map_err(|e| CoreError::invalid("password", e.code(), e.to_string()))?;
    let hash = credentials.hash(password).map_err(CoreError::adapter)?;
    let user_id = account.id;
    let mut active: user::ActiveModel = account.into();
    active.password_hash = Set(Some(hash));
    active.updated_at = Set(Utc::now());
    active.update(tx.conn()).await?;
    let mut used: password_reset::ActiveModel = found.into();
    used.used_at = Set(Some(Utc::now()));
    used.update(tx.conn()).await?;
    // End every session: whoever knew the old password is signed out.
    let families = crate::sessions::families_of(tx, UserId::from_uuid(user_id)).await?;
    for family in &families {
        crate::sessions::revoke_family(tx, *family).await?;
    }
    // And every app connected from the account: it may have been connected by whoever
    // knew the password.
    crate::smart::grants::revoke_all_given_by(tx, user_id).await?;
    audit::record(
        tx,
        &Actor::user(user_id),
        Access {
            action: "auth.password_reset",
            resource_type: "User",
            resource_id: Some(user_id),
            patient_id: None,
        },
    )
    .await?;
    Ok(families)
}
