//! Emergency contacts (kept by the patient and staff) and the emergency summary.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    entities::emergency_contact,
    records::emergency::{self, ContactInput},
};
use uuid::Uuid;

use crate::{
    chart_access, global_id,
    records::{AllergyIntolerance, Condition, Immunization, MedicationRequest},
    run::{OutcomeExt, refusable},
    user_error::UserError,
};

#[derive(SimpleObject)]
pub struct EmergencyContact {
    id: ID,
    name: String,
    relationship: String,
    phone: String,
    email: Option<String>,
    updated_at: DateTime<Utc>,
}

impl From<emergency_contact::Model> for EmergencyContact {
    fn from(m: emergency_contact::Model) -> Self {
        Self {
            id: global_id::encode("EmergencyContact", m.id),
            name: m.name,
            relationship: m.relationship,
            phone: m.phone,
            email: m.email,
            updated_at: m.updated_at,
        }
    }
}

/// What a clinician needs first in an emergency.
#[derive(SimpleObject)]
pub struct EmergencySummary {
    /// Active allergies.
    allergies: Vec<AllergyIntolerance>,
    /// Active and on-hold prescriptions.
    medications: Vec<MedicationRequest>,
    /// Active problems (active, recurrence, relapse).
    problems: Vec<Condition>,
    /// Completed immunizations, newest first.
    immunizations: Vec<Immunization>,
    emergency_contacts: Vec<EmergencyContact>,
}

pub(crate) async fn summary(
    ctx: &Context<'_>,
    patient: Uuid,
) -> async_graphql::Result<EmergencySummary> {
    let s = chart_access::read(ctx, patient, async |tx, opened| {
        emergency::summary(tx, &opened.actor, &opened.chart).await
    })
    .await?;
    Ok(EmergencySummary {
        allergies: s.allergies.into_iter().map(Into::into).collect(),
        medications: s.medications.into_iter().map(Into::into).collect(),
        problems: s.problems.into_iter().map(Into::into).collect(),
        immunizations: s.immunizations.into_iter().map(Into::into).collect(),
        emergency_contacts: s.contacts.into_iter().map(Into::into).collect(),
    })
}

pub(crate) async fn contacts(
    ctx: &Context<'_>,
    patient: Uuid,
) -> async_graphql::Result<Vec<EmergencyContact>> {
    let rows = chart_access::read(ctx, patient, async |tx, opened| {
        emergency::list_contacts(tx, &opened.actor, &opened.chart).await
    })
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

#[derive(InputObject)]
pub struct AddEmergencyContactInput {
    patient_id: ID,
    name: String,
    /// e.g. spouse, parent, neighbour.
    relationship: String,
    phone: String,
    email: Option<String>,
}

#[derive(SimpleObject, Default)]
pub struct AddEmergencyContactPayload {
    emergency_contact: Option<EmergencyContact>,
    user_errors: Vec<UserError>,
}

refusable!(AddEmergencyContactPayload);

#[derive(InputObject)]
pub struct RemoveEmergencyContactInput {
    patient_id: ID,
    id: ID,
}

#[derive(SimpleObject)]
pub struct RemoveEmergencyContactPayload {
    removed_id: ID,
}

#[derive(Default)]
pub struct EmergencyMutation;

#[Object]
impl EmergencyMutation {
    /// Adds an emergency contact (the patient, or staff).
    async fn add_emergency_contact(
        &self,
        ctx: &Context<'_>,
        input: AddEmergencyContactInput,
    ) -> async_graphql::Result<AddEmergencyContactPayload> {
        let patient = chart_access::patient_id(&input.patient_id)?;
        let contact = ContactInput {
            name: input.name,
            relationship: input.relationship,
            phone: input.phone,
            email: input.email,
        };
        let outcome =
            chart_access::mutate(ctx, chart_access::writing(), patient, async |tx, opened| {
                emergency::add_contact(tx, &opened.actor, &opened.chart, contact).await
            })
            .await?;
        Ok(outcome.payload(|c| AddEmergencyContactPayload {
            emergency_contact: Some(c.into()),
            user_errors: Vec::new(),
        }))
    }

    /// Removes an emergency contact (the patient, or staff).
    async fn remove_emergency_contact(
        &self,
        ctx: &Context<'_>,
        input: RemoveEmergencyContactInput,
    ) -> async_graphql::Result<RemoveEmergencyContactPayload> {
        let id = global_id::parse("EmergencyContact", "id", &input.id)?;
        let patient = chart_access::patient_id(&input.patient_id)?;
        chart_access::write(ctx, chart_access::writing(), patient, async |tx, opened| {
            emergency::remove_contact(tx, &opened.actor, &opened.chart, id).await
        })
        .await?;
        Ok(RemoveEmergencyContactPayload {
            removed_id: input.id,
        })
    }
}
