//! Failed deliveries: messages that used up their attempts (an SMTP server that refused
//! them, say) wait here for a practice admin to look at and retry.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{entities::outbox_message, notify::deliveries, outbox, tenancy::Access};

use crate::{
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    scheduling::appointments::relay_outbox,
    user_error::UserError,
};

/// Practice admins look after deliveries.
const MANAGE: Need = Need::to("notifications", "manage");

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
        let limit = u64::try_from(first.unwrap_or(50).clamp(1, 500)).unwrap_or(50);
        let found = ctx
            .run(MANAGE, Access::Read, async |tx, _| {
                outbox::failed(tx, limit).await
            })
            .await?;
        Ok(found.into_iter().map(FailedDelivery::from).collect())
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

refusable!(RetryDeliveryPayload);

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
        let id = global_id::parse("Delivery", "deliveryId", &input.delivery_id)?;
        let outcome = ctx
            .mutate(MANAGE, async |tx, caller| {
                deliveries::retry(tx, &caller.actor, id).await
            })
            .await?;
        if outcome.is_ok() {
            relay_outbox(ctx, 1).await?;
        }
        Ok(outcome.payload(|m| RetryDeliveryPayload {
            delivery: Some(m.into()),
            user_errors: Vec::new(),
        }))
    }
}
