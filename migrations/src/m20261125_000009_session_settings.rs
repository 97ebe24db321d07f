//! Per-practice automatic log-off, and the last TOTP time step each user spent (replay
//! protection).

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
        ] {
            manager
                .alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
