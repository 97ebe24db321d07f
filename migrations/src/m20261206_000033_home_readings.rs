//! Readings patients record at home (blood pressure, glucose, weight, temperature, oxygen
//! saturation, peak flow), the practice's and a patient's thresholds for them, and the alert
//! a reading beyond a threshold opens for the care team.

use sea_orm_migration::prelude::*;

use crate::{
    postgres,
    shape::{col, new_tenant_table, tenant_fk, tenant_index},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = |name: &'static str| col(name).timestamp_with_time_zone().to_owned();
        manager
            .create_table(
                new_tenant_table("home_readings")
                    .col(col("patient_id").uuid().not_null())
                    // `blood_pressure`, `glucose`, `weight`, `temperature`, `spo2`, `peak_flow`.
                    .col(col("kind").string_len(20).not_null())
                    // LOINC of the reading (the panel for blood pressure).
                    .col(col("code").string_len(20).not_null())
                    // As the patient gave it, in `unit` (UCUM); `value2` is the diastolic.
                    .col(col("value").double().not_null())
                    .col(col("value2").double().null())
                    .col(col("unit").string_len(20).not_null())
                    // In the kind's canonical unit, which thresholds are set in.
                    .col(col("normalised").double().not_null())
                    .col(col("normalised2").double().null())
                    .col(col("canonical_unit").string_len(20).not_null())
                    .col(ts("taken_at").not_null())
                    // Always `patient-reported` for now; kept so other sources can join.
                    .col(col("source").string_len(20).not_null())
                    // The patient's user, or the proxy's.
                    .col(col("recorded_by").uuid().not_null())
                    .col(col("by_proxy").boolean().not_null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_home_readings_patient",
                        Alias::new("home_readings"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("reading_thresholds")
                    // Null: the practice's default for the kind.
                    .col(col("patient_id").uuid().null())
                    // `practice` or the patient's id: a unique index needs a value (NULLs
                    // are distinct), so the practice's row of a kind and measure is one.
                    .col(col("scope_key").string_len(40).not_null())
                    .col(col("kind").string_len(20).not_null())
                    // `systolic`, `diastolic` or `value`.
                    .col(col("measure").string_len(20).not_null())
                    .col(col("low").double().null())
                    .col(col("high").double().null())
                    // What the practice wants the patient to do.
                    .col(col("instruction").string_len(500).not_null())
                    .col(col("updated_by").uuid().not_null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_reading_thresholds_patient",
                        Alias::new("reading_thresholds"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("reading_alerts")
                    .col(col("reading_id").uuid().not_null())
                    .col(col("patient_id").uuid().not_null())
                    // The care-team pool that works it; null when the practice has none.
                    .col(col("pool_id").uuid().null())
                    // The threshold crossed, for reference only (no foreign key: a threshold
                    // may be removed later; the alert keeps its instruction).
                    .col(col("threshold_id").uuid().null())
                    // The instruction the patient was shown, as it was then.
                    .col(col("instruction").string_len(500).not_null())
                    // `open` or `acknowledged`.
                    .col(col("status").string_len(20).not_null())
                    .col(col("acknowledged_by").uuid().null())
                    .col(ts("acknowledged_at").null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_reading_alerts_reading",
                        Alias::new("reading_alerts"),
                        Alias::new("reading_id"),
                        Alias::new("home_readings"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_reading_alerts_patient",
                        Alias::new("reading_alerts"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_reading_alerts_pool",
                        Alias::new("reading_alerts"),
                        Alias::new("pool_id"),
                        Alias::new("care_team_pools"),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        for index in [
            tenant_index(
                "ix_home_readings_patient",
                Alias::new("home_readings"),
                &["patient_id", "kind", "taken_at"],
                false,
            ),
            tenant_index(
                "ux_reading_thresholds_scope",
                Alias::new("reading_thresholds"),
                &["scope_key", "kind", "measure"],
                true,
            ),
            // One alert per reading, however the reading got there.
            tenant_index(
                "ux_reading_alerts_reading",
                Alias::new("reading_alerts"),
                &["reading_id"],
                true,
            ),
            tenant_index(
                "ix_reading_alerts_queue",
                Alias::new("reading_alerts"),
                &["status", "created_at"],
                false,
            ),
            tenant_index(
                "ix_reading_alerts_patient",
                Alias::new("reading_alerts"),
                &["patient_id"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        for (table, grants) in [
            // A reading is never changed once recorded.
            ("home_readings", "SELECT, INSERT"),
            // Clearing both bounds removes a threshold.
            ("reading_thresholds", "SELECT, INSERT, UPDATE, DELETE"),
            ("reading_alerts", "SELECT, INSERT, UPDATE"),
        ] {
            postgres::tenant_table(manager, table, grants).await?;
        }
        crate::sqlite::length_guards(manager).await
    }
}
