//! Webhooks for developers: a practice admin registers endpoints with the event types they
//! want (the secret is shown once, on creation and on rotation), reads each endpoint's
//! delivery log with every attempt's status code and time, turns endpoints off and on, and
//! replays one delivery or every failure since a moment. The same permission as API keys
//! (`api_keys/manage`): both hand a developer's system the practice's data.

use async_graphql::{
    Context, Enum, ID, InputObject, Object, SimpleObject,
    connection::{Connection, Edge, EmptyFields, query},
};
use chrono::{DateTime, Utc};
use portico_core::{
    entities::{webhook_attempt, webhook_delivery, webhook_endpoint},
    tenancy::Access,
    webhooks::{self, EventType, deliveries, endpoints},
};
use uuid::Uuid;

use crate::{
    ApiError,
    context::ContextExt,
    global_id,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

const ENDPOINT: &str = "WebhookEndpoint";
const DELIVERY: &str = "WebhookDelivery";

fn need() -> Need {
    Need::to("api_keys", "manage")
}

/// What a practice can subscribe to; the payload's `type` is the lower-case dotted form
/// (`appointment.booked`).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "portico_core::webhooks::EventType")]
pub enum WebhookEventType {
    AppointmentBooked,
    AppointmentMoved,
    AppointmentCancelled,
    AppointmentCompleted,
    MessageReceived,
    RefillRequested,
    RefillDecided,
    PatientActivated,
    FormAnswered,
    ReadingBeyondThreshold,
    EhrSyncFinished,
    EhrSyncFailed,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Given up: every attempt failed (about three days), or the endpoint was off.
    Failed,
}

/// Why an endpoint is off.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDisabledReason {
    /// An admin turned it off.
    Manual,
    /// Its deliveries failed for good with no success since; the admins were told.
    Failing,
}

/// Where a practice's events are pushed. Its secret is never returned here: only
/// `createWebhookEndpoint` and `rotateWebhookSecret` show it, once.
pub struct WebhookEndpoint(webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> ID {
        global_id::encode(ENDPOINT, self.0.id)
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn event_types(&self) -> Vec<WebhookEventType> {
        endpoints::event_types(&self.0)
            .into_iter()
            .map(Into::into)
            .collect()
    }
    async fn enabled(&self) -> bool {
        self.0.disabled_at.is_none()
    }
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }
    async fn disabled_reason(&self) -> Option<WebhookDisabledReason> {
        match self.0.disabled_reason.as_deref() {
            Some(webhooks::DISABLED_FAILING) => Some(WebhookDisabledReason::Failing),
            Some(_) => Some(WebhookDisabledReason::Manual),
            None => None,
        }
    }
    /// Until when the secret replaced by the last rotation still signs (messages carry
    /// both signatures until then).
    async fn previous_secret_valid_until(&self) -> Option<DateTime<Utc>> {
        self.0
            .previous_secret_until
            .filter(|until| *until > Utc::now())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The endpoint's deliveries, newest first, with their attempts.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, WebhookDelivery, EmptyFields, EmptyFields>> {
        let endpoint = self.0.id;
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _, first, _| async move {
                let limit = first.unwrap_or(20).clamp(1, 100);
                let before = match after.as_deref() {
                    Some(cursor) => {
                        Some(global_id::decode(DELIVERY, &ID(cursor.to_owned())).ok_or(
                            ApiError::BadUserInput {
                                field: "after",
                                code: "INVALID_CURSOR",
                                message: "not a cursor from this list".to_owned(),
                            },
                        )?)
                    }
                    None => None,
                };
                let fetch = u64::try_from(limit + 1).unwrap_or(101);
                let (mut page, attempts) = ctx
                    .run(need(), Access::Read, async |tx, _| {
                        let page = deliveries::page(tx, endpoint, fetch, before).await?;
                        let ids: Vec<Uuid> = page.iter().map(|d| d.id).collect();
                        let attempts = deliveries::attempts_of(tx, &ids).await?;
                        Ok((page, attempts))
                    })
                    .await?;
                let has_next = page.len() > limit;
                page.truncate(limit);
                let mut connection = Connection::new(before.is_some(), has_next);
                connection.edges.extend(page.into_iter().map(|d| {
                    let cursor = global_id::encode(DELIVERY, d.id).0;
                    let mine = attempts
                        .iter()
                        .filter(|a| a.delivery_id == d.id)
                        .cloned()
                        .map(WebhookAttempt::from)
                        .collect();
                    Edge::new(cursor, WebhookDelivery::new(d, mine))
                }));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}

/// One try at a delivery.
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; null when it never answered.
    status_code: Option<i32>,
    duration_ms: i32,
    /// Why it failed: `HTTP_STATUS`, `REDIRECT_NOT_FOLLOWED`, `TIMEOUT`, `CONNECT_FAILED`,
    /// `ADDRESS_NOT_ALLOWED`, `URL_NOT_ALLOWED`, `REQUEST_FAILED`; null when delivered.
    error: Option<String>,
}

impl From<webhook_attempt::Model> for WebhookAttempt {
    fn from(a: webhook_attempt::Model) -> Self {
        Self {
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
        }
    }
}

/// One event for one endpoint.
#[derive(SimpleObject)]
pub struct WebhookDelivery {
    id: ID,
    /// The `webhook-id` header: the same on every attempt and on a replay.
    message_id: String,
    event_type: Option<WebhookEventType>,
    /// The body as sent (JSON: `type`, `timestamp`, `data` with ids only).
    payload: String,
    status: WebhookDeliveryStatus,
    attempt_count: i32,
    next_attempt_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    /// The delivery this one replays.
    replay_of: Option<ID>,
    created_at: DateTime<Utc>,
    /// Every attempt, oldest first.
    attempts: Vec<WebhookAttempt>,
}

impl WebhookDelivery {
    fn new(d: webhook_delivery::Model, attempts: Vec<WebhookAttempt>) -> Self {
        Self {
            id: global_id::encode(DELIVERY, d.id),
            message_id: d.message_id,
            event_type: EventType::parse(&d.event_type).map(Into::into),
            payload: d.payload,
            status: match d.status.as_str() {
                webhooks::DELIVERED => WebhookDeliveryStatus::Delivered,
                webhooks::FAILED => WebhookDeliveryStatus::Failed,
                _ => WebhookDeliveryStatus::Pending,
            },
            attempt_count: d.attempts,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            replay_of: d.replay_of.map(|id| global_id::encode(DELIVERY, id)),
            created_at: d.created_at,
            attempts,
        }
    }
}

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// https (no address of a private network); `WEBHOOK_URL_NOT_ALLOWED` otherwise.
    url: String,
    #[graphql(default)]
    description: String,
    /// At least one (`WEBHOOK_EVENTS_REQUIRED`).
    event_types: Vec<WebhookEventType>,
}

