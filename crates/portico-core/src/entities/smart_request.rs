//! `smart_requests`: an app's authorization request, from its redirect to the portal's
//! consent page to the code it exchanges (see [`crate::smart`]).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "smart_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    pub redirect_uri: String,
    /// Space-separated, as asked.
    pub scopes: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub expires_at: DateTimeUtc,
    pub grant_id: Option<Uuid>,
    pub code_hash: Option<String>,
    pub used_at: Option<DateTimeUtc>,
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
