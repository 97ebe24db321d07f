//! The first tables: the tenant directory, users, patients and the audit log.

use sea_orm_migration::prelude::*;

use crate::{postgres, shape};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    Status,
    TimeZone,
    DisplayName,
    LogoUrl,
    PrimaryColor,
    CustomDomain,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    TenantId,
    Id,
    Email,
    DisplayName,
    Kind,
    Status,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Patients {
    Table,
    TenantId,
    Id,
    UserId,
    Mrn,
    GivenName,
    FamilyName,
    BirthDate,
    Gender,
    Email,
    Phone,
    AddressLine,
    City,
    Region,
    PostalCode,
    Country,
    PreferredLanguage,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    TenantId,
    Id,
    Seq,
    OccurredAt,
    ActorKind,
    ActorId,
    Action,
    ResourceType,
    ResourceId,
    PatientId,
    RequestId,
    PrevHash,
    Hash,
}

fn tenant_fk<T: IntoIden + 'static>(table: T, name: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(Alias::new("tenant_id"))
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        postgres::ensure_app_role(manager).await?;

        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(ColumnDef::new(Tenants::Id).uuid().not_null().primary_key())
                    .col(
                        ColumnDef::new(Tenants::Slug)
                            .string_len(40)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Tenants::Name).string_len(120).not_null())
                    .col(ColumnDef::new(Tenants::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Tenants::TimeZone).string_len(64).not_null())
                    .col(
                        ColumnDef::new(Tenants::DisplayName)
                            .string_len(120)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Tenants::LogoUrl).text().null())
                    .col(
                        ColumnDef::new(Tenants::PrimaryColor)
                            .string_len(7)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Tenants::CustomDomain)
                            .string_len(253)
                            .null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Tenants::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Tenants::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        postgres::grant(manager, "tenants", "SELECT, INSERT, UPDATE").await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(ColumnDef::new(Users::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Users::Id).uuid().not_null())
                    .col(ColumnDef::new(Users::Email).string_len(254).not_null())
                    .col(
                        ColumnDef::new(Users::DisplayName)
                            .string_len(120)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Users::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Users::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Users::PasswordHash).text().null())
                    .col(
                        ColumnDef::new(Users::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Users::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col(Users::TenantId).col(Users::Id))
                    .foreign_key(&mut tenant_fk(Users::Table, "fk_users_tenant"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_users_tenant_email",
                Users::Table,
                &["email"],
                true,
            ))
            .await?;
        postgres::tenant_table(manager, "users", "SELECT, INSERT, UPDATE, DELETE").await?;

        manager
            .create_table(
                Table::create()
                    .table(Patients::Table)
                    .col(ColumnDef::new(Patients::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Patients::Id).uuid().not_null())
                    .col(ColumnDef::new(Patients::UserId).uuid().null())
                    .col(ColumnDef::new(Patients::Mrn).string_len(64).null())
                    .col(
                        ColumnDef::new(Patients::GivenName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Patients::FamilyName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Patients::BirthDate).date().not_null())
                    .col(ColumnDef::new(Patients::Gender).string_len(16).not_null())
                    .col(ColumnDef::new(Patients::Email).string_len(254).null())
                    .col(ColumnDef::new(Patients::Phone).string_len(32).null())
                    .col(ColumnDef::new(Patients::AddressLine).string_len(200).null())
                    .col(ColumnDef::new(Patients::City).string_len(100).null())
                    .col(ColumnDef::new(Patients::Region).string_len(100).null())
                    .col(ColumnDef::new(Patients::PostalCode).string_len(20).null())
                    .col(ColumnDef::new(Patients::Country).string_len(2).null())
                    .col(
                        ColumnDef::new(Patients::PreferredLanguage)
                            .string_len(35)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Patients::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Patients::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col(Patients::TenantId).col(Patients::Id))
                    .foreign_key(&mut tenant_fk(Patients::Table, "fk_patients_tenant"))
                    // Composite: a patient can only point at a user of its own tenant.
                    .foreign_key(&mut shape::tenant_fk(
                        "fk_patients_user",
                        Patients::Table,
                        Patients::UserId,
                        Users::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_patients_tenant_mrn",
                Patients::Table,
                &["mrn"],
                true,
            ))
            .await?;
        postgres::tenant_table(manager, "patients", "SELECT, INSERT, UPDATE, DELETE").await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(ColumnDef::new(AuditEvents::TenantId).uuid().not_null())
                    .col(ColumnDef::new(AuditEvents::Id).uuid().not_null())
                    .col(ColumnDef::new(AuditEvents::Seq).big_integer().not_null())
                    .col(
                        ColumnDef::new(AuditEvents::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::ActorKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::ActorId).uuid().null())
                    .col(
                        ColumnDef::new(AuditEvents::Action)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvents::ResourceType)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::ResourceId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::PatientId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::RequestId).string_len(64).null())
                    .col(
                        ColumnDef::new(AuditEvents::PrevHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::Hash).string_len(64).not_null())
                    .primary_key(
                        Index::create()
                            .col(AuditEvents::TenantId)
                            .col(AuditEvents::Id),
                    )
                    .foreign_key(&mut tenant_fk(AuditEvents::Table, "fk_audit_events_tenant"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_audit_events_tenant_seq",
                AuditEvents::Table,
                &["seq"],
                true,
            ))
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ix_audit_events_tenant_patient",
                AuditEvents::Table,
                &["patient_id", "seq"],
                false,
            ))
            .await?;
        // Append-only for the application: no UPDATE or DELETE grant.
        postgres::tenant_table(manager, "audit_events", "SELECT, INSERT").await?;
        Ok(())
    }
}
