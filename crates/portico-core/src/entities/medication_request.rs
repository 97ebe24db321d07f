//! `medication_requests`: a prescription.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "medication_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    /// FHIR: `active`, `on-hold`, `cancelled`, `completed`, `stopped`, `entered-in-error`.
    pub status: String,
    pub name: String,
    pub rxnorm_code: Option<String>,
    /// Dosage instructions as written.
    pub dosage: String,
    pub refills_left: i32,
    /// The prescriber when they are a user of the practice...
    pub prescriber_id: Option<Uuid>,
    /// ... or their name when not (or as well).
    pub prescriber_name: Option<String>,
    pub last_filled_on: Option<Date>,
    /// A controlled substance: a refill needs a visit.
    pub controlled: bool,
    pub authored_at: DateTimeUtc,
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
