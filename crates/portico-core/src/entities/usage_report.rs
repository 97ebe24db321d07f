//! `usage_reports`: a practice's monthly active patients for one month, reported to the
//! payment provider once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// The first day of the month.
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_start: Date,
    pub monthly_active: i64,
    pub identifier: String,
    pub created_at: DateTimeUtc,
    pub reported_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
