//! `refresh_tokens`: one row per issued refresh token; a sign-in starts a family and each
//! refresh replaces the family's current token.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    /// Hex SHA-256 of the token; the token itself is never stored.
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub family_started_at: DateTimeUtc,
    /// The family's absolute end: no refresh goes past it.
    pub family_ends_at: DateTimeUtc,
    /// Unused past this instant, the session has idled out.
    pub idle_expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// The coarse device the family was started from ("Chrome · Linux"; empty when unknown).
    pub device: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
