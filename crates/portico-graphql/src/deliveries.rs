//! Failed deliveries: messages that used up their attempts (an SMTP server that refused
//! them, say) wait here for a practice admin to look at and retry.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    audit::{self, Access as AuditAccess},
    entities::outbox_message,
    outbox,
    ports::Job,
    tenancy::Access,
};

use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    user_error::{UserError, settle},
};

/// A message that was not delivered. The body is not shown: the recipient sees it in the
/// portal anyway, and it says nothing more than that something is waiting.
#[derive(SimpleObject)]
pub struct FailedDelivery {
    id: ID,
    /// `email`.
    channel: String,
    to: Option<String>,
    subject: Option<String>,
    created_at: DateTime<Utc>,
    attempts: i32,
    /// The last failure, as the adapter reported it.
    last_error: Option<String>,
}

impl From<outbox_message::Model> for FailedDelivery {
    fn from(m: outbox_message::Model) -> Self {
        let email = outbox::email_of(&m).ok();
        Self {
            id: global_id::encode("Delivery", m.id),
            channel: m.channel,
            to: email.as_ref().map(|e| e.to.clone()),
            subject: email.map(|e| e.subject),
            created_at: m.created_at,
            attempts: m.attempts,
            last_error: m.last_error,
        }
    }
}

#[derive(Default)]
pub struct DeliveriesQuery;

#[Object]
impl DeliveriesQuery {
    /// Messages that used up their attempts, newest first (practice admins).
    async fn failed_deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<FailedDelivery>> {
        ctx.authorize("notifications", "manage").await?;
        let request_id = ctx.request()?.request_id.clone();
        let limit = u64::try_from(first.unwrap_or(50).clamp(1, 500)).unwrap_or(50);
        let tx = ctx.tenant_tx(Access::Read).await?;
        let found = outbox::failed(&tx, limit).await;
        tx.rollback()
            .await
            .map_err(|e| ApiError::from_core(e, &request_id))?;
        Ok(found
            .map_err(|e| ApiError::from_core(e, &request_id))?
            .into_iter()
            .map(FailedDelivery::from)
            .collect())
    }
}

#[derive(InputObject)]
pub struct RetryDeliveryInput {
    delivery_id: ID,
}

#[derive(SimpleObject, Default)]
pub struct RetryDeliveryPayload {
    delivery: Option<FailedDelivery>,
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct DeliveriesMutation;

#[Object]
impl DeliveriesMutation {
    /// Gives a failed message a fresh set of attempts (practice admins).
    async fn retry_delivery(
        &self,
        ctx: &Context<'_>,
        input: RetryDeliveryInput,
    ) -> async_graphql::Result<RetryDeliveryPayload> {
        let principal = ctx.authorize("notifications", "manage").await?.clone();
        let request_id = ctx.request()?.request_id.clone();
        let id = global_id::parse("Delivery", "deliveryId", &input.delivery_id)?;
        let tx = ctx.tenant_tx(Access::Write).await?;
        let retried = async {
            let retried = outbox::retry(&tx, id).await?;
            audit::record(
                &tx,
                &ctx.actor(&principal),
                AuditAccess {
                    action: "delivery.retry",
                    resource_type: "Delivery",
                    resource_id: Some(retried.id),
                    patient_id: None,
                },
            )
            .await?;
            Ok(retried)
        }
        .await;
        let settled = settle(tx, retried, &request_id).await?;
        if settled.is_ok() {
            let tenant_id = ctx.tenant()?.id();
            if let Err(e) = ctx
                .services()?
                .queue
                .enqueue(Job::RelayOutbox { tenant_id })
                .await
            {
                tracing::warn!(error = %e, "outbox relay not queued; the sweep will relay it");
            }
        }
        Ok(match settled {
            Ok(m) => RetryDeliveryPayload {
                delivery: Some(m.into()),
                user_errors: Vec::new(),
            },
            Err(user_errors) => RetryDeliveryPayload {
                delivery: None,
                user_errors,
            },
        })
    }
}
