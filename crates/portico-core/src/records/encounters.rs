//! Encounters (visits) with the visit summary the patient reads.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::{audit, existing, optional, staff_only, status};
use crate::{
    CoreError, CoreResult, TenantTx, audit::Actor, chart_access::OpenChart, entities::encounter,
};

pub const STATUSES: [&str; 5] = [
    "planned",
    "in-progress",
    "finished",
    "cancelled",
    super::ENTERED_IN_ERROR,
];
pub const CLASSES: [&str; 5] = ["ambulatory", "virtual", "emergency", "inpatient", "home"];

#[derive(Clone, Debug, Default)]
pub struct EncounterInput {
    pub status: String,
    pub class: String,
    pub reason: Option<String>,
    pub summary: Option<String>,
    pub practitioner_name: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

pub async fn save(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    id: Option<Uuid>,
    input: EncounterInput,
) -> CoreResult<encounter::Model> {
    staff_only(chart)?;
    let found = match id {
        Some(id) => Some(existing::<encounter::Entity>(tx, chart, id).await?),
        None => None,
    };
    let status = status("status", &input.status, &STATUSES)?;
    if !CLASSES.contains(&input.class.as_str()) {
        return Err(CoreError::invalid(
            "class",
            "INVALID_CLASS",
            format!("must be one of: {}", CLASSES.join(", ")),
        ));
    }
    let started_at = input
        .started_at
        .ok_or_else(|| CoreError::invalid("startedAt", "REQUIRED", "when the visit began"))?;
    if let Some(end) = input.ended_at
        && end < started_at
    {
        return Err(CoreError::invalid(
            "endedAt",
            "INVALID_DATE",
            "cannot be before the start",
        ));
    }
    if status == "finished" && input.ended_at.is_none() {
        return Err(CoreError::invalid(
            "endedAt",
            "REQUIRED",
            "a finished visit has an end",
        ));
    }
    let now = Utc::now();
    let mut active: encounter::ActiveModel = match &found {
        Some(found) => found.clone().into(),
        None => encounter::ActiveModel {
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
    active.class = Set(input.class);
    active.reason = Set(optional("reason", input.reason, 500)?);
    active.summary = Set(optional("summary", input.summary, 20_000)?);
    active.practitioner_name = Set(optional("practitionerName", input.practitioner_name, 200)?);
    active.started_at = Set(started_at);
    active.ended_at = Set(input.ended_at);
    active.entered_by = Set(actor.id);
    active.updated_at = Set(now);
    let (model, action) = if found.is_some() {
        (active.update(tx.conn()).await?, "encounter.correct")
    } else {
        (active.insert(tx.conn()).await?, "encounter.create")
    };
    audit(tx, actor, chart, action, "Encounter", Some(model.id)).await?;
    Ok(model)
}
