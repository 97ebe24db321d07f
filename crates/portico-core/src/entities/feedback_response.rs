//! `feedback_responses`: a patient's answer to a survey or their feedback from the portal's
//! form, and who on the staff handled it.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub invitation_id: Option<Uuid>,
    pub appointment_id: Option<Uuid>,
    pub provider_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    /// 0-10.
    pub rating: Option<i32>,
    pub comment: Option<String>,
    /// `survey` or `portal`.
    pub source: String,
    pub submitted_by: Option<Uuid>,
    pub handled_by: Option<Uuid>,
    pub handled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
