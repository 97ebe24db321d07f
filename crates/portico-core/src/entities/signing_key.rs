//! `signing_keys`: the platform's access-token keys. The newest unretired key signs; every
//! key verifies until it is deleted, which gives rotation its overlap.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    /// `EdDSA`.
    pub algorithm: String,
    /// Base64 of the Ed25519 seed, sealed with the secrets key (`v1:...`, bound to the
    /// `kid`); a row written before sealing holds the bare seed until the next start-up.
    pub private_key: String,
    /// Base64url of the Ed25519 public key (the JWK's `x`).
    pub public_key: String,
    pub created_at: DateTimeUtc,
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
