//! `passkeys`: a WebAuthn credential a person signs in with (a discoverable one, verified by
//! the device's PIN or biometrics, so it is both factors at once).

use sea_orm::entity::prelude::*;

use crate::tenancy::TenantOwned;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passkeys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// What the person called it ("Work laptop").
    pub name: String,
    /// base64url of the credential id; unique per practice.
    pub credential_id: String,
    /// The relying-party id (a host) it was made for; it only works there.
    pub rp_id: String,
    /// The serialised webauthn-rs `Passkey` (public key, signature counter, backup state).
    pub credential: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}
