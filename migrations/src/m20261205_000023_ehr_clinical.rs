//! Clinical content as the EHR sent it: the clinical and verification status of allergies
//! and conditions (a refuted record is not an active one), every reaction of an allergy,
//! the codings of coded values, vital signs (an observation's category and its components,
//! such as a blood pressure's systolic and diastolic), an immunization's `primarySource`,
//! and a patient's given names one by one. The structured parts are JSON in text columns,
//! read and written only through typed structs in `portico-core` (`records::detail`).

use sea_orm_migration::prelude::*;

use crate::shape::col;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let status = |name: &'static str| col(name).string_len(32).null().to_owned();
        let json = |name: &'static str| col(name).text().null().to_owned();
        // One column per statement: SQLite adds one at a time.
        for (table, column) in [
            ("allergies", status("clinical_status")),
            ("allergies", status("verification_status")),
            ("allergies", json("detail")),
            ("conditions", status("clinical_status")),
            ("conditions", status("verification_status")),
            ("conditions", json("detail")),
            // `laboratory` or `vital-signs`; results entered before this are laboratory.
            ("observations", status("category")),
            ("observations", json("detail")),
            (
                "immunizations",
                col("primary_source").boolean().null().to_owned(),
            ),
            ("patients", json("given_names")),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
