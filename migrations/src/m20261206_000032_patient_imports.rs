//! Patient imports: a practice's existing patients brought in from a CSV file. One row per
//! file (unique by its SHA-256 within the practice, so the same file imported twice is the
//! same import) with its preview, status and progress; the file's text is kept beside it,
//! in its own table, so that polling the status never reads the file.

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
        let count = |name: &'static str| col(name).integer().not_null().default(0).to_owned();
        manager
            .create_table(
                new_tenant_table("patient_imports")
                    // Hex of the file's SHA-256.
                    .col(col("file_sha256").string_len(64).not_null())
                    .col(col("file_name").string_len(200).not_null())
                    // previewed, queued, running, done, failed.
                    .col(col("status").string_len(16).not_null())
                    .col(count("rows_total"))
                    .col(count("rows_done"))
                    // What the preview found: charts to create, rows already here, rows with
                    // an error.
                    .col(count("new_charts"))
                    .col(count("already_here"))
                    .col(count("error_rows"))
                    // What the import did.
                    .col(count("created"))
                    .col(count("skipped"))
                    // JSON: the first problems found (line, field, code, severity) and the
                    // count of each code. Never a value from the file.
                    .col(col("problems").text().not_null())
                    .col(col("problem_counts").text().not_null())
                    // Why a run failed, in words without PHI.
                    .col(col("failure").string_len(500).null())
                    .col(col("created_by").uuid().null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .col(ts("started_at").null())
                    .col(ts("finished_at").null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_index(
                "ux_patient_imports_tenant_sha256",
                Alias::new("patient_imports"),
                &["file_sha256"],
                true,
            ))
            .await?;
        postgres::tenant_table(manager, "patient_imports", "SELECT, INSERT, UPDATE, DELETE")
            .await?;

        manager
            .create_table(
                // `id` is the import's id.
                new_tenant_table("patient_import_files")
                    // The file as UTF-8 text (a byte-order mark removed).
                    .col(col("content").text().not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_patient_import_files_import",
                        Alias::new("patient_import_files"),
                        Alias::new("id"),
                        Alias::new("patient_imports"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        postgres::tenant_table(manager, "patient_import_files", "SELECT, INSERT, DELETE").await?;
        crate::sqlite::length_guards(manager).await
    }
}
