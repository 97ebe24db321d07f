//! SMART App Launch: the apps a practice registers (public, or confidential with a secret),
//! each grant a patient gives an app to read one chart with chosen scopes (its refresh token
//! rotating, the one before kept to catch a stolen copy), and each authorization request
//! from the app's first redirect to the code it is exchanged for.

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
                new_tenant_table("smart_apps")
                    .col(col("name").string_len(100).not_null())
                    // What the app sends as `client_id` (`app_...`).
                    .col(col("client_id").string_len(60).not_null())
                    // Newline-separated; a request's `redirect_uri` must be one exactly.
                    .col(col("redirect_uris").string_len(2000).not_null())
                    // SHA-256 of a confidential app's secret (hex); null for a public app.
                    .col(col("secret_hash").string_len(64).null())
                    .col(ts("disabled_at").null())
                    .col(col("created_by").uuid().not_null())
                    .col(ts("created_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("smart_grants")
                    .col(col("app_id").uuid().not_null())
                    .col(col("user_id").uuid().not_null())
                    // The chart the app reads.
                    .col(col("patient_id").uuid().not_null())
                    // Space-separated, as granted.
                    .col(col("scopes").string_len(1000).not_null())
                    // SHA-256 (hex) of the refresh token, and of the one it replaced.
                    .col(col("refresh_hash").string_len(64).null())
                    .col(col("previous_refresh_hash").string_len(64).null())
                    .col(ts("refresh_expires_at").null())
                    .col(ts("created_at").not_null())
                    .col(ts("last_used_at").null())
                    .col(ts("revoked_at").null())
                    .foreign_key(&mut tenant_fk(
                        "fk_smart_grants_app",
                        Alias::new("smart_grants"),
                        Alias::new("app_id"),
                        Alias::new("smart_apps"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("smart_requests")
                    .col(col("app_id").uuid().not_null())
                    .col(col("redirect_uri").string_len(2000).not_null())
                    .col(col("scopes").string_len(1000).not_null())
                    .col(col("state").string_len(500).null())
                    // PKCE: the S256 challenge of the app's verifier.
                    .col(col("code_challenge").string_len(128).not_null())
                    .col(ts("expires_at").not_null())
                    // Set once the patient approves: the grant and the code's SHA-256.
                    .col(col("grant_id").uuid().null())
                    .col(col("code_hash").string_len(64).null())
                    .col(ts("used_at").null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_smart_requests_app",
                        Alias::new("smart_requests"),
                        Alias::new("app_id"),
                        Alias::new("smart_apps"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        for index in [
            tenant_index(
                "ux_smart_apps_client",
                Alias::new("smart_apps"),
                &["client_id"],
                true,
            ),
            tenant_index(
                "ix_smart_grants_user",
                Alias::new("smart_grants"),
                &["user_id", "created_at"],
                false,
            ),
            tenant_index(
                "ix_smart_grants_refresh",
                Alias::new("smart_grants"),
                &["refresh_hash"],
                false,
            ),
            tenant_index(
                "ix_smart_requests_code",
                Alias::new("smart_requests"),
                &["code_hash"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        for table in ["smart_apps", "smart_grants", "smart_requests"] {
            postgres::tenant_table(manager, table, "SELECT, INSERT, UPDATE, DELETE").await?;
        }
        crate::sqlite::length_guards(manager).await
    }
}
