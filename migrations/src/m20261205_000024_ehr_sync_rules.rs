//! EHR sync rules: how deletions are found per resource type (`deletion_method`, `history`
//! or `reconciliation`, and when ids were last reconciled for an EHR without type-level
//! history); countries stored as something other than ISO 3166 alpha-2 (SQLite kept
//! `USA` where PostgreSQL would have refused it) normalised, unknown ones cleared; and on
//! SQLite the length guards that make it refuse what PostgreSQL refuses.

use sea_orm_migration::prelude::*;

use crate::{shape::col, sqlite};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `CASE` mapping an upper-cased alpha-3 or alpha-2 code to alpha-2; anything else to NULL.
fn country_case(column: &str) -> String {
    let mut case = format!("CASE upper(trim({column}))");
    for country in celes::Country::get_countries() {
        let alpha2 = country.alpha2.to_ascii_uppercase();
        let alpha3 = country.alpha3.to_ascii_uppercase();
        case.push_str(&format!(
            " WHEN '{alpha3}' THEN '{alpha2}' WHEN '{alpha2}' THEN '{alpha2}'"
        ));
    }
    case.push_str(" ELSE NULL END");
    case
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [
            col("deletion_method").string_len(16).null().to_owned(),
            col("reconciled_at")
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("ehr_sync_marks"))
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        for table in ["patients", "patient_contact_history"] {
            db.execute_unprepared(&format!(
                "UPDATE {table} SET country = {} \
                 WHERE country IS NOT NULL AND (length(country) <> 2 OR country <> upper(country))",
                country_case("country")
            ))
            .await?;
        }
        sqlite::length_guards(manager).await?;
        Ok(())
    }
}
