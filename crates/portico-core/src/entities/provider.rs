//! `providers`: a clinician patients can book with.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The provider's own staff account, when they have one.
    pub user_id: Option<Uuid>,
    pub display_name: String,
    pub specialty: Option<String>,
    pub active: bool,
    /// Who takes this provider's refill requests while they are away (a provider).
    pub covering_provider_id: Option<Uuid>,
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
