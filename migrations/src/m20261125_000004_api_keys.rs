//! API keys for developers: per tenant, scoped to a role, stored hashed.

use sea_orm_migration::prelude::*;

use crate::{postgres, shape};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    TenantId,
    Id,
    Name,
    Prefix,
    SecretHash,
    Role,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |c: ApiKeys| ColumnDef::new(c).timestamp_with_time_zone().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(ColumnDef::new(ApiKeys::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ApiKeys::Id).uuid().not_null())
                    .col(ColumnDef::new(ApiKeys::Name).string_len(100).not_null())
                    .col(ColumnDef::new(ApiKeys::Prefix).string_len(16).not_null())
                    .col(
                        ColumnDef::new(ApiKeys::SecretHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ApiKeys::Role).string_len(32).not_null())
                    .col(ColumnDef::new(ApiKeys::CreatedBy).uuid().not_null())
                    .col(ts(ApiKeys::CreatedAt).not_null())
                    .col(ts(ApiKeys::LastUsedAt).null())
                    .col(ts(ApiKeys::RevokedAt).null())
                    .primary_key(Index::create().col(ApiKeys::TenantId).col(ApiKeys::Id))
                    .foreign_key(&mut shape::tenant_fk(
                        "fk_api_keys_creator",
                        ApiKeys::Table,
                        ApiKeys::CreatedBy,
                        Users::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_api_keys_tenant_prefix",
                ApiKeys::Table,
                &["prefix"],
                true,
            ))
            .await?;
        postgres::tenant_table(manager, "api_keys", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }
}
