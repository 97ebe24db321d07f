//! Write-back: portal changes queued in the outbox (`ehr` channel, ids only) in the same
//! transaction as the change, then turned into FHIR writes by the write-back job. Nothing is
//! queued for a practice without an enabled connection.
//!
//! - a booking, cancellation, move or outcome -> the FHIR Appointment (created, then updated);
//! - a refill decision -> a MedicationRequest (approved) or a Task (denied, needs a visit);
//! - a submitted form -> a QuestionnaireResponse about the EHR's patient;
//! - a home reading, where the practice chose to send them -> a patient-reported
//!   Observation (a pull then passes over it: it is Portico's own);
//! - a contact change -> the Patient, only over the version Portico last read; a conflict
//!   goes to staff review instead of overwriting.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    connection, links,
    model::{Demographics, OutboundWrite, ResourceKind},
    reviews,
};
use crate::{
    CoreError, CoreResult, TenantTx,
    entities::{
        appointment, appointment_type, home_reading, medication_request, outbox_message, patient,
        refill_request,
    },
    outbox,
    refills::{APPROVED, DENIED, NEEDS_APPOINTMENT},
    scheduling::appointments as booking,
};
use sea_orm::{ColumnTrait, QueryFilter};

/// What an `ehr` outbox row carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    Appointment {
        appointment_id: Uuid,
    },
    RefillDecision {
        refill_id: Uuid,
    },
    FormResponse {
        request_id: Uuid,
    },
    Reading {
        reading_id: Uuid,
    },
    Demographics {
        patient_id: Uuid,
        /// Staff chose to write over the EHR's current version after a conflict.
        #[serde(default)]
        overwrite: bool,
    },
}

