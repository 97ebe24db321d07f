//! Which domain event is which webhook, and the ids its payload carries (as the API's global
//! ids, so a receiver looks them up with `node(id:)` or the object's own query). Ids only:
//! no name, no time of a visit, no words of a message.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{EventType, deliveries};
use crate::{
    CoreResult, TenantTx,
    events::Event,
    ids::global,
    scheduling::appointments::{CANCELLED, COMPLETED},
};

/// Writes the deliveries `event` makes, if any, in `tx`.
pub(crate) async fn on_event(tx: &TenantTx, event: &Event<'_>) -> CoreResult<()> {
    if let Some((event_type, data)) = webhook_of(event) {
        deliveries::queue(tx, event_type, data).await?;
    }
    Ok(())
}

fn patient(id: Uuid) -> String {
    global("Patient", id)
}

fn webhook_of(event: &Event<'_>) -> Option<(EventType, Value)> {
    Some(match *event {
        Event::AppointmentBooked { appointment, .. } => match appointment.rescheduled_from {
            None => (
                EventType::AppointmentBooked,
                json!({ "appointmentId": global("Appointment", appointment.id),
                        "patientId": patient(appointment.patient_id) }),
            ),
            Some(previous) => (
                EventType::AppointmentMoved,
                json!({ "appointmentId": global("Appointment", appointment.id),
                        "previousAppointmentId": global("Appointment", previous),
                        "patientId": patient(appointment.patient_id) }),
            ),
        },
        Event::AppointmentReleased {
            appointment,
            status,
        } if status == CANCELLED => (
            EventType::AppointmentCancelled,
            json!({ "appointmentId": global("Appointment", appointment.id),
                    "patientId": patient(appointment.patient_id) }),
        ),
        Event::AppointmentOutcome {
            appointment,
            status,
        } if status == COMPLETED => (
            EventType::AppointmentCompleted,
            json!({ "appointmentId": global("Appointment", appointment.id),
                    "patientId": patient(appointment.patient_id) }),
        ),
        Event::MessageReceived {
            thread_id,
            message_id,
            patient_id,
        } => (
            EventType::MessageReceived,
            json!({ "threadId": global("MessageThread", thread_id),
                    "messageId": global("Message", message_id),
                    "patientId": patient(patient_id) }),
        ),
        Event::RefillRequested {
            refill_id,
            patient_id,
        } => (
            EventType::RefillRequested,
            json!({ "refillRequestId": global("RefillRequest", refill_id),
                    "patientId": patient(patient_id) }),
        ),
        Event::RefillDecided {
            refill_id,
            patient_id,
        } => (
            EventType::RefillDecided,
            json!({ "refillRequestId": global("RefillRequest", refill_id),
                    "patientId": patient(patient_id) }),
        ),
        Event::PatientActivated { patient_id } => (
            EventType::PatientActivated,
            json!({ "patientId": patient(patient_id) }),
        ),
        Event::FormSubmitted {
            request_id,
            patient_id,
        } => (
            EventType::FormAnswered,
            json!({ "formRequestId": global("FormRequest", request_id),
                    "patientId": patient(patient_id) }),
        ),
        Event::ReadingBeyondThreshold {
            alert_id,
            reading_id,
            patient_id,
        } => (
            EventType::ReadingBeyondThreshold,
            json!({ "readingAlertId": global("ReadingAlert", alert_id),
                    "readingId": global("HomeReading", reading_id),
                    "patientId": patient(patient_id) }),
        ),
        Event::EhrSyncEnded { run_id, failed } => (
            if failed {
                EventType::EhrSyncFailed
            } else {
                EventType::EhrSyncFinished
            },
            json!({ "ehrSyncRunId": global("EhrSyncRun", run_id) }),
        ),
        Event::AppointmentReleased { .. }
        | Event::AppointmentOutcome { .. }
        | Event::ContactDetailsChanged { .. }
        | Event::ReadingRecorded { .. }
        | Event::AccountCreated { .. } => return None,
    })
}
