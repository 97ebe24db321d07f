//! Appointment reminders: per-practice offsets, one row per reminder of a booked visit, the
//! one-time links a reminder carries (confirm or cancel without signing in), a visit's
//! confirmation, and outbox messages that a later change can withdraw before delivery.

use sea_orm_migration::prelude::*;

use crate::{
    postgres,
    shape::{col, new_tenant_table, tenant_fk, tenant_index},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(name: &str, table: &'static str) -> ForeignKeyCreateStatement {
    tenant_fk(
        name,
        Alias::new(table),
        Alias::new("appointment_id"),
        Alias::new("appointments"),
        ForeignKeyAction::Cascade,
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |name: &'static str| col(name).timestamp_with_time_zone().to_owned();
        for (table, column) in [
            // Minutes before a visit, comma-separated; the platform default when unset.
            (
                "tenants",
                col("reminder_offsets").string_len(100).null().to_owned(),
            ),
            ("appointments", ts("confirmed_at").null().to_owned()),
            // What the message is about (`appointment:{id}`), so a change can withdraw it.
            (
                "outbox_messages",
                col("topic").string_len(100).null().to_owned(),
            ),
            ("outbox_messages", ts("cancelled_at").null().to_owned()),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                new_tenant_table("appointment_reminders")
                    .col(col("appointment_id").uuid().not_null())
                    .col(col("offset_minutes").integer().not_null())
                    .col(ts("due_at").not_null())
                    // `pending`, `sent`, `cancelled` or `skipped`.
                    .col(col("status").string_len(16).not_null())
                    .col(ts("created_at").not_null())
                    .col(ts("sent_at").null())
                    .foreign_key(&mut fk("fk_reminders_appointment", "appointment_reminders"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("appointment_links")
                    .col(col("appointment_id").uuid().not_null())
                    .col(col("token_hash").string_len(64).not_null())
                    .col(ts("expires_at").not_null())
                    .col(ts("used_at").null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut fk("fk_links_appointment", "appointment_links"))
                    .to_owned(),
            )
            .await?;
        for index in [
            tenant_index(
                "ix_reminders_due",
                Alias::new("appointment_reminders"),
                &["status", "due_at"],
                false,
            ),
            tenant_index(
                "ix_reminders_appointment",
                Alias::new("appointment_reminders"),
                &["appointment_id"],
                false,
            ),
            tenant_index(
                "ux_links_token",
                Alias::new("appointment_links"),
                &["token_hash"],
                true,
            ),
            tenant_index(
                "ix_outbox_topic",
                Alias::new("outbox_messages"),
                &["topic"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        postgres::tenant_table(manager, "appointment_reminders", "SELECT, INSERT, UPDATE").await?;
        postgres::tenant_table(manager, "appointment_links", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }
}
