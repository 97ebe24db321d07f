//! Staff invitations: a practice admin invites by email with a role; the invitee accepts
//! with the one-time link, sets a password, and must then enrol TOTP.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    CoreError, entities::invitation, identity::Role, invitations, ports::Email, tenancy::Access,
};

use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    identity::{Session, start_session},
    user_error::{UserError, settle},
};

/// An invitation to join the practice's staff.
#[derive(SimpleObject)]
pub struct Invitation {
    id: ID,
    email: String,
    role: String,
    expires_at: DateTime<Utc>,
    /// `pending`, `accepted`, `revoked` or `expired`.
    status: String,
}

impl From<invitation::Model> for Invitation {
    fn from(i: invitation::Model) -> Self {
        let status = if i.accepted_at.is_some() {
            "accepted"
        } else if i.revoked_at.is_some() {
            "revoked"
        } else if i.expires_at <= Utc::now() {
            "expired"
        } else {
            "pending"
        };
        Self {
            id: global_id::encode("Invitation", i.id),
            email: i.email,
            role: i.role,
            expires_at: i.expires_at,
            status: status.to_owned(),
        }
    }
}

#[derive(InputObject)]
pub struct InviteStaffInput {
    email: String,
    /// `practice_admin`, `provider` or `staff`.
    role: String,
}

#[derive(SimpleObject, Default)]
pub struct InviteStaffPayload {
    invitation: Option<Invitation>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RevokeInvitationInput {
    id: ID,
}

#[derive(SimpleObject, Default)]
pub struct RevokeInvitationPayload {
    invitation: Option<Invitation>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AcceptInvitationInput {
    /// The token from the invitation link.
    token: String,
    display_name: String,
    password: String,
}

#[derive(SimpleObject, Default)]
pub struct AcceptInvitationPayload {
    /// Signed in; two-step verification must be set up next.
    session: Option<Session>,
    user_errors: Vec<UserError>,
}

/// A member of the practice's staff.
#[derive(SimpleObject)]
pub struct StaffMember {
    id: ID,
    display_name: String,
    email: String,
    role: String,
    mfa_enrolled: bool,
}

impl From<portico_core::entities::user::Model> for StaffMember {
    fn from(u: portico_core::entities::user::Model) -> Self {
        Self {
            id: global_id::encode("User", u.id),
            display_name: u.display_name,
            email: u.email,
            role: u.role,
            mfa_enrolled: u.totp_enabled_at.is_some(),
        }
    }
}

#[derive(InputObject)]
pub struct ChangeStaffRoleInput {
    user_id: ID,
    /// `practice_admin`, `provider` or `staff`.
    role: String,
}

#[derive(SimpleObject, Default)]
pub struct ChangeStaffRolePayload {
    staff_member: Option<StaffMember>,
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// The practice's staff (practice admins).
    async fn staff_members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StaffMember>> {
        ctx.authorize("staff", "manage").await?;
        let request_id = ctx.request()?.request_id.clone();
        let tx = ctx.tenant_tx(Access::Read).await?;
        let list = portico_core::accounts::staff(&tx)
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        tx.rollback()
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        Ok(list.into_iter().map(StaffMember::from).collect())
    }

    /// The practice's invitations, newest first (practice admins).
    async fn invitations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Invitation>> {
        ctx.authorize("staff", "manage").await?;
        let request_id = ctx.request()?.request_id.clone();
        let tx = ctx.tenant_tx(Access::Read).await?;
        let list = invitations::list(&tx)
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        tx.rollback()
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        Ok(list.into_iter().map(Invitation::from).collect())
    }
}

#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// Invites someone to the practice's staff; they receive a link by email.
    async fn invite_staff(
        &self,
        ctx: &Context<'_>,
        input: InviteStaffInput,
    ) -> async_graphql::Result<InviteStaffPayload> {
        let principal = ctx.authorize("staff", "manage").await?.clone();
        ctx.require_active_tenant()?;
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let tenant = ctx.tenant()?.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let Some(role) = Role::parse(&input.role) else {
            return Ok(InviteStaffPayload {
                invitation: None,
                user_errors: vec![UserError {
                    field: "role".to_owned(),
                    code: "INVALID_ROLE".to_owned(),
                    message: "use practice_admin, provider or staff".to_owned(),
                }],
            });
        };
        crate::context::may_grant_role(&principal, role)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let actor = ctx.actor(&principal);
        let created = invitations::create(
            &tx,
            &actor,
            principal.user_id,
            &input.email,
            role,
            services.invitation_ttl,
        )
        .await;
        let created = match settle(tx, created, &request_id).await? {
            Ok(c) => c,
            Err(user_errors) => {
                return Ok(InviteStaffPayload {
                    invitation: None,
                    user_errors,
                });
            }
        };
        let hours = services.invitation_ttl.as_secs() / 3600;
        // The console's page for it; the token rides in the fragment, which browsers never
        // send to a server or put in a Referer.
        let link = format!(
            "{}/console/accept-invitation?practice={}#token={}",
            services.public_url, tenant.tenant.slug, created.token
        );
        // Sent after the commit: the invitation exists even if the mail server is down, and
        // the admin can revoke and invite again.
        services
            .mailer
            .send(Email {
                to: created.invitation.email.clone(),
                subject: format!(
                    "You are invited to {} on Portico",
                    tenant.tenant.display_name
                ),
                text: format!(
                    "You have been invited to join {} on Portico as {}.\n\n\
                     Accept within {hours} hours: {link}\n\n\
                     If you did not expect this, ignore this email.",
                    tenant.tenant.display_name,
                    role.as_str().replace('_', " "),
                ),
                html: None,
                message_id: None,
            })
            .await
            .map_err(|e| core(CoreError::adapter(e)))?;
        Ok(InviteStaffPayload {
            invitation: Some(created.invitation.into()),
            user_errors: Vec::new(),
        })
    }

