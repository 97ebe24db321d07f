//! Outbound webhooks: a practice registers endpoints with the event types it wants, and each
//! event is pushed to them as a Standard Webhooks message (signed with the endpoint's
//! `whsec_` secret). A payload carries the event type and ids only, never PHI: the receiver
//! fetches what it needs through the API with its key.
//!
//! Delivery is at least once. The deliveries are written in the transaction that did what
//! the event tells ([`deliveries::queue`]), so a rolled-back change sends nothing and a
//! committed one is never forgotten; the outbox relay hands due ones to the `webhooks`
//! queue, and a failed attempt is tried again on [`schedule`] (about three days). An
//! endpoint whose deliveries fail for good with no success since is turned off and the
//! practice's admins are told.

pub mod deliveries;
pub mod endpoints;
mod events;
pub mod notice;
pub mod schedule;

pub(crate) use events::on_event;

/// What a practice can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    AppointmentBooked,
    AppointmentMoved,
    AppointmentCancelled,
    AppointmentCompleted,
    MessageReceived,
    RefillRequested,
    RefillDecided,
    PatientActivated,
    FormAnswered,
    ReadingBeyondThreshold,
    EhrSyncFinished,
    EhrSyncFailed,
}

impl EventType {
    pub const ALL: [Self; 12] = [
        Self::AppointmentBooked,
        Self::AppointmentMoved,
        Self::AppointmentCancelled,
        Self::AppointmentCompleted,
        Self::MessageReceived,
        Self::RefillRequested,
        Self::RefillDecided,
        Self::PatientActivated,
        Self::FormAnswered,
        Self::ReadingBeyondThreshold,
        Self::EhrSyncFinished,
        Self::EhrSyncFailed,
    ];

    /// The `type` of the payload, as the receiver sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AppointmentBooked => "appointment.booked",
            Self::AppointmentMoved => "appointment.moved",
            Self::AppointmentCancelled => "appointment.cancelled",
            Self::AppointmentCompleted => "appointment.completed",
            Self::MessageReceived => "message.received",
            Self::RefillRequested => "refill.requested",
            Self::RefillDecided => "refill.decided",
            Self::PatientActivated => "patient.activated",
            Self::FormAnswered => "form.answered",
            Self::ReadingBeyondThreshold => "reading.beyond_threshold",
            Self::EhrSyncFinished => "ehr_sync.finished",
            Self::EhrSyncFailed => "ehr_sync.failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

/// A delivery waiting for its next attempt.
pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
/// Given up: every attempt of the schedule failed, or the endpoint was off.
pub const FAILED: &str = "failed";

/// Why an endpoint is off.
pub const DISABLED_MANUAL: &str = "manual";
pub const DISABLED_FAILING: &str = "failing";
