//! `appointments`: a patient's visit with a provider at a location.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub provider_id: Uuid,
    pub location_id: Uuid,
    pub appointment_type_id: Uuid,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// `booked`, `rescheduled`, `cancelled`, `completed`, `no_show`.
    pub status: String,
    pub booked_by: Option<Uuid>,
    /// `portal` (the patient or a proxy) or `staff`.
    pub booked_via: String,
    /// The appointment this one replaced.
    pub rescheduled_from: Option<Uuid>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancelled_by: Option<Uuid>,
    /// When the patient confirmed they will come (through a reminder's link).
    pub confirmed_at: Option<DateTimeUtc>,
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
