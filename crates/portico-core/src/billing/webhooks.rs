//! Applying the provider's events. Each event id is handled once (a row in
//! `billing_events`). A subscription event is a signal: the subscription as it stands now is
//! fetched from the provider and applied (two events of the same second, whose `created`
//! cannot order them, both end in the current state). When the provider cannot be reached
//! the event's own copy is applied instead, the latest-created winning, ties going to the
//! greater event id. Either way every event's effect depends on the event (and the
//! provider's current state) alone, never on what came before, so any order of delivery,
//! with repeats, ends in the same state.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::{
    Billing, accounts,
    events::{BillingEvent, EventKind, SubscriptionSnapshot},
    settings::BillingSettings,
};
use crate::{
    CoreResult, Db,
    entities::{billing_account, billing_event, tenant},
    tenants::PLATFORM_SLUG,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Applied to this practice (an event older than its state is applied as no change).
    Applied { tenant_id: Uuid },
    /// Handled before: nothing changed.
    Duplicate,
    /// About no practice here (another product on the same account): recorded, ignored.
    NotOurs,
}

/// Receives a verified event: fetches the subscription it is about (outside any
/// transaction), then applies it.
pub async fn receive(
    db: &Db,
    billing: &Billing,
    event: &BillingEvent,
    now: DateTime<Utc>,
) -> CoreResult<Outcome> {
    let current = match &event.kind {
        EventKind::Subscription(snapshot) => {
            match billing.gateway.subscription(&snapshot.id).await {
                Ok(current) => current.filter(|c| c.id == snapshot.id),
                Err(e) => {
                    tracing::warn!(error = %e, "subscription not fetched; the event's copy is applied");
                    None
                }
            }
        }
        _ => None,
    };
    apply(db, &billing.settings, event, current.as_ref(), now).await
}

