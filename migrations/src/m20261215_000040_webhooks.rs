//! Outbound webhooks: the endpoints a practice registers with the event types it wants, one
//! delivery per (event, endpoint) written in the transaction that did what the event tells
//! (the webhooks' own outbox), and each attempt at a delivery with its status code and time.

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
                new_tenant_table("webhook_endpoints")
                    .col(col("url").string_len(2000).not_null())
                    .col(col("description").string_len(200).not_null())
                    // Comma-separated event types (`appointment.booked,message.received`).
                    .col(col("event_types").string_len(1000).not_null())
                    // The signing secret (`whsec_...`), sealed with the deployment's key.
                    .col(col("secret_sealed").string_len(500).not_null())
                    // The secret before the last rotation, also signed with until it lapses.
                    .col(col("previous_secret_sealed").string_len(500).null())
                    .col(ts("previous_secret_until").null())
                    .col(ts("disabled_at").null())
                    // `manual` (an admin turned it off) or `failing` (deliveries failed for
                    // good with no success since).
                    .col(col("disabled_reason").string_len(20).null())
                    .col(col("created_by").uuid().not_null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("webhook_deliveries")
                    .col(col("endpoint_id").uuid().not_null())
                    // The `webhook-id` header (`msg_...`): the same on every attempt and on a
                    // replay, so a receiver can tell a message it already handled.
                    .col(col("message_id").string_len(40).not_null())
                    .col(col("event_type").string_len(60).not_null())
                    // The body, JSON with the event type and ids only.
                    .col(col("payload").string_len(2000).not_null())
                    // `pending`, `delivered` or `failed` (given up).
                    .col(col("status").string_len(20).not_null())
                    .col(col("attempts").integer().not_null())
                    // Due from; null once delivered or given up.
                    .col(ts("next_attempt_at").null())
                    // Handed to the queue at (the relay hands it out again once this is
                    // older than a claim and it is still pending).
                    .col(ts("relayed_at").null())
                    .col(ts("claimed_until").null())
                    .col(ts("delivered_at").null())
                    .col(col("last_status_code").integer().null())
                    .col(col("last_error").string_len(60).null())
                    // The delivery this one replays, if any.
                    .col(col("replay_of").uuid().null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_webhook_deliveries_endpoint",
                        Alias::new("webhook_deliveries"),
                        Alias::new("endpoint_id"),
                        Alias::new("webhook_endpoints"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("webhook_attempts")
                    .col(col("delivery_id").uuid().not_null())
                    .col(ts("attempted_at").not_null())
                    // The receiver's HTTP status; null when no answer came.
                    .col(col("status_code").integer().null())
                    .col(col("duration_ms").integer().not_null())
                    // A stable code when the attempt failed (`HTTP_STATUS`, `TIMEOUT`...).
                    .col(col("error").string_len(60).null())
                    .foreign_key(&mut tenant_fk(
                        "fk_webhook_attempts_delivery",
                        Alias::new("webhook_attempts"),
                        Alias::new("delivery_id"),
                        Alias::new("webhook_deliveries"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        for index in [
            // The relay's scan: pending deliveries by when they are due.
            tenant_index(
                "ix_webhook_deliveries_due",
                Alias::new("webhook_deliveries"),
                &["status", "next_attempt_at"],
                false,
            ),
            // An endpoint's delivery log, newest first.
            tenant_index(
                "ix_webhook_deliveries_endpoint",
                Alias::new("webhook_deliveries"),
                &["endpoint_id", "created_at"],
                false,
            ),
            tenant_index(
                "ix_webhook_attempts_delivery",
                Alias::new("webhook_attempts"),
                &["delivery_id", "attempted_at"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        postgres::tenant_table(
            manager,
            "webhook_endpoints",
            "SELECT, INSERT, UPDATE, DELETE",
        )
        .await?;
        postgres::tenant_table(
            manager,
            "webhook_deliveries",
            "SELECT, INSERT, UPDATE, DELETE",
        )
        .await?;
        postgres::tenant_table(manager, "webhook_attempts", "SELECT, INSERT, DELETE").await?;
        crate::sqlite::length_guards(manager).await
    }
}
