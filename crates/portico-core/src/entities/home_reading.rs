//! `home_readings`: a reading a patient (or their proxy) recorded at home.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "home_readings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    /// A [`crate::readings::Kind`] code.
    pub kind: String,
    /// LOINC of the reading (the panel for blood pressure).
    pub code: String,
    /// As given, in `unit`; `value2` is the diastolic of a blood pressure.
    #[sea_orm(column_type = "Double")]
    pub value: f64,
    #[sea_orm(column_type = "Double", nullable)]
    pub value2: Option<f64>,
    /// UCUM.
    pub unit: String,
    /// In `canonical_unit`, the unit thresholds are set in.
    #[sea_orm(column_type = "Double")]
    pub normalised: f64,
    #[sea_orm(column_type = "Double", nullable)]
    pub normalised2: Option<f64>,
    pub canonical_unit: String,
    pub taken_at: DateTimeUtc,
    /// `patient-reported`.
    pub source: String,
    /// The patient's user or the proxy's.
    pub recorded_by: Uuid,
    pub by_proxy: bool,
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
