//! FHIR Bulk Data export for SMART Backend Services: a backend service is a `smart_apps` row
//! with the public keys (a JWK set) it signs its token requests with; each assertion's `jti`
//! is kept until it expires so that none is accepted twice; each `$export` is a row that a
//! queue job fills with NDJSON files (kept in the attachment store) until it expires.

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
            .alter_table(
                Table::alter()
                    .table(Alias::new("smart_apps"))
                    // A backend service's public keys (a JWK set, JSON); null for an app a
                    // patient launches.
                    .add_column(col("jwks").string_len(20000).null().to_owned())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("smart_assertions")
                    .col(col("app_id").uuid().not_null())
                    .col(col("jti").string_len(200).not_null())
                    // When the assertion expires: until then its `jti` may not come again.
                    .col(ts("expires_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_smart_assertions_app",
                        Alias::new("smart_assertions"),
                        Alias::new("app_id"),
                        Alias::new("smart_apps"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("bulk_exports")
                    .col(col("app_id").uuid().not_null())
                    // `system` or `patient` (every chart of the practice either way).
                    .col(col("level").string_len(20).not_null())
                    // Comma-separated resource types.
                    .col(col("types").string_len(1000).not_null())
                    .col(ts("since").null())
                    // Whether the practice's policies let the service see readings patients
                    // record at home (appointments are left out of `types` when not).
                    .col(col("home_readings").boolean().not_null())
                    // The kick-off request's URL (resource types and `_since`, never PHI).
                    .col(col("request").string_len(2000).not_null())
                    // queued, running, complete, failed, cancelled
                    .col(col("status").string_len(20).not_null())
                    .col(col("charts_done").integer().not_null())
                    .col(col("charts_total").integer().not_null())
                    // Charts left out because they are restricted.
                    .col(col("charts_withheld").integer().not_null())
                    .col(col("error").string_len(500).null())
                    .col(ts("created_at").not_null())
                    // The data's point in time (`transactionTime`): when the run began.
                    .col(ts("started_at").null())
                    .col(ts("completed_at").null())
                    // Set by a running export as it goes: one silent for long was cut off.
                    .col(ts("heartbeat_at").null())
                    .col(ts("expires_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_bulk_exports_app",
                        Alias::new("bulk_exports"),
                        Alias::new("app_id"),
                        Alias::new("smart_apps"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("bulk_export_files")
                    .col(col("export_id").uuid().not_null())
                    .col(col("resource_type").string_len(40).not_null())
                    // Where the NDJSON is in the attachment store.
                    .col(col("object_key").string_len(300).not_null())
                    .col(col("resources").integer().not_null())
                    .col(col("bytes").big_integer().not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_bulk_export_files_export",
                        Alias::new("bulk_export_files"),
                        Alias::new("export_id"),
                        Alias::new("bulk_exports"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        for index in [
            tenant_index(
                "ux_smart_assertions_jti",
                Alias::new("smart_assertions"),
                &["app_id", "jti"],
                true,
            ),
            tenant_index(
                "ix_bulk_exports_app",
                Alias::new("bulk_exports"),
                &["app_id", "created_at"],
                false,
            ),
            tenant_index(
                "ix_bulk_export_files_export",
                Alias::new("bulk_export_files"),
                &["export_id"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        for table in ["smart_assertions", "bulk_exports", "bulk_export_files"] {
            postgres::tenant_table(manager, table, "SELECT, INSERT, UPDATE, DELETE").await?;
        }
        crate::sqlite::length_guards(manager).await
    }
}
