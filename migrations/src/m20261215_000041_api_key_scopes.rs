//! API keys limited to chosen scopes (read-only, scheduling, messaging) within their role.
//! Existing keys keep no scopes: their role's whole access, as before.

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
                    .table(Alias::new("api_keys"))
                    // Comma-separated: `read_only`, `scheduling`, `messaging`.
                    .add_column(col("scopes").string_len(100).null().to_owned())
                    .to_owned(),
            )
            .await?;
        crate::sqlite::length_guards(manager).await
    }
}
