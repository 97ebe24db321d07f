//! Appointments from the EHR on Portico's schedule: checked as a booking is (a provider and
//! a place, a period of at most a day, no overlap with a visit holding the provider's
//! time), with their reminders planned or withdrawn as the visit moves. In sets, [`Visits`]
//! does the same from memory.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{Applied, Chart, EHR_SOURCE, Page, ResourceKind, Visits, invalid};
use crate::{
    CoreError, CoreResult, TenantTx,
    ehr::{model::EhrAppointment, writeback},
    entities::{appointment, appointment_type},
    scheduling::{appointments as booking, reminders},
};

/// The visit type EHR appointments get when none of the practice's types has their name.
pub const EHR_VISIT_TYPE: &str = "EHR visit";

/// The statuses of a visit that holds its provider's time.
pub(super) const HOLDING: [&str; 3] = [booking::BOOKED, booking::COMPLETED, booking::NO_SHOW];

pub(super) async fn apply(
    tx: &TenantTx,
    page: &mut Page,
    visits: Option<&mut Visits>,
    chart: &Chart<'_>,
    a: &EhrAppointment,
) -> CoreResult<Applied> {
    let existing = chart.resource.existing();
    // A change made in Portico and not yet written back wins until it is.
    let removed = match visits {
        Some(visits) => {
            if existing.is_some_and(|e| visits.pending(e)) {
                return Ok(Applied::Unchanged);
            }
            visits.apply(tx, page, chart, a).await?
        }
        None => {
            if let Some(existing) = existing
                && writeback::appointment_pending(tx, existing).await?
            {
                return Ok(Applied::Unchanged);
            }
            apply_one(tx, page, chart, a).await?
        }
    };
    chart.link(tx, page, removed).await
}

/// An EHR appointment as the schedule takes it.
pub(super) struct Slot {
    pub(super) status: &'static str,
    pub(super) provider_id: Uuid,
    pub(super) location_id: Uuid,
}

impl Slot {
    /// Checks `a` against what every visit on the schedule needs.
    pub(super) async fn of(tx: &TenantTx, page: &mut Page, a: &EhrAppointment) -> CoreResult<Self> {
        let status =
            appointment_status(&a.status).ok_or_else(|| invalid("EHR_UNSUPPORTED_STATUS"))?;
        let provider_id = match &a.practitioner {
            Some(p) => page.local(tx, ResourceKind::Practitioner, p).await?,
            None => None,
        };
        let location_id = match &a.location {
            Some(l) => page.local(tx, ResourceKind::Location, l).await?,
            None => None,
        };
        // Portico's schedule needs a provider and a place for every visit.
        let (Some(provider_id), Some(location_id)) = (provider_id, location_id) else {
            return Err(invalid("EHR_APPOINTMENT_INCOMPLETE"));
        };
        if a.ends_at <= a.starts_at || a.ends_at - a.starts_at > chrono::Duration::hours(24) {
            return Err(invalid("EHR_INVALID_PERIOD"));
        }
        Ok(Self {
            status,
            provider_id,
            location_id,
        })
    }

    /// Whether the visit holds its provider's time (and may not overlap another that does).
    pub(super) fn holds_time(&self) -> bool {
        HOLDING.contains(&self.status)
    }
}

/// The local status of an EHR appointment's FHIR status.
fn appointment_status(status: &str) -> Option<&'static str> {
    match status {
        "proposed" | "pending" | "booked" | "arrived" | "checked-in" | "waitlist" => {
            Some(booking::BOOKED)
        }
        "fulfilled" => Some(booking::COMPLETED),
        "noshow" => Some(booking::NO_SHOW),
        "cancelled" | "entered-in-error" => Some(booking::CANCELLED),
        _ => None,
    }
}

