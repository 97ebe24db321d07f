//! Conditions: the problem list.

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::{audit, code, existing, not_future_day, required, staff_only, status};
use crate::{
    CoreError, CoreResult, TenantTx, audit::Actor, chart_access::OpenChart, entities::condition,
};

/// The chart's status: the clinical status, or `refuted` / `entered-in-error` when the
/// verification withdraws the diagnosis.
pub const STATUSES: [&str; 8] = [
    "active",
    "recurrence",
    "relapse",
    "inactive",
    "remission",
    "resolved",
    super::REFUTED,
    super::ENTERED_IN_ERROR,
];
/// FHIR Condition `clinicalStatus` codes.
pub const CLINICAL: [&str; 6] = [
    "active",
    "recurrence",
    "relapse",
    "inactive",
    "remission",
    "resolved",
];
/// FHIR Condition `verificationStatus` codes.
pub const VERIFICATION: [&str; 6] = [
    "unconfirmed",
    "provisional",
    "differential",
    "confirmed",
    super::REFUTED,
    super::ENTERED_IN_ERROR,
];
/// Statuses of a problem that still needs attention.
pub const ACTIVE: [&str; 3] = ["active", "recurrence", "relapse"];

#[derive(Clone, Debug, Default)]
pub struct ConditionInput {
    pub status: String,
    pub code: Option<String>,
    pub name: String,
    pub onset_on: Option<NaiveDate>,
    pub abated_on: Option<NaiveDate>,
}

pub async fn save(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    id: Option<Uuid>,
    input: ConditionInput,
) -> CoreResult<condition::Model> {
    staff_only(chart)?;
    let found = match id {
        Some(id) => Some(existing::<condition::Entity>(tx, chart, id).await?),
        None => None,
    };
    let status = status("status", &input.status, &STATUSES)?;
    let name = required("name", &input.name, 200)?;
    let onset_on = input
        .onset_on
        .map(|d| not_future_day("onsetOn", d))
        .transpose()?;
    let abated_on = input
        .abated_on
        .map(|d| not_future_day("abatedOn", d))
        .transpose()?;
    if let (Some(onset), Some(abated)) = (onset_on, abated_on)
        && abated < onset
    {
        return Err(CoreError::invalid(
            "abatedOn",
            "INVALID_DATE",
            "cannot be before the onset",
        ));
    }
    let now = Utc::now();
    let mut active: condition::ActiveModel = match &found {
        Some(found) => found.clone().into(),
        None => condition::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            patient_id: Set(chart.id()),
            source: Set(Some(super::PORTAL_SOURCE.to_owned())),
            external_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        },
    };
    active.status = Set(status);
    active.code = Set(code("code", input.code, false)?);
    active.name = Set(name);
    // What staff enter is the record now: the EHR's statuses and codings as received no
    // longer describe it (the next sync from the EHR sets them again).
    active.clinical_status = Set(None);
    active.verification_status = Set(None);
    active.detail = Set(None);
    active.onset_on = Set(onset_on);
    active.abated_on = Set(abated_on);
    active.entered_by = Set(actor.id);
    active.updated_at = Set(now);
    let (model, action) = if found.is_some() {
        (active.update(tx.conn()).await?, "condition.correct")
    } else {
        (active.insert(tx.conn()).await?, "condition.create")
    };
    audit(tx, actor, chart, action, "Condition", Some(model.id)).await?;
    Ok(model)
}
