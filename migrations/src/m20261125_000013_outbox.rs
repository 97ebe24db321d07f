//! The transactional outbox: a business transaction writes the messages it means to send in
//! the same transaction; a relay hands them to the job queue and a worker delivers each once.

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
                new_tenant_table("outbox_messages")
                    // `email` (SMS and other channels come with the notification rules).
                    .col(col("channel").string_len(16).not_null())
                    // One effect, one key: a second write with the same key is a no-op.
                    .col(col("idempotency_key").string_len(200).not_null())
                    // The rendered message (JSON); never PHI, like every notification.
                    .col(col("payload").text().not_null())
                    .col(ts("created_at").not_null())
                    // Handed to the job queue (at least once).
                    .col(ts("relayed_at").null())
                    // A worker delivering it holds it until then (a crashed worker's claim lapses).
                    .col(ts("claimed_until").null())
                    .col(ts("delivered_at").null())
                    .col(col("attempts").integer().not_null())
                    // After a failure, not before this (exponential backoff).
                    .col(ts("next_attempt_at").null())
                    .col(col("last_error").string_len(300).null())
                    .to_owned(),
            )
            .await?;
        for index in [
            tenant_index(
                "ux_outbox_idempotency",
                Alias::new("outbox_messages"),
                &["idempotency_key"],
                true,
            ),
            tenant_index(
                "ix_outbox_pending",
                Alias::new("outbox_messages"),
                &["relayed_at", "created_at"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        postgres::tenant_table(manager, "outbox_messages", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }
}
