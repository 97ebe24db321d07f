//! `immunizations`: a vaccine given (or not).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "immunizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    /// FHIR: `completed`, `not-done`, `entered-in-error`.
    pub status: String,
    /// CVX code.
    pub vaccine_code: Option<String>,
    pub vaccine_name: String,
    pub occurred_on: Date,
    /// When the next dose (or booster) is due, for reminders.
    pub next_due_on: Option<Date>,
    /// FHIR `primarySource`: recorded by whoever gave the vaccine (`None`: not said).
    pub primary_source: Option<bool>,
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
