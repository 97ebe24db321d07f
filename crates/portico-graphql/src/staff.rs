//! Staff invitations: a practice admin invites by email with a role; the invitee accepts
//! with the one-time link, sets a password, and must then enrol TOTP.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{CoreError, entities::invitation, identity::Role, invitations, tenancy::Access};

use crate::{
    context::ContextExt,
    global_id,
    identity::{Session, device_of, revoke_ended, start_session},
    run::{Need, OutcomeExt, Payload, Run, refusable},
    user_error::UserError,
};

/// Who manages the practice's staff.
const MANAGE_STAFF: Need = Need::to("staff", "manage");

/// The refusal of a role that is not one of staff.
fn invalid_role() -> Vec<UserError> {
    vec![UserError::new(
        "role",
        "INVALID_ROLE",
        "use practice_admin, provider or staff",
    )]
}

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

refusable!(
    InviteStaffPayload,
    RevokeInvitationPayload,
    AcceptInvitationPayload,
    ChangeStaffRolePayload
);

#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// The practice's staff (practice admins).
    async fn staff_members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StaffMember>> {
        let list = ctx
            .run(MANAGE_STAFF, Access::Read, async |tx, _| {
                portico_core::accounts::staff(tx).await
            })
            .await?;
        Ok(list.into_iter().map(StaffMember::from).collect())
    }

    /// The practice's invitations, newest first (practice admins).
    async fn invitations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Invitation>> {
        let list = ctx
            .run(MANAGE_STAFF, Access::Read, async |tx, _| {
                invitations::list(tx).await
            })
            .await?;
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
        let need = MANAGE_STAFF.new_work();
        let caller = ctx.caller(need).await?;
        let services = ctx.services()?;
        let Some(role) = Role::parse(&input.role) else {
            return Ok(InviteStaffPayload::refused(invalid_role()));
        };
        crate::context::may_grant_role(&caller.principal, role)?;
        let ttl = services.invitation_ttl;
        let outcome = ctx
            .mutate(need, async |tx, caller| {
                let inviter = caller.principal.user_id;
                invitations::create(tx, &caller.actor, inviter, &input.email, role, ttl).await
            })
            .await?;
        let created = match outcome {
            Ok(created) => created,
            Err(user_errors) => return Ok(InviteStaffPayload::refused(user_errors)),
        };
        // Sent after the commit: the invitation exists even if the mail server is down, and
        // the admin can revoke and invite again.
        let practice = &ctx.tenant()?.tenant;
        let email = invitations::email(&created, practice, &services.public_url, ttl);
        services
            .mailer
            .send(email)
            .await
            .map_err(|e| ctx.fail(CoreError::adapter(e)))?;
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
        let caller = ctx.caller(MANAGE_STAFF).await?;
        let id = global_id::parse("User", "userId", &input.user_id)?;
        let Some(role) = Role::parse(&input.role) else {
            return Ok(ChangeStaffRolePayload::refused(invalid_role()));
        };
        crate::context::may_grant_role(&caller.principal, role)?;
        let outcome = ctx
            .mutate(MANAGE_STAFF, async |tx, caller| {
                let member = portico_core::UserId::from_uuid(id);
                portico_core::accounts::change_role(tx, &caller.actor, member, role).await
            })
            .await?;
        let (user, families) = match outcome {
            Ok(changed) => changed,
            Err(user_errors) => return Ok(ChangeStaffRolePayload::refused(user_errors)),
        };
        revoke_ended(ctx.services()?, "staff_role", families).await;
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
        let id = global_id::parse("Invitation", "id", &input.id)?;
        let outcome = ctx
            .mutate(MANAGE_STAFF, async |tx, caller| {
                invitations::revoke(tx, &caller.actor, id).await
            })
            .await?;
        Ok(outcome.payload(|revoked| RevokeInvitationPayload {
            invitation: Some(revoked.into()),
            user_errors: Vec::new(),
        }))
    }

    /// Creates the invitee's account (public: the token is the credential).
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> async_graphql::Result<AcceptInvitationPayload> {
        let services = ctx.services()?;
        let practice = &ctx.tenant()?.tenant;
        let device = device_of(ctx);
        let outcome = ctx
            .mutate_public(async |tx, _| {
                let user = invitations::accept(
                    tx,
                    services.passwords.as_ref(),
                    &input.token,
                    &input.display_name,
                    &input.password,
                )
                .await?;
                let role = Role::parse(&user.role).ok_or(CoreError::NotFound)?;
                start_session(services, practice, tx, &user, role, &device).await
            })
            .await?;
        Ok(outcome.payload(|session| AcceptInvitationPayload {
            session: Some(session.deliver(ctx, &practice.slug)),
            user_errors: Vec::new(),
        }))
    }
}
