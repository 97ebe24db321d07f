//! `smart_apps`: the SMART apps a practice registered (see [`crate::smart`]).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "smart_apps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub client_id: String,
    /// Newline-separated.
    pub redirect_uris: String,
    /// SHA-256 (hex) of a confidential app's secret.
    pub secret_hash: Option<String>,
    pub disabled_at: Option<DateTimeUtc>,
    /// A backend service's public keys (a JWK set, JSON); `None` for a patient's app.
    pub jwks: Option<String>,
    pub created_by: Uuid,
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
