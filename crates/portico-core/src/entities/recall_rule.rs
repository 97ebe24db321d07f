//! `recall_rules`: a practice's preventive-care recall (a visit type every so many months, for
//! patients of an age range and, optionally, one sex).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recall_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// For staff only: never put in a message to the patient.
    pub name: String,
    pub appointment_type_id: Uuid,
    pub interval_months: i32,
    pub min_age: i32,
    pub max_age: Option<i32>,
    /// `female` or `male`; any when unset.
    pub sex: Option<String>,
    pub active: bool,
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
