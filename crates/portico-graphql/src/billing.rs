//! Billing for practice admins (`billing/manage`): the plan and subscription, the status it
//! gives the practice, invoices, a Checkout Session to subscribe and a Customer Portal
//! session to change plan or card. Both sessions can be opened while the practice is
//! suspended or cancelled: that is how it pays. Staff see a notice (`Me.billingNotice`).

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    CoreResult,
    billing::{
        Billing as BillingOn, accounts,
        gateway::InvoiceSummary,
        lifecycle::{self, Notice},
        plans::{self, Plan},
        sessions,
    },
    entities::billing_account,
};

use crate::{
    ApiError,
    context::ContextExt,
    run::{Need, Run},
    user_error::UserError,
};

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
    let account = accounts::find(&services.db, ctx.tenant()?.tenant.id)
        .await
        .map_err(|e| ctx.fail(e))?;
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
        lifecycle::grace_ends_at(self.account.as_ref()?, &self.on.as_ref()?.settings)
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
        lifecycle::retained_until(self.account.as_ref()?, &self.on.as_ref()?.settings)
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
        ctx.caller(Need::to("billing", "manage")).await?;
        let services = ctx.services()?;
        let tenant = ctx.tenant()?;
        let account = match &services.billing {
            Some(on) => Some(
                accounts::ensure(&services.db, tenant.tenant.id, &on.settings, Utc::now())
                    .await
                    .map_err(|e| ctx.fail(e))?,
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

/// The payment provider's page, or why it was not opened (`userErrors`). A private helper:
/// the session is opened outside [`Run::mutate`], since no transaction is held while the
/// provider is called.
fn session_payload(
    ctx: &Context<'_>,
    opened: CoreResult<String>,
) -> async_graphql::Result<BillingSessionPayload> {
    Ok(match opened {
        Ok(url) => BillingSessionPayload {
            url: Some(url),
            user_errors: Vec::new(),
        },
        Err(e) => BillingSessionPayload {
            url: None,
            user_errors: UserError::of_input(e).map_err(|e| ctx.fail(e))?,
        },
    })
}

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
        let caller = ctx.caller(Need::to("billing", "manage")).await?;
        let services = ctx.services()?;
        let opened = sessions::checkout(
            &services.db,
            services.billing.as_ref(),
            ctx.tenant()?,
            &caller.actor,
            &input.plan,
            &services.public_url,
            Utc::now(),
        )
        .await;
        session_payload(ctx, opened)
    }

    /// A Customer Portal session: the URL where the admin changes plan or card, sees
    /// invoices or cancels.
    async fn billing_portal_url(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<BillingSessionPayload> {
        let caller = ctx.caller(Need::to("billing", "manage")).await?;
        let services = ctx.services()?;
        let opened = sessions::portal(
            &services.db,
            services.billing.as_ref(),
            ctx.tenant()?,
            &caller.actor,
            &services.public_url,
        )
        .await;
        session_payload(ctx, opened)
    }
}