/// Applies a verified event; `current` is its subscription as fetched now, if it was.
pub async fn apply(
    db: &Db,
    settings: &BillingSettings,
    event: &BillingEvent,
    current: Option<&SubscriptionSnapshot>,
    now: DateTime<Utc>,
) -> CoreResult<Outcome> {
    let txn = db.begin_write().await?;
    let recorded = billing_event::Entity::insert(billing_event::ActiveModel {
        event_id: Set(event.id.clone()),
        event_type: Set(event.event_type.chars().take(128).collect()),
        created: Set(event.created),
        tenant_id: Set(None),
        received_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(billing_event::Column::EventId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if recorded == 0 {
        txn.rollback().await?;
        return Ok(Outcome::Duplicate);
    }
    let Some(tenant_id) = practice_of(&txn, event).await? else {
        txn.commit().await?;
        return Ok(Outcome::NotOurs);
    };
    billing_event::Entity::update_many()
        .col_expr(billing_event::Column::TenantId, Expr::value(tenant_id))
        .filter(billing_event::Column::EventId.eq(event.id.as_str()))
        .exec(&txn)
        .await?;
    accounts::ensure_in(&txn, tenant_id, settings, now).await?;
    // Holding the account row from here: another event or the sweep settling meanwhile
    // waits, and every read below sees what it committed.
    accounts::hold(&txn, tenant_id, now).await?;
    if let Some(customer) = customer_of(&event.kind) {
        accounts::link_customer_in(&txn, tenant_id, customer).await?;
    }
    match &event.kind {
        EventKind::CheckoutCompleted {
            subscription_id: Some(subscription),
            ..
        } => {
            billing_account::Entity::update_many()
                .col_expr(
                    billing_account::Column::SubscriptionId,
                    Expr::value(subscription.clone()),
                )
                .filter(billing_account::Column::TenantId.eq(tenant_id))
                .filter(billing_account::Column::SubscriptionId.is_null())
                .exec(&txn)
                .await?;
        }
        EventKind::Subscription(snapshot) => {
            let fetched = current.is_some();
            let snapshot = current.unwrap_or(snapshot);
            apply_subscription(&txn, settings, tenant_id, event, snapshot, fetched, now).await?;
        }
        EventKind::Invoice { paid, .. } => {
            billing_account::Entity::update_many()
                .col_expr(
                    billing_account::Column::PaymentFailedAt,
                    Expr::value((!paid).then_some(event.created)),
                )
                .col_expr(
                    billing_account::Column::InvoiceStateCreated,
                    Expr::value(event.created),
                )
                .col_expr(
                    billing_account::Column::InvoiceStateEventId,
                    Expr::value(event.id.clone()),
                )
                .col_expr(billing_account::Column::UpdatedAt, Expr::value(now))
                .filter(billing_account::Column::TenantId.eq(tenant_id))
                .filter(newer_than(
                    billing_account::Column::InvoiceStateCreated,
                    billing_account::Column::InvoiceStateEventId,
                    event,
                ))
                .exec(&txn)
                .await?;
        }
        EventKind::CheckoutCompleted { .. } | EventKind::Other => {}
    }
    accounts::settle(&txn, tenant_id, settings, now).await?;
    txn.commit().await?;
    db.caches().changed(
        crate::TenantId::from_uuid(tenant_id),
        crate::caches::Change::Tenant,
    );
    Ok(Outcome::Applied { tenant_id })
}

/// Sets the subscription's state: the current one (`fetched`) unless a later event was
/// applied, else the event's copy if it is newer than the state applied. Only the practice's
/// own subscription moves it, unless that one has ended (a second subscription made by a
/// second checkout does not flip the practice back and forth).
async fn apply_subscription<C: ConnectionTrait>(
    conn: &C,
    settings: &BillingSettings,
    tenant_id: Uuid,
    event: &BillingEvent,
    snapshot: &SubscriptionSnapshot,
    fetched: bool,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let owed = !matches!(
        snapshot.status.as_str(),
        "trialing" | "active" | "canceled" | "incomplete_expired" | "unpaid" | "paused"
    );
    let ended = snapshot.status == "canceled";
    let plan = settings
        .catalogue
        .for_prices(snapshot.prices.iter().map(String::as_str))
        .map(|plan| plan.code.clone());
    let mut update = billing_account::Entity::update_many()
        .col_expr(
            billing_account::Column::SubscriptionId,
            Expr::value(snapshot.id.clone()),
        )
        .col_expr(
            billing_account::Column::SubscriptionStatus,
            Expr::value(snapshot.status.chars().take(32).collect::<String>()),
        )
        .col_expr(billing_account::Column::Plan, Expr::value(plan))
        .col_expr(
            billing_account::Column::CurrentPeriodEnd,
            Expr::value(snapshot.current_period_end),
        )
        .col_expr(
            billing_account::Column::PastDueSince,
            // When the provider said so: a renewal or a mid-period charge alike.
            Expr::value(owed.then_some(event.created)),
        )
        .col_expr(
            billing_account::Column::CancelledAt,
            Expr::value(ended.then_some(event.created)),
        )
        .col_expr(
            billing_account::Column::StateCreated,
            Expr::value(event.created),
        )
        .col_expr(
            billing_account::Column::StateEventId,
            Expr::value(event.id.clone()),
        )
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(now));
    if let Some(trial_end) = snapshot.trial_end {
        update = update.col_expr(billing_account::Column::TrialEndsAt, Expr::value(trial_end));
    }
    let newer = if fetched {
        Condition::any()
            .add(billing_account::Column::StateCreated.is_null())
            .add(billing_account::Column::StateCreated.lte(event.created))
    } else {
        newer_than(
            billing_account::Column::StateCreated,
            billing_account::Column::StateEventId,
            event,
        )
    };
    let own = Condition::any()
        .add(billing_account::Column::SubscriptionId.is_null())
        .add(billing_account::Column::SubscriptionId.eq(snapshot.id.as_str()))
        .add(billing_account::Column::SubscriptionStatus.is_in(["canceled", "incomplete_expired"]));
    update
        .filter(billing_account::Column::TenantId.eq(tenant_id))
        .filter(newer)
        .filter(own)
        .exec(conn)
        .await?;
    Ok(())
}

/// `(created, id)` of the state is older than the event's.
fn newer_than(
    created: billing_account::Column,
    event_id: billing_account::Column,
    event: &BillingEvent,
) -> Condition {
    Condition::any()
        .add(created.is_null())
        .add(created.lt(event.created))
        .add(
            Condition::all()
                .add(created.eq(event.created))
                .add(event_id.lt(event.id.as_str())),
        )
}

fn customer_of(kind: &EventKind) -> Option<&str> {
    match kind {
        EventKind::CheckoutCompleted { customer_id, .. }
        | EventKind::Invoice { customer_id, .. } => Some(customer_id),
        EventKind::Subscription(snapshot) => Some(&snapshot.customer_id),
        EventKind::Other => None,
    }
}

/// The practice an event is about: the one its customer is linked to, else the one Portico
/// named when it started the checkout (the session's reference, the subscription's
/// metadata).
async fn practice_of<C: ConnectionTrait>(
    conn: &C,
    event: &BillingEvent,
) -> CoreResult<Option<Uuid>> {
    if let Some(customer) = customer_of(&event.kind)
        && let Some(account) = billing_account::Entity::find()
            .filter(billing_account::Column::CustomerId.eq(customer))
            .one(conn)
            .await?
    {
        return Ok(Some(account.tenant_id));
    }
    let named = match &event.kind {
        EventKind::CheckoutCompleted { tenant_id, .. } => *tenant_id,
        EventKind::Subscription(snapshot) => snapshot.tenant_id,
        _ => None,
    };
    let Some(named) = named else {
        return Ok(None);
    };
    // A practice already linked to another customer is not this event's.
    if let Some(account) = billing_account::Entity::find_by_id(named).one(conn).await?
        && account.customer_id.is_some()
        && account.customer_id.as_deref() != customer_of(&event.kind)
    {
        return Ok(None);
    }
    Ok(tenant::Entity::find_by_id(named)
        .one(conn)
        .await?
        .filter(|t| t.slug != PLATFORM_SLUG)
        .map(|t| t.id))
}
