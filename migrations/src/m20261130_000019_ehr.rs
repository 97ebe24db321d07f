//! EHR sync: a practice's FHIR connection (secrets sealed), the `_lastUpdated` mark per
//! resource type, the map from FHIR ids to Portico's ids, each sync run with its counts and
//! the resources it refused, and the staff review queue (ambiguous patient matches and
//! write-back conflicts).

use sea_orm_migration::prelude::*;

use crate::{
    postgres,
    shape::{col, new_tenant_table, tenant_index},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |name: &'static str| col(name).timestamp_with_time_zone().to_owned();
        manager
            .create_table(
                new_tenant_table("ehr_connections")
                    .col(col("base_url").string_len(500).not_null())
                    // `smart` (backend services) or `bearer` (a static token, sandboxes).
                    .col(col("auth_kind").string_len(10).not_null())
                    .col(col("client_id").string_len(200).null())
                    .col(col("key_id").string_len(200).null())
                    .col(col("token_endpoint").string_len(500).null())
                    .col(col("scope").string_len(500).null())
                    // The private key or the token, sealed with the deployment's secrets
                    // key and bound to the tenant; never returned by the API.
                    .col(col("sealed_secret").text().not_null())
                    .col(col("sync_interval_minutes").integer().not_null())
                    // FHIR resource types pulled, comma separated.
                    .col(col("resource_types").string_len(500).not_null())
                    .col(col("enabled").boolean().not_null())
                    // Failed runs in a row; the next run backs off by them.
                    .col(col("failures").integer().not_null())
                    .col(ts("next_run_at").null())
                    // Set while a run holds the connection (and refreshed by each page), so
                    // two workers never pull one practice at once; an old mark is a dead run.
                    .col(ts("running_since").null())
                    .col(col("running_run_id").uuid().null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("ehr_sync_marks")
                    .col(col("resource_type").string_len(40).not_null())
                    // The newest `meta.lastUpdated` applied; the next pull asks from it.
                    .col(ts("last_updated").null())
                    // Deletions are read from the type's history since this instant.
                    .col(ts("deleted_since").null())
                    .col(ts("updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("ehr_links")
                    .col(col("resource_type").string_len(40).not_null())
                    .col(col("fhir_id").string_len(64).not_null())
                    .col(col("local_id").uuid().not_null())
                    .col(col("version_id").string_len(64).null())
                    // The chart the record belongs to (a local patient id), so a reference
                    // from another patient's record is refused.
                    .col(col("patient_id").uuid().null())
                    .col(ts("updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("ehr_sync_runs")
                    // `schedule`, `manual` or `review` (a patient pulled after a match).
                    .col(col("trigger").string_len(10).not_null())
                    // `running`, `succeeded`, `partial` (some resources refused) or `failed`.
                    .col(col("status").string_len(10).not_null())
                    // `{ "Patient": { "fetched": n, "applied": n, ... }, ... }`.
                    .col(col("counts").text().not_null())
                    .col(col("error_code").string_len(40).null())
                    // Free of PHI: a status line, never a response body.
                    .col(col("error").string_len(500).null())
                    .col(ts("started_at").not_null())
                    .col(ts("finished_at").null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("ehr_rejections")
                    .col(col("run_id").uuid().not_null())
                    .col(col("resource_type").string_len(40).not_null())
                    .col(col("fhir_id").string_len(64).null())
                    .col(col("code").string_len(40).not_null())
                    .col(ts("created_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("ehr_reviews")
                    // `patient_match` or `write_conflict`.
                    .col(col("kind").string_len(20).not_null())
                    .col(col("resource_type").string_len(40).not_null())
                    .col(col("fhir_id").string_len(64).not_null())
                    // Matches: the candidate patients (JSON array of ids). Conflicts: the
                    // patient whose change was not written.
                    .col(col("candidates").text().not_null())
                    .col(col("patient_id").uuid().null())
                    .col(col("outbox_id").uuid().null())
                    // `open` or `resolved`.
                    .col(col("status").string_len(10).not_null())
                    .col(col("resolution").string_len(20).null())
                    .col(col("resolved_by").uuid().null())
                    .col(ts("resolved_at").null())
                    .col(ts("created_at").not_null())
                    .to_owned(),
            )
            .await?;
        for index in [
            tenant_index(
                "ux_ehr_connections",
                Alias::new("ehr_connections"),
                &[],
                true,
            ),
            tenant_index(
                "ux_ehr_sync_marks",
                Alias::new("ehr_sync_marks"),
                &["resource_type"],
                true,
            ),
            tenant_index(
                "ux_ehr_links_fhir",
                Alias::new("ehr_links"),
                &["resource_type", "fhir_id"],
                true,
            ),
            tenant_index(
                "ix_ehr_links_local",
                Alias::new("ehr_links"),
                &["resource_type", "local_id"],
                false,
            ),
            tenant_index(
                "ix_ehr_sync_runs_started",
                Alias::new("ehr_sync_runs"),
                &["started_at"],
                false,
            ),
            tenant_index(
                "ix_ehr_rejections_run",
                Alias::new("ehr_rejections"),
                &["run_id"],
                false,
            ),
            tenant_index(
                "ux_ehr_reviews_subject",
                Alias::new("ehr_reviews"),
                &["kind", "resource_type", "fhir_id"],
                true,
            ),
            tenant_index(
                "ix_ehr_reviews_status",
                Alias::new("ehr_reviews"),
                &["status", "created_at"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        for table in [
            "ehr_connections",
            "ehr_sync_marks",
            "ehr_links",
            "ehr_sync_runs",
            "ehr_reviews",
        ] {
            postgres::tenant_table(manager, table, "SELECT, INSERT, UPDATE, DELETE").await?;
        }
        postgres::tenant_table(manager, "ehr_rejections", "SELECT, INSERT").await?;
        Ok(())
    }
}
