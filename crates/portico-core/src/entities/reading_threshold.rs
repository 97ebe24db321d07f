//! `reading_thresholds`: low and high bounds of one measure of a kind of home reading, for
//! the practice (the default) or one patient (overriding the practice's for that kind).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reading_thresholds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `None`: the practice's.
    pub patient_id: Option<Uuid>,
    /// `practice` or the patient's id (unique with kind and measure).
    pub scope_key: String,
    pub kind: String,
    /// `systolic`, `diastolic` or `value`.
    pub measure: String,
    /// In the kind's canonical unit.
    #[sea_orm(column_type = "Double", nullable)]
    pub low: Option<f64>,
    #[sea_orm(column_type = "Double", nullable)]
    pub high: Option<f64>,
    /// What the practice wants the patient to do when a reading is beyond it.
    pub instruction: String,
    pub updated_by: Uuid,
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
