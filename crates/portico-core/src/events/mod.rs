//! Domain events: what happened, told to the areas that react to it. The area that acts
//! publishes what happened and knows nothing of who reacts (scheduling books a visit; it
//! does not call the EHR write-back, reminders or recall campaigns); the areas that react
//! are named in one place, [`subscribers`]. A new integration adds its reaction there and
//! leaves the publishing area alone.
//!
//! Reactions run inside the publisher's transaction: a rolled-back change leaves no reaction
//! behind, and a committed one never misses one. A reaction that reaches outside Portico
//! writes an outbox row in that transaction (the EHR write-back does), which is delivered
//! after the commit.

mod subscribers;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    CoreResult, TenantTx,
    entities::{appointment, user},
};

/// Something that happened in a practice, published in the transaction that did it.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A visit was booked: a new booking, or the new appointment of a move
    /// (`rescheduled_from` is set on it).
    AppointmentBooked {
        appointment: &'a appointment::Model,
        at: DateTime<Utc>,
    },
    /// A booked visit left `booked` for `status` (cancelled, rescheduled).
    AppointmentReleased {
        appointment: &'a appointment::Model,
        status: &'a str,
    },
    /// A past visit's outcome was recorded (`completed`, `no_show`).
    AppointmentOutcome {
        appointment: &'a appointment::Model,
        status: &'a str,
    },
    /// A chart's contact details changed (by the patient or by staff).
    ContactDetailsChanged { patient_id: Uuid },
    /// A refill request was decided (approved, denied, needs a visit).
    RefillDecided { refill_id: Uuid, patient_id: Uuid },
    /// A patient (or a caregiver) asked for a refill.
    RefillRequested { refill_id: Uuid, patient_id: Uuid },
    /// A patient submitted a form's answers.
    FormSubmitted { request_id: Uuid, patient_id: Uuid },
    /// A patient (or a caregiver) wrote to the care team (not an internal note, not staff).
    MessageReceived {
        thread_id: Uuid,
        message_id: Uuid,
        patient_id: Uuid,
    },
    /// A patient made their portal account with an activation code.
    PatientActivated { patient_id: Uuid },
    /// A home reading went beyond a threshold and opened an alert.
    ReadingBeyondThreshold {
        alert_id: Uuid,
        reading_id: Uuid,
        patient_id: Uuid,
    },
    /// A run of the EHR sync ended (`failed` when it stopped on an error).
    EhrSyncEnded { run_id: Uuid, failed: bool },
    /// A patient (or a caregiver) recorded a home reading.
    ReadingRecorded { reading_id: Uuid, patient_id: Uuid },
    /// An account was created (staff, patient or caregiver).
    AccountCreated { user: &'a user::Model },
}

/// Tells every area that reacts to `event`, in `tx`. Returns how many EHR write-backs the
/// reactions queued in the outbox, so that a caller that relays after its commit knows when
/// to (notices it writes itself it counts itself; webhook deliveries are marked on `tx`,
/// which the API's runner relays).
pub async fn publish(tx: &TenantTx, event: Event<'_>) -> CoreResult<usize> {
    // On the heap: every reaction's future inlined would make each publisher's own future
    // (a booking's, a form's) large enough to overflow a thread's stack.
    Box::pin(subscribers::react(tx, event)).await
}
