//! The practice's phone number, shown by the portal ("call us to cancel inside the
//! cancellation window"); part of its branding, set by its admins.

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
                    .table(Alias::new("tenants"))
                    .add_column(col("phone").string_len(32).null().to_owned())
                    .to_owned(),
            )
            .await?;
        crate::sqlite::length_guards(manager).await
    }
}
