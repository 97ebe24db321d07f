//! Who may work with appointments: the policies a resolver names ([`SEE`], [`BOOK`]), and
//! the practice's clock. Whose appointments a caller may act on is decided in
//! [`portico_core::scheduling::patient_access`].

use async_graphql::Context;
use chrono::Utc;
use portico_core::{
    CoreResult, TenantTx,
    audit::Actor,
    scheduling::{appointments::PracticeClock, patient_access},
};
use uuid::Uuid;

use crate::{
    ApiError,
    context::ContextExt,
    run::{Caller, Need},
};

/// Seeing a patient's appointments: staff `appointments`, patients and proxies
/// `own_appointments`.
pub(crate) const SEE: Need = Need::to("appointments", "read").or_own("own_appointments");

/// Booking and changing them; refused in a suspended practice.
pub(crate) const BOOK: Need = Need::to("appointments", "write")
    .or_own("own_appointments")
    .new_work();

/// The caller's actor (flagged with the break-glass access in use) once they may act on
/// `patient`'s appointments for `need`; see [`patient_access::open`].
pub(crate) async fn acting_for(
    tx: &TenantTx,
    caller: &Caller,
    patient: Uuid,
    need: patient_access::Need,
) -> CoreResult<Actor> {
    patient_access::open(tx, &caller.viewer(), &caller.actor, patient, need).await
}

pub fn clock(ctx: &Context<'_>) -> Result<PracticeClock, ApiError> {
    Ok(PracticeClock::of(&ctx.tenant()?.tenant, Utc::now()))
}
