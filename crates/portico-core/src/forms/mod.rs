//! Check-in forms. A practice builds questionnaires ([`definitions`], each version kept as a
//! FHIR R4 `Questionnaire` and checked by [`questionnaire`]) and attaches them to visit
//! types; a booking of such a visit asks the patient for the form, once ([`requests`], a
//! reaction to `AppointmentBooked`), and staff can send one on its own. The patient (or a
//! proxy with `book`) saves drafts and submits ([`answers`]); the answers are a FHIR
//! `QuestionnaireResponse`, which staff read on the visit and the chart.

pub mod answers;
pub mod definitions;
pub mod demo;
pub mod questionnaire;
pub mod requests;

use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    entities::{form, form_request},
};
use questionnaire::{Questionnaire, QuestionnaireResponse};

/// Form statuses (FHIR `Questionnaire.status`).
pub const DRAFT: &str = "draft";
pub const ACTIVE: &str = "active";
pub const RETIRED: &str = "retired";
pub const FORM_STATUSES: [&str; 3] = [DRAFT, ACTIVE, RETIRED];

/// Asked, nothing saved yet.
pub const PENDING: &str = "pending";
/// A draft is saved.
pub const IN_PROGRESS: &str = "in_progress";
/// Submitted; the answers no longer change.
pub const COMPLETED: &str = "completed";
/// The visit it came with was cancelled.
pub const WITHDRAWN: &str = "withdrawn";
/// Requests still waiting for the patient.
pub const OPEN: [&str; 2] = [PENDING, IN_PROGRESS];

/// The canonical URL of a form: the same for all its versions.
pub fn canonical(form_key: Uuid) -> String {
    format!("urn:uuid:{form_key}")
}

/// The stored Questionnaire of a form version.
pub fn questionnaire_of(found: &form::Model) -> CoreResult<Questionnaire> {
    serde_json::from_str(&found.questionnaire).map_err(CoreError::adapter)
}

/// The stored QuestionnaireResponse of a request, if anything was saved.
pub fn response_of(request: &form_request::Model) -> CoreResult<Option<QuestionnaireResponse>> {
    request
        .response
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(CoreError::adapter)
}

/// A form version of the practice.
pub async fn find_form(tx: &TenantTx, id: Uuid) -> CoreResult<form::Model> {
    tx.find::<form::Entity>()
        .filter(form::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// A form request of the practice, unaudited.
pub async fn find_request(tx: &TenantTx, id: Uuid) -> CoreResult<form_request::Model> {
    tx.find::<form_request::Entity>()
        .filter(form_request::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}
