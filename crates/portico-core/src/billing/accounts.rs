//! Each practice's billing account: made when billing first sees the practice, linked to the
//! provider's customer, and the one place the practice's status is derived from it.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::{lifecycle, settings::BillingSettings};
use crate::{
    CoreError, CoreResult, Db,
    entities::{billing_account, tenant, tenant_status},
};

pub async fn find(db: &Db, tenant_id: Uuid) -> CoreResult<Option<billing_account::Model>> {
    Ok(billing_account::Entity::find_by_id(tenant_id)
        .one(db.conn())
        .await?)
}

/// The practice's account, made on first sight with the trial running from the practice's
/// creation, but never ending sooner than a week after billing first sees it (a practice
/// that predates billing gets notice).
pub async fn ensure(
    db: &Db,
    tenant_id: Uuid,
    settings: &BillingSettings,
    now: DateTime<Utc>,
) -> CoreResult<billing_account::Model> {
    ensure_in(db.conn(), tenant_id, settings, now).await
}

pub(crate) async fn ensure_in<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    settings: &BillingSettings,
    now: DateTime<Utc>,
) -> CoreResult<billing_account::Model> {
    if let Some(found) = billing_account::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
    {
        return Ok(found);
    }
    let practice = tenant::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .filter(|t| t.slug != crate::tenants::PLATFORM_SLUG)
        .ok_or(CoreError::NotFound)?;
    let trial_ends_at = (practice.created_at + settings.trial).max(now + chrono::Duration::days(7));
    let row = billing_account::ActiveModel {
        tenant_id: Set(tenant_id),
        customer_id: Set(None),
        plan: Set(None),
        subscription_id: Set(None),
        subscription_status: Set(None),
        status: Set(tenant_status::TRIAL.to_owned()),
        trial_ends_at: Set(Some(trial_ends_at)),
        current_period_end: Set(None),
        past_due_since: Set(None),
        cancelled_at: Set(None),
        state_created: Set(None),
        state_event_id: Set(None),
        payment_failed_at: Set(None),
        invoice_state_created: Set(None),
        invoice_state_event_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    billing_account::Entity::insert(row)
        .on_conflict(
            OnConflict::column(billing_account::Column::TenantId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    billing_account::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .ok_or(CoreError::NotFound)
}

/// Links the provider's customer to the practice, unless one is linked already; the
/// customer in use.
pub async fn link_customer(db: &Db, tenant_id: Uuid, customer_id: &str) -> CoreResult<String> {
    link_customer_in(db.conn(), tenant_id, customer_id).await?;
    find(db, tenant_id)
        .await?
        .and_then(|a| a.customer_id)
        .ok_or(CoreError::NotFound)
}

pub(crate) async fn link_customer_in<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    customer_id: &str,
) -> CoreResult<()> {
    billing_account::Entity::update_many()
        .col_expr(
            billing_account::Column::CustomerId,
            Expr::value(customer_id.to_owned()),
        )
        .filter(billing_account::Column::TenantId.eq(tenant_id))
        .filter(billing_account::Column::CustomerId.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Takes the account row for the rest of the transaction (touching it): events, the sweep
/// and an operator's hold on one practice then settle one after another, account first,
/// then the practice.
pub(crate) async fn hold<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    billing_account::Entity::update_many()
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(now))
        .filter(billing_account::Column::TenantId.eq(tenant_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Derives the account's status (and the practice's) from its state at `now`, writing both
/// where they changed. Callers hold the account row (they updated it in this transaction).
pub(crate) async fn settle<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    settings: &BillingSettings,
    now: DateTime<Utc>,
) -> CoreResult<billing_account::Model> {
    let account = billing_account::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .ok_or(CoreError::NotFound)?;
    let status = lifecycle::status((&account).into(), settings.grace, now);
    let account = if account.status == status {
        account
    } else {
        let mut change: billing_account::ActiveModel = account.into();
        change.status = Set(status.to_owned());
        change.updated_at = Set(now);
        change.update(conn).await?
    };
    let practice = tenant::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .ok_or(CoreError::NotFound)?;
    if practice.status != status && !practice.operator_hold {
        // Never over an operator's hold placed meanwhile.
        tenant::Entity::update_many()
            .col_expr(tenant::Column::Status, Expr::value(status))
            .col_expr(
                tenant::Column::StatusReason,
                Expr::value(lifecycle::reason(status).map(str::to_owned)),
            )
            .col_expr(tenant::Column::StatusChangedAt, Expr::value(Some(now)))
            .col_expr(tenant::Column::UpdatedAt, Expr::value(now))
            .filter(tenant::Column::Id.eq(tenant_id))
            .filter(tenant::Column::OperatorHold.eq(false))
            .exec(conn)
            .await?;
    }
    Ok(account)
}

/// Provider seats to bill: the practice's active providers, at least one.
pub async fn seats(tx: &crate::TenantTx) -> CoreResult<u32> {
    use sea_orm::PaginatorTrait;
    let active = tx
        .find::<crate::entities::provider::Entity>()
        .filter(crate::entities::provider::Column::Active.eq(true))
        .count(tx.conn())
        .await?;
    Ok(u32::try_from(active).unwrap_or(u32::MAX).max(1))
}
