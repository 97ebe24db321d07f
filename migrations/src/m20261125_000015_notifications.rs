//! Notification delivery rules: a practice's quiet hours and hourly sending limit, a
//! patient's channels, opt-out, time zone and bounced addresses, and the patient an outbox
//! message is for (so a bounce can be put on the right chart).

use sea_orm_migration::prelude::*;

use crate::shape::{col, tenant_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |name: &'static str| col(name).timestamp_with_time_zone().null().to_owned();
        let minutes = |name: &'static str| col(name).integer().null().to_owned();
        for (table, column) in [
            // Local minutes after midnight; the platform default (21:00 to 08:00) when unset.
            ("tenants", minutes("quiet_hours_start")),
            ("tenants", minutes("quiet_hours_end")),
            // Messages handed out per hour; the platform default when unset.
            ("tenants", minutes("sending_limit_per_hour")),
            // The patient's IANA zone for quiet hours; the practice's when unset.
            (
                "patients",
                col("time_zone").string_len(64).null().to_owned(),
            ),
            (
                "patients",
                col("notify_email")
                    .boolean()
                    .not_null()
                    .default(true)
                    .to_owned(),
            ),
            (
                "patients",
                col("notify_sms")
                    .boolean()
                    .not_null()
                    .default(false)
                    .to_owned(),
            ),
            ("patients", ts("notifications_opted_out_at")),
            // Set by a permanent delivery failure; cleared when the address changes.
            ("patients", ts("email_bounced_at")),
            ("patients", ts("phone_bounced_at")),
            (
                "outbox_messages",
                col("patient_id").uuid().null().to_owned(),
            ),
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
        // The hourly sending limit counts what was handed out lately.
        manager
            .create_index(tenant_index(
                "ix_outbox_relayed",
                Alias::new("outbox_messages"),
                &["relayed_at"],
                false,
            ))
            .await?;
        Ok(())
    }
}
