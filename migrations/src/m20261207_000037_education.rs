//! Patient education: the practice's library of resources (a link or a short article, in one
//! language), the codes each one is about (ICD-10-CM, SNOMED CT, LOINC, RxNorm) so the portal
//! finds them beside matching problems, results and medications, and the resource a staff
//! member sends in a message.

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
                new_tenant_table("education_resources")
                    .col(col("title").string_len(200).not_null())
                    .col(col("summary").string_len(1000).not_null())
                    // `link` (an https address) or `article` (Markdown, rendered safely).
                    .col(col("kind").string_len(10).not_null())
                    .col(col("url").string_len(2000).null())
                    .col(col("body").string_len(20000).null())
                    // BCP 47, one of the portal's languages (`en`, `es`).
                    .col(col("language").string_len(10).not_null())
                    // Not about any code: found in the library, sent in messages, never
                    // shown beside a record.
                    .col(col("general").boolean().not_null().default(false))
                    // `active` or `archived` (kept: messages that sent it still point at it).
                    .col(col("status").string_len(20).not_null())
                    .col(col("created_by").uuid().not_null())
                    .col(col("updated_by").uuid().not_null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("education_resource_codes")
                    .col(col("resource_id").uuid().not_null())
                    // `icd10`, `snomed`, `loinc` or `rxnorm`.
                    .col(col("system").string_len(10).not_null())
                    .col(col("code").string_len(20).not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_education_resource_codes_resource",
                        Alias::new("education_resource_codes"),
                        Alias::new("resource_id"),
                        Alias::new("education_resources"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // A message may carry one resource of the library. No foreign key: SQLite cannot add
        // one to an existing table, and resources are archived, never deleted.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("thread_messages"))
                    .add_column(col("education_resource_id").uuid().null())
                    .to_owned(),
            )
            .await?;
        for index in [
            // The portal's lookup: resources about a code.
            tenant_index(
                "ix_education_resource_codes_lookup",
                Alias::new("education_resource_codes"),
                &["system", "code"],
                false,
            ),
            tenant_index(
                "ux_education_resource_codes_resource",
                Alias::new("education_resource_codes"),
                &["resource_id", "system", "code"],
                true,
            ),
            tenant_index(
                "ix_education_resources_status",
                Alias::new("education_resources"),
                &["status", "title"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        postgres::tenant_table(manager, "education_resources", "SELECT, INSERT, UPDATE").await?;
        postgres::tenant_table(
            manager,
            "education_resource_codes",
            "SELECT, INSERT, DELETE",
        )
        .await?;
        crate::sqlite::length_guards(manager).await
    }
}
