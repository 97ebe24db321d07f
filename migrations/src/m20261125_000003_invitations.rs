//! Staff invitations: a one-time link that lets the invitee create their account.

use sea_orm_migration::prelude::*;

use crate::{postgres, shape};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    TenantId,
    Id,
    Email,
    Role,
    TokenHash,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |c: Invitations| ColumnDef::new(c).timestamp_with_time_zone().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(ColumnDef::new(Invitations::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Invitations::Id).uuid().not_null())
                    .col(
                        ColumnDef::new(Invitations::Email)
                            .string_len(254)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Invitations::Role).string_len(32).not_null())
                    .col(
                        ColumnDef::new(Invitations::TokenHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Invitations::InvitedBy).uuid().not_null())
                    .col(ts(Invitations::CreatedAt).not_null())
                    .col(ts(Invitations::ExpiresAt).not_null())
                    .col(ts(Invitations::AcceptedAt).null())
                    .col(ts(Invitations::RevokedAt).null())
                    .primary_key(
                        Index::create()
                            .col(Invitations::TenantId)
                            .col(Invitations::Id),
                    )
                    .foreign_key(&mut shape::tenant_fk(
                        "fk_invitations_inviter",
                        Invitations::Table,
                        Invitations::InvitedBy,
                        Users::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_invitations_tenant_token",
                Invitations::Table,
                &["token_hash"],
                true,
            ))
            .await?;
        postgres::tenant_table(manager, "invitations", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }
}
