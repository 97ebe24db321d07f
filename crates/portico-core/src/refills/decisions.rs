//! Staff decide a refill request: approve (with a quantity and refills), deny (with a
//! reason the patient sees) or ask for a visit. The decision is one conditional update, so
//! two staff deciding at once cannot both win; the patient is told there is an update (no
//! PHI), and the decision is queued in the outbox (`ehr`, ids only) for the EHR write-back.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use super::{APPROVED, DENIED, NEEDS_APPOINTMENT, PENDING, record};
use crate::{
    CoreError, CoreResult, PatientId, TenantTx, audit,
    audit::Actor,
    chart_access::{self, Purpose, Viewer},
    entities::refill_request::{self, Column, Model as Refill},
    events,
    notify::{self, Notice, Portal},
};

pub const MAX_QUANTITY: i32 = 10_000;
pub const MAX_REFILLS: i32 = 99;
pub const MAX_REASON: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve { quantity: i32, refills: i32 },
    Deny { reason: String },
    NeedsAppointment { reason: Option<String> },
}

/// What a valid decision writes.
struct Checked {
    status: &'static str,
    quantity: Option<i32>,
    refills: Option<i32>,
    reason: Option<String>,
}

fn reason_of(reason: Option<String>, required: bool) -> CoreResult<Option<String>> {
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    match &reason {
        None if required => Err(CoreError::invalid(
            "reason",
            "REASON_REQUIRED",
            "say why, for the patient",
        )),
        Some(r) if r.chars().count() > MAX_REASON => Err(CoreError::invalid(
            "reason",
            "REASON_TOO_LONG",
            format!("at most {MAX_REASON} characters"),
        )),
        _ => Ok(reason),
    }
}

fn checked(decision: Decision) -> CoreResult<Checked> {
    match decision {
        Decision::Approve { quantity, refills } => {
            if !(1..=MAX_QUANTITY).contains(&quantity) {
                return Err(CoreError::invalid(
                    "quantity",
                    "INVALID_QUANTITY",
                    format!("must be 1 to {MAX_QUANTITY}"),
                ));
            }
            if !(0..=MAX_REFILLS).contains(&refills) {
                return Err(CoreError::invalid(
                    "refills",
                    "INVALID_REFILLS",
                    format!("must be 0 to {MAX_REFILLS}"),
                ));
            }
            Ok(Checked {
                status: APPROVED,
                quantity: Some(quantity),
                refills: Some(refills),
                reason: None,
            })
        }
        Decision::Deny { reason } => Ok(Checked {
            status: DENIED,
            quantity: None,
            refills: None,
            reason: reason_of(Some(reason), true)?,
        }),
        Decision::NeedsAppointment { reason } => Ok(Checked {
            status: NEEDS_APPOINTMENT,
            quantity: None,
            refills: None,
            reason: reason_of(reason, false)?,
        }),
    }
}

fn already_decided() -> CoreError {
    CoreError::invalid(
        "id",
        "REFILL_ALREADY_DECIDED",
        "this request has been decided already",
    )
}

/// Decides request `id` as `viewer` (staff) at `now`. A restricted chart's requests need a
/// break-glass access, as the chart does.
pub async fn decide(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    portal: &Portal,
    id: Uuid,
    decision: Decision,
    now: DateTime<Utc>,
) -> CoreResult<Refill> {
    audit::lock(tx).await?;
    let found = super::find(tx, id).await?;
    let chart = chart_access::open(
        tx,
        viewer,
        PatientId::from_uuid(found.patient_id),
        Purpose::Write,
    )
    .await?;
    if !PENDING.contains(&found.status.as_str()) {
        return Err(already_decided());
    }
    let c = checked(decision)?;
    let changed = tx
        .update::<refill_request::Entity>()
        .col_expr(Column::Status, Expr::value(c.status))
        .col_expr(
            Column::DecidedBy,
            Expr::value(Some(viewer.user_id.as_uuid())),
        )
        .col_expr(Column::DecidedAt, Expr::value(Some(now)))
        .col_expr(Column::ApprovedQuantity, Expr::value(c.quantity))
        .col_expr(Column::ApprovedRefills, Expr::value(c.refills))
        .col_expr(Column::DenyReason, Expr::value(c.reason))
        .col_expr(Column::OpenMedicationId, Expr::value(Option::<Uuid>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in(PENDING))
        .exec(tx.conn())
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(already_decided());
    }
    let decided = super::find(tx, id).await?;
    let actor = actor.clone().with_break_glass(chart.break_glass);
    record(tx, &actor, "refill.decide", &decided).await?;
    notify::to_patient(
        tx,
        portal,
        decided.patient_id,
        &notify::Send {
            notice: Notice::RefillUpdate,
            key: &format!("refill:{id}:decision"),
            topic: Some(&format!("refill:{id}")),
            link: &portal.refills(),
            deadline: None,
        },
        now,
    )
    .await?;
    events::publish(
        tx,
        events::Event::RefillDecided {
            refill_id: id,
            patient_id: decided.patient_id,
        },
    )
    .await?;
    Ok(decided)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(decision: Decision) -> Option<&'static str> {
        checked(decision).err().map(|e| e.code())
    }

    #[test]
    fn bad_decisions_have_their_codes() {
        let approve = |quantity, refills| Decision::Approve { quantity, refills };
        assert_eq!(code(approve(0, 1)), Some("INVALID_QUANTITY"));
        assert_eq!(code(approve(-5, 1)), Some("INVALID_QUANTITY"));
        assert_eq!(code(approve(30, -1)), Some("INVALID_REFILLS"));
        assert_eq!(code(approve(30, 100)), Some("INVALID_REFILLS"));
        assert_eq!(code(approve(30, 0)), None);
        let deny = |reason: &str| Decision::Deny {
            reason: reason.to_owned(),
        };
        assert_eq!(code(deny("   ")), Some("REASON_REQUIRED"));
        assert_eq!(code(deny(&"x".repeat(1001))), Some("REASON_TOO_LONG"));
        assert_eq!(code(deny("Please see us first")), None);
        assert_eq!(code(Decision::NeedsAppointment { reason: None }), None);
    }
}
