//! Appointments applied in sets, from what is read for the whole page.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, IdenStatic, QueryFilter};
use uuid::Uuid;

use super::{
    Chart, EHR_SOURCE, Page,
    appointments::{HOLDING, Slot, known_type, visit_type},
    invalid,
};
use crate::{
    CoreError, CoreResult, TenantTx,
    ehr::{
        batch,
        model::{Change, EhrAppointment, Inbound, Mapped, ResourceKind},
        writeback,
    },
    entities::{appointment, appointment_type},
    scheduling::{appointments as booking, reminders},
};

/// Appointments applied in sets: the practice's visit types, the appointments the page
/// changes, the appointment write-backs waiting, and the visits holding the page's
/// providers' time within the page's span are read at once, and kept current as the page
/// books, moves and cancels (so a visit the page books counts against the next one, as it
/// did when each was written at once). New and changed appointments are written with the
/// page; their reminders are planned (and those of a visit moved or called off withdrawn)
/// as booking does.
#[derive(Default)]
pub(super) struct Visits {
    types: Vec<appointment_type::Model>,
    rows: HashMap<Uuid, appointment::Model>,
    waiting_writes: Vec<String>,
    inserts: HashMap<Uuid, appointment::Model>,
    updates: HashMap<Uuid, appointment::Model>,
    /// Visits whose reminders are planned once they are written (if still booked then).
    to_plan: Vec<Uuid>,
}

impl Visits {
    pub(super) async fn prefetch(
        tx: &TenantTx,
        page: &mut Page,
        changes: &[Change],
    ) -> CoreResult<Option<Self>> {
        let mut existing = Vec::new();
        let mut providers = Vec::new();
        let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        for change in changes {
            let Change::Upsert(Mapped {
                fhir_id,
                record: Inbound::Appointment(a),
                ..
            }) = change
            else {
                continue;
            };
            if let Some(link) = page.link(tx, ResourceKind::Appointment, fhir_id).await? {
                existing.push(link.local_id);
            }
            if let Some(p) = &a.practitioner
                && let Some(id) = page.local(tx, ResourceKind::Practitioner, p).await?
            {
                providers.push(id);
            }
            span = Some(match span {
                None => (a.starts_at, a.ends_at),
                Some((from, to)) => (from.min(a.starts_at), to.max(a.ends_at)),
            });
        }
        let Some((from, to)) = span else {
            return Ok(None);
        };
        let mut visits = Self {
            types: tx.find::<appointment_type::Entity>().all(tx.conn()).await?,
            ..Self::default()
        };
        for chunk in existing.chunks(1_000) {
            for found in tx
                .find::<appointment::Entity>()
                .filter(appointment::Column::Id.is_in(chunk.iter().copied()))
                .all(tx.conn())
                .await?
            {
                visits.rows.insert(found.id, found);
            }
        }
        providers.sort();
        providers.dedup();
        for chunk in providers.chunks(1_000) {
            for found in tx
                .find::<appointment::Entity>()
                .filter(appointment::Column::ProviderId.is_in(chunk.iter().copied()))
                .filter(appointment::Column::Status.is_in(HOLDING))
                .filter(appointment::Column::StartsAt.lt(to))
                .filter(appointment::Column::EndsAt.gt(from))
                .all(tx.conn())
                .await?
            {
                visits.rows.insert(found.id, found);
            }
        }
        visits.waiting_writes = writeback::pending_payloads(tx, "appointment").await?;
        Ok(Some(visits))
    }

    /// Whether a change of appointment `id` waits to be written to the EHR (as
    /// `writeback::appointment_pending`).
    pub(super) fn pending(&self, id: Uuid) -> bool {
        let id = id.to_string();
        self.waiting_writes.iter().any(|w| w.contains(&id))
    }

