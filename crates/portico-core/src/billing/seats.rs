//! Seats follow the practice's active providers: the nightly job sets the quantity of the
//! subscription's seat item to their number (at least one), and Stripe prorates.

use super::{Billing, accounts};
use crate::{CoreError, CoreResult, Db, TenantId, TenantTx, tenancy::Access, tenants};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seats {
    /// The quantity was changed from `from` to `to`.
    Changed { from: u64, to: u32 },
    /// Already right.
    Unchanged { seats: u32 },
    /// No subscription in use, or its plan has no seat price.
    NotBilled,
}

/// Subscription states whose items are billed.
const BILLED: &[&str] = &["trialing", "active", "past_due"];

pub async fn sync(db: &Db, billing: &Billing, tenant_id: TenantId) -> CoreResult<Seats> {
    let Some(account) = accounts::find(db, tenant_id.as_uuid()).await? else {
        return Ok(Seats::NotBilled);
    };
    let (Some(subscription), Some(status), Some(plan)) = (
        account.subscription_id.as_deref(),
        account.subscription_status.as_deref(),
        account.plan.as_deref(),
    ) else {
        return Ok(Seats::NotBilled);
    };
    let Some(seat_price) = billing
        .settings
        .catalogue
        .find(plan)
        .and_then(|p| p.seat_price.clone())
    else {
        return Ok(Seats::NotBilled);
    };
    if !BILLED.contains(&status) {
        return Ok(Seats::NotBilled);
    }
    let practice = tenants::find_by_id(db, tenant_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let tx = TenantTx::begin(db, &practice.scope(), Access::Read).await?;
    let seats = accounts::seats(&tx).await?;
    tx.commit().await?;
    let before = billing
        .gateway
        .set_item_quantity(subscription, &seat_price, seats)
        .await
        .map_err(CoreError::adapter)?;
    Ok(match before {
        None => Seats::NotBilled,
        Some(from) if from == u64::from(seats) => Seats::Unchanged { seats },
        Some(from) => Seats::Changed { from, to: seats },
    })
}
