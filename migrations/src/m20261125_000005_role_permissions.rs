//! A practice's own changes to the default role permissions (casbin policy lines with the
//! tenant as domain).

use sea_orm_migration::prelude::*;

use crate::{postgres, shape};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RolePermissions {
    Table,
    TenantId,
    Id,
    Role,
    Object,
    Action,
    Effect,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RolePermissions::Table)
                    .col(ColumnDef::new(RolePermissions::TenantId).uuid().not_null())
                    .col(ColumnDef::new(RolePermissions::Id).uuid().not_null())
                    .col(
                        ColumnDef::new(RolePermissions::Role)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RolePermissions::Object)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RolePermissions::Action)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RolePermissions::Effect)
                            .string_len(8)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RolePermissions::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(RolePermissions::TenantId)
                            .col(RolePermissions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_permissions_tenant")
                            .from(RolePermissions::Table, RolePermissions::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_role_permissions_rule",
                RolePermissions::Table,
                &["role", "object", "action"],
                true,
            ))
            .await?;
        postgres::tenant_table(manager, "role_permissions", "SELECT, INSERT, DELETE").await?;
        Ok(())
    }
}
