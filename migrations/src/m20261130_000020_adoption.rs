//! Adoption rollups: one row per practice and day (the practice's own calendar day), made
//! by the nightly job from timestamped data, so a past day can be computed again and gives
//! the same figures.

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
        let count = |name: &'static str| col(name).big_integer().not_null().to_owned();
        manager
            .create_table(
                new_tenant_table("adoption_rollups")
                    .col(col("day").date().not_null())
                    // Charts at the end of the day, and those with a portal account.
                    .col(count("patients"))
                    .col(count("activated"))
                    // Patients (or their proxies) who used the portal that day, and in the
                    // 30 days ending that day.
                    .col(count("daily_active"))
                    .col(count("monthly_active"))
                    // Bookings made that day, and those made online.
                    .col(count("bookings"))
                    .col(count("online_bookings"))
                    // Visits of that day that ended completed or as no-shows.
                    .col(count("completed_visits"))
                    .col(count("no_shows"))
                    .col(count("reminders_sent"))
                    // Reminders with a message the email server or SMS provider accepted
                    // that day.
                    .col(count("reminders_delivered"))
                    // Recall notices sent that day, and bookings made that day that
                    // followed one.
                    .col(count("recalls_sent"))
                    .col(count("recall_bookings"))
                    // Messages from patients and proxies, and replies from staff (internal
                    // notes left out), and the median minutes to a first reply.
                    .col(count("messages_in"))
                    .col(count("messages_out"))
                    .col(col("median_first_response_minutes").big_integer().null())
                    .col(count("refills_requested"))
                    .col(count("refills_decided"))
                    .col(col("median_refill_turnaround_minutes").big_integer().null())
                    .col(col("computed_at").timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_index(
                "ux_adoption_rollups_day",
                Alias::new("adoption_rollups"),
                &["day"],
                true,
            ))
            .await?;
        postgres::tenant_table(manager, "adoption_rollups", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }
}
