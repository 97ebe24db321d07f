//! One-time secrets: patients' activation codes, password-reset tokens and TOTP recovery
//! codes. All stored hashed.

use sea_orm_migration::prelude::*;

use crate::{postgres, shape};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
}

#[derive(DeriveIden)]
enum Patients {
    Table,
}

#[derive(DeriveIden)]
enum ActivationCodes {
    Table,
    TenantId,
    Id,
    PatientId,
    CodeHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    FailedAttempts,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    TenantId,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    TenantId,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

fn ts<T: IntoIden>(c: T) -> ColumnDef {
    ColumnDef::new(c).timestamp_with_time_zone().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ActivationCodes::Table)
                    .col(ColumnDef::new(ActivationCodes::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ActivationCodes::Id).uuid().not_null())
                    .col(ColumnDef::new(ActivationCodes::PatientId).uuid().not_null())
                    .col(
                        ColumnDef::new(ActivationCodes::CodeHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ActivationCodes::CreatedBy).uuid().null())
                    .col(ts(ActivationCodes::CreatedAt).not_null())
                    .col(ts(ActivationCodes::ExpiresAt).not_null())
                    .col(ts(ActivationCodes::UsedAt).null())
                    .col(
                        ColumnDef::new(ActivationCodes::FailedAttempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .primary_key(
                        Index::create()
                            .col(ActivationCodes::TenantId)
                            .col(ActivationCodes::Id),
                    )
                    .foreign_key(&mut shape::tenant_fk(
                        "fk_activation_codes_patient",
                        ActivationCodes::Table,
                        ActivationCodes::PatientId,
                        Patients::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_activation_codes_tenant_hash",
                ActivationCodes::Table,
                &["code_hash"],
                true,
            ))
            .await?;
        postgres::tenant_table(manager, "activation_codes", "SELECT, INSERT, UPDATE").await?;

        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(ColumnDef::new(PasswordResets::TenantId).uuid().not_null())
                    .col(ColumnDef::new(PasswordResets::Id).uuid().not_null())
                    .col(ColumnDef::new(PasswordResets::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(PasswordResets::TokenHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ts(PasswordResets::CreatedAt).not_null())
                    .col(ts(PasswordResets::ExpiresAt).not_null())
                    .col(ts(PasswordResets::UsedAt).null())
                    .primary_key(
                        Index::create()
                            .col(PasswordResets::TenantId)
                            .col(PasswordResets::Id),
                    )
                    .foreign_key(&mut shape::tenant_fk(
                        "fk_password_resets_user",
                        PasswordResets::Table,
                        PasswordResets::UserId,
                        Users::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_password_resets_tenant_hash",
                PasswordResets::Table,
                &["token_hash"],
                true,
            ))
            .await?;
        postgres::tenant_table(manager, "password_resets", "SELECT, INSERT, UPDATE").await?;

        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(ColumnDef::new(RecoveryCodes::TenantId).uuid().not_null())
                    .col(ColumnDef::new(RecoveryCodes::Id).uuid().not_null())
                    .col(ColumnDef::new(RecoveryCodes::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(RecoveryCodes::CodeHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ts(RecoveryCodes::CreatedAt).not_null())
                    .col(ts(RecoveryCodes::UsedAt).null())
                    .primary_key(
                        Index::create()
                            .col(RecoveryCodes::TenantId)
                            .col(RecoveryCodes::Id),
                    )
                    .foreign_key(&mut shape::tenant_fk(
                        "fk_recovery_codes_user",
                        RecoveryCodes::Table,
                        RecoveryCodes::UserId,
                        Users::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ix_recovery_codes_tenant_user",
                RecoveryCodes::Table,
                &["user_id"],
                false,
            ))
            .await?;
        postgres::tenant_table(manager, "recovery_codes", "SELECT, INSERT, UPDATE, DELETE").await?;
        Ok(())
    }
}
