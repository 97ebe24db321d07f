//! A practice admin's changes to how the practice schedules: its providers, locations and
//! appointment types, weekly hours, cancellation window and reminder offsets. Each change is
//! audited as its actor's, with the row it changed (never a patient).

use uuid::Uuid;

use crate::{
    CoreResult, TenantTx, admin_changes,
    audit::Actor,
    entities::{appointment_type, location, provider, tenant},
    scheduling::{
        availability::{self, WindowInput},
        catalog::{self, LocationFields, ProviderFields, TypeFields},
        reminders,
    },
    tenants::{self, ResolvedTenant},
};

/// Changes provider `id`, or adds one when `id` is `None`.
pub async fn save_provider(
    tx: &TenantTx,
    actor: &Actor,
    id: Option<Uuid>,
    fields: ProviderFields,
) -> CoreResult<provider::Model> {
    let saved = match id {
        Some(id) => catalog::update_provider(tx, id, fields).await?,
        None => catalog::create_provider(tx, fields).await?,
    };
    admin_changes::record(tx, actor, "provider.save", "Provider", saved.id).await?;
    Ok(saved)
}

/// Changes location `id`, or adds one when `id` is `None`.
pub async fn save_location(
    tx: &TenantTx,
    actor: &Actor,
    id: Option<Uuid>,
    fields: LocationFields,
) -> CoreResult<location::Model> {
    let saved = match id {
        Some(id) => catalog::update_location(tx, id, fields).await?,
        None => catalog::create_location(tx, fields).await?,
    };
    admin_changes::record(tx, actor, "location.save", "Location", saved.id).await?;
    Ok(saved)
}

/// Changes appointment type `id`, or adds one when `id` is `None`. Booked appointments keep
/// their times.
pub async fn save_type(
    tx: &TenantTx,
    actor: &Actor,
    id: Option<Uuid>,
    fields: TypeFields,
) -> CoreResult<appointment_type::Model> {
    let saved = match id {
        Some(id) => catalog::update_type(tx, id, fields).await?,
        None => catalog::create_type(tx, fields).await?,
    };
    admin_changes::record(
        tx,
        actor,
        "appointment_type.save",
        "AppointmentType",
        saved.id,
    )
    .await?;
    Ok(saved)
}

/// Replaces a provider's weekly hours at one location (see [`availability::set_weekly`]).
pub async fn set_weekly_hours(
    tx: &TenantTx,
    actor: &Actor,
    provider: Uuid,
    location: Uuid,
    windows: &[WindowInput],
) -> CoreResult<()> {
    availability::set_weekly(tx, provider, location, windows).await?;
    admin_changes::record(tx, actor, "availability.set", "Provider", provider).await
}

/// Sets the cancellation window (see [`tenants::set_cancellation_window`]).
pub async fn set_cancellation_window(
    tx: &TenantTx,
    actor: &Actor,
    hours: Option<i32>,
) -> CoreResult<ResolvedTenant> {
    let updated = tenants::set_cancellation_window(tx, hours).await?;
    admin_changes::record(
        tx,
        actor,
        "settings.cancellation_window",
        "Tenant",
        updated.tenant.id,
    )
    .await?;
    Ok(updated)
}

/// Sets when patients are reminded of their visits (see [`reminders::set_offsets`]).
pub async fn set_reminder_offsets(
    tx: &TenantTx,
    actor: &Actor,
    offsets: Option<&[i32]>,
) -> CoreResult<tenant::Model> {
    let updated = reminders::set_offsets(tx, offsets).await?;
    admin_changes::record(tx, actor, "settings.reminders", "Tenant", updated.id).await?;
    Ok(updated)
}
