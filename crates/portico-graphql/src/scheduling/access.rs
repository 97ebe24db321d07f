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

/// Rolls back `tx` and answers `err`: for a check that fails part-way through a transaction.
pub async fn abort<T>(
    tx: TenantTx,
    err: impl Into<async_graphql::Error>,
    request_id: &str,
) -> async_graphql::Result<T> {
    tx.rollback()
        .await
        .map_err(|e| ApiError::from_core(e, request_id))?;
    Err(err.into())
}

/// Commits `tx` when `result` is a success; otherwise rolls back and answers the error.
#[expect(
    dead_code,
    reason = "replaced by `run::Run`; removed once no resolver needs it"
)]
pub async fn finish<T>(
    tx: TenantTx,
    result: portico_core::CoreResult<T>,
    request_id: &str,
) -> async_graphql::Result<T> {
    match result {
        Ok(value) => {
            tx.commit()
                .await
                .map_err(|e| ApiError::from_core(e, request_id))?;
            Ok(value)
        }
        Err(e) => abort(tx, ApiError::from_core(e, request_id), request_id).await,
    }
}

pub fn clock(ctx: &Context<'_>) -> Result<PracticeClock, ApiError> {
    Ok(PracticeClock::of(&ctx.tenant()?.tenant, Utc::now()))
}