/// What to do with a queued write-back.
#[derive(Clone, Debug, PartialEq)]
pub enum Prepared {
    Write(OutboundWrite),
    /// Nothing the EHR can take (its patient is not linked); given up with this code.
    Skip(&'static str),
    /// Not yet: tried again later (a chart just linked whose EHR version Portico has not
    /// read, so a write now could not be checked against it).
    Later(&'static str),
}

async fn connected(tx: &TenantTx) -> CoreResult<bool> {
    Ok(connection::get(tx).await?.is_some_and(|c| c.enabled))
}

async fn queue(tx: &TenantTx, key: &str, payload: &Payload) -> CoreResult<bool> {
    if !connected(tx).await? {
        return Ok(false);
    }
    let payload = serde_json::to_value(payload).map_err(CoreError::adapter)?;
    outbox::ehr(tx, key, &payload).await
}

/// Queues an appointment's new state (booked, cancelled, moved, completed, no-show).
pub async fn queue_appointment(
    tx: &TenantTx,
    found: &appointment::Model,
    status: &str,
) -> CoreResult<bool> {
    queue(
        tx,
        // Each change its own message: completed, then no-show, then completed again are
        // three writes.
        &format!("ehr:appointment:{}:{status}:{}", found.id, Uuid::now_v7()),
        &Payload::Appointment {
            appointment_id: found.id,
        },
    )
    .await
}

pub async fn queue_refill(tx: &TenantTx, refill_id: Uuid) -> CoreResult<bool> {
    queue(
        tx,
        &format!("ehr:refill:{refill_id}"),
        &Payload::RefillDecision { refill_id },
    )
    .await
}

/// Queues a submitted form's answers for the EHR.
pub async fn queue_form_response(tx: &TenantTx, request_id: Uuid) -> CoreResult<bool> {
    queue(
        tx,
        &format!("ehr:form:{request_id}"),
        &Payload::FormResponse { request_id },
    )
    .await
}

/// Queues a home reading for the EHR, if the practice sends readings there and the chart is
/// linked to an EHR patient (a reading of a chart linked later stays in Portico).
pub async fn queue_reading(tx: &TenantTx, reading_id: Uuid, patient_id: Uuid) -> CoreResult<bool> {
    let sends = connection::get(tx)
        .await?
        .is_some_and(|c| c.enabled && c.send_readings);
    if !sends
        || links::by_local(tx, ResourceKind::Patient, patient_id)
            .await?
            .is_none()
    {
        return Ok(false);
    }
    queue(
        tx,
        &format!("ehr:reading:{reading_id}"),
        &Payload::Reading { reading_id },
    )
    .await
}

/// Queues a patient's contact details for the EHR, if the chart is linked to an EHR patient.
pub async fn queue_demographics(
    tx: &TenantTx,
    patient_id: Uuid,
    overwrite: bool,
) -> CoreResult<bool> {
    if links::by_local(tx, ResourceKind::Patient, patient_id)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    queue(
        tx,
        &format!("ehr:patient:{patient_id}:{}", Uuid::now_v7()),
        &Payload::Demographics {
            patient_id,
            overwrite,
        },
    )
    .await
}

/// The write-backs of `kind` still to be sent (or retried).
fn waiting(tx: &TenantTx, kind: &str) -> sea_orm::Select<crate::entities::outbox_message::Entity> {
    use crate::entities::outbox_message::{Column, Entity};
    tx.find::<Entity>()
        .filter(Column::Channel.eq(outbox::EHR))
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::CancelledAt.is_null())
        .filter(Column::Attempts.lt(outbox::MAX_ATTEMPTS))
        .filter(Column::Payload.contains(format!("\"kind\":\"{kind}\"")))
}

/// Whether a write-back of `kind` about `id` waits to be sent (or retried).
async fn pending(tx: &TenantTx, kind: &str, id: Uuid) -> CoreResult<bool> {
    use crate::entities::outbox_message::Column;
    Ok(waiting(tx, kind)
        .filter(Column::Payload.contains(id.to_string()))
        .one(tx.conn())
        .await?
        .is_some())
}

/// The payloads of the write-backs of `kind` still waiting, for checking many records at
/// once (as [`pending`] checks one: a payload naming the record's id).
pub(super) async fn pending_payloads(tx: &TenantTx, kind: &str) -> CoreResult<Vec<String>> {
    use crate::entities::outbox_message::Column;
    use sea_orm::QuerySelect;
    Ok(waiting(tx, kind)
        .select_only()
        .column(Column::Payload)
        .into_tuple()
        .all(tx.conn())
        .await?)
}

/// Whether a contact change of `patient_id` waits to be written to the EHR.
pub async fn demographics_pending(tx: &TenantTx, patient_id: Uuid) -> CoreResult<bool> {
    pending(tx, "demographics", patient_id).await
}

/// Whether a change of appointment `id` waits to be written to the EHR.
pub async fn appointment_pending(tx: &TenantTx, id: Uuid) -> CoreResult<bool> {
    pending(tx, "appointment", id).await
}

pub fn payload_of(message: &outbox_message::Model) -> CoreResult<Payload> {
    serde_json::from_str(&message.payload).map_err(CoreError::adapter)
}

/// The provider record of the user who decided.
async fn decider(tx: &TenantTx, user: Option<Uuid>) -> CoreResult<Option<Uuid>> {
    let Some(user) = user else { return Ok(None) };
    Ok(tx
        .find::<crate::entities::provider::Entity>()
        .filter(crate::entities::provider::Column::UserId.eq(user))
        .one(tx.conn())
        .await?
        .map(|p| p.id))
}

async fn fhir_of(
    tx: &TenantTx,
    kind: ResourceKind,
    local: Option<Uuid>,
) -> CoreResult<Option<String>> {
    let Some(local) = local else { return Ok(None) };
    Ok(links::by_local(tx, kind, local).await?.map(|l| l.fhir_id))
}

/// Reads what a queued write-back refers to, as it is now, and maps it for the EHR.
pub async fn prepare(tx: &TenantTx, payload: &Payload) -> CoreResult<Prepared> {
    match payload {
        Payload::Appointment { appointment_id } => {
            let found = booking::find(tx, *appointment_id).await?;
            let Some(patient) = fhir_of(tx, ResourceKind::Patient, Some(found.patient_id)).await?
            else {
                return Ok(Prepared::Skip("EHR_PATIENT_NOT_LINKED"));
            };
            let type_name = tx
                .find::<appointment_type::Entity>()
                .filter(appointment_type::Column::Id.eq(found.appointment_type_id))
                .one(tx.conn())
                .await?
                .map(|t| t.name)
                .unwrap_or_default();
            Ok(Prepared::Write(OutboundWrite::Appointment {
                local_id: found.id,
                fhir_id: fhir_of(tx, ResourceKind::Appointment, Some(found.id)).await?,
                status: crate::records::fhir::appointment_status(&found.status).to_owned(),
                starts_at: found.starts_at,
                ends_at: found.ends_at,
                patient,
                practitioner: fhir_of(tx, ResourceKind::Practitioner, Some(found.provider_id))
                    .await?,
                location: fhir_of(tx, ResourceKind::Location, Some(found.location_id)).await?,
                type_name,
            }))
        }
        Payload::RefillDecision { refill_id } => {
            let refill = tx
                .find::<refill_request::Entity>()
                .filter(refill_request::Column::Id.eq(*refill_id))
                .one(tx.conn())
                .await?
                .ok_or(CoreError::NotFound)?;
            let Some(patient) = fhir_of(tx, ResourceKind::Patient, Some(refill.patient_id)).await?
            else {
                return Ok(Prepared::Skip("EHR_PATIENT_NOT_LINKED"));
            };
            let medication = tx
                .find::<medication_request::Entity>()
                .filter(medication_request::Column::Id.eq(refill.medication_request_id))
                .one(tx.conn())
                .await?
                .ok_or(CoreError::NotFound)?;
            let prior = fhir_of(tx, ResourceKind::MedicationRequest, Some(medication.id)).await?;
            let authored_at = refill.decided_at.unwrap_or(refill.updated_at);
            Ok(Prepared::Write(match refill.status.as_str() {
                APPROVED => OutboundWrite::RefillApproved {
                    local_id: refill.id,
                    patient,
                    prior,
                    // The order is in the name of whoever approved it (a covering provider,
                    // say), when they are a provider the EHR knows.
                    requester: fhir_of(
                        tx,
                        ResourceKind::Practitioner,
                        decider(tx, refill.decided_by).await?,
                    )
                    .await?,
                    medication: medication.name,
                    rxnorm_code: medication.rxnorm_code,
                    dosage: medication.dosage,
                    quantity: refill.approved_quantity,
                    refills: refill.approved_refills.unwrap_or(0),
                    authored_at,
                },
                DENIED | NEEDS_APPOINTMENT => OutboundWrite::RefillDeclined {
                    local_id: refill.id,
                    patient,
                    prior,
                    outcome: if refill.status == DENIED {
                        "denied"
                    } else {
                        "needs-appointment"
                    }
                    .to_owned(),
                    authored_at,
                },
                _ => return Ok(Prepared::Skip("EHR_NOT_DECIDED")),
            }))
        }
        Payload::FormResponse { request_id } => {
            let request = crate::forms::find_request(tx, *request_id).await?;
            let Some(patient) =
                fhir_of(tx, ResourceKind::Patient, Some(request.patient_id)).await?
            else {
                return Ok(Prepared::Skip("EHR_PATIENT_NOT_LINKED"));
            };
            let Some(response) = request
                .response
                .filter(|_| request.status == crate::forms::COMPLETED)
            else {
                return Ok(Prepared::Skip("EHR_FORM_NOT_SUBMITTED"));
            };
            // Answered by a caregiver (not the chart's own account): the EHR knows no one
            // to name as the author.
            let own_account = tx
                .find::<patient::Entity>()
                .filter(patient::Column::Id.eq(request.patient_id))
                .one(tx.conn())
                .await?
                .and_then(|p| p.user_id);
            let by_proxy = request.answered_by.is_some() && request.answered_by != own_account;
            Ok(Prepared::Write(OutboundWrite::FormResponse {
                local_id: request.id,
                patient,
                response,
                by_proxy,
            }))
        }
        Payload::Reading { reading_id } => {
            let reading = tx
                .find::<home_reading::Entity>()
                .filter(home_reading::Column::Id.eq(*reading_id))
                .one(tx.conn())
                .await?
                .ok_or(CoreError::NotFound)?;
            let Some(patient) =
                fhir_of(tx, ResourceKind::Patient, Some(reading.patient_id)).await?
            else {
                return Ok(Prepared::Skip("EHR_PATIENT_NOT_LINKED"));
            };
            let Some(write) = super::reading_observation::reading_write(reading, patient) else {
                return Ok(Prepared::Skip("EHR_READING_UNKNOWN"));
            };
            Ok(Prepared::Write(OutboundWrite::Reading(write)))
        }
        Payload::Demographics {
            patient_id,
            overwrite,
        } => {
            let Some(link) = links::by_local(tx, ResourceKind::Patient, *patient_id).await? else {
                return Ok(Prepared::Skip("EHR_PATIENT_NOT_LINKED"));
            };
            let p = tx
                .find::<patient::Entity>()
                .filter(patient::Column::Id.eq(*patient_id))
                .one(tx.conn())
                .await?
                .ok_or(CoreError::NotFound)?;
            if link.version_id.is_none() && !overwrite {
                return Ok(Prepared::Later("EHR_VERSION_UNKNOWN"));
            }
            Ok(Prepared::Write(OutboundWrite::Demographics {
                fhir_id: link.fhir_id,
                expected_version: if *overwrite { None } else { link.version_id },
                demographics: Demographics {
                    email: p.email,
                    phone: p.phone,
                    address_line: p.address_line,
                    city: p.city,
                    region: p.region,
                    postal_code: p.postal_code,
                    country: p.country,
                },
            }))
        }
    }
}

/// Records what the EHR answered: the id and version of what was written (so the next pull
/// recognises it), or a conflict for staff.
pub async fn written(
    tx: &TenantTx,
    message: &outbox_message::Model,
    payload: &Payload,
    fhir_id: &str,
    version_id: Option<&str>,
) -> CoreResult<()> {
    match payload {
        Payload::Appointment { appointment_id } => {
            let found = booking::find(tx, *appointment_id).await?;
            links::set(
                tx,
                ResourceKind::Appointment,
                fhir_id,
                found.id,
                version_id,
                Some(found.patient_id),
            )
            .await?;
        }
        Payload::Demographics { patient_id, .. } => {
            links::set(
                tx,
                ResourceKind::Patient,
                fhir_id,
                *patient_id,
                version_id,
                Some(*patient_id),
            )
            .await?;
        }
        // The renewed prescription arrives with the next pull as a record of its own.
        Payload::RefillDecision { .. } => {}
        // Nothing comes back to Portico: the answers and readings are Portico's own.
        Payload::FormResponse { .. } | Payload::Reading { .. } => {}
    }
    outbox::mark_delivered(tx, message.id).await
}

/// The EHR's Patient changed since Portico read it: not overwritten; staff decide.
pub async fn conflicted(
    tx: &TenantTx,
    message: &outbox_message::Model,
    payload: &Payload,
) -> CoreResult<()> {
    if let Payload::Demographics { patient_id, .. } = payload
        && let Some(link) = links::by_local(tx, ResourceKind::Patient, *patient_id).await?
    {
        reviews::open_conflict(tx, &link.fhir_id, *patient_id, message.id).await?;
    }
    outbox::give_up(tx, message.id, "EHR_CONFLICT").await
}
