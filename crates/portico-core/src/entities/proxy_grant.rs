//! `proxy_grants`: another user's scoped, revocable access to a chart.

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proxy_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The user acting for the patient (a parent, a caregiver); unset until someone has an
    /// account with `grantee_email`.
    pub grantee_id: Option<Uuid>,
    /// The address the grant was made to (lower-cased).
    pub grantee_email: String,
    /// Comma-separated: `read`, `message`, `book`.
    pub scopes: String,
    pub granted_by: Uuid,
    pub created_at: DateTimeUtc,
    /// The grant lapses by itself at this time, when set.
    pub ends_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
