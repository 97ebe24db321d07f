//! Sending a practice admin to the payment provider: a Checkout Session to subscribe to a
//! plan, or a Customer Portal session to change plan or card. Both open while the practice is
//! suspended or cancelled: that is how it pays. A refusal (billing off, an unknown plan, a
//! second subscription, the provider refusing or unreachable) is an `Invalid` error for the
//! admin; nothing is held open while the provider is called.

use chrono::{DateTime, Duration, Utc};

use super::{
    Billing, accounts,
    gateway::{BillingError, CheckoutRequest, NewCustomer},
};
use crate::{
    CoreError, CoreResult, Db, TenantTx,
    audit::{self, Actor},
    tenancy::Access,
    tenants::ResolvedTenant,
};

/// Subscription states in which a new checkout would make a second subscription.
const SUBSCRIBED: &[&str] = &[
    "trialing",
    "active",
    "past_due",
    "unpaid",
    "paused",
    "incomplete",
];

/// The console page the provider sends the admin back to.
fn billing_page(public_url: &str) -> String {
    format!("{public_url}/console/billing")
}

/// The URL of a Checkout Session for plan `plan_code`. A practice that has a subscription
/// changes it in the billing portal instead (`ALREADY_SUBSCRIBED`); the trial left, when
/// more than two days, carries into the subscription.
pub async fn checkout(
    db: &Db,
    billing: Option<&Billing>,
    practice: &ResolvedTenant,
    actor: &Actor,
    plan_code: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> CoreResult<String> {
    let on = billing.ok_or_else(billing_off)?;
    let plan = on
        .settings
        .catalogue
        .find(plan_code)
        .cloned()
        .ok_or_else(|| CoreError::invalid("plan", "UNKNOWN_PLAN", "no such plan"))?;
    let tenant = &practice.tenant;
    let account = accounts::ensure(db, tenant.id, &on.settings, now).await?;
    if account
        .subscription_status
        .as_deref()
        .is_some_and(|s| SUBSCRIBED.contains(&s))
    {
        return Err(CoreError::invalid(
            "plan",
            "ALREADY_SUBSCRIBED",
            "the practice has a subscription: change its plan in the billing portal",
        ));
    }
    let customer = match account.customer_id {
        Some(customer) => customer,
        None => {
            let made = on
                .gateway
                .create_customer(&NewCustomer {
                    tenant_id: tenant.id,
                    name: tenant.name.clone(),
                    email: None,
                })
                .await
                .map_err(provider_refused)?;
            // Two admins at once: the first link stands.
            accounts::link_customer(db, tenant.id, &made).await?
        }
    };
    let seats = audited(db, practice, actor, "billing.checkout.start", async |tx| {
        accounts::seats(tx).await
    })
    .await?;
    let base = billing_page(public_url);
    let request = CheckoutRequest {
        tenant_id: tenant.id,
        customer_id: customer,
        plan,
        seats,
        trial_end: account
            .trial_ends_at
            .filter(|end| *end > now + Duration::days(2)),
        success_url: format!("{base}?checkout=done"),
        cancel_url: format!("{base}?checkout=cancelled"),
    };
    on.gateway
        .checkout_url(&request)
        .await
        .map_err(provider_refused)
}

/// The URL of a Customer Portal session, where the admin changes plan or card, sees
/// invoices or cancels. `NO_SUBSCRIPTION` before the practice has a customer.
pub async fn portal(
    db: &Db,
    billing: Option<&Billing>,
    practice: &ResolvedTenant,
    actor: &Actor,
    public_url: &str,
) -> CoreResult<String> {
    let on = billing.ok_or_else(billing_off)?;
    let customer = accounts::find(db, practice.tenant.id)
        .await?
        .and_then(|a| a.customer_id)
        .ok_or_else(|| {
            CoreError::invalid(
                "billing",
                "NO_SUBSCRIPTION",
                "the practice has not subscribed yet: start a checkout",
            )
        })?;
    audited(db, practice, actor, "billing.portal.open", async |_| Ok(())).await?;
    on.gateway
        .portal_url(&customer, &billing_page(public_url))
        .await
        .map_err(provider_refused)
}

/// Runs `work` in a transaction of the practice that records `action` in its audit log, and
/// commits it before the provider is called.
async fn audited<T>(
    db: &Db,
    practice: &ResolvedTenant,
    actor: &Actor,
    action: &'static str,
    work: impl AsyncFnOnce(&TenantTx) -> CoreResult<T>,
) -> CoreResult<T> {
    let tx = TenantTx::begin(db, &practice.scope(), Access::Write).await?;
    let value = work(&tx).await?;
    audit::record(&tx, actor, audit::Access::practice(action, "Billing", None)).await?;
    tx.commit().await?;
    Ok(value)
}

fn billing_off() -> CoreError {
    CoreError::invalid(
        "billing",
        "BILLING_OFF",
        "billing is off: every practice is on the self-hosted plan",
    )
}

/// The provider's failure as the admin sees it (logged; never the provider's text).
fn provider_refused(e: BillingError) -> CoreError {
    tracing::warn!(error = %e, "payment provider call failed");
    match e {
        BillingError::Refused { .. } => CoreError::invalid(
            "billing",
            "PAYMENT_PROVIDER_REFUSED",
            "the payment provider refused the request",
        ),
        BillingError::Unavailable(_) => CoreError::invalid(
            "billing",
            "PAYMENT_PROVIDER_UNAVAILABLE",
            "the payment provider cannot be reached; try again shortly",
        ),
    }
}
