//! The demo practice's check-in form: attached to follow-up visits, so the demo patient's
//! booked follow-up asks for it.

use sea_orm::{ColumnTrait, QueryFilter};

use super::{
    ACTIVE,
    definitions::{self, ConditionDraft, FormDraft, ItemDraft},
    requests,
};
use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::Actor,
    entities::{appointment, appointment_type},
    scheduling::appointments::BOOKED,
};

fn item(link_id: &str, text: &str, kind: &str, required: bool) -> ItemDraft {
    ItemDraft {
        link_id: link_id.to_owned(),
        text: text.to_owned(),
        kind: kind.to_owned(),
        required,
        options: Vec::new(),
        conditions: Vec::new(),
        behavior: None,
    }
}

/// The check-in form, attached to the "Follow-up" type; the demo patient's booked follow-ups
/// ask for it as a booking would.
pub async fn load(tx: &TenantTx, actor: &Actor, patient: Option<PatientId>) -> CoreResult<()> {
    let mut new_allergies = item("allergies-new", "Which allergies are new?", "text", true);
    new_allergies.conditions = vec![ConditionDraft {
        question: "allergies-changed".to_owned(),
        operator: "=".to_owned(),
        value: "true".to_owned(),
    }];
    let mut pain = item(
        "pain",
        "How would you rate your pain today?",
        "choice",
        true,
    );
    pain.options = ["None", "Mild", "Moderate", "Severe"]
        .map(str::to_owned)
        .to_vec();
    let draft = FormDraft {
        title: "Check-in questionnaire".to_owned(),
        status: ACTIVE.to_owned(),
        items: vec![
            item(
                "allergies-changed",
                "Have your allergies changed since your last visit?",
                "boolean",
                true,
            ),
            new_allergies,
            pain,
            item(
                "notes",
                "Anything you would like your care team to know?",
                "text",
                false,
            ),
        ],
    };
    let form = definitions::save(tx, actor, None, &draft)
        .await?
        .map_err(|p| CoreError::adapter(format!("the demo form is invalid: {}", p.message)))?;
    let Some(follow_up) = tx
        .find::<appointment_type::Entity>()
        .filter(appointment_type::Column::Name.eq("Follow-up"))
        .one(tx.conn())
        .await?
    else {
        return Ok(());
    };
    definitions::attach(tx, actor, follow_up.id, form.form_key, true).await?;
    let Some(patient) = patient else {
        return Ok(());
    };
    let booked = tx
        .find::<appointment::Entity>()
        .filter(appointment::Column::PatientId.eq(patient.as_uuid()))
        .filter(appointment::Column::AppointmentTypeId.eq(follow_up.id))
        .filter(appointment::Column::Status.eq(BOOKED))
        .all(tx.conn())
        .await?;
    for visit in &booked {
        requests::on_booked(tx, visit).await?;
    }
    Ok(())
}
