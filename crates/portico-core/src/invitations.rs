//! Staff invitations: an admin invites an email address with a role; the link's one-time
//! token lets the invitee create their account. Invitations expire and can be revoked.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx, UserId, accounts,
    audit::{self, Access, Actor},
    entities::{invitation, user},
    identity::Role,
    ports::Credentials,
    sessions::hash_token,
};

/// An invitation and, only when just created, its token.
pub struct Created {
    pub invitation: invitation::Model,
    pub token: String,
}

fn audit_access(action: &str, id: Uuid) -> Access<'_> {
    Access {
        action,
        resource_type: "Invitation",
        resource_id: Some(id),
        patient_id: None,
    }
}

pub async fn create(
    tx: &TenantTx,
    actor: &Actor,
    inviter: UserId,
    email: &str,
    role: Role,
    ttl: Duration,
) -> CoreResult<Created> {
    let email = accounts::normalize_email(email)?;
    if matches!(role, Role::Patient | Role::Operator) {
        return Err(CoreError::invalid(
            "role",
            "INVALID_ROLE",
            "invite staff as practice_admin, provider or staff; patients enrol with an activation code",
        ));
    }
    if accounts::find_by_email(tx, &email).await?.is_some() {
        return Err(CoreError::Conflict { field: "email" });
    }
    let token = format!("inv_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let now = Utc::now();
    let model = invitation::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        email: Set(email),
        role: Set(role.as_str().to_owned()),
        token_hash: Set(hash_token(&token)),
        invited_by: Set(inviter.as_uuid()),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(3))),
        accepted_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    audit::record(tx, actor, audit_access("invitation.create", model.id)).await?;
    Ok(Created {
        invitation: model,
        token,
    })
}

/// Pending and past invitations, newest first.
pub async fn list(tx: &TenantTx) -> CoreResult<Vec<invitation::Model>> {
    Ok(tx
        .find::<invitation::Entity>()
        .order_by_desc(invitation::Column::CreatedAt)
        .all(tx.conn())
        .await?)
}

pub async fn revoke(tx: &TenantTx, actor: &Actor, id: Uuid) -> CoreResult<invitation::Model> {
    let found = tx
        .find::<invitation::Entity>()
        .filter(invitation::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if found.accepted_at.is_some() {
        return Err(CoreError::invalid(
            "id",
            "INVITATION_USED",
            "this invitation was already accepted",
        ));
    }
    let mut active: invitation::ActiveModel = found.into();
    active.revoked_at = Set(Some(Utc::now()));
    let revoked = active.update(tx.conn()).await?;
    audit::record(tx, actor, audit_access("invitation.revoke", revoked.id)).await?;
    Ok(revoked)
}

/// Creates the invitee's account from the link's token.
pub async fn accept(
    tx: &TenantTx,
    credentials: &dyn Credentials,
    token: &str,
    display_name: &str,
    password: &str,
) -> CoreResult<user::Model> {
    let found = tx
        .find::<invitation::Entity>()
        .filter(invitation::Column::TokenHash.eq(hash_token(token)))
        .one(tx.conn())
        .await?
        .filter(|i| i.revoked_at.is_none())
        .ok_or_else(|| {
            CoreError::invalid(
                "token",
                "INVITATION_INVALID",
                "this invitation link is not valid",
            )
        })?;
    if found.accepted_at.is_some() {
        return Err(CoreError::invalid(
            "token",
            "INVITATION_USED",
            "this invitation was already used; sign in instead",
        ));
    }
    if found.expires_at <= Utc::now() {
        return Err(CoreError::invalid(
            "token",
            "INVITATION_EXPIRED",
            "this invitation has expired; ask for a new one",
        ));
    }
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(CoreError::invalid(
            "displayName",
            "INVALID_NAME",
            "must be 1 to 120 characters",
        ));
    }
    credentials
        .check_policy(password, &[&found.email, name])
        .map_err(|e| CoreError::invalid("password", e.code(), e.to_string()))?;
    let role = Role::parse(&found.role).ok_or(CoreError::NotFound)?;
    let hash = credentials.hash(password).map_err(CoreError::adapter)?;
    let user = accounts::insert_user(tx, &found.email, name, role, Some(hash)).await?;
    let id = found.id;
    let mut active: invitation::ActiveModel = found.into();
    active.accepted_at = Set(Some(Utc::now()));
    active.update(tx.conn()).await?;
    audit::record(
        tx,
        &Actor::user(user.id),
        audit_access("invitation.accept", id),
    )
    .await?;
    Ok(user)
}

/// The email that carries a new invitation's link (nothing about any patient). The link opens
/// the console's page for it; the token rides in the fragment, which browsers never send to
/// a server or put in a Referer.
pub fn email(
    created: &Created,
    practice: &crate::entities::tenant::Model,
    public_url: &str,
    ttl: Duration,
) -> crate::ports::Email {
    let hours = ttl.as_secs() / 3600;
    let link = format!(
        "{public_url}/console/accept-invitation?practice={}#token={}",
        practice.slug, created.token
    );
    let role = created.invitation.role.replace('_', " ");
    crate::ports::Email {
        to: created.invitation.email.clone(),
        subject: format!("You are invited to {} on Portico", practice.display_name),
        text: format!(
            "You have been invited to join {} on Portico as {role}.\n\n\
             Accept within {hours} hours: {link}\n\n\
             If you did not expect this, ignore this email.",
            practice.display_name,
        ),
        html: None,
        message_id: None,
    }
}
