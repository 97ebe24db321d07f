//! Deliveries: one event for one endpoint, written in the transaction that did what the
//! event tells; handed to the queue when due; claimed by one worker at a time; recorded
//! attempt by attempt; tried again on [`super::schedule`] until delivered or given up; and
//! replayed on an admin's word, one at a time or every failure since a moment.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::{DELIVERED, EventType, FAILED, PENDING, endpoints, schedule};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{
        webhook_attempt,
        webhook_delivery::{self, Column, Entity, Model},
        webhook_endpoint,
    },
    ports::WebhookAnswer,
};

/// How far back an admin may replay failures from.
pub const REPLAY_WINDOW: Duration = Duration::days(30);
/// How long a finished delivery (delivered or given up) stays in the log: as long as it can
/// be replayed, and a little more.
pub const KEPT_FOR: Duration = Duration::days(35);
/// Failures one replay may queue again.
pub const REPLAY_MAX: u64 = 1000;
/// Why a delivery was given up without an attempt.
pub const ENDPOINT_DISABLED: &str = "ENDPOINT_DISABLED";

/// Writes one delivery of `event` (with `data`, ids only) for each endpoint of the practice
/// that is on and wants it; how many. In the caller's transaction.
pub async fn queue(tx: &TenantTx, event: EventType, data: serde_json::Value) -> CoreResult<usize> {
    let wanting: Vec<webhook_endpoint::Model> = tx
        .find::<webhook_endpoint::Entity>()
        .filter(webhook_endpoint::Column::DisabledAt.is_null())
        .filter(webhook_endpoint::Column::EventTypes.contains(event.as_str()))
        .all(tx.conn())
        .await?
        .into_iter()
        // `contains` is a substring match; the list decides.
        .filter(|e| endpoints::event_types(e).contains(&event))
        .collect();
    if wanting.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    // One message, one id, whichever endpoints get it.
    let message_id = format!("msg_{}", Uuid::now_v7().simple());
    let payload = json!({
        "type": event.as_str(),
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string();
    let rows = wanting
        .iter()
        .map(|endpoint| webhook_delivery::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            endpoint_id: Set(endpoint.id),
            message_id: Set(message_id.clone()),
            event_type: Set(event.as_str().to_owned()),
            payload: Set(payload.clone()),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(Some(now)),
            relayed_at: Set(None),
            claimed_until: Set(None),
            delivered_at: Set(None),
            last_status_code: Set(None),
            last_error: Set(None),
            replay_of: Set(None),
            created_at: Set(now),
        });
    tx.insert_many(rows)
        .exec_without_returning(tx.conn())
        .await?;
    tx.queued_webhooks();
    Ok(wanting.len())
}

/// Pending deliveries due at `now` that no relay handed out within `claim`, oldest first.
pub async fn due(
    tx: &TenantTx,
    limit: u64,
    claim: Duration,
    now: DateTime<Utc>,
) -> CoreResult<Vec<Model>> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::Status.eq(PENDING))
        .filter(Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(Column::RelayedAt.is_null())
                .add(Column::RelayedAt.lt(now - claim)),
        )
        // One a worker holds is being attempted: not handed out again meanwhile.
        .filter(
            Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lt(now)),
        )
        .order_by_asc(Column::NextAttemptAt)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

pub async fn mark_relayed(tx: &TenantTx, ids: &[Uuid], now: DateTime<Utc>) -> CoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    tx.update::<Entity>()
        .col_expr(Column::RelayedAt, Expr::value(Some(now)))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// A delivery a worker holds, with its endpoint.
pub struct Claimed {
    pub delivery: Model,
    pub endpoint: webhook_endpoint::Model,
}

/// Claims delivery `id` for `claim` when it is pending, due and not held by another worker.
/// A delivery whose endpoint was turned off is given up (no attempt) and not returned.
pub async fn claim(
    tx: &TenantTx,
    id: Uuid,
    now: DateTime<Utc>,
    claim: Duration,
) -> CoreResult<Option<Claimed>> {
    let taken = tx
        .update::<Entity>()
        .col_expr(Column::ClaimedUntil, Expr::value(Some(now + claim)))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(PENDING))
        .filter(Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lt(now)),
        )
        .exec(tx.conn())
        .await?;
    if taken.rows_affected != 1 {
        return Ok(None);
    }
    let delivery = find(tx, id).await?;
    let endpoint = endpoints::find(tx, delivery.endpoint_id).await?;
    if endpoint.disabled_at.is_some() {
        let mut change: webhook_delivery::ActiveModel = delivery.into();
        change.status = Set(FAILED.to_owned());
        change.next_attempt_at = Set(None);
        change.claimed_until = Set(None);
        change.last_error = Set(Some(ENDPOINT_DISABLED.to_owned()));
        change.update(tx.conn()).await?;
        return Ok(None);
    }
    Ok(Some(Claimed { delivery, endpoint }))
}