    /// [`super::appointments`]' write, from memory; the row is written with the page.
    /// Returns whether the visit left the schedule.
    pub(super) async fn apply(
        &mut self,
        tx: &TenantTx,
        page: &mut Page,
        chart: &Chart<'_>,
        a: &EhrAppointment,
    ) -> CoreResult<bool> {
        let slot = Slot::of(tx, page, a).await?;
        if slot.holds_time()
            && self.rows.values().any(|v| {
                v.provider_id == slot.provider_id
                    && v.id != chart.id
                    && HOLDING.contains(&v.status.as_str())
                    && v.starts_at < a.ends_at
                    && v.ends_at > a.starts_at
            })
        {
            return Err(invalid("EHR_APPOINTMENT_OVERLAP"));
        }
        let now = Utc::now();
        match chart.resource.existing() {
            Some(id) => {
                let found = self.rows.get(&id).cloned().ok_or(CoreError::NotFound)?;
                let mut updated = found.clone();
                slot.status.clone_into(&mut updated.status);
                updated.starts_at = a.starts_at;
                updated.ends_at = a.ends_at;
                updated.provider_id = slot.provider_id;
                updated.location_id = slot.location_id;
                if slot.status == booking::CANCELLED && found.cancelled_at.is_none() {
                    updated.cancelled_at = Some(now);
                }
                updated.updated_at = now;
                // Reminders follow the visit: withdrawn when it is off or moved, planned anew.
                if updated.status != found.status || updated.starts_at != found.starts_at {
                    reminders::withdraw(tx, id).await?;
                    if updated.status == booking::BOOKED {
                        self.to_plan.push(id);
                    }
                }
                match self.inserts.get_mut(&id) {
                    Some(pending) => *pending = updated.clone(),
                    None => {
                        self.updates.insert(id, updated.clone());
                    }
                }
                self.rows.insert(id, updated);
            }
            None => {
                let type_id = self
                    .visit_type(tx, a.type_name.as_deref(), a.ends_at - a.starts_at)
                    .await?;
                let created = appointment::Model {
                    tenant_id: tx.tenant_id().as_uuid(),
                    id: chart.id,
                    patient_id: chart.patient_id,
                    provider_id: slot.provider_id,
                    location_id: slot.location_id,
                    appointment_type_id: type_id,
                    starts_at: a.starts_at,
                    ends_at: a.ends_at,
                    status: slot.status.to_owned(),
                    booked_by: None,
                    booked_via: EHR_SOURCE.to_owned(),
                    rescheduled_from: None,
                    cancelled_at: (slot.status == booking::CANCELLED).then_some(now),
                    cancelled_by: None,
                    confirmed_at: None,
                    created_at: now,
                    updated_at: now,
                };
                if created.status == booking::BOOKED {
                    self.to_plan.push(chart.id);
                }
                self.inserts.insert(chart.id, created.clone());
                self.rows.insert(chart.id, created);
            }
        }
        Ok(slot.status == booking::CANCELLED)
    }

    /// [`visit_type`], from the types read with the page.
    async fn visit_type(
        &mut self,
        tx: &TenantTx,
        name: Option<&str>,
        length: chrono::Duration,
    ) -> CoreResult<Uuid> {
        if let Some(found) = known_type(&self.types, name) {
            return Ok(found);
        }
        let id = visit_type(tx, None, length).await?;
        self.types = tx.find::<appointment_type::Entity>().all(tx.conn()).await?;
        Ok(id)
    }

    /// Writes the page's new and changed appointments, then plans the reminders of those
    /// booked.
    pub(super) async fn flush(&mut self, tx: &TenantTx) -> CoreResult<()> {
        let conflict = [
            appointment::Column::TenantId.as_str(),
            appointment::Column::Id.as_str(),
        ];
        let inserts: Vec<appointment::ActiveModel> = self
            .inserts
            .drain()
            .map(|(_, v)| appointment::ActiveModel::from(v))
            .collect();
        batch::upsert(tx, inserts, &conflict, &[]).await?;
        // Only what the EHR's version changes.
        let written = [
            appointment::Column::Status,
            appointment::Column::StartsAt,
            appointment::Column::EndsAt,
            appointment::Column::ProviderId,
            appointment::Column::LocationId,
            appointment::Column::CancelledAt,
            appointment::Column::UpdatedAt,
        ];
        let kept: Vec<&str> = <appointment::Column as sea_orm::Iterable>::iter()
            .filter(|c| !written.iter().any(|w| w.as_str() == c.as_str()))
            .map(|c| c.as_str())
            .collect();
        let updates: Vec<appointment::ActiveModel> = self
            .updates
            .drain()
            .map(|(_, v)| appointment::ActiveModel::from(v))
            .collect();
        batch::upsert(tx, updates, &conflict, &kept).await?;
        let mut planned = std::collections::HashSet::new();
        let to_plan = std::mem::take(&mut self.to_plan);
        let visits: Vec<&appointment::Model> = to_plan
            .iter()
            .filter_map(|id| self.rows.get(id))
            .filter(|visit| visit.status == booking::BOOKED && planned.insert(visit.id))
            .collect();
        reminders::plan_all(tx, &visits, Utc::now()).await?;
        Ok(())
    }
}
