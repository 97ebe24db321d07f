//! `users`: everyone who signs in, always within one tenant (the same email at two practices
//! is two accounts).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stored lower-cased; unique per tenant.
    pub email: String,
    pub display_name: String,
    /// `staff`, `patient` or `operator`.
    pub kind: String,
    /// `active` or `disabled`.
    pub status: String,
    pub password_hash: Option<String>,
    /// One of [`crate::identity::Role`].
    pub role: String,
    /// Base32 TOTP secret in force.
    pub totp_secret: Option<String>,
    /// A new secret waiting for its first code; the one in force stays until then.
    pub totp_pending_secret: Option<String>,
    /// Set when the first code was confirmed: from then on sign-in asks for a code.
    pub totp_enabled_at: Option<DateTimeUtc>,
    /// The last 30-second TOTP step a code was accepted for: a code is never accepted twice.
    pub totp_last_step: Option<i64>,
    pub created_at: DateTimeUtc,
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
