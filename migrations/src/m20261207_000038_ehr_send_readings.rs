//! Whether the practice's EHR connection also receives the readings patients record at home,
//! as patient-reported Observations (off until a practice admin turns it on: not every EHR
//! wants patient-generated data in the chart).

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
                    .table(Alias::new("ehr_connections"))
                    .add_column(
                        col("send_readings")
                            .boolean()
                            .not_null()
                            .default(false)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
