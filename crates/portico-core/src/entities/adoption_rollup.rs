//! `adoption_rollups`: a practice's adoption figures for one of its days.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "adoption_rollups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub day: Date,
    pub patients: i64,
    pub activated: i64,
    pub daily_active: i64,
    pub monthly_active: i64,
    pub bookings: i64,
    pub online_bookings: i64,
    pub completed_visits: i64,
    pub no_shows: i64,
    pub reminders_sent: i64,
    pub reminders_delivered: i64,
    pub recalls_sent: i64,
    pub recall_bookings: i64,
    pub messages_in: i64,
    pub messages_out: i64,
    pub median_first_response_minutes: Option<i64>,
    pub refills_requested: i64,
    pub refills_decided: i64,
    pub median_refill_turnaround_minutes: Option<i64>,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
