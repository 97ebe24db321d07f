//! Emergency contacts (kept by the patient and staff) and the emergency summary.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    chart_access::Purpose,
    entities::emergency_contact,
    records::emergency::{self, ContactInput},
};
use uuid::Uuid;

use crate::{
    chart_access,
    context::ContextExt,
    global_id,
    records::{AllergyIntolerance, Condition, Immunization, MedicationRequest},
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
    let opened = chart_access::open(ctx, patient, Purpose::Read).await?;
    let s = emergency::summary(&opened.tx, &opened.actor, &opened.chart)
        .await
        .map_err(opened.core())?;
    let s = opened.done(s).await?;
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
    let opened = chart_access::open(ctx, patient, Purpose::Read).await?;
    let rows = emergency::list_contacts(&opened.tx, &opened.actor, &opened.chart)
        .await
        .map_err(opened.core())?;
    opened
        .done(rows.into_iter().map(Into::into).collect())
        .await
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

#[derive(SimpleObject)]
pub struct AddEmergencyContactPayload {
    emergency_contact: Option<EmergencyContact>,
    user_errors: Vec<UserError>,
}

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
        ctx.require_active_tenant()?;
        let o = chart_access::open_id(ctx, &input.patient_id, Purpose::Write).await?;
        let added = emergency::add_contact(
            &o.tx,
            &o.actor,
            &o.chart,
            ContactInput {
                name: input.name,
                relationship: input.relationship,
                phone: input.phone,
                email: input.email,
            },
        )
        .await;
        Ok(match o.settle(added).await? {
            Ok(c) => AddEmergencyContactPayload {
                emergency_contact: Some(c.into()),
                user_errors: Vec::new(),
            },
            Err(user_errors) => AddEmergencyContactPayload {
                emergency_contact: None,
                user_errors,
            },
        })
    }

    /// Removes an emergency contact (the patient, or staff).
    async fn remove_emergency_contact(
        &self,
        ctx: &Context<'_>,
        input: RemoveEmergencyContactInput,
    ) -> async_graphql::Result<RemoveEmergencyContactPayload> {
        ctx.require_active_tenant()?;
        let id = global_id::parse("EmergencyContact", "id", &input.id)?;
        let o = chart_access::open_id(ctx, &input.patient_id, Purpose::Write).await?;
        emergency::remove_contact(&o.tx, &o.actor, &o.chart, id)
            .await
            .map_err(o.core())?;
        o.done(RemoveEmergencyContactPayload {
            removed_id: input.id,
        })
        .await
    }
}
