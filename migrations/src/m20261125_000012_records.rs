//! The chart as a read model shaped after FHIR R4 / US Core (encounters, diagnostic reports,
//! observations, medication requests, allergies, conditions, immunizations), the patient's
//! emergency contacts and contact-detail history, chart restrictions with their care team,
//! and break-glass accesses. Every clinical table keeps a nullable `source` and `external_id`
//! for the EHR sync to fill.

use sea_orm_migration::prelude::*;

use crate::{postgres, shape};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

fn ts(name: &str) -> ColumnDef {
    col(name).timestamp_with_time_zone().to_owned()
}

fn text(name: &str, len: u32) -> ColumnDef {
    col(name).string_len(len).to_owned()
}

const CLINICAL: [&str; 7] = [
    "encounters",
    "diagnostic_reports",
    "observations",
    "medication_requests",
    "allergies",
    "conditions",
    "immunizations",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        chart_table(
            manager,
            "encounters",
            vec![
                text("status", 32).not_null().to_owned(),
                text("class", 32).not_null().to_owned(),
                text("reason", 500).null().to_owned(),
                col("summary").text().null().to_owned(),
                text("practitioner_name", 200).null().to_owned(),
                ts("started_at").not_null().to_owned(),
                ts("ended_at").null().to_owned(),
            ],
            &[],
        )
        .await?;
        chart_table(
            manager,
            "diagnostic_reports",
            vec![
                col("encounter_id").uuid().null().to_owned(),
                text("status", 32).not_null().to_owned(),
                text("code", 32).not_null().to_owned(),
                text("display", 200).not_null().to_owned(),
                col("conclusion").text().null().to_owned(),
                ts("effective_at").not_null().to_owned(),
                ts("issued_at").null().to_owned(),
            ],
            &[("encounter_id", "encounters")],
        )
        .await?;
        chart_table(
            manager,
            "observations",
            vec![
                col("report_id").uuid().null().to_owned(),
                col("encounter_id").uuid().null().to_owned(),
                text("status", 32).not_null().to_owned(),
                text("code", 32).not_null().to_owned(),
                text("display", 200).not_null().to_owned(),
                col("value_num").double().null().to_owned(),
                text("unit", 32).null().to_owned(),
                text("value_text", 1000).null().to_owned(),
                col("range_low").double().null().to_owned(),
                col("range_high").double().null().to_owned(),
                text("range_text", 200).null().to_owned(),
                text("interpretation", 8).null().to_owned(),
                ts("effective_at").not_null().to_owned(),
            ],
            &[
                ("report_id", "diagnostic_reports"),
                ("encounter_id", "encounters"),
            ],
        )
        .await?;
        manager
            .create_index(shape::tenant_index(
                "ix_observations_tenant_patient_code",
                Alias::new("observations"),
                &["patient_id", "code", "effective_at"],
                false,
            ))
            .await?;
        chart_table(
            manager,
            "medication_requests",
            vec![
                text("status", 32).not_null().to_owned(),
                text("name", 200).not_null().to_owned(),
                text("rxnorm_code", 32).null().to_owned(),
                text("dosage", 1000).not_null().to_owned(),
                col("refills_left").integer().not_null().to_owned(),
                col("prescriber_id").uuid().null().to_owned(),
                text("prescriber_name", 200).null().to_owned(),
                col("last_filled_on").date().null().to_owned(),
                col("controlled").boolean().not_null().to_owned(),
                ts("authored_at").not_null().to_owned(),
            ],
            &[],
        )
        .await?;
        chart_table(
            manager,
            "allergies",
            vec![
                text("status", 32).not_null().to_owned(),
                text("substance", 200).not_null().to_owned(),
                text("code", 32).null().to_owned(),
                text("reaction", 500).null().to_owned(),
                text("severity", 16).null().to_owned(),
                col("recorded_on").date().null().to_owned(),
            ],
            &[],
        )
        .await?;
        chart_table(
            manager,
            "conditions",
            vec![
                text("status", 32).not_null().to_owned(),
                text("code", 32).null().to_owned(),
                text("name", 200).not_null().to_owned(),
                col("onset_on").date().null().to_owned(),
                col("abated_on").date().null().to_owned(),
            ],
            &[],
        )
        .await?;
        chart_table(
            manager,
            "immunizations",
            vec![
                text("status", 32).not_null().to_owned(),
                text("vaccine_code", 32).null().to_owned(),
                text("vaccine_name", 200).not_null().to_owned(),
                col("occurred_on").date().not_null().to_owned(),
                col("next_due_on").date().null().to_owned(),
            ],
            &[],
        )
        .await?;
        chart_table(
            manager,
            "emergency_contacts",
            vec![
                text("name", 200).not_null().to_owned(),
                text("relationship", 64).not_null().to_owned(),
                text("phone", 40).not_null().to_owned(),
                text("email", 254).null().to_owned(),
            ],
            &[],
        )
        .await?;
        chart_table(
            manager,
            "patient_contact_history",
            vec![
                col("changed_by").uuid().null().to_owned(),
                text("changed_fields", 300).not_null().to_owned(),
                text("email", 254).null().to_owned(),
                text("phone", 40).null().to_owned(),
                text("address_line", 300).null().to_owned(),
                text("city", 100).null().to_owned(),
                text("region", 100).null().to_owned(),
                text("postal_code", 20).null().to_owned(),
                text("country", 2).null().to_owned(),
                text("preferred_language", 35).null().to_owned(),
                text("preferred_pharmacy", 300).null().to_owned(),
            ],
            &[],
        )
        .await?;
        chart_table(
            manager,
            "chart_restrictions",
            vec![
                text("category", 32).not_null().to_owned(),
                col("set_by").uuid().null().to_owned(),
            ],
            &[],
        )
        .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_chart_restrictions_patient",
                Alias::new("chart_restrictions"),
                &["patient_id"],
                true,
            ))
            .await?;
        chart_table(
            manager,
            "chart_care_team",
            vec![col("user_id").uuid().not_null().to_owned()],
            &[("user_id", "users")],
        )
        .await?;
        manager
            .create_index(shape::tenant_index(
                "ux_chart_care_team_member",
                Alias::new("chart_care_team"),
                &["patient_id", "user_id"],
                true,
            ))
            .await?;
        chart_table(
            manager,
            "break_glass_accesses",
            vec![
                col("user_id").uuid().not_null().to_owned(),
                col("reason").text().not_null().to_owned(),
                ts("expires_at").not_null().to_owned(),
                ts("reviewed_at").null().to_owned(),
                col("reviewed_by").uuid().null().to_owned(),
            ],
            &[("user_id", "users")],
        )
        .await?;
        manager
            .create_index(shape::tenant_index(
                "ix_break_glass_accesses_tenant_user",
                Alias::new("break_glass_accesses"),
                &["user_id", "patient_id", "expires_at"],
                false,
            ))
            .await?;
        manager
            .create_index(shape::tenant_index(
                "ix_break_glass_accesses_tenant_reviewed",
                Alias::new("break_glass_accesses"),
                &["reviewed_at"],
                false,
            ))
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("patients"))
                    .add_column(text("preferred_pharmacy", 300).null())
                    .to_owned(),
            )
            .await?;
        // Events written while a break-glass access was open carry its id (flagged).
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("audit_events"))
                    .add_column(col("break_glass_id").uuid().null())
                    .to_owned(),
            )
            .await?;

        for table in [
            "encounters",
            "diagnostic_reports",
            "observations",
            "medication_requests",
            "allergies",
            "conditions",
            "immunizations",
            "emergency_contacts",
            "chart_care_team",
        ] {
            postgres::tenant_table(manager, table, "SELECT, INSERT, UPDATE, DELETE").await?;
        }
        // History and break-glass records are kept: no DELETE for the application.
        for table in ["patient_contact_history", "break_glass_accesses"] {
            postgres::tenant_table(manager, table, "SELECT, INSERT, UPDATE").await?;
        }
        postgres::tenant_table(
            manager,
            "chart_restrictions",
            "SELECT, INSERT, UPDATE, DELETE",
        )
        .await?;
        Ok(())
    }
}