#[derive(SimpleObject, Default)]
pub struct CreateWebhookEndpointPayload {
    endpoint: Option<WebhookEndpoint>,
    /// The signing secret (`whsec_...`), shown this once.
    secret: Option<String>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    id: ID,
    url: String,
    #[graphql(default)]
    description: String,
    event_types: Vec<WebhookEventType>,
}

#[derive(SimpleObject, Default)]
pub struct UpdateWebhookEndpointPayload {
    endpoint: Option<WebhookEndpoint>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct SetWebhookEndpointEnabledInput {
    id: ID,
    enabled: bool,
}

#[derive(InputObject)]
pub struct WebhookEndpointIdInput {
    id: ID,
}

#[derive(SimpleObject)]
pub struct WebhookEndpointPayload {
    endpoint: WebhookEndpoint,
}

#[derive(SimpleObject)]
pub struct DeleteWebhookEndpointPayload {
    deleted_id: ID,
}

#[derive(SimpleObject)]
pub struct RotateWebhookSecretPayload {
    endpoint: WebhookEndpoint,
    /// The new secret, shown this once; the old one still signs for 24 hours.
    secret: String,
}

#[derive(InputObject)]
pub struct ReplayWebhookDeliveryInput {
    id: ID,
}

#[derive(SimpleObject, Default)]
pub struct ReplayWebhookDeliveryPayload {
    /// The new delivery (same message id), attempted now.
    delivery: Option<WebhookDelivery>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ReplayWebhookDeliveriesInput {
    endpoint_id: ID,
    /// Every delivery written since then (within 30 days) that failed for good and was not
    /// replayed yet is sent again.
    since: DateTime<Utc>,
}

#[derive(SimpleObject, Default)]
pub struct ReplayWebhookDeliveriesPayload {
    replayed: i32,
    user_errors: Vec<UserError>,
}

refusable!(
    CreateWebhookEndpointPayload,
    UpdateWebhookEndpointPayload,
    ReplayWebhookDeliveryPayload,
    ReplayWebhookDeliveriesPayload,
);

#[derive(Default)]
pub struct WebhooksQuery;

#[Object]
impl WebhooksQuery {
    /// The practice's webhook endpoints, oldest first (practice admins).
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<WebhookEndpoint>> {
        let found = ctx
            .run(need(), Access::Read, async |tx, _| {
                endpoints::list(tx).await
            })
            .await?;
        Ok(found.into_iter().map(WebhookEndpoint).collect())
    }

    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookEndpoint> {
        let id = global_id::parse(ENDPOINT, "id", &id)?;
        let found = ctx
            .run(need(), Access::Read, async |tx, _| {
                endpoints::find(tx, id).await
            })
            .await?;
        Ok(WebhookEndpoint(found))
    }
}

#[derive(Default)]
pub struct WebhooksMutation;

fn input_of(
    url: String,
    description: String,
    event_types: Vec<WebhookEventType>,
) -> endpoints::EndpointInput {
    endpoints::EndpointInput {
        url,
        description,
        event_types: event_types.into_iter().map(Into::into).collect(),
    }
}

#[Object]
impl WebhooksMutation {
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> async_graphql::Result<CreateWebhookEndpointPayload> {
        let services = ctx.services()?;
        let (sealer, sender) = (services.sealer.as_ref(), services.webhooks.as_ref());
        let wanted = input_of(input.url, input.description, input.event_types);
        let outcome = ctx
            .mutate(need().new_work(), async |tx, caller| {
                let creator = caller.principal.user_id;
                endpoints::create(tx, &caller.actor, (sealer, sender), creator, &wanted).await
            })
            .await?;
        Ok(outcome.payload(|created| CreateWebhookEndpointPayload {
            endpoint: Some(WebhookEndpoint(created.endpoint)),
            secret: Some(created.secret),
            user_errors: Vec::new(),
        }))
    }

    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> async_graphql::Result<UpdateWebhookEndpointPayload> {
        let id = global_id::parse(ENDPOINT, "id", &input.id)?;
        let sender = ctx.services()?.webhooks.as_ref();
        let wanted = input_of(input.url, input.description, input.event_types);
        let outcome = ctx
            .mutate(need(), async |tx, caller| {
                endpoints::update(tx, &caller.actor, sender, id, &wanted).await
            })
            .await?;
        Ok(outcome.payload(|endpoint| UpdateWebhookEndpointPayload {
            endpoint: Some(WebhookEndpoint(endpoint)),
            user_errors: Vec::new(),
        }))
    }

