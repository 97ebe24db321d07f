//! Per-practice automatic log-off; the last TOTP time step each user spent (replay
//! protection); a TOTP secret waiting for its first code (the live one stays until then).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    StaffIdleMinutes,
    PatientIdleMinutes,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    TotpLastStep,
    TotpPendingSecret,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            (
                Tenants::Table.into_iden(),
                ColumnDef::new(Tenants::StaffIdleMinutes)
                    .integer()
                    .null()
                    .to_owned(),
            ),
            (
                Tenants::Table.into_iden(),
                ColumnDef::new(Tenants::PatientIdleMinutes)
                    .integer()
                    .null()
                    .to_owned(),
            ),
            (
                Users::Table.into_iden(),
                ColumnDef::new(Users::TotpLastStep)
                    .big_integer()
                    .null()
                    .to_owned(),
            ),
            (
                Users::Table.into_iden(),
                ColumnDef::new(Users::TotpPendingSecret)
                    .text()
                    .null()
                    .to_owned(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
