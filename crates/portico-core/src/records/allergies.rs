//! Allergies and intolerances: substance, reaction, severity.

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::{audit, code, existing, not_future_day, optional, required, staff_only, status};
use crate::{
    CoreError, CoreResult, TenantTx, audit::Actor, chart_access::OpenChart, entities::allergy,
};

/// The chart's status: the clinical status, or `refuted` / `entered-in-error` when the
/// verification withdraws the allergy.
pub const STATUSES: [&str; 5] = [
    "active",
    "inactive",
    "resolved",
    super::REFUTED,
    super::ENTERED_IN_ERROR,
];
/// FHIR AllergyIntolerance `clinicalStatus` codes.
pub const CLINICAL: [&str; 3] = ["active", "inactive", "resolved"];
/// FHIR AllergyIntolerance `verificationStatus` codes.
pub const VERIFICATION: [&str; 4] = [
    "unconfirmed",
    "confirmed",
    super::REFUTED,
    super::ENTERED_IN_ERROR,
];
pub const SEVERITIES: [&str; 3] = ["mild", "moderate", "severe"];

#[derive(Clone, Debug, Default)]
pub struct AllergyInput {
    pub status: String,
    pub substance: String,
    pub code: Option<String>,
    pub reaction: Option<String>,
    pub severity: Option<String>,
    pub recorded_on: Option<NaiveDate>,
}

pub async fn save(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    id: Option<Uuid>,
    input: AllergyInput,
) -> CoreResult<allergy::Model> {
    staff_only(chart)?;
    let found = match id {
        Some(id) => Some(existing::<allergy::Entity>(tx, chart, id).await?),
        None => None,
    };
    let status = status("status", &input.status, &STATUSES)?;
    let substance = required("substance", &input.substance, 200)?;
    let severity = match input.severity.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) if SEVERITIES.contains(&s) => Some(s.to_owned()),
        Some(_) => {
            return Err(CoreError::invalid(
                "severity",
                "INVALID_SEVERITY",
                "must be mild, moderate or severe",
            ));
        }
    };
    let now = Utc::now();
    let mut active: allergy::ActiveModel = match &found {
        Some(found) => found.clone().into(),
        None => allergy::ActiveModel {
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
    active.substance = Set(substance);
    active.code = Set(code("code", input.code, false)?);
    active.reaction = Set(optional("reaction", input.reaction, 500)?);
    active.severity = Set(severity);
    // What staff enter is the record now: the EHR's statuses and reactions as received no
    // longer describe it (the next sync from the EHR sets them again).
    active.clinical_status = Set(None);
    active.verification_status = Set(None);
    active.detail = Set(None);
    active.recorded_on = Set(input
        .recorded_on
        .map(|d| not_future_day("recordedOn", d))
        .transpose()?);
    active.entered_by = Set(actor.id);
    active.updated_at = Set(now);
    let (model, action) = if found.is_some() {
        (active.update(tx.conn()).await?, "allergy.correct")
    } else {
        (active.insert(tx.conn()).await?, "allergy.create")
    };
    audit(
        tx,
        actor,
        chart,
        action,
        "AllergyIntolerance",
        Some(model.id),
    )
    .await?;
    Ok(model)
}