    /// Gives a staff member another role. Their sessions end, so the new role applies at once.
    async fn change_staff_role(
        &self,
        ctx: &Context<'_>,
        input: ChangeStaffRoleInput,
    ) -> async_graphql::Result<ChangeStaffRolePayload> {
        let principal = ctx.authorize("staff", "manage").await?.clone();
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let id = global_id::parse("User", "userId", &input.user_id)?;
        let Some(role) = Role::parse(&input.role) else {
            return Ok(ChangeStaffRolePayload {
                staff_member: None,
                user_errors: vec![UserError {
                    field: "role".to_owned(),
                    code: "INVALID_ROLE".to_owned(),
                    message: "use practice_admin, provider or staff".to_owned(),
                }],
            });
        };
        crate::context::may_grant_role(&principal, role)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let changed = portico_core::accounts::change_role(
            &tx,
            &ctx.actor(&principal),
            portico_core::UserId::from_uuid(id),
            role,
        )
        .await;
        let (user, families) = match settle(tx, changed, &request_id).await? {
            Ok(c) => c,
            Err(user_errors) => {
                return Ok(ChangeStaffRolePayload {
                    staff_member: None,
                    user_errors,
                });
            }
        };
        for family in families {
            let _ = services
                .revocations
                .revoke(family, services.tokens.access_ttl())
                .await;
        }
        Ok(ChangeStaffRolePayload {
            staff_member: Some(user.into()),
            user_errors: Vec::new(),
        })
    }

    /// Withdraws an invitation that has not been accepted.
    async fn revoke_invitation(
        &self,
        ctx: &Context<'_>,
        input: RevokeInvitationInput,
    ) -> async_graphql::Result<RevokeInvitationPayload> {
        let principal = ctx.authorize("staff", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let id = global_id::parse("Invitation", "id", &input.id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let actor = ctx.actor(&principal);
        let revoked = invitations::revoke(&tx, &actor, id).await;
        Ok(match settle(tx, revoked, &request_id).await? {
            Ok(revoked) => RevokeInvitationPayload {
                invitation: Some(revoked.into()),
                user_errors: Vec::new(),
            },
            Err(user_errors) => RevokeInvitationPayload {
                invitation: None,
                user_errors,
            },
        })
    }

    /// Creates the invitee's account (public: the token is the credential).
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> async_graphql::Result<AcceptInvitationPayload> {
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let tx = ctx.tenant_tx(Access::Write).await?;
        let accepted = invitations::accept(
            &tx,
            services.passwords.as_ref(),
            &input.token,
            &input.display_name,
            &input.password,
        )
        .await;
        let user = match accepted {
            Ok(u) => u,
            Err(e) => {
                tx.rollback().await.map_err(core)?;
                return Ok(AcceptInvitationPayload {
                    session: None,
                    user_errors: UserError::from_core(e, &request_id)?,
                });
            }
        };
        let role = Role::parse(&user.role).ok_or(ApiError::NotFound)?;
        let session = start_session(
            services,
            &ctx.tenant()?.tenant,
            &tx,
            &user,
            role,
            &request_id,
            crate::identity::device_of(ctx),
        )
        .await?;
        tx.commit().await.map_err(core)?;
        let session = session.deliver(ctx, &ctx.tenant()?.tenant.slug);
        Ok(AcceptInvitationPayload {
            session: Some(session),
            user_errors: Vec::new(),
        })
    }
}
