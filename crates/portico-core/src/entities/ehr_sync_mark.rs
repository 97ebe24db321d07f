//! `ehr_sync_marks`: how far the pull of one resource type has come.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ehr_sync_marks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub resource_type: String,
    pub last_updated: Option<DateTimeUtc>,
    pub deleted_since: Option<DateTimeUtc>,
    /// `history` (the type's `_history`) or `reconciliation` (ids compared with the EHR's),
    /// as the last run found deletions.
    pub deletion_method: Option<String>,
    /// When the ids were last reconciled in full.
    pub reconciled_at: Option<DateTimeUtc>,
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
