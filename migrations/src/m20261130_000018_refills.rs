//! Prescription refills: a patient's request for a refill of one of their medications, the
//! route the routing job chose (prescriber, covering provider, renewal, visit or a pool),
//! and the staff decision. Also a provider's covering provider and the practice's target
//! turnaround and fallback pool.

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
        // One column per statement: SQLite adds one column at a time.
        for (table, column) in [
            // Who takes a provider's refills while they are away (a provider id).
            (
                "providers",
                col("covering_provider_id").uuid().null().to_owned(),
            ),
            // Hours within which a refill request should be decided; the default when unset.
            (
                "tenants",
                col("refill_turnaround_hours").integer().null().to_owned(),
            ),
            // The pool refills fall back to (the nurse line, say).
            ("tenants", col("refill_pool_id").uuid().null().to_owned()),
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
                new_tenant_table("refill_requests")
                    .col(col("patient_id").uuid().not_null())
                    .col(col("medication_request_id").uuid().not_null())
                    // The medication while the request is pending, cleared when it is
                    // decided: a unique index on it allows one pending request per
                    // medication, however many arrive at once (NULLs are distinct).
                    .col(col("open_medication_id").uuid().null())
                    .col(col("requested_by").uuid().not_null())
                    .col(col("pharmacy").string_len(200).not_null())
                    .col(col("note").string_len(1000).null())
                    // `requested`, `routed`, `approved`, `denied` or `needs_appointment`.
                    .col(col("status").string_len(20).not_null())
                    // `prescriber`, `covering`, `renewal`, `visit` or `pool`.
                    .col(col("route").string_len(20).null())
                    .col(col("assigned_pool_id").uuid().null())
                    .col(col("assigned_user_id").uuid().null())
                    .col(ts("due_at").null())
                    .col(ts("routed_at").null())
                    .col(col("decided_by").uuid().null())
                    .col(ts("decided_at").null())
                    .col(col("approved_quantity").integer().null())
                    .col(col("approved_refills").integer().null())
                    // Shown to the patient.
                    .col(col("deny_reason").string_len(1000).null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_refill_requests_patient",
                        Alias::new("refill_requests"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_refill_requests_medication",
                        Alias::new("refill_requests"),
                        Alias::new("medication_request_id"),
                        Alias::new("medication_requests"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_refill_requests_pool",
                        Alias::new("refill_requests"),
                        Alias::new("assigned_pool_id"),
                        Alias::new("care_team_pools"),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        for index in [
            tenant_index(
                "ux_refill_requests_open",
                Alias::new("refill_requests"),
                &["open_medication_id"],
                true,
            ),
            tenant_index(
                "ix_refill_requests_patient",
                Alias::new("refill_requests"),
                &["patient_id", "created_at"],
                false,
            ),
            tenant_index(
                "ix_refill_requests_queue",
                Alias::new("refill_requests"),
                &["status", "due_at"],
                false,
            ),
            tenant_index(
                "ix_refill_requests_pool",
                Alias::new("refill_requests"),
                &["assigned_pool_id", "status"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        postgres::tenant_table(manager, "refill_requests", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }
}
