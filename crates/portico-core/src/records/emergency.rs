//! Emergency access to a chart: the emergency contacts (kept by the patient and staff) and
//! the emergency summary (active allergies, active medications, active problems,
//! immunizations, contacts).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{Page, audit, optional, required, visible};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::Actor,
    chart_access::{OpenChart, Relationship},
    entities::{allergy, condition, emergency_contact, immunization, medication_request},
};

const MAX_CONTACTS: usize = 10;

#[derive(Clone, Debug, Default)]
pub struct ContactInput {
    pub name: String,
    pub relationship: String,
    pub phone: String,
    pub email: Option<String>,
}

/// The patient themself or staff keep the contacts; a proxy only reads them.
fn may_edit(chart: &OpenChart) -> CoreResult<()> {
    if chart.relationship == Relationship::Proxy {
        Err(CoreError::NotFound)
    } else {
        Ok(())
    }
}

pub(crate) fn phone(field: &'static str, value: &str) -> CoreResult<String> {
    let value = value.trim();
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits)
        || value.len() > 40
        || !value
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return Err(CoreError::invalid(
            field,
            "INVALID_PHONE",
            "a phone number of 7 to 15 digits",
        ));
    }
    Ok(value.to_owned())
}

pub async fn add_contact(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    input: ContactInput,
) -> CoreResult<emergency_contact::Model> {
    may_edit(chart)?;
    let name = required("name", &input.name, 200)?;
    let relationship = required("relationship", &input.relationship, 64)?;
    let phone = phone("phone", &input.phone)?;
    let email = match optional("email", input.email, 254)? {
        Some(e) => Some(crate::accounts::normalize_email(&e).map_err(|e| e.on_field("email"))?),
        None => None,
    };
    if contacts(tx, chart).await?.len() >= MAX_CONTACTS {
        return Err(CoreError::invalid(
            "patientId",
            "TOO_MANY_CONTACTS",
            format!("at most {MAX_CONTACTS} emergency contacts"),
        ));
    }
    let now = Utc::now();
    let model = emergency_contact::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(chart.id()),
        name: Set(name),
        relationship: Set(relationship),
        phone: Set(phone),
        email: Set(email),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    audit(
        tx,
        actor,
        chart,
        "emergency_contact.create",
        "EmergencyContact",
        Some(model.id),
    )
    .await?;
    Ok(model)
}

pub async fn remove_contact(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    id: Uuid,
) -> CoreResult<()> {
    may_edit(chart)?;
    let removed = tx
        .delete::<emergency_contact::Entity>()
        .filter(emergency_contact::Column::Id.eq(id))
        .filter(emergency_contact::Column::PatientId.eq(chart.id()))
        .exec(tx.conn())
        .await?;
    if removed.rows_affected == 0 {
        return Err(CoreError::NotFound);
    }
    audit(
        tx,
        actor,
        chart,
        "emergency_contact.delete",
        "EmergencyContact",
        Some(id),
    )
    .await
}

/// The chart's emergency contacts, oldest first, unaudited.
pub(crate) async fn contacts(
    tx: &TenantTx,
    chart: &OpenChart,
) -> CoreResult<Vec<emergency_contact::Model>> {
    Ok(tx
        .find::<emergency_contact::Entity>()
        .filter(emergency_contact::Column::PatientId.eq(chart.id()))
        .order_by_asc(emergency_contact::Column::Id)
        .all(tx.conn())
        .await?)
}

/// The contacts, audited as `emergency_contact.list`.
pub async fn list_contacts(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
) -> CoreResult<Vec<emergency_contact::Model>> {
    let rows = contacts(tx, chart).await?;
    audit(
        tx,
        actor,
        chart,
        "emergency_contact.list",
        "EmergencyContact",
        None,
    )
    .await?;
    Ok(rows)
}

#[derive(Clone, Debug)]
pub struct Summary {
    pub allergies: Vec<allergy::Model>,
    pub medications: Vec<medication_request::Model>,
    pub problems: Vec<condition::Model>,
    pub immunizations: Vec<immunization::Model>,
    pub contacts: Vec<emergency_contact::Model>,
}

/// What a clinician needs first, audited as `chart.emergency_summary`.
pub async fn summary(tx: &TenantTx, actor: &Actor, chart: &OpenChart) -> CoreResult<Summary> {
    let mut allergies = visible::<allergy::Entity>(tx, chart, Page::ALL).await?;
    allergies.retain(|a| a.status == "active");
    let mut medications = visible::<medication_request::Entity>(tx, chart, Page::ALL).await?;
    medications.retain(|m| m.status == "active" || m.status == "on-hold");
    let mut problems = visible::<condition::Entity>(tx, chart, Page::ALL).await?;
    problems.retain(|c| super::conditions::ACTIVE.contains(&c.status.as_str()));
    let mut immunizations = visible::<immunization::Entity>(tx, chart, Page::ALL).await?;
    immunizations.retain(|i| i.status == "completed");
    let contacts = contacts(tx, chart).await?;
    audit(
        tx,
        actor,
        chart,
        "chart.emergency_summary",
        "Patient",
        Some(chart.id()),
    )
    .await?;
    Ok(Summary {
        allergies,
        medications,
        problems,
        immunizations,
        contacts,
    })
}
