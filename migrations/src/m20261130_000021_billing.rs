//! Billing: each practice's account with the payment provider and the subscription state
//! last applied to it, the provider's events handled (each once), and the monthly usage
//! reported (each period once). These are directory tables, like `tenants`: webhooks arrive
//! before any practice is known, and find it through the customer id.

use sea_orm_migration::prelude::*;

use crate::{postgres, shape::col};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Status,
    OperatorHold,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // An operator's suspension holds whatever the subscription does; until now every
        // suspension was an operator's.
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(
                        ColumnDef::new(Tenants::OperatorHold)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Tenants::Table)
                    .value(Tenants::OperatorHold, true)
                    .and_where(Expr::col(Tenants::Status).eq("suspended"))
                    .to_owned(),
            )
            .await?;

        let at = |name: &'static str| col(name).timestamp_with_time_zone().null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("billing_accounts"))
                    .col(col("tenant_id").uuid().not_null().primary_key())
                    .col(col("customer_id").string_len(255).null().unique_key())
                    .col(col("plan").string_len(64).null())
                    .col(col("subscription_id").string_len(255).null())
                    // The provider's status of the subscription last applied.
                    .col(col("subscription_status").string_len(32).null())
                    // What the practice's status follows: trial, active, past_due,
                    // suspended, cancelled.
                    .col(col("status").string_len(32).not_null())
                    .col(at("trial_ends_at"))
                    .col(at("current_period_end"))
                    .col(at("past_due_since"))
                    .col(at("cancelled_at"))
                    // The (created, id) of the subscription event last applied: an event
                    // older than that changes nothing.
                    .col(at("state_created"))
                    .col(col("state_event_id").string_len(255).null())
                    // The latest invoice outcome, by the same rule.
                    .col(at("payment_failed_at"))
                    .col(at("invoice_state_created"))
                    .col(col("invoice_state_event_id").string_len(255).null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("updated_at").timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Alias::new("billing_accounts"), Alias::new("tenant_id"))
                            .to(Tenants::Table, Tenants::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("billing_events"))
                    .col(col("event_id").string_len(255).not_null().primary_key())
                    .col(col("event_type").string_len(128).not_null())
                    .col(col("created").timestamp_with_time_zone().not_null())
                    .col(col("tenant_id").uuid().null())
                    .col(col("received_at").timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("usage_reports"))
                    .col(col("tenant_id").uuid().not_null())
                    // The first day of the month reported.
                    .col(col("period_start").date().not_null())
                    .col(col("monthly_active").big_integer().not_null())
                    // Sent to the provider with the figure, which counts it once.
                    .col(col("identifier").string_len(255).not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(at("reported_at"))
                    .primary_key(
                        Index::create()
                            .col(Alias::new("tenant_id"))
                            .col(Alias::new("period_start")),
                    )
                    .to_owned(),
            )
            .await?;

        postgres::grant(manager, "billing_accounts", "SELECT, INSERT, UPDATE").await?;
        postgres::grant(manager, "billing_events", "SELECT, INSERT, UPDATE").await?;
        postgres::grant(manager, "usage_reports", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }
}