    /// Turns an endpoint off (deliveries due meanwhile are given up, to replay later) or on.
    async fn set_webhook_endpoint_enabled(
        &self,
        ctx: &Context<'_>,
        input: SetWebhookEndpointEnabledInput,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let id = global_id::parse(ENDPOINT, "id", &input.id)?;
        let endpoint = ctx
            .run(need(), Access::Write, async |tx, caller| {
                endpoints::set_enabled(tx, &caller.actor, id, input.enabled).await
            })
            .await?;
        Ok(WebhookEndpointPayload {
            endpoint: WebhookEndpoint(endpoint),
        })
    }

    /// Removes an endpoint and its delivery log.
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointIdInput,
    ) -> async_graphql::Result<DeleteWebhookEndpointPayload> {
        let id = global_id::parse(ENDPOINT, "id", &input.id)?;
        ctx.run(need(), Access::Write, async |tx, caller| {
            endpoints::delete(tx, &caller.actor, id).await
        })
        .await?;
        Ok(DeleteWebhookEndpointPayload {
            deleted_id: input.id,
        })
    }

    /// A new signing secret; the old one also signs for 24 hours, so a receiver can switch
    /// without missing a message.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointIdInput,
    ) -> async_graphql::Result<RotateWebhookSecretPayload> {
        let id = global_id::parse(ENDPOINT, "id", &input.id)?;
        let sealer = ctx.services()?.sealer.as_ref();
        let rotated = ctx
            .run(need(), Access::Write, async |tx, caller| {
                endpoints::rotate_secret(tx, &caller.actor, sealer, id).await
            })
            .await?;
        Ok(RotateWebhookSecretPayload {
            endpoint: WebhookEndpoint(rotated.endpoint),
            secret: rotated.secret,
        })
    }

    /// Sends one delivery again now, as the same message (`WEBHOOK_ENDPOINT_DISABLED` while
    /// its endpoint is off).
    async fn replay_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        input: ReplayWebhookDeliveryInput,
    ) -> async_graphql::Result<ReplayWebhookDeliveryPayload> {
        let id = global_id::parse(DELIVERY, "id", &input.id)?;
        let outcome = ctx
            .mutate(need(), async |tx, caller| {
                deliveries::replay(tx, &caller.actor, id).await
            })
            .await?;
        Ok(outcome.payload(|delivery| ReplayWebhookDeliveryPayload {
            delivery: Some(WebhookDelivery::new(delivery, Vec::new())),
            user_errors: Vec::new(),
        }))
    }

    /// Sends again every delivery to an endpoint that failed for good since `since`
    /// (`INVALID_RANGE` beyond 30 days or in the future).
    async fn replay_webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        input: ReplayWebhookDeliveriesInput,
    ) -> async_graphql::Result<ReplayWebhookDeliveriesPayload> {
        let endpoint = global_id::parse(ENDPOINT, "endpointId", &input.endpoint_id)?;
        let outcome = ctx
            .mutate(need(), async |tx, caller| {
                deliveries::replay_failed_since(tx, &caller.actor, endpoint, input.since).await
            })
            .await?;
        Ok(outcome.payload(|replayed| ReplayWebhookDeliveriesPayload {
            replayed: i32::try_from(replayed).unwrap_or(i32::MAX),
            user_errors: Vec::new(),
        }))
    }
}
