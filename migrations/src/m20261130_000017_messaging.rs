//! Secure messaging: a practice's care-team pools and their members, threads between a
//! patient's chart and a pool, the messages in them (internal notes included), attachments
//! kept in the attachment store, and each participant's read mark. Also the practice's
//! response-time target.

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
                    .table(Alias::new("tenants"))
                    // Hours within which a patient's message should be answered; the platform
                    // default when unset.
                    .add_column(col("message_response_target_hours").integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("care_team_pools")
                    .col(col("name").string_len(100).not_null())
                    // `front_desk`, `nurse_line`, `billing`, `provider` or `other`.
                    .col(col("kind").string_len(20).not_null())
                    // A provider's own team: patients write "to their provider" through it.
                    .col(col("provider_id").uuid().null())
                    .col(col("active").boolean().not_null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_care_team_pools_provider",
                        Alias::new("care_team_pools"),
                        Alias::new("provider_id"),
                        Alias::new("providers"),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("care_team_pool_members")
                    .col(col("pool_id").uuid().not_null())
                    .col(col("user_id").uuid().not_null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_pool_members_pool",
                        Alias::new("care_team_pool_members"),
                        Alias::new("pool_id"),
                        Alias::new("care_team_pools"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("message_threads")
                    .col(col("patient_id").uuid().not_null())
                    .col(col("pool_id").uuid().not_null())
                    // `medical_question`, `appointment`, `prescription`, `test_result`,
                    // `billing` or `other`.
                    .col(col("category").string_len(30).not_null())
                    .col(col("subject").string_len(200).not_null())
                    // `open` or `closed`.
                    .col(col("status").string_len(16).not_null())
                    .col(col("assignee_id").uuid().null())
                    .col(col("started_by").uuid().not_null())
                    .col(col("started_by_staff").boolean().not_null())
                    // The oldest patient message the care team has not answered yet: the
                    // response-time target runs from here.
                    .col(ts("awaiting_reply_since").null())
                    .col(ts("last_message_at").not_null())
                    .col(ts("closed_at").null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_message_threads_patient",
                        Alias::new("message_threads"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_message_threads_pool",
                        Alias::new("message_threads"),
                        Alias::new("pool_id"),
                        Alias::new("care_team_pools"),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("thread_messages")
                    .col(col("thread_id").uuid().not_null())
                    .col(col("author_id").uuid().not_null())
                    // `patient`, `proxy` or `staff`.
                    .col(col("author_kind").string_len(16).not_null())
                    .col(col("body").text().not_null())
                    // A note among staff: never shown to the patient or a proxy.
                    .col(col("internal").boolean().not_null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_thread_messages_thread",
                        Alias::new("thread_messages"),
                        Alias::new("thread_id"),
                        Alias::new("message_threads"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("message_attachments")
                    // Set when the upload is sent with a message; until then only its uploader
                    // sees it.
                    .col(col("message_id").uuid().null())
                    .col(col("uploaded_by").uuid().not_null())
                    .col(col("file_name").string_len(200).not_null())
                    // Detected from the content, not the name.
                    .col(col("content_type").string_len(100).not_null())
                    .col(col("size_bytes").big_integer().not_null())
                    .col(col("sha256").string_len(64).not_null())
                    .col(col("storage_key").string_len(300).not_null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_message_attachments_message",
                        Alias::new("message_attachments"),
                        Alias::new("message_id"),
                        Alias::new("thread_messages"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("thread_reads")
                    .col(col("thread_id").uuid().not_null())
                    .col(col("user_id").uuid().not_null())
                    .col(ts("last_read_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_thread_reads_thread",
                        Alias::new("thread_reads"),
                        Alias::new("thread_id"),
                        Alias::new("message_threads"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        for index in [
            tenant_index(
                "ux_care_team_pools_name",
                Alias::new("care_team_pools"),
                &["name"],
                true,
            ),
            tenant_index(
                "ux_pool_members",
                Alias::new("care_team_pool_members"),
                &["pool_id", "user_id"],
                true,
            ),
            tenant_index(
                "ix_pool_members_user",
                Alias::new("care_team_pool_members"),
                &["user_id"],
                false,
            ),
            tenant_index(
                "ix_message_threads_patient",
                Alias::new("message_threads"),
                &["patient_id", "last_message_at"],
                false,
            ),
            tenant_index(
                "ix_message_threads_inbox",
                Alias::new("message_threads"),
                &["pool_id", "status", "last_message_at"],
                false,
            ),
            tenant_index(
                "ix_message_threads_assignee",
                Alias::new("message_threads"),
                &["assignee_id", "status"],
                false,
            ),
            tenant_index(
                "ix_thread_messages_thread",
                Alias::new("thread_messages"),
                &["thread_id", "created_at"],
                false,
            ),
            tenant_index(
                "ix_message_attachments_message",
                Alias::new("message_attachments"),
                &["message_id"],
                false,
            ),
            tenant_index(
                "ux_thread_reads",
                Alias::new("thread_reads"),
                &["thread_id", "user_id"],
                true,
            ),
        ] {
            manager.create_index(index).await?;
        }
        for (table, grants) in [
            ("care_team_pools", "SELECT, INSERT, UPDATE"),
            ("care_team_pool_members", "SELECT, INSERT, DELETE"),
            ("message_threads", "SELECT, INSERT, UPDATE"),
            ("thread_messages", "SELECT, INSERT"),
            ("message_attachments", "SELECT, INSERT, UPDATE, DELETE"),
            ("thread_reads", "SELECT, INSERT, UPDATE"),
        ] {
            postgres::tenant_table(manager, table, grants).await?;
        }
        Ok(())
    }
}