/// What recording an attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub delivered: bool,
    /// Every attempt of the schedule failed.
    pub given_up: bool,
    /// The endpoint was turned off by this failure (its admins are to be told).
    pub endpoint_disabled: bool,
}

/// Records an attempt at `delivery` (as claimed: its `claimed_until` is the claim this worker
/// holds) that ended with `answer`: delivered, to be tried again, or given up; an endpoint
/// with a delivery given up and no success since that delivery was written is turned off.
/// The attempt is logged whatever happens; the delivery changes only while the claim is
/// still this worker's (a worker that overran its claim changes nothing another holds).
pub async fn record(
    tx: &TenantTx,
    delivery: &Model,
    answer: &WebhookAnswer,
    attempted_at: DateTime<Utc>,
) -> CoreResult<Recorded> {
    webhook_attempt::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        delivery_id: Set(delivery.id),
        attempted_at: Set(attempted_at),
        status_code: Set(answer.status.map(i32::from)),
        duration_ms: Set(i32::try_from(answer.duration_ms).unwrap_or(i32::MAX)),
        error: Set(answer.error.map(str::to_owned)),
    }
    .insert(tx.conn())
    .await?;
    let attempts = delivery.attempts + 1;
    let now = Utc::now();
    let mut recorded = Recorded {
        delivered: false,
        given_up: false,
        endpoint_disabled: false,
    };
    let (status, next, delivered_at) = if answer.error.is_none() {
        recorded.delivered = true;
        (DELIVERED, None, Some(now))
    } else if let Some(wait) = schedule::next_wait(attempts, schedule::jitter()) {
        (PENDING, Some(now + wait), None)
    } else {
        recorded.given_up = true;
        (FAILED, None, None)
    };
    let mut update = tx
        .update::<Entity>()
        .col_expr(Column::Attempts, Expr::value(attempts))
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            Column::RelayedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            Column::LastStatusCode,
            Expr::value(answer.status.map(i32::from)),
        )
        .col_expr(Column::LastError, Expr::value(answer.error))
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::NextAttemptAt, Expr::value(next))
        .col_expr(Column::DeliveredAt, Expr::value(delivered_at))
        .filter(Column::Id.eq(delivery.id))
        .filter(Column::Status.eq(PENDING));
    update = match delivery.claimed_until {
        Some(held) => update.filter(Column::ClaimedUntil.eq(held)),
        None => update.filter(Column::ClaimedUntil.is_null()),
    };
    if update.exec(tx.conn()).await?.rows_affected != 1 {
        // Another worker holds it now (this one overran its claim): its attempt decides.
        return Ok(Recorded {
            delivered: false,
            given_up: false,
            endpoint_disabled: false,
        });
    }
    if recorded.given_up && !delivered_since(tx, delivery.endpoint_id, delivery.created_at).await? {
        recorded.endpoint_disabled =
            endpoints::disable_failing(tx, delivery.endpoint_id, now).await?;
    }
    Ok(recorded)
}

/// Whether any delivery to `endpoint` succeeded at or after `since`.
async fn delivered_since(tx: &TenantTx, endpoint: Uuid, since: DateTime<Utc>) -> CoreResult<bool> {
    Ok(tx
        .find::<Entity>()
        .select_only()
        .column(Column::Id)
        .filter(Column::EndpointId.eq(endpoint))
        .filter(Column::Status.eq(DELIVERED))
        .filter(Column::DeliveredAt.gte(since))
        .into_tuple::<Uuid>()
        .one(tx.conn())
        .await?
        .is_some())
}

pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<Model> {
    tx.find::<Entity>()
        .filter(Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// An endpoint's deliveries, newest first, `limit` of them from before `before` (a
/// delivery id: ids are time-ordered).
pub async fn page(
    tx: &TenantTx,
    endpoint: Uuid,
    limit: u64,
    before: Option<Uuid>,
) -> CoreResult<Vec<Model>> {
    let mut query = tx.find::<Entity>().filter(Column::EndpointId.eq(endpoint));
    if let Some(before) = before {
        query = query.filter(Column::Id.lt(before));
    }
    Ok(query
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

/// The attempts at `deliveries`, oldest first.
pub async fn attempts_of(
    tx: &TenantTx,
    deliveries: &[Uuid],
) -> CoreResult<Vec<webhook_attempt::Model>> {
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    Ok(tx
        .find::<webhook_attempt::Entity>()
        .filter(webhook_attempt::Column::DeliveryId.is_in(deliveries.iter().copied()))
        .order_by_asc(webhook_attempt::Column::AttemptedAt)
        .all(tx.conn())
        .await?)
}

fn replay_row(tx: &TenantTx, of: &Model, now: DateTime<Utc>) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        endpoint_id: Set(of.endpoint_id),
        // The same message: a receiver that did handle it can tell.
        message_id: Set(of.message_id.clone()),
        event_type: Set(of.event_type.clone()),
        payload: Set(of.payload.clone()),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(Some(now)),
        relayed_at: Set(None),
        claimed_until: Set(None),
        delivered_at: Set(None),
        last_status_code: Set(None),
        last_error: Set(None),
        replay_of: Set(Some(of.id)),
        created_at: Set(now),
    }
}

fn endpoint_off() -> CoreError {
    CoreError::invalid(
        "endpointId",
        "WEBHOOK_ENDPOINT_DISABLED",
        "turn the endpoint on before replaying to it",
    )
}

fn audit_access(action: &str, id: Uuid) -> Access<'_> {
    Access {
        action,
        resource_type: "WebhookEndpoint",
        resource_id: Some(id),
        patient_id: None,
    }
}

/// Sends delivery `id` again, as a new delivery of the same message, now.
pub async fn replay(tx: &TenantTx, actor: &Actor, id: Uuid) -> CoreResult<Model> {
    let of = find(tx, id).await?;
    if endpoints::find(tx, of.endpoint_id)
        .await?
        .disabled_at
        .is_some()
    {
        return Err(endpoint_off());
    }
    let replayed = replay_row(tx, &of, Utc::now()).insert(tx.conn()).await?;
    tx.queued_webhooks();
    audit::record(tx, actor, audit_access("webhook.replay", of.endpoint_id)).await?;
    Ok(replayed)
}

/// Sends again every delivery to `endpoint` written since `since` that failed for good and
/// was not replayed yet (at most [`REPLAY_MAX`]); how many.
pub async fn replay_failed_since(
    tx: &TenantTx,
    actor: &Actor,
    endpoint: Uuid,
    since: DateTime<Utc>,
) -> CoreResult<usize> {
    let now = Utc::now();
    if since > now || since < now - REPLAY_WINDOW {
        return Err(CoreError::invalid(
            "since",
            "INVALID_RANGE",
            "must be in the last 30 days",
        ));
    }
    if endpoints::find(tx, endpoint).await?.disabled_at.is_some() {
        return Err(endpoint_off());
    }
    // Those replayed already are left out before the limit, so a second call goes on with
    // the next thousand.
    let replayed = sea_orm::sea_query::Query::select()
        .column(Column::ReplayOf)
        .from(Entity)
        .and_where(Column::TenantId.eq(tx.tenant_id().as_uuid()))
        .and_where(Column::EndpointId.eq(endpoint))
        .and_where(Column::ReplayOf.is_not_null())
        .to_owned();
    let failed = tx
        .find::<Entity>()
        .filter(Column::EndpointId.eq(endpoint))
        .filter(Column::Status.eq(FAILED))
        .filter(Column::CreatedAt.gte(since))
        .filter(Column::Id.not_in_subquery(replayed))
        .order_by_asc(Column::Id)
        .limit(REPLAY_MAX)
        .all(tx.conn())
        .await?;
    let rows: Vec<_> = failed.iter().map(|d| replay_row(tx, d, now)).collect();
    let count = rows.len();
    if count > 0 {
        tx.insert_many(rows)
            .exec_without_returning(tx.conn())
            .await?;
        tx.queued_webhooks();
    }
    audit::record(tx, actor, audit_access("webhook.replay", endpoint)).await?;
    Ok(count)
}

/// Removes deliveries that finished (delivered or given up) before `cutoff`, with their
/// attempts; how many. Pending ones stay, whatever their age.
pub async fn purge_finished_before(tx: &TenantTx, cutoff: DateTime<Utc>) -> CoreResult<u64> {
    let removed = tx
        .delete::<Entity>()
        .filter(Column::Status.is_in([DELIVERED, FAILED]))
        .filter(Column::CreatedAt.lt(cutoff))
        .exec(tx.conn())
        .await?;
    Ok(removed.rows_affected)
}
