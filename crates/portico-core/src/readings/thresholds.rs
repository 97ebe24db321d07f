//! Thresholds: the care team's low and high bounds of each measure of a kind, in the kind's
//! canonical unit, with the instruction the patient sees when a reading is beyond one. The
//! practice's apply to every patient; a patient's own, for a kind, replace the practice's
//! for that kind entirely (a patient whose usual pressure is high gets their own pair).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{Kind, Measure};
use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::{self, Access, Actor},
    chart_access::{self, Purpose, Viewer},
    entities::{patient, reading_threshold},
};

pub const MAX_INSTRUCTION: usize = 500;
/// The `scope_key` of the practice's own thresholds.
const PRACTICE: &str = "practice";

#[derive(Clone, Debug)]
pub struct ThresholdInput {
    /// `None`: the practice's default.
    pub patient_id: Option<Uuid>,
    pub kind: Kind,
    pub measure: Measure,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub instruction: String,
}

fn scope_key(patient: Option<Uuid>) -> String {
    patient.map_or_else(|| PRACTICE.to_owned(), |p| p.to_string())
}

/// Sets one threshold (staff who set them: practice admins and providers). Clearing both
/// bounds removes it; the result is then `None`.
pub async fn set(
    tx: &TenantTx,
    actor: &Actor,
    user: Uuid,
    input: ThresholdInput,
) -> CoreResult<Option<reading_threshold::Model>> {
    if !input.kind.measures().contains(&input.measure) {
        return Err(CoreError::invalid(
            "measure",
            "THRESHOLD_MEASURE",
            format!(
                "a {} threshold is on {}",
                input.kind.as_str(),
                input
                    .kind
                    .measures()
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ));
    }
    let (min, max) = input.kind.range(input.measure);
    for (field, bound) in [("low", input.low), ("high", input.high)] {
        if bound.is_some_and(|b| !b.is_finite() || b < min || b > max) {
            return Err(CoreError::invalid(
                field,
                "THRESHOLD_OUT_OF_RANGE",
                format!("between {min} and {max} {}", input.kind.canonical_unit()),
            ));
        }
    }
    if let (Some(low), Some(high)) = (input.low, input.high)
        && low >= high
    {
        return Err(CoreError::invalid(
            "high",
            "THRESHOLD_OUT_OF_RANGE",
            "the high bound must be above the low one",
        ));
    }
    let instruction = input.instruction.trim().to_owned();
    let clearing = input.low.is_none() && input.high.is_none();
    if !clearing && (instruction.is_empty() || instruction.chars().count() > MAX_INSTRUCTION) {
        return Err(CoreError::invalid(
            "instruction",
            "INVALID_INSTRUCTION",
            format!("tell the patient what to do in 1 to {MAX_INSTRUCTION} characters"),
        ));
    }
    if let Some(patient) = input.patient_id {
        tx.find::<patient::Entity>()
            .filter(patient::Column::Id.eq(patient))
            .one(tx.conn())
            .await?
            .ok_or(CoreError::NotFound)?;
    }
    let key = scope_key(input.patient_id);
    let existing = tx
        .find::<reading_threshold::Entity>()
        .filter(reading_threshold::Column::ScopeKey.eq(key.clone()))
        .filter(reading_threshold::Column::Kind.eq(input.kind.as_str()))
        .filter(reading_threshold::Column::Measure.eq(input.measure.as_str()))
        .one(tx.conn())
        .await?;
    let now = Utc::now();
    let (action, saved) = match (existing, clearing) {
        (None, true) => return Ok(None),
        (Some(found), true) => {
            let id = found.id;
            tx.delete::<reading_threshold::Entity>()
                .filter(reading_threshold::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
            record(tx, actor, "reading_threshold.remove", id, input.patient_id).await?;
            return Ok(None);
        }
        (Some(found), false) => {
            let mut change: reading_threshold::ActiveModel = found.into();
            change.low = Set(input.low);
            change.high = Set(input.high);
            change.instruction = Set(instruction);
            change.updated_by = Set(user);
            change.updated_at = Set(now);
            ("reading_threshold.update", change.update(tx.conn()).await?)
        }
        (None, false) => {
            let row = reading_threshold::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                patient_id: Set(input.patient_id),
                scope_key: Set(key),
                kind: Set(input.kind.as_str().to_owned()),
                measure: Set(input.measure.as_str().to_owned()),
                low: Set(input.low),
                high: Set(input.high),
                instruction: Set(instruction),
                updated_by: Set(user),
                created_at: Set(now),
                updated_at: Set(now),
            };
            // Two first settings of one threshold at once: one is created, the other told to
            // try again (it will then update it).
            let created = row
                .insert(tx.conn())
                .await
                .map_err(|e| CoreError::unique_as(e, CoreError::Conflict { field: "measure" }))?;
            ("reading_threshold.create", created)
        }
    };
    record(tx, actor, action, saved.id, saved.patient_id).await?;
    Ok(Some(saved))
}

async fn record(
    tx: &TenantTx,
    actor: &Actor,
    action: &str,
    id: Uuid,
    patient: Option<Uuid>,
) -> CoreResult<()> {
    audit::record(
        tx,
        actor,
        Access {
            action,
            resource_type: "ReadingThreshold",
            resource_id: Some(id),
            patient_id: patient,
        },
    )
    .await
}

/// A patient's own thresholds, as `viewer` may see their chart (a restricted chart needs the
/// glass broken): they are part of the chart, so reading them is audited against it.
pub async fn list_for_chart(
    tx: &TenantTx,
    viewer: &Viewer,
    actor: &Actor,
    patient: PatientId,
) -> CoreResult<Vec<reading_threshold::Model>> {
    let chart = chart_access::open(tx, viewer, patient, Purpose::Read).await?;
    let found = list(tx, Some(patient.as_uuid())).await?;
    crate::records::audit(
        tx,
        actor,
        &chart,
        "reading_threshold.list",
        "ReadingThreshold",
        None,
    )
    .await?;
    Ok(found)
}

/// The practice's thresholds, or (with `patient`) that patient's own, by kind and measure.
pub async fn list(
    tx: &TenantTx,
    patient: Option<Uuid>,
) -> CoreResult<Vec<reading_threshold::Model>> {
    Ok(tx
        .find::<reading_threshold::Entity>()
        .filter(reading_threshold::Column::ScopeKey.eq(scope_key(patient)))
        .order_by_asc(reading_threshold::Column::Kind)
        .order_by_asc(reading_threshold::Column::Measure)
        .all(tx.conn())
        .await?)
}

/// The thresholds that apply to `patient`'s readings of `kind`: their own when they have any
/// for the kind, else the practice's.
pub async fn in_force(
    tx: &TenantTx,
    patient: Uuid,
    kind: Kind,
) -> CoreResult<Vec<reading_threshold::Model>> {
    let of = async |key: String| -> CoreResult<Vec<reading_threshold::Model>> {
        Ok(tx
            .find::<reading_threshold::Entity>()
            .filter(reading_threshold::Column::ScopeKey.eq(key))
            .filter(reading_threshold::Column::Kind.eq(kind.as_str()))
            .order_by_asc(reading_threshold::Column::Measure)
            .all(tx.conn())
            .await?)
    };
    let own = of(patient.to_string()).await?;
    if !own.is_empty() {
        return Ok(own);
    }
    of(PRACTICE.to_owned()).await
}
