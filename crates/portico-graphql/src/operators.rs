//! Platform operators: list practices, suspend and reactivate them. Only users of the
//! platform tenant with the `operator` role reach this, whatever a practice's policies say.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    CoreResult, TenantId, TenantScope, TenantTx, audit,
    tenancy::Access,
    tenants::{self, ResolvedTenant},
};

use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    run::{Caller, Need, Run},
    user_error::UserError,
};

/// A practice, as operators see it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TenantSummary {
    id: ID,
    slug: String,
    name: String,
    /// `trial`, `active`, `past_due`, `suspended`, `cancelled` or `closed`.
    status: String,
    status_reason: Option<String>,
    /// Suspended by an operator (whatever the subscription does).
    operator_hold: bool,
    created_at: DateTime<Utc>,
    #[graphql(skip)]
    tenant_id: uuid::Uuid,
}

/// A practice's plan and subscription, for operators (none when billing is off or before
/// billing has seen the practice).
#[derive(SimpleObject)]
pub struct TenantBilling {
    plan: Option<String>,
    subscription_status: Option<String>,
    trial_ends_at: Option<DateTime<Utc>>,
    current_period_end: Option<DateTime<Utc>>,
    payment_failed_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
}

#[ComplexObject]
impl TenantSummary {
    async fn billing(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TenantBilling>> {
        let services = ctx.services()?;
        if services.billing.is_none() {
            return Ok(None);
        }
        let account = portico_core::billing::accounts::find(&services.db, self.tenant_id)
            .await
            .map_err(|e| ctx.fail(e))?;
        Ok(account.map(|a| TenantBilling {
            plan: a.plan,
            subscription_status: a.subscription_status,
            trial_ends_at: a.trial_ends_at,
            current_period_end: a.current_period_end,
            payment_failed_at: a.payment_failed_at,
            cancelled_at: a.cancelled_at,
        }))
    }
}

impl From<ResolvedTenant> for TenantSummary {
    fn from(t: ResolvedTenant) -> Self {
        Self {
            tenant_id: t.tenant.id,
            operator_hold: t.tenant.operator_hold,
            id: global_id::encode("Tenant", t.tenant.id),
            slug: t.tenant.slug,
            name: t.tenant.name,
            status: t.tenant.status,
            status_reason: t.tenant.status_reason,
            created_at: t.tenant.created_at,
        }
    }
}

#[derive(InputObject)]
pub struct SuspendTenantInput {
    id: ID,
    /// Shown to the practice's staff; no patient data.
    reason: String,
}

#[derive(InputObject)]
pub struct ReactivateTenantInput {
    id: ID,
}

#[derive(SimpleObject, Default)]
pub struct TenantStatusPayload {
    tenant: Option<TenantSummary>,
    user_errors: Vec<UserError>,
}

/// An operator of the platform tenant, or `FORBIDDEN`.
async fn operator(ctx: &Context<'_>) -> Result<Caller, ApiError> {
    let caller = ctx.caller(Need::to("tenants", "manage")).await?;
    if !ctx.tenant()?.is_platform() {
        return Err(ApiError::Forbidden);
    }
    Ok(caller)
}

/// Runs `work` in a transaction of `practice`, which need not be the practice the request is
/// addressed to (an operator's, or one just created), and ends it as [`Run::within`] does.
// The runner only opens the request's practice; this belongs there as `within_practice`.
pub(crate) async fn within_practice<T>(
    ctx: &Context<'_>,
    practice: &TenantScope,
    access: Access,
    work: impl AsyncFnOnce(&TenantTx) -> CoreResult<T>,
) -> Result<CoreResult<T>, ApiError> {
    let db = &ctx.services()?.db;
    let tx = TenantTx::begin(db, practice, access)
        .await
        .map_err(|e| ctx.fail(e))?;
    let done = work(&tx).await;
    let ended = if done.is_ok() {
        tx.commit().await
    } else {
        tx.rollback().await
    };
    ended.map_err(|e| ctx.fail(e))?;
    Ok(done)
}

/// The state of a practice's audit hash chain.
#[derive(SimpleObject)]
pub struct AuditChainReport {
    events: u64,
    /// The first event whose hash or link does not match; unset when the chain is intact.
    first_broken_seq: Option<i64>,
}

#[derive(Default)]
pub struct OperatorsQuery;

#[Object]
impl OperatorsQuery {
    /// Practices on the platform, newest first (operators).
    async fn tenants(
        &self,
        ctx: &Context<'_>,
        status: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<TenantSummary>> {
        operator(ctx).await?;
        let services = ctx.services()?;
        let limit = u64::try_from(first.unwrap_or(50).clamp(1, 500)).unwrap_or(50);
        let list = tenants::list(&services.db, status.as_deref(), limit)
            .await
            .map_err(|e| ctx.fail(e))?;
        Ok(list.into_iter().map(TenantSummary::from).collect())
    }

    /// Walks a practice's audit hash chain (operators). Shows counts and positions only.
    async fn verify_audit_chain(
        &self,
        ctx: &Context<'_>,
        tenant_id: ID,
    ) -> async_graphql::Result<AuditChainReport> {
        operator(ctx).await?;
        let services = ctx.services()?;
        let id = TenantId::from_uuid(global_id::parse("Tenant", "tenantId", &tenant_id)?);
        let target = tenants::find_by_id(&services.db, id)
            .await
            .map_err(|e| ctx.fail(e))?
            .ok_or(ApiError::NotFound)?;
        // Writing: pending events are sealed into the chain before it is walked.
        let report = within_practice(ctx, &target.scope(), Access::Write, async |tx| {
            audit::verify_chain(tx).await
        })
        .await?
        .map_err(|e| ctx.fail(e))?;
        Ok(AuditChainReport {
            events: report.events,
            first_broken_seq: report.first_broken_seq,
        })
    }
}

#[derive(Default)]
pub struct OperatorsMutation;

#[Object]
impl OperatorsMutation {
    /// Suspends a practice: its staff can still sign in to see why and to pay, its patients
    /// can still read their records; new activity is refused with `TENANT_SUSPENDED`.
    async fn suspend_tenant(
        &self,
        ctx: &Context<'_>,
        input: SuspendTenantInput,
    ) -> async_graphql::Result<TenantStatusPayload> {
        change_status(ctx, &input.id, true, Some(input.reason)).await
    }

