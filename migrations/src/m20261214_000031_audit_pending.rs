//! Audit events waiting to be sealed into their tenant's hash chain.
//!
//! A request appends its events here without taking any per-tenant lock, so concurrent
//! reads of one practice never wait on each other. A sealer (every minute in the workers,
//! and before any verification) takes the tenant's seal lock, gives the waiting events
//! their place in the chain (`seq`, `prev_hash`, `hash`) in `audit_events`, and deletes them
//! from here in the same transaction. `audit_events` stays insert-only for the application;
//! this table is insert, select and delete (the sealer's delete).

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
        manager
            .create_table(
                new_tenant_table("audit_pending")
                    .col(col("occurred_at").timestamp_with_time_zone().not_null())
                    .col(col("actor_kind").string_len(16).not_null())
                    .col(col("actor_id").uuid().null())
                    .col(col("actor_role").string_len(32).null())
                    .col(col("client_ip").string_len(45).null())
                    .col(col("action").string_len(64).not_null())
                    .col(col("resource_type").string_len(64).not_null())
                    .col(col("resource_id").uuid().null())
                    .col(col("patient_id").uuid().null())
                    .col(col("request_id").string_len(64).null())
                    .col(col("break_glass_id").uuid().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_pending_tenant")
                            .from_tbl(Alias::new("audit_pending"))
                            .from_col(Alias::new("tenant_id"))
                            .to(Alias::new("tenants"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant_index(
                "ix_audit_pending_tenant_occurred",
                Alias::new("audit_pending"),
                &["occurred_at", "id"],
                false,
            ))
            .await?;
        postgres::tenant_table(manager, "audit_pending", "SELECT, INSERT, DELETE").await?;
        crate::sqlite::length_guards(manager).await
    }
}
