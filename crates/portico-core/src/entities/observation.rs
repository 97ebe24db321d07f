//! `observations`: one result (lab value, vital sign).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "observations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub report_id: Option<Uuid>,
    pub encounter_id: Option<Uuid>,
    /// FHIR: `preliminary`, `final`, `amended`, `corrected`, `entered-in-error`.
    pub status: String,
    /// LOINC code of the test.
    pub code: String,
    pub display: String,
    #[sea_orm(column_type = "Double", nullable)]
    pub value_num: Option<f64>,
    /// UCUM unit of `value_num`.
    pub unit: Option<String>,
    pub value_text: Option<String>,
    #[sea_orm(column_type = "Double", nullable)]
    pub range_low: Option<f64>,
    #[sea_orm(column_type = "Double", nullable)]
    pub range_high: Option<f64>,
    pub range_text: Option<String>,
    /// HL7 v3 interpretation: `N`, `H`, `L`, `HH`, `LL`, `A`, `AA`.
    pub interpretation: Option<String>,
    pub effective_at: DateTimeUtc,
    /// `laboratory` or `vital-signs` (`None`: laboratory, entered before vital signs were).
    pub category: Option<String>,
    /// JSON of [`crate::records::detail::ObservationDetail`]: codings, units, range,
    /// components.
    pub detail: Option<String>,
    /// Where the record came from (`portal` for staff entry, later `ehr`).
    pub source: Option<String>,
    /// Its id in the source system (for the EHR sync).
    pub external_id: Option<String>,
    /// The staff user who entered or last corrected it.
    pub entered_by: Option<Uuid>,
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