/// Creates or updates an appointment from the EHR at once. Returns whether it left the
/// schedule.
async fn apply_one(
    tx: &TenantTx,
    page: &mut Page,
    chart: &Chart<'_>,
    a: &EhrAppointment,
) -> CoreResult<bool> {
    let slot = Slot::of(tx, page, a).await?;
    if slot.holds_time() {
        let overlapping = tx
            .find::<appointment::Entity>()
            .filter(appointment::Column::ProviderId.eq(slot.provider_id))
            .filter(appointment::Column::Id.ne(chart.id))
            .filter(appointment::Column::Status.is_in(HOLDING))
            .filter(appointment::Column::StartsAt.lt(a.ends_at))
            .filter(appointment::Column::EndsAt.gt(a.starts_at))
            .one(tx.conn())
            .await?;
        if overlapping.is_some() {
            return Err(invalid("EHR_APPOINTMENT_OVERLAP"));
        }
    }
    let now = Utc::now();
    match chart.resource.existing() {
        Some(id) => {
            let found = tx
                .find::<appointment::Entity>()
                .filter(appointment::Column::Id.eq(id))
                .one(tx.conn())
                .await?
                .ok_or(CoreError::NotFound)?;
            let mut active: appointment::ActiveModel = found.clone().into();
            active.status = Set(slot.status.to_owned());
            active.starts_at = Set(a.starts_at);
            active.ends_at = Set(a.ends_at);
            active.provider_id = Set(slot.provider_id);
            active.location_id = Set(slot.location_id);
            if slot.status == booking::CANCELLED && found.cancelled_at.is_none() {
                active.cancelled_at = Set(Some(now));
            }
            active.updated_at = Set(now);
            let updated = active.update(tx.conn()).await?;
            // Reminders follow the visit: withdrawn when it is off or moved, planned anew.
            if updated.status != found.status || updated.starts_at != found.starts_at {
                reminders::withdraw(tx, updated.id).await?;
                if updated.status == booking::BOOKED {
                    reminders::plan(tx, &updated, now).await?;
                }
            }
        }
        None => {
            let type_id = visit_type(tx, a.type_name.as_deref(), a.ends_at - a.starts_at).await?;
            let created = appointment::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(chart.id),
                patient_id: Set(chart.patient_id),
                provider_id: Set(slot.provider_id),
                location_id: Set(slot.location_id),
                appointment_type_id: Set(type_id),
                starts_at: Set(a.starts_at),
                ends_at: Set(a.ends_at),
                status: Set(slot.status.to_owned()),
                booked_by: Set(None),
                booked_via: Set(EHR_SOURCE.to_owned()),
                rescheduled_from: Set(None),
                cancelled_at: Set((slot.status == booking::CANCELLED).then_some(now)),
                cancelled_by: Set(None),
                confirmed_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(tx.conn())
            .await?;
            if created.status == booking::BOOKED {
                reminders::plan(tx, &created, now).await?;
            }
        }
    }
    Ok(slot.status == booking::CANCELLED)
}

/// The practice's visit type of that name, else the "EHR visit" type (made on first use, not
/// bookable online).
pub(super) async fn visit_type(
    tx: &TenantTx,
    name: Option<&str>,
    length: chrono::Duration,
) -> CoreResult<Uuid> {
    let types = tx.find::<appointment_type::Entity>().all(tx.conn()).await?;
    if let Some(found) = known_type(&types, name) {
        return Ok(found);
    }
    tx.changed(crate::caches::Change::Catalog);
    let minutes = i32::try_from(length.num_minutes())
        .unwrap_or(30)
        .clamp(5, 480);
    Ok(appointment_type::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        name: Set(EHR_VISIT_TYPE.to_owned()),
        duration_minutes: Set(minutes),
        mode: Set("in_person".to_owned()),
        bookable_online: Set(false),
        eligibility: Set("any".to_owned()),
        buffer_before_minutes: Set(0),
        buffer_after_minutes: Set(0),
        min_lead_minutes: Set(0),
        horizon_days: Set(0),
        active: Set(true),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?
    .id)
}

/// Among `types`, the one of that name, else the "EHR visit" type if it was made.
pub(super) fn known_type(types: &[appointment_type::Model], name: Option<&str>) -> Option<Uuid> {
    name.and_then(|name| {
        types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
    })
    .or_else(|| types.iter().find(|t| t.name == EHR_VISIT_TYPE))
    .map(|t| t.id)
}
