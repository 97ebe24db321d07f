//! The coarse device a session was started from ("Chrome on Linux", from the User-Agent at
//! sign-in), kept on each refresh token of the family so a person can tell their sessions
//! apart. Never the address, never the whole User-Agent. Sessions started before this
//! migration show no device.

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
                    .table(Alias::new("refresh_tokens"))
                    .add_column(col("device").string_len(64).null().to_owned())
                    .to_owned(),
            )
            .await?;
        crate::sqlite::length_guards(manager).await
    }
}
