//! Accounts: practice sign-up with its first admin, and looking users up for sign-in.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};

use crate::{
    CoreError, CoreResult, Db, TenantTx, UserId,
    audit::{self, Access, Actor},
    entities::user,
    events::{self, Event},
    identity::Role,
    ports::Credentials,
    tenants::{self, NewTenant, ResolvedTenant},
};

pub struct PracticeSignUp {
    pub practice_name: String,
    pub slug: String,
    pub time_zone: String,
    pub admin_name: String,
    pub admin_email: String,
    pub admin_password: String,
}

/// Creates the practice (in `trial`) and its first `practice_admin` together: either both
/// exist afterwards or neither does.
pub async fn sign_up_practice(
    db: &Db,
    hasher: &dyn Credentials,
    input: PracticeSignUp,
) -> CoreResult<(ResolvedTenant, user::Model)> {
    let email = normalize_email(&input.admin_email).map_err(|e| e.on_field("adminEmail"))?;
    let name = display_name(&input.admin_name)?;
    hasher
        .check_policy(&input.admin_password, &[&email, &name])
        .map_err(|e| CoreError::invalid("adminPassword", e.code(), e.to_string()))?;
    let (tenant, tx) = tenants::create_in_transaction(
        db,
        NewTenant {
            slug: input.slug,
            name: input.practice_name,
            time_zone: input.time_zone,
            branding: None,
            custom_domain: None,
        },
    )
    .await
    .map_err(|e| match e {
        CoreError::Invalid { field: "name", .. } => e.on_field("practiceName"),
        other => other,
    })?;
    let hash = hasher
        .hash(&input.admin_password)
        .map_err(CoreError::adapter)?;
    let admin = insert_user(&tx, &email, &name, Role::PracticeAdmin, Some(hash)).await?;
    audit::record(
        &tx,
        &Actor::user(admin.id),
        Access {
            action: "tenant.sign_up",
            resource_type: "Tenant",
            resource_id: Some(tenant.tenant.id),
            patient_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((tenant, admin))
}

pub async fn insert_user(
    tx: &TenantTx,
    email: &str,
    name: &str,
    role: Role,
    password_hash: Option<String>,
) -> CoreResult<user::Model> {
    let now = Utc::now();
    let user = user::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(UserId::new().as_uuid()),
        email: Set(email.to_owned()),
        display_name: Set(name.to_owned()),
        kind: Set(if role == Role::Patient {
            "patient"
        } else {
            "staff"
        }
        .to_owned()),
        status: Set("active".to_owned()),
        password_hash: Set(password_hash),
        role: Set(role.as_str().to_owned()),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
        totp_pending_secret: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await
    .map_err(|e| CoreError::unique_as(e, CoreError::Conflict { field: "email" }))?;
    events::publish(tx, Event::AccountCreated { user: &user }).await?;
    Ok(user)
}

pub async fn find_by_email(tx: &TenantTx, email: &str) -> CoreResult<Option<user::Model>> {
    Ok(tx
        .find::<user::Entity>()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(tx.conn())
        .await?)
}

pub async fn find_by_id(tx: &TenantTx, id: UserId) -> CoreResult<Option<user::Model>> {
    Ok(tx
        .find::<user::Entity>()
        .filter(user::Column::Id.eq(id.as_uuid()))
        .one(tx.conn())
        .await?)
}

/// Lower-cased and checked for the shape `local@domain.tld`.
pub fn normalize_email(email: &str) -> CoreResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !local.contains(char::is_whitespace)
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && domain
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        });
    if valid {
        Ok(email)
    } else {
        Err(CoreError::invalid(
            "email",
            "INVALID_EMAIL",
            "must be an email address such as name@example.com",
        ))
    }
}

fn display_name(name: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(CoreError::invalid(
            "adminName",
            "INVALID_NAME",
            "must be 1 to 120 characters",
        ));
    }
    Ok(name.to_owned())
}

/// Stores a new TOTP secret, pending until its first code is confirmed; the secret in force
/// (if any) keeps working until then.
pub async fn begin_totp(tx: &TenantTx, user: &user::Model, secret: &str) -> CoreResult<()> {
    let mut active: user::ActiveModel = user.clone().into();
    active.totp_pending_secret = Set(Some(secret.to_owned()));
    active.updated_at = Set(Utc::now());
    active.update(tx.conn()).await?;
    Ok(())
}

