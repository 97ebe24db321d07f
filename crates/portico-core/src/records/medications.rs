//! Medication requests (prescriptions): dosage, refills left, prescriber, last fill, and
//! whether the drug is a controlled substance.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::{
    audit, code, existing, not_future, not_future_day, optional, required, staff_only, status,
};
use crate::{
    CoreError, CoreResult, TenantTx, audit::Actor, chart_access::OpenChart,
    entities::medication_request,
};

pub const STATUSES: [&str; 6] = [
    "active",
    "on-hold",
    "cancelled",
    "completed",
    "stopped",
    super::ENTERED_IN_ERROR,
];
const MAX_REFILLS: i32 = 99;

#[derive(Clone, Debug, Default)]
pub struct MedicationInput {
    pub status: String,
    pub name: String,
    pub rxnorm_code: Option<String>,
    pub dosage: String,
    pub refills_left: i32,
    pub prescriber_id: Option<Uuid>,
    pub prescriber_name: Option<String>,
    pub last_filled_on: Option<NaiveDate>,
    pub controlled: bool,
    pub authored_at: Option<DateTime<Utc>>,
}

pub async fn save(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    id: Option<Uuid>,
    input: MedicationInput,
) -> CoreResult<medication_request::Model> {
    staff_only(chart)?;
    let found = match id {
        Some(id) => Some(existing::<medication_request::Entity>(tx, chart, id).await?),
        None => None,
    };
    let status = status("status", &input.status, &STATUSES)?;
    let name = required("name", &input.name, 200)?;
    let dosage = required("dosage", &input.dosage, 1000)?;
    let rxnorm = code("rxnormCode", input.rxnorm_code, false)?;
    if rxnorm
        .as_deref()
        .is_some_and(|c| !c.chars().all(|ch| ch.is_ascii_digit()))
    {
        return Err(CoreError::invalid(
            "rxnormCode",
            "INVALID_CODE",
            "an RxNorm code is digits only",
        ));
    }
    if !(0..=MAX_REFILLS).contains(&input.refills_left) {
        return Err(CoreError::invalid(
            "refillsLeft",
            "INVALID_REFILLS",
            format!("must be 0 to {MAX_REFILLS}"),
        ));
    }
    let prescriber_name = optional("prescriberName", input.prescriber_name, 200)?;
    if let Some(prescriber) = input.prescriber_id {
        if !crate::accounts::names(tx, &[prescriber])
            .await?
            .contains_key(&prescriber)
        {
            return Err(CoreError::NotFound);
        }
    } else if prescriber_name.is_none() {
        return Err(CoreError::invalid(
            "prescriberName",
            "REQUIRED",
            "name the prescriber or give their user id",
        ));
    }
    let last_filled_on = input
        .last_filled_on
        .map(|d| not_future_day("lastFilledOn", d))
        .transpose()?;
    let authored_at = not_future("authoredAt", input.authored_at.unwrap_or_else(Utc::now))?;
    let now = Utc::now();
    let mut active: medication_request::ActiveModel = match &found {
        Some(found) => found.clone().into(),
        None => medication_request::ActiveModel {
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
    active.name = Set(name);
    active.rxnorm_code = Set(rxnorm);
    active.dosage = Set(dosage);
    active.refills_left = Set(input.refills_left);
    active.prescriber_id = Set(input.prescriber_id);
    active.prescriber_name = Set(prescriber_name);
    active.last_filled_on = Set(last_filled_on);
    active.controlled = Set(input.controlled);
    active.authored_at = Set(authored_at);
    active.entered_by = Set(actor.id);
    active.updated_at = Set(now);
    let (model, action) = if found.is_some() {
        (active.update(tx.conn()).await?, "medication.correct")
    } else {
        (active.insert(tx.conn()).await?, "medication.create")
    };
    audit(
        tx,
        actor,
        chart,
        action,
        "MedicationRequest",
        Some(model.id),
    )
    .await?;
    Ok(model)
}
