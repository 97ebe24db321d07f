//! Why the routing job sent each refill request where it did (a stable reason code such as
//! `prescriber` or `prescriber_away_uncovered`), so staff can see the rule that applied.
//! Requests routed before this migration keep no reason.

use sea_orm_migration::prelude::*;

use crate::shape::col;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("refill_requests"))
                    .add_column(col("route_reason").string_len(40).null().to_owned())
                    .to_owned(),
            )
            .await?;
        // SQLite refuses an over-long reason as PostgreSQL's column type does.
        crate::sqlite::length_guards(manager).await
    }
}
