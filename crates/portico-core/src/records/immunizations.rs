//! Immunizations: vaccines given (or not), with when the next dose is due.

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::{audit, code, existing, not_future_day, required, staff_only, status};
use crate::{
    CoreError, CoreResult, TenantTx, audit::Actor, chart_access::OpenChart, entities::immunization,
};

pub const STATUSES: [&str; 3] = ["completed", "not-done", super::ENTERED_IN_ERROR];

#[derive(Clone, Debug, Default)]
pub struct ImmunizationInput {
    pub status: String,
    pub vaccine_code: Option<String>,
    pub vaccine_name: String,
    pub occurred_on: Option<NaiveDate>,
    pub next_due_on: Option<NaiveDate>,
}

pub async fn save(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    id: Option<Uuid>,
    input: ImmunizationInput,
) -> CoreResult<immunization::Model> {
    staff_only(chart)?;
    let found = match id {
        Some(id) => Some(existing::<immunization::Entity>(tx, chart, id).await?),
        None => None,
    };
    let status = status("status", &input.status, &STATUSES)?;
    let vaccine_name = required("vaccineName", &input.vaccine_name, 200)?;
    let occurred_on = not_future_day(
        "occurredOn",
        input
            .occurred_on
            .ok_or_else(|| CoreError::invalid("occurredOn", "REQUIRED", "when it was given"))?,
    )?;
    if input.next_due_on.is_some_and(|d| d <= occurred_on) {
        return Err(CoreError::invalid(
            "nextDueOn",
            "INVALID_DATE",
            "must be after the date given",
        ));
    }
    let now = Utc::now();
    let mut active: immunization::ActiveModel = match &found {
        Some(found) => found.clone().into(),
        None => immunization::ActiveModel {
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
    active.vaccine_code = Set(code("vaccineCode", input.vaccine_code, false)?);
    active.vaccine_name = Set(vaccine_name);
    active.occurred_on = Set(occurred_on);
    active.next_due_on = Set(input.next_due_on);
    active.entered_by = Set(actor.id);
    active.updated_at = Set(now);
    let (model, action) = if found.is_some() {
        (active.update(tx.conn()).await?, "immunization.correct")
    } else {
        (active.insert(tx.conn()).await?, "immunization.create")
    };
    audit(tx, actor, chart, action, "Immunization", Some(model.id)).await?;
    Ok(model)
}
