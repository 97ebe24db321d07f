//! Identity: each user's role and second factor, refresh-token families, and the platform's
//! token-signing keys.

use sea_orm_migration::prelude::*;

use crate::{postgres, shape};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Role,
    TotpSecret,
    TotpEnabledAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TenantId,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    CreatedAt,
    FamilyStartedAt,
    FamilyEndsAt,
    IdleExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Algorithm,
    PrivateKey,
    PublicKey,
    CreatedAt,
    RetiredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            ColumnDef::new(Users::Role)
                .string_len(32)
                .not_null()
                .default("staff")
                .to_owned(),
            ColumnDef::new(Users::TotpSecret).text().null().to_owned(),
            ColumnDef::new(Users::TotpEnabledAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(ColumnDef::new(RefreshTokens::TenantId).uuid().not_null())
                    .col(ColumnDef::new(RefreshTokens::Id).uuid().not_null())
                    .col(ColumnDef::new(RefreshTokens::UserId).uuid().not_null())
                    .col(ColumnDef::new(RefreshTokens::FamilyId).uuid().not_null())
                    .col(
                        ColumnDef::new(RefreshTokens::TokenHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::FamilyStartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::FamilyEndsAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::IdleExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::UsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(RefreshTokens::TenantId)
                            .col(RefreshTokens::Id),
                    )
                    .foreign_key(&mut shape::tenant_fk(
                        "fk_refresh_tokens_user",
                        RefreshTokens::Table,
                        RefreshTokens::UserId,
                        Users::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_refresh_tokens_tenant_hash",
                RefreshTokens::Table,
                &["token_hash"],
                true,
            ))
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ix_refresh_tokens_tenant_family",
                RefreshTokens::Table,
                &["family_id"],
                false,
            ))
            .await?;
        postgres::tenant_table(manager, "refresh_tokens", "SELECT, INSERT, UPDATE, DELETE").await?;

        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(
                        ColumnDef::new(SigningKeys::Kid)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SigningKeys::Algorithm)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(SigningKeys::PrivateKey).text().not_null())
                    .col(ColumnDef::new(SigningKeys::PublicKey).text().not_null())
                    .col(
                        ColumnDef::new(SigningKeys::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SigningKeys::RetiredAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        postgres::grant(manager, "signing_keys", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }
}