/// A tenant table owned by one chart: `(tenant_id, id)` key, `patient_id` pointing at the
/// chart (deleted with it), `extra` columns, composite references `(tenant_id, column)` →
/// `(tenant_id, id)` of other tables (nullable ones are not enforced while unset), and an
/// index on `(tenant_id, patient_id)`. Clinical tables also get `source`, `external_id` and
/// `entered_by`.
async fn chart_table(
    manager: &SchemaManager<'_>,
    name: &'static str,
    extra: Vec<ColumnDef>,
    references: &[(&'static str, &'static str)],
) -> Result<(), DbErr> {
    let clinical = CLINICAL.contains(&name);
    let mut table = Table::create();
    table
        .table(Alias::new(name))
        .col(col("tenant_id").uuid().not_null())
        .col(col("id").uuid().not_null())
        .col(col("patient_id").uuid().not_null());
    for mut c in extra {
        table.col(&mut c);
    }
    if clinical {
        // Where a record came from and its id there; the EHR sync upserts on the pair (a
        // unique index below; unset ids never collide).
        table
            .col(text("source", 32).null())
            .col(text("external_id", 128).null())
            .col(col("entered_by").uuid().null());
    }
    table
        .col(ts("created_at").not_null())
        .col(ts("updated_at").not_null())
        .primary_key(
            Index::create()
                .col(Alias::new("tenant_id"))
                .col(Alias::new("id")),
        )
        .foreign_key(&mut shape::tenant_fk(
            &format!("fk_{name}_patient"),
            Alias::new(name),
            Alias::new("patient_id"),
            Alias::new("patients"),
            ForeignKeyAction::Cascade,
        ));
    for (column, parent) in references {
        table.foreign_key(&mut shape::tenant_fk(
            &format!("fk_{name}_{column}"),
            Alias::new(name),
            Alias::new(*column),
            Alias::new(*parent),
            // SET NULL would null `tenant_id` too: a referenced record, or a user who broke the
            // glass, is not deleted; a care-team membership goes with its user.
            if name == "chart_care_team" {
                ForeignKeyAction::Cascade
            } else {
                ForeignKeyAction::Restrict
            },
        ));
    }
    manager.create_table(table.to_owned()).await?;
    manager
        .create_index(shape::tenant_index(
            &format!("ix_{name}_tenant_patient"),
            Alias::new(name),
            &["patient_id"],
            false,
        ))
        .await?;
    if clinical {
        manager
            .create_index(shape::tenant_index(
                &format!("ux_{name}_tenant_source"),
                Alias::new(name),
                &["source", "external_id"],
                true,
            ))
            .await?;
    }
    Ok(())
}
