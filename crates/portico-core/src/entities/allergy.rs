//! `allergies`: an allergy or intolerance.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "allergies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    /// `active`, `inactive`, `resolved`, `entered-in-error`.
    pub status: String,
    pub substance: String,
    pub code: Option<String>,
    pub reaction: Option<String>,
    /// `mild`, `moderate`, `severe`.
    pub severity: Option<String>,
    pub recorded_on: Option<Date>,
    /// FHIR `clinicalStatus` as the EHR sent it (`active`, `inactive`, `resolved`).
    pub clinical_status: Option<String>,
    /// FHIR `verificationStatus` as the EHR sent it (`unconfirmed`, `confirmed`, `refuted`,
    /// `entered-in-error`).
    pub verification_status: Option<String>,
    /// JSON of [`crate::records::detail::AllergyDetail`]: codings and every reaction.
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
