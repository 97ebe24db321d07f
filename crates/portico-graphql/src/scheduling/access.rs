//! Who may act on whose appointments: staff on any patient of their practice; a patient on
//! their own, and a proxy as their grant allows (`book` to book and change, `read` or `book`
//! to see). Anyone else's patient looks like it does not exist.

use async_graphql::{Context, ID};
use chrono::Utc;
use portico_core::{
    PatientId, TenantTx,
    audit::Actor,
    chart_access::{self, Purpose, Viewer},
    identity::{Role, SessionClaims},
    scheduling::appointments::{self, Channel, PracticeClock},
};
use uuid::Uuid;

use crate::{ApiError, context::ContextExt, global_id};

/// What the principal wants to do with a patient's appointments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    See,
    Book,
}

/// The principal, if the policies let them work with appointments at all, and the channel
/// their bookings go through.
pub async fn principal(
    ctx: &Context<'_>,
    need: Need,
) -> async_graphql::Result<(SessionClaims, Channel)> {
    let principal = ctx.principal()?.clone();
    let (object, action, channel) = match (principal.role == Role::Patient, need) {
        (true, Need::See) => ("own_appointments", "read", Channel::Portal),
        (true, Need::Book) => ("own_appointments", "write", Channel::Portal),
        (false, Need::See) => ("appointments", "read", Channel::Staff),
        (false, Need::Book) => ("appointments", "write", Channel::Staff),
    };
    let principal = ctx.authorize(object, action).await?.clone();
    if need == Need::Book {
        ctx.require_active_tenant()?;
    }
    Ok((principal, channel))
}

/// `NOT_FOUND` unless `principal` may act on `patient` in this transaction
/// (`PROXY_SCOPE_DENIED` for a caregiver whose grant on it lacks the scope). Staff reach a
/// restricted chart's appointments as they reach its records: practice admins and the care
/// team directly, anyone else through a break-glass access in force (`BREAK_GLASS_REQUIRED`
/// without one), whose id is returned so the audit events carry it.
pub async fn check_patient(
    tx: &TenantTx,
    principal: &SessionClaims,
    patient: Uuid,
    need: Need,
    request_id: &str,
) -> async_graphql::Result<Option<Uuid>> {
    let core = |e| ApiError::from_core(e, request_id);
    if principal.role != Role::Patient {
        let viewer = Viewer {
            user_id: principal.user_id,
            role: principal.role,
        };
        // The chart must exist in this practice: an unknown one is `NOT_FOUND`, not empty.
        let opened = chart_access::open(tx, &viewer, PatientId::from_uuid(patient), Purpose::Read)
            .await
            .map_err(core)?;
        return Ok(opened.break_glass);
    }
    let (scopes, needed): (&[&str], &'static str) = match need {
        Need::See => (&["read", "book"], "read"),
        Need::Book => (&["book"], "book"),
    };
    let allowed = appointments::patient_may(tx, principal.user_id, patient, scopes)
        .await
        .map_err(|e| ApiError::from_core(e, request_id))?;
    if allowed {
        return Ok(None);
    }
    // A caregiver whose grant lacks the scope hears so; anyone else, `NOT_FOUND`.
    let refusal = portico_core::proxies::refusal(tx, principal.user_id, patient, needed)
        .await
        .map_err(core)?;
    Err(core(refusal).into())
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

/// The uuid inside input `field`, a `type_name` id (see [`global_id::parse`]).
pub fn uuid_of(type_name: &'static str, field: &'static str, id: &ID) -> Result<Uuid, ApiError> {
    global_id::parse(type_name, field, id)
}

pub fn clock(ctx: &Context<'_>) -> Result<PracticeClock, ApiError> {
    Ok(PracticeClock::of(&ctx.tenant()?.tenant, Utc::now()))
}

/// Who to name in the audit log, with the break-glass access the chart was opened through.
pub fn actor(ctx: &Context<'_>, principal: &SessionClaims, break_glass: Option<Uuid>) -> Actor {
    ctx.actor(principal).with_break_glass(break_glass)
}
