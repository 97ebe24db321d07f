//! `me`: who is signed in, at which practice, and the charts they may open.

use async_graphql::{Context, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{accounts, identity::Role, tenancy::Access};

use super::tokens::timestamp;
use crate::{
    ApiError,
    context::ContextExt,
    run::{Need, Run},
    tenants::TenantBranding,
};

/// The signed-in user.
#[derive(SimpleObject)]
pub struct Me {
    /// The signed-in user's global `User` id, as every input naming a user takes it.
    user_id: async_graphql::ID,
    display_name: String,
    email: String,
    role: String,
    tenant: TenantBranding,
    mfa_enrolled: bool,
    /// When the current access token expires.
    session_expires_at: DateTime<Utc>,
    /// Why the practice is suspended, for its staff (`None` for patients or when active).
    tenant_status_reason: Option<String>,
    /// For staff, while billing needs attention: a trial ending, a payment failed, the
    /// practice suspended or cancelled (`None` for patients and when billing is off).
    billing_notice: Option<crate::billing::BillingNotice>,
    /// The charts this person may open as a patient: their own and those shared with them.
    /// Staff open the practice's charts through `patients` instead.
    charts: Vec<ChartAccess>,
}

/// A chart the signed-in person may open, and how.
#[derive(SimpleObject)]
pub struct ChartAccess {
    patient: crate::patients::Patient,
    /// `self` or `proxy`.
    relationship: String,
    /// For a proxy: what the grant allows.
    scopes: Vec<crate::proxies::ProxyScope>,
}

pub(super) async fn me(ctx: &Context<'_>) -> async_graphql::Result<Me> {
    let (principal, found) = ctx
        .run(Need::to("me", "read"), Access::Write, async |tx, caller| {
            let me = caller.principal.user_id;
            let Some(user) = accounts::find_by_id(tx, me).await? else {
                return Ok((caller.principal.clone(), None));
            };
            let charts = if caller.is_patient() {
                portico_core::patients::accessible_to(tx, &caller.actor, me).await?
            } else {
                Vec::new()
            };
            Ok((caller.principal.clone(), Some((user, charts))))
        })
        .await?;
    let (user, charts) = found.ok_or(ApiError::Unauthenticated)?;
    let charts = charts
        .into_iter()
        .map(|a| ChartAccess {
            relationship: if a.proxy_scopes.is_some() {
                "proxy"
            } else {
                "self"
            }
            .to_owned(),
            scopes: a
                .proxy_scopes
                .unwrap_or_default()
                .iter()
                .filter_map(|s| crate::proxies::ProxyScope::parse(s))
                .collect(),
            patient: crate::patients::Patient(a.chart),
        })
        .collect();
    let staff = principal.role != Role::Patient;
    Ok(Me {
        user_id: crate::global_id::encode("User", user.id),
        display_name: user.display_name,
        email: user.email,
        role: principal.role.as_str().to_owned(),
        tenant: TenantBranding::from(ctx.tenant()?),
        mfa_enrolled: user.totp_enabled_at.is_some(),
        session_expires_at: timestamp(principal.expires_at),
        tenant_status_reason: staff
            .then(|| ctx.tenant().ok()?.tenant.status_reason.clone())
            .flatten(),
        billing_notice: if staff {
            crate::billing::notice_for(ctx).await?
        } else {
            None
        },
        charts,
    })
}
