//! `appointment_types`: what can be booked and how.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointment_types")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub duration_minutes: i32,
    /// `in_person` or `video`.
    pub mode: String,
    /// Whether patients may book it in the portal (staff always can).
    pub bookable_online: bool,
    /// `any`, `new` (no earlier visit) or `established` (an earlier visit).
    pub eligibility: String,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    /// Nothing bookable sooner than this from now.
    pub min_lead_minutes: i32,
    /// Nothing bookable later than this from now.
    pub horizon_days: i32,
    pub active: bool,
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
