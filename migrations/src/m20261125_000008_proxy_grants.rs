//! Proxy (caregiver) access: a patient or staff member lets another user act on a chart.

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
enum ProxyGrants {
    Table,
    TenantId,
    Id,
    PatientId,
    GranteeId,
    GranteeEmail,
    Scopes,
    GrantedBy,
    CreatedAt,
    EndsAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |c: ProxyGrants| ColumnDef::new(c).timestamp_with_time_zone().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(ProxyGrants::Table)
                    .col(ColumnDef::new(ProxyGrants::TenantId).uuid().not_null())
                    .col(ColumnDef::new(ProxyGrants::Id).uuid().not_null())
                    .col(ColumnDef::new(ProxyGrants::PatientId).uuid().not_null())
                    // Unset until the invited person has an account with `grantee_email`.
                    .col(ColumnDef::new(ProxyGrants::GranteeId).uuid().null())
                    .col(
                        ColumnDef::new(ProxyGrants::GranteeEmail)
                            .string_len(254)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProxyGrants::Scopes)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ProxyGrants::GrantedBy).uuid().not_null())
                    .col(ts(ProxyGrants::CreatedAt).not_null())
                    .col(ts(ProxyGrants::EndsAt).null())
                    .col(ts(ProxyGrants::RevokedAt).null())
                    .primary_key(
                        Index::create()
                            .col(ProxyGrants::TenantId)
                            .col(ProxyGrants::Id),
                    )
                    .foreign_key(&mut shape::tenant_fk(
                        "fk_proxy_grants_patient",
                        ProxyGrants::Table,
                        ProxyGrants::PatientId,
                        Patients::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut shape::tenant_fk(
                        "fk_proxy_grants_grantee",
                        ProxyGrants::Table,
                        ProxyGrants::GranteeId,
                        Users::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ix_proxy_grants_tenant_grantee",
                ProxyGrants::Table,
                &["grantee_id"],
                false,
            ))
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ix_proxy_grants_tenant_email",
                ProxyGrants::Table,
                &["grantee_email"],
                false,
            ))
            .await?;
        postgres::tenant_table(manager, "proxy_grants", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }
}
