//! Billing for practice admins (`billing/manage`): the plan and subscription, the status it
//! gives the practice, invoices, a Checkout Session to subscribe and a Customer Portal
//! session to change plan or card. Both sessions can be opened while the practice is
//! suspended or cancelled: that is how it pays. Staff see a notice (`Me.billingNotice`).

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    billing::{
        Billing as BillingOn, accounts,
        gateway::{BillingError, CheckoutRequest, InvoiceSummary, NewCustomer},
        lifecycle::{self, Notice},
        plans::{self, Plan},
    },
    entities::billing_account,
    tenancy::Access,
};

use crate::{ApiError, context::ContextExt, user_error::UserError};

/// A plan a practice can choose.
#[derive(SimpleObject)]
pub struct BillingPlan {
    code: String,
    name: String,
    /// Billed per active provider.
    per_provider_seats: bool,
    /// Billed per monthly active patient.
    metered_by_active_patients: bool,
}

impl From<&Plan> for BillingPlan {
    fn from(plan: &Plan) -> Self {
        Self {
            code: plan.code.clone(),
            name: plan.name.clone(),
            per_provider_seats: plan.seat_price.is_some(),
            metered_by_active_patients: plan.patient_price.is_some(),
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum BillingNoticeKind {
    /// The trial ends at `until`.
    Trial,
    /// A payment failed: the practice is suspended at `until` unless it is paid.
    PastDue,
    /// New work is refused until the subscription is paid.
    Suspended,
    /// The subscription ended: the data is kept for export until `until`.
    Cancelled,
}

/// What staff are told while billing needs attention.
#[derive(SimpleObject)]
pub struct BillingNotice {
    kind: BillingNoticeKind,
    until: Option<DateTime<Utc>>,
}

impl From<Notice> for BillingNotice {
    fn from(notice: Notice) -> Self {
        let (kind, until) = match notice {
            Notice::Trial(until) => (BillingNoticeKind::Trial, until),
            Notice::PastDue(until) => (BillingNoticeKind::PastDue, until),
            Notice::Suspended => (BillingNoticeKind::Suspended, None),
            Notice::Cancelled(until) => (BillingNoticeKind::Cancelled, until),
        };
        Self { kind, until }
    }
}

/// The notice for the signed-in staff member's practice, when billing is on.
pub async fn notice_for(ctx: &Context<'_>) -> Result<Option<BillingNotice>, ApiError> {
    let services = ctx.services()?;
    let Some(billing) = &services.billing else {
        return Ok(None);
    };
    let request_id = ctx.request()?.request_id.clone();
    let account = accounts::find(&services.db, ctx.tenant()?.tenant.id)
        .await
        .map_err(|e| ApiError::from_core(e, &request_id))?;
    Ok(account
        .and_then(|a| lifecycle::notice(&a, &billing.settings))
        .map(Into::into))
}

/// An invoice.
#[derive(SimpleObject)]
pub struct Invoice {
    id: String,
    number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible` or `void`.
    status: Option<String>,
    /// ISO 4217, lower case.
    currency: String,
    /// In the currency's minor unit (cents).
    total: i64,
    amount_due: i64,
    amount_paid: i64,
    created: DateTime<Utc>,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    /// The payment provider's page for the invoice, and its PDF.
    hosted_url: Option<String>,
    pdf_url: Option<String>,
}

impl From<InvoiceSummary> for Invoice {
    fn from(i: InvoiceSummary) -> Self {
        Self {
            id: i.id,
            number: i.number,
            status: i.status,
            currency: i.currency,
            total: i.total,
            amount_due: i.amount_due,
            amount_paid: i.amount_paid,
            created: i.created,
            period_start: i.period_start,
            period_end: i.period_end,
            hosted_url: i.hosted_url,
            pdf_url: i.pdf_url,
        }
    }
}

/// The practice's billing.
pub struct Billing {
    on: Option<BillingOn>,
    account: Option<billing_account::Model>,
    status: String,
}

#[Object]
impl Billing {
    /// Off when no payment provider is configured: every practice is on the unlimited
    /// self-hosted plan.
    async fn enabled(&self) -> bool {
        self.on.is_some()
    }

    /// The practice's plan: `self_hosted` when billing is off, none before a subscription.
    async fn plan(&self) -> Option<BillingPlan> {
        let Some(on) = &self.on else {
            return Some(BillingPlan {
                code: plans::SELF_HOSTED.to_owned(),
                name: "Self-hosted (unlimited)".to_owned(),
                per_provider_seats: false,
                metered_by_active_patients: false,
            });
        };
        let code = self.account.as_ref()?.plan.as_deref()?;
        on.settings.catalogue.find(code).map(Into::into)
    }

    /// The plans to choose from (none when billing is off).
    async fn plans(&self) -> Vec<BillingPlan> {
        self.on
            .iter()
            .flat_map(|on| on.settings.catalogue.plans.iter().map(Into::into))
            .collect()
    }

    /// The practice's status: `trial`, `active`, `past_due`, `suspended` or `cancelled`.
    async fn status(&self) -> &str {
        &self.status
    }

    /// The payment provider's status of the subscription (`trialing`, `active`,
    /// `past_due`, `unpaid`, `canceled`, ...), none before one.
    async fn subscription_status(&self) -> Option<&str> {
        self.account.as_ref()?.subscription_status.as_deref()
    }

    async fn trial_ends_at(&self) -> Option<DateTime<Utc>> {
        self.account.as_ref()?.trial_ends_at
    }

    async fn current_period_end(&self) -> Option<DateTime<Utc>> {
        self.account.as_ref()?.current_period_end
    }

    /// When a practice that is past due is suspended unless it pays.
    async fn grace_ends_at(&self) -> Option<DateTime<Utc>> {
        let on = self.on.as_ref()?;
        Some(self.account.as_ref()?.past_due_since? + on.settings.grace)
    }

    /// The last payment that failed, until one succeeds.
    async fn payment_failed_at(&self) -> Option<DateTime<Utc>> {
        self.account.as_ref()?.payment_failed_at
    }

    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.account.as_ref()?.cancelled_at
    }

    /// Until when a cancelled practice's data is kept for export.
    async fn data_retained_until(&self) -> Option<DateTime<Utc>> {
        let on = self.on.as_ref()?;
        Some(self.account.as_ref()?.cancelled_at? + on.settings.retention)
    }

    async fn notice(&self) -> Option<BillingNotice> {
        let on = self.on.as_ref()?;
        lifecycle::notice(self.account.as_ref()?, &on.settings).map(Into::into)
    }

    /// The practice's invoices, newest first (`UNAVAILABLE` when the payment provider
    /// cannot be reached).
    async fn invoices(
        &self,
        #[graphql(default = 12, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<Invoice>> {
        let (Some(on), Some(customer)) = (
            &self.on,
            self.account.as_ref().and_then(|a| a.customer_id.as_deref()),
        ) else {
            return Ok(Vec::new());
        };
        let found = on
            .gateway
            .invoices(customer, u32::try_from(first).unwrap_or(12))
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "invoices not listed");
                ApiError::Unavailable
            })?;
        Ok(found.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct BillingQuery;

#[Object]
impl BillingQuery {
    /// The practice's plan, subscription, status and invoices (practice admins).
    async fn billing(&self, ctx: &Context<'_>) -> async_graphql::Result<Billing> {
        ctx.authorize("billing", "manage").await?;
        let services = ctx.services()?;
        let request_id = ctx.request()?.request_id.clone();
        let tenant = ctx.tenant()?;
        let account = match &services.billing {
            Some(on) => Some(
                accounts::ensure(&services.db, tenant.tenant.id, &on.settings, Utc::now())
                    .await
                    .map_err(|e| ApiError::from_core(e, &request_id))?,
            ),
            None => None,
        };
        Ok(Billing {
            on: services.billing.clone(),
            account,
            status: tenant.tenant.status.clone(),
        })
    }
}

#[derive(InputObject)]
pub struct StartCheckoutInput {
    /// A plan's code (`billing.plans`).
    plan: String,
}

#[derive(SimpleObject)]
pub struct BillingSessionPayload {
    /// Where to send the admin (the payment provider's page).
    url: Option<String>,
    user_errors: Vec<UserError>,
}

fn refused(field: &str, code: &str, message: &str) -> BillingSessionPayload {
    BillingSessionPayload {
        url: None,
        user_errors: vec![UserError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.to_owned(),
        }],
    }
}

fn provider_refused(e: &BillingError) -> BillingSessionPayload {
    tracing::warn!(error = %e, "payment provider call failed");
    match e {
        BillingError::Refused { .. } => refused(
            "billing",
            "PAYMENT_PROVIDER_REFUSED",
            "the payment provider refused the request",
        ),
        BillingError::Unavailable(_) => refused(
            "billing",
            "PAYMENT_PROVIDER_UNAVAILABLE",
            "the payment provider cannot be reached; try again shortly",
        ),
    }
}

const BILLING_OFF: (&str, &str, &str) = (
    "billing",
    "BILLING_OFF",
    "billing is off: every practice is on the self-hosted plan",
);

/// Subscription states in which a new checkout would make a second subscription.
const SUBSCRIBED: &[&str] = &[
    "trialing",
    "active",
    "past_due",
    "unpaid",
    "paused",
    "incomplete",
];

#[derive(Default)]
pub struct BillingMutation;

#[Object]
impl BillingMutation {
    /// A Checkout Session for a plan: the URL of the payment page. A practice that already
    /// has a subscription changes it in the billing portal instead (`ALREADY_SUBSCRIBED`).
    async fn start_checkout(
        &self,
        ctx: &Context<'_>,
        input: StartCheckoutInput,
    ) -> async_graphql::Result<BillingSessionPayload> {
        let principal = ctx.authorize("billing", "manage").await?.clone();
        let services = ctx.services()?;
        let Some(on) = &services.billing else {
            let (field, code, message) = BILLING_OFF;
            return Ok(refused(field, code, message));
        };
        let Some(plan) = on.settings.catalogue.find(&input.plan).cloned() else {
            return Ok(refused("plan", "UNKNOWN_PLAN", "no such plan"));
        };
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let tenant = ctx.tenant()?.tenant.clone();
        let now = Utc::now();
        let account = accounts::ensure(&services.db, tenant.id, &on.settings, now)
            .await
            .map_err(core)?;
        if account
            .subscription_status
            .as_deref()
            .is_some_and(|s| SUBSCRIBED.contains(&s))
        {
            return Ok(refused(
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
                    .await;
                match made {
                    // Two admins at once: the first link stands.
                    Ok(made) => accounts::link_customer(&services.db, tenant.id, &made)
                        .await
                        .map_err(core)?,
                    Err(e) => return Ok(provider_refused(&e)),
                }
            }
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let seats = accounts::seats(&tx).await.map_err(core)?;
        portico_core::audit::record(
            &tx,
            &ctx.actor(&principal),
            billing_access("billing.checkout.start"),
        )
        .await
        .map_err(core)?;
        tx.commit().await.map_err(core)?;
        let base = format!("{}/console/billing", services.public_url);
        let request = CheckoutRequest {
            tenant_id: tenant.id,
            customer_id: customer,
            plan,
            seats,
            trial_end: account
                .trial_ends_at
                .filter(|end| *end > now + chrono::Duration::days(2)),
            success_url: format!("{base}?checkout=done"),
            cancel_url: format!("{base}?checkout=cancelled"),
        };
        Ok(match on.gateway.checkout_url(&request).await {
            Ok(url) => BillingSessionPayload {
                url: Some(url),
                user_errors: Vec::new(),
            },
            Err(e) => provider_refused(&e),
        })
    }

    /// A Customer Portal session: the URL where the admin changes plan or card, sees
    /// invoices or cancels.
    async fn billing_portal_url(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<BillingSessionPayload> {
        let principal = ctx.authorize("billing", "manage").await?.clone();
        let services = ctx.services()?;
        let Some(on) = &services.billing else {
            let (field, code, message) = BILLING_OFF;
            return Ok(refused(field, code, message));
        };
        let request_id = ctx.request()?.request_id.clone();
        let core = |e| ApiError::from_core(e, &request_id);
        let tenant_id = ctx.tenant()?.tenant.id;
        let customer = accounts::find(&services.db, tenant_id)
            .await
            .map_err(core)?
            .and_then(|a| a.customer_id);
        let Some(customer) = customer else {
            return Ok(refused(
                "billing",
                "NO_SUBSCRIPTION",
                "the practice has not subscribed yet: start a checkout",
            ));
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        portico_core::audit::record(
            &tx,
            &ctx.actor(&principal),
            billing_access("billing.portal.open"),
        )
        .await
        .map_err(core)?;
        tx.commit().await.map_err(core)?;
        let return_url = format!("{}/console/billing", services.public_url);
        Ok(match on.gateway.portal_url(&customer, &return_url).await {
            Ok(url) => BillingSessionPayload {
                url: Some(url),
                user_errors: Vec::new(),
            },
            Err(e) => provider_refused(&e),
        })
    }
}

fn billing_access(action: &'static str) -> portico_core::audit::Access<'static> {
    portico_core::audit::Access {
        action,
        resource_type: "Billing",
        resource_id: None,
        patient_id: None,
    }
}
