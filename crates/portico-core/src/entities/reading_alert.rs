//! `reading_alerts`: a home reading beyond a threshold, waiting in the care team's inbox
//! until someone acknowledges it. One per reading (unique index).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reading_alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reading_id: Uuid,
    pub patient_id: Uuid,
    /// The care-team pool that works it; `None` when the practice has no pool.
    pub pool_id: Option<Uuid>,
    /// The threshold crossed (no foreign key: it may be removed since).
    pub threshold_id: Option<Uuid>,
    /// The instruction the patient was shown.
    pub instruction: String,
    /// `open` or `acknowledged`.
    pub status: String,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledged_at: Option<DateTimeUtc>,
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
