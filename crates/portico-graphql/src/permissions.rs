//! A practice's role permissions: listed, and changed by a practice admin. A change reaches
//! every running instance through pub/sub.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use portico_core::{
    CoreError,
    identity::Role,
    permissions::{self, EDITABLE_ROLES, Permission},
    tenancy::Access,
};

use crate::{
    context::ContextExt,
    run::{Need, Payload, Run, refusable},
    user_error::UserError,
};

/// The pub/sub topic that tells every instance to reload a tenant's policies.
pub const POLICY_CHANGED_TOPIC: &str = "authz.policy_changed";

#[derive(SimpleObject, InputObject, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[graphql(input_name = "PermissionInput")]
pub struct PermissionGrant {
    /// An area of the API: `patients`, `own_chart`, `staff`, `api_keys`, `permissions`,
    /// `audit`, `me`.
    object: String,
    /// `read`, `write` or `manage`.
    action: String,
}

/// What one role may do in this practice.
#[derive(SimpleObject)]
pub struct RolePermissions {
    role: String,
    permissions: Vec<PermissionGrant>,
    /// True when the practice changed the defaults for this role.
    customized: bool,
}

#[derive(InputObject)]
pub struct SetRolePermissionsInput {
    role: String,
    /// The role's whole set of permissions from now on.
    permissions: Vec<PermissionGrant>,
}

#[derive(SimpleObject, Default)]
pub struct SetRolePermissionsPayload {
    role_permissions: Option<RolePermissions>,
    user_errors: Vec<UserError>,
}

refusable!(SetRolePermissionsPayload);

async fn effective(
    ctx: &Context<'_>,
    role: Role,
    customized: bool,
) -> async_graphql::Result<RolePermissions> {
    let tenant = ctx.tenant()?.id();
    let (services, request) = (ctx.services()?, ctx.request()?);
    let mut granted = Vec::new();
    for (object, action) in permissions::GRANTABLE {
        if crate::context::decide(services, request, role.as_str(), tenant, object, action).await? {
            granted.push(PermissionGrant {
                object: (*object).to_owned(),
                action: (*action).to_owned(),
            });
        }
    }
    Ok(RolePermissions {
        role: role.as_str().to_owned(),
        permissions: granted,
        customized,
    })
}

#[derive(Default)]
pub struct PermissionsQuery;

#[Object]
impl PermissionsQuery {
    /// Every editable role's permissions in this practice (practice admins).
    async fn role_permissions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<RolePermissions>> {
        let rules = ctx
            .run(
                Need::to("permissions", "manage"),
                Access::Read,
                async |tx, _| permissions::rules(tx).await,
            )
            .await?;
        let mut out = Vec::new();
        for role in EDITABLE_ROLES {
            let customized = rules.iter().any(|r| r.role == role.as_str());
            out.push(effective(ctx, role, customized).await?);
        }
        Ok(out)
    }
}

#[derive(Default)]
pub struct PermissionsMutation;

#[Object]
impl PermissionsMutation {
    /// Replaces a role's permissions in this practice. Takes effect on every instance.
    async fn set_role_permissions(
        &self,
        ctx: &Context<'_>,
        input: SetRolePermissionsInput,
    ) -> async_graphql::Result<SetRolePermissionsPayload> {
        let need = Need::to("permissions", "manage");
        let caller = ctx.caller(need).await?;
        let services = ctx.services()?;
        let Some(role) = Role::parse(&input.role) else {
            return Ok(SetRolePermissionsPayload::refused(vec![UserError::new(
                "role",
                "INVALID_ROLE",
                "use practice_admin, provider, staff or patient",
            )]));
        };
        let wanted: Vec<Permission> = input
            .permissions
            .into_iter()
            .map(|p| (p.object, p.action))
            .collect();
        let defaults = services.authorizer.defaults(role.as_str()).await;
        let outcome = ctx
            .mutate(need, async |tx, caller| {
                permissions::set_role(tx, &caller.actor, role, &wanted, &defaults).await
            })
            .await?;
        if let Err(user_errors) = outcome {
            return Ok(SetRolePermissionsPayload::refused(user_errors));
        }
        let tenant = caller.principal.tenant_id;
        services.authorizer.forget_tenant(tenant).await;
        services
            .pubsub
            .publish(POLICY_CHANGED_TOPIC, tenant.to_string().into_bytes())
            .await
            .map_err(|e| ctx.fail(CoreError::adapter(e)))?;
        // The answer shows the rules in force (`effective` reads them again), even when the
        // change took this very permission from the caller's role.
        let rules = ctx
            .within(Access::Read, async |tx| permissions::rules(tx).await)
            .await?
            .map_err(|e| ctx.fail(e))?;
        let customized = rules.iter().any(|r| r.role == role.as_str());
        Ok(SetRolePermissionsPayload {
            role_permissions: Some(effective(ctx, role, customized).await?),
            user_errors: Vec::new(),
        })
    }
}
