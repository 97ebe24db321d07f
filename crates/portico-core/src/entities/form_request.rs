//! `form_requests`: a form asked of a patient (with a visit, or sent by staff) and their
//! answers as a FHIR R4 `QuestionnaireResponse`.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The form version asked for (answers are kept against it).
    pub form_id: Uuid,
    pub patient_id: Uuid,
    /// The visit it came with; null when staff sent it on its own.
    pub appointment_id: Option<Uuid>,
    /// `pending`, `in_progress`, `completed` or `withdrawn`.
    pub status: String,
    pub due_on: Option<Date>,
    /// The QuestionnaireResponse (JSON): a draft, or the submitted answers.
    pub response: Option<String>,
    pub requested_by: Option<Uuid>,
    pub answered_by: Option<Uuid>,
    pub submitted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
