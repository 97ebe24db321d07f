//! `conditions`: an entry of the problem list.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conditions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    /// Clinical status `active`, `recurrence`, `relapse`, `inactive`, `remission`,
    /// `resolved`, or `entered-in-error`.
    pub status: String,
    /// SNOMED CT or ICD-10-CM code.
    pub code: Option<String>,
    pub name: String,
    pub onset_on: Option<Date>,
    pub abated_on: Option<Date>,
    /// FHIR `clinicalStatus` as the EHR sent it.
    pub clinical_status: Option<String>,
    /// FHIR `verificationStatus` as the EHR sent it (`unconfirmed`, `provisional`,
    /// `differential`, `confirmed`, `refuted`, `entered-in-error`).
    pub verification_status: Option<String>,
    /// JSON of [`crate::records::detail::ConditionDetail`]: the code's codings.
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
