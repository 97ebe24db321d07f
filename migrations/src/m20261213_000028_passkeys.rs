//! Passkeys (WebAuthn): the credentials people sign in with instead of a password, and the
//! challenges of ceremonies under way. Both are tenant tables: a passkey made at one practice
//! never signs in at another, and a challenge is answered at the practice that issued it.
//!
//! A challenge is kept in the database (not in a process's memory) so that `begin…` and
//! `finish…` may reach different instances; it is deleted when answered (single use).

use sea_orm_migration::prelude::*;

use crate::{
    postgres,
    shape::{col, new_tenant_table, tenant_fk, tenant_index},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |name: &'static str| col(name).timestamp_with_time_zone().to_owned();
        manager
            .create_table(
                new_tenant_table("passkeys")
                    .col(col("user_id").uuid().not_null())
                    .col(col("name").string_len(64).not_null())
                    // base64url of the credential id (at most 1023 bytes).
                    .col(col("credential_id").string_len(1400).not_null())
                    // The RP ID (host) the passkey was made for.
                    .col(col("rp_id").string_len(253).not_null())
                    // webauthn-rs's `Passkey`, serialised: public key, counter, backup state.
                    .col(col("credential").text().not_null())
                    .col(ts("created_at").not_null())
                    .col(ts("last_used_at").null())
                    .foreign_key(&mut tenant_fk(
                        "fk_passkeys_user",
                        Alias::new("passkeys"),
                        Alias::new("user_id"),
                        Alias::new("users"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_index(
                "ux_passkeys_tenant_credential",
                Alias::new("passkeys"),
                &["credential_id"],
                true,
            ))
            .await?;
        manager
            .create_index(tenant_index(
                "ix_passkeys_tenant_user",
                Alias::new("passkeys"),
                &["user_id"],
                false,
            ))
            .await?;
        postgres::tenant_table(manager, "passkeys", "SELECT, INSERT, UPDATE, DELETE").await?;

        manager
            .create_table(
                new_tenant_table("passkey_challenges")
                    // `register` or `sign_in`.
                    .col(col("kind").string_len(16).not_null())
                    // Who is registering; none for a sign-in (the passkey names the account).
                    .col(col("user_id").uuid().null())
                    .col(col("rp_id").string_len(253).not_null())
                    .col(col("origin").string_len(300).not_null())
                    // webauthn-rs's ceremony state, serialised.
                    .col(col("state").text().not_null())
                    .col(ts("created_at").not_null())
                    .col(ts("expires_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_passkey_challenges_user",
                        Alias::new("passkey_challenges"),
                        Alias::new("user_id"),
                        Alias::new("users"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_index(
                "ix_passkey_challenges_tenant_expires",
                Alias::new("passkey_challenges"),
                &["expires_at"],
                false,
            ))
            .await?;
        postgres::tenant_table(manager, "passkey_challenges", "SELECT, INSERT, DELETE").await?;
        crate::sqlite::length_guards(manager).await
    }
}