    async fn reactivate_tenant(
        &self,
        ctx: &Context<'_>,
        input: ReactivateTenantInput,
    ) -> async_graphql::Result<TenantStatusPayload> {
        change_status(ctx, &input.id, false, None).await
    }
}

async fn change_status(
    ctx: &Context<'_>,
    id: &ID,
    suspend: bool,
    reason: Option<String>,
) -> async_graphql::Result<TenantStatusPayload> {
    let caller = operator(ctx).await?;
    let services = ctx.services()?;
    let id = TenantId::from_uuid(global_id::parse("Tenant", "id", id)?);
    let target = tenants::find_by_id(&services.db, id)
        .await
        .map_err(|e| ctx.fail(e))?
        .ok_or(ApiError::NotFound)?;
    let billing_on = services.billing.is_some();
    let changed = within_practice(ctx, &target.scope(), Access::Write, async |tx| {
        portico_core::practice_status::change_status(tx, &caller.actor, suspend, reason, billing_on)
            .await
    })
    .await?;
    let changed = match changed {
        Ok(changed) => changed,
        Err(e) => {
            return Ok(TenantStatusPayload {
                tenant: None,
                user_errors: UserError::of_input(e).map_err(|e| ctx.fail(e))?,
            });
        }
    };
    // The platform's own log records it too.
    let event = portico_core::practice_status::status_event(suspend, changed.tenant.id);
    ctx.within(Access::Write, async |tx| {
        audit::record(tx, &caller.actor, event).await
    })
    .await?
    .map_err(|e| ctx.fail(e))?;
    Ok(TenantStatusPayload {
        tenant: Some(changed.into()),
        user_errors: Vec::new(),
    })
}
