//! Who reacts to which event. The one place that knows both sides: the publishing areas
//! import only [`super::publish`], and a new reaction is added here.

use super::Event;
use crate::{
    CoreResult, TenantTx, UserId,
    ehr::writeback,
    feedback, forms, proxies,
    scheduling::{appointments::BOOKED, recalls, reminders},
    webhooks,
};

/// Returns how many EHR write-backs the reactions queued in the outbox (for the caller to
/// relay now).
pub(super) async fn react(tx: &TenantTx, event: Event<'_>) -> CoreResult<usize> {
    // The practice's webhook endpoints that want it (ids only; marked on `tx` for a relay).
    webhooks::on_event(tx, &event).await?;
    let mut written = 0;
    match event {
        Event::AppointmentBooked { appointment, at } => {
            reminders::plan(tx, appointment, at).await?;
            written += usize::from(writeback::queue_appointment(tx, appointment, BOOKED).await?);
            // A recall notice this booking follows records it (the campaign's conversion);
            // a move is not a new booking.
            if appointment.rescheduled_from.is_none() {
                recalls::on_booked(tx, appointment).await?;
            }
            // The check-in forms of the visit's type.
            forms::requests::on_booked(tx, appointment).await?;
        }
        Event::AppointmentReleased {
            appointment,
            status,
        } => {
            written += usize::from(writeback::queue_appointment(tx, appointment, status).await?);
            reminders::withdraw(tx, appointment.id).await?;
            forms::requests::on_released(tx, appointment, status).await?;
        }
        Event::AppointmentOutcome {
            appointment,
            status,
        } => {
            written += usize::from(writeback::queue_appointment(tx, appointment, status).await?);
            // A completed visit gets its survey, once.
            feedback::invitations::plan(tx, appointment, status).await?;
        }
        Event::ContactDetailsChanged { patient_id } => {
            // Only the fields the patient changed; the EHR's other details stay as they are.
            written += usize::from(writeback::queue_demographics(tx, patient_id, false).await?);
        }
        Event::RefillDecided { refill_id, .. } => {
            // Written back by the write-back job, when the practice has a connection.
            written += usize::from(writeback::queue_refill(tx, refill_id).await?);
        }
        Event::FormSubmitted { request_id, .. } => {
            // Written back by the write-back job, when the practice has a connection.
            written += usize::from(writeback::queue_form_response(tx, request_id).await?);
        }
        Event::ReadingRecorded {
            reading_id,
            patient_id,
        } => {
            // Only where the practice chose to send readings to its EHR.
            written += usize::from(writeback::queue_reading(tx, reading_id, patient_id).await?);
        }
        Event::AccountCreated { user } => {
            // Grants that waited for an account with this address are its own now.
            proxies::claim_pending(tx, UserId::from_uuid(user.id), &user.email).await?;
        }
        // Told to webhooks only.
        Event::RefillRequested { .. }
        | Event::MessageReceived { .. }
        | Event::PatientActivated { .. }
        | Event::ReadingBeyondThreshold { .. }
        | Event::EhrSyncEnded { .. } => {}
    }
    Ok(written)
}