/// Records that a TOTP code of `step` was accepted, so no code of that step or earlier is
/// accepted again.
/// Returns false when another request spent this step (or a later one) first.
pub async fn spend_totp_step(tx: &TenantTx, user: &user::Model, step: i64) -> CoreResult<bool> {
    use sea_orm::Condition;
    let res = tx
        .update::<user::Entity>()
        .col_expr(
            user::Column::TotpLastStep,
            sea_orm::sea_query::Expr::value(step),
        )
        .filter(user::Column::Id.eq(user.id))
        .filter(
            Condition::any()
                .add(user::Column::TotpLastStep.is_null())
                .add(user::Column::TotpLastStep.lt(step)),
        )
        .exec(tx.conn())
        .await?;
    Ok(res.rows_affected == 1)
}

/// Puts `secret` in force at once, for accounts made by an operator or the demo loader (whose
/// secret is handed over out of band).
pub async fn set_totp(tx: &TenantTx, user: &user::Model, secret: &str) -> CoreResult<user::Model> {
    let mut active: user::ActiveModel = user.clone().into();
    active.totp_secret = Set(Some(secret.to_owned()));
    active.totp_pending_secret = Set(None);
    active.totp_enabled_at = Set(Some(Utc::now()));
    active.updated_at = Set(Utc::now());
    Ok(active.update(tx.conn()).await?)
}

/// Replaces the account's password hash (a change by the person themself).
pub async fn set_password_hash(tx: &TenantTx, user: &user::Model, hash: String) -> CoreResult<()> {
    let mut active: user::ActiveModel = user.clone().into();
    active.password_hash = Set(Some(hash));
    active.updated_at = Set(Utc::now());
    active.update(tx.conn()).await?;
    Ok(())
}

/// Puts the pending secret in force (after its first code was confirmed).
pub async fn enable_totp(tx: &TenantTx, user: &user::Model) -> CoreResult<user::Model> {
    let pending = user.totp_pending_secret.clone().ok_or_else(|| {
        CoreError::invalid("code", "TOTP_NOT_STARTED", "start with beginTotpEnrolment")
    })?;
    let mut active: user::ActiveModel = user.clone().into();
    active.totp_secret = Set(Some(pending));
    active.totp_pending_secret = Set(None);
    active.totp_enabled_at = Set(Some(Utc::now()));
    active.updated_at = Set(Utc::now());
    Ok(active.update(tx.conn()).await?)
}

/// The practice's staff (everyone but patients), by name.
pub async fn staff(tx: &TenantTx) -> CoreResult<Vec<user::Model>> {
    use sea_orm::QueryOrder;
    Ok(tx
        .find::<user::Entity>()
        .filter(user::Column::Role.ne(Role::Patient.as_str()))
        .order_by_asc(user::Column::DisplayName)
        .all(tx.conn())
        .await?)
}

/// Gives a staff member another staff role; returns the user and their open session
/// families, which the caller ends so the new role applies at once.
pub async fn change_role(
    tx: &TenantTx,
    actor: &Actor,
    id: UserId,
    role: Role,
) -> CoreResult<(user::Model, Vec<uuid::Uuid>)> {
    if matches!(role, Role::Patient | Role::Operator) {
        return Err(CoreError::invalid(
            "role",
            "INVALID_ROLE",
            "staff roles are practice_admin, provider and staff",
        ));
    }
    let found = find_by_id(tx, id)
        .await?
        .filter(|u| u.role != Role::Patient.as_str() && u.role != Role::Operator.as_str())
        .ok_or(CoreError::NotFound)?;
    if found.role == Role::PracticeAdmin.as_str() && role != Role::PracticeAdmin {
        let admins = staff(tx)
            .await?
            .iter()
            .filter(|u| u.role == Role::PracticeAdmin.as_str())
            .count();
        if admins <= 1 {
            return Err(CoreError::invalid(
                "role",
                "LAST_ADMIN",
                "the practice needs at least one practice admin",
            ));
        }
    }
    let mut active: user::ActiveModel = found.into();
    active.role = Set(role.as_str().to_owned());
    active.updated_at = Set(Utc::now());
    let updated = active.update(tx.conn()).await?;
    let families = crate::sessions::families_of(tx, id).await?;
    for family in &families {
        crate::sessions::revoke_family(tx, *family).await?;
    }
    audit::record(
        tx,
        actor,
        Access {
            action: "user.role_change",
            resource_type: "User",
            resource_id: Some(updated.id),
            patient_id: None,
        },
    )
    .await?;
    Ok((updated, families))
}

/// Display names of users by id (for showing who did something).
pub async fn names(
    tx: &TenantTx,
    ids: &[uuid::Uuid],
) -> CoreResult<std::collections::HashMap<uuid::Uuid, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(tx
        .find::<user::Entity>()
        .filter(user::Column::Id.is_in(ids.to_vec()))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@ex_ample.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
