//! `diagnostic_reports`: a diagnostic report grouping observations.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "diagnostic_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub encounter_id: Option<Uuid>,
    /// FHIR: `preliminary`, `final`, `amended`, `corrected`, `entered-in-error`.
    pub status: String,
    /// LOINC code of the panel or study.
    pub code: String,
    pub display: String,
    pub conclusion: Option<String>,
    pub effective_at: DateTimeUtc,
    pub issued_at: Option<DateTimeUtc>,
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
