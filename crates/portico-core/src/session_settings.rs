//! A practice's automatic log-off as its admins set it: minutes of inactivity for staff and
//! for patients, each falling back to the platform's default when unset.

use std::time::Duration;

use crate::{
    CoreResult, TenantTx,
    audit::{self, Access, Actor},
    tenants::{self, ResolvedTenant},
};

/// Sets the practice's automatic log-off (`None` restores the platform default), audited.
pub async fn change(
    tx: &TenantTx,
    actor: &Actor,
    staff_minutes: Option<i32>,
    patient_minutes: Option<i32>,
) -> CoreResult<ResolvedTenant> {
    let updated = tenants::set_idle_timeouts(tx, staff_minutes, patient_minutes).await?;
    audit::record(
        tx,
        actor,
        Access::practice(
            "settings.session_timeouts",
            "Tenant",
            Some(updated.tenant.id),
        ),
    )
    .await?;
    Ok(updated)
}

/// The minutes of inactivity in force: the practice's own, else the platform's `default`.
pub fn idle_minutes(own: Option<i32>, default: Duration) -> i32 {
    own.unwrap_or_else(|| i32::try_from(default.as_secs() / 60).unwrap_or(i32::MAX))
}
