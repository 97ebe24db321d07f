//! Preventive-care recalls: a practice's rules (a visit type every so many months, for
//! patients of an age and sex) and the notices sent under them, each recording whether a
//! booking followed (for the adoption metrics).

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
                new_tenant_table("recall_rules")
                    .col(col("name").string_len(100).not_null())
                    // The visit that satisfies the rule and that the patient is invited to book.
                    .col(col("appointment_type_id").uuid().not_null())
                    .col(col("interval_months").integer().not_null())
                    .col(col("min_age").integer().not_null())
                    .col(col("max_age").integer().null())
                    // `female` or `male`, matched against `patients.gender`; any when unset.
                    .col(col("sex").string_len(16).null())
                    .col(col("active").boolean().not_null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_recall_rules_type",
                        Alias::new("recall_rules"),
                        Alias::new("appointment_type_id"),
                        Alias::new("appointment_types"),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("recall_notices")
                    .col(col("rule_id").uuid().not_null())
                    .col(col("patient_id").uuid().not_null())
                    // The day the patient fell due; with rule and patient, one notice per
                    // due period, so a second run (or a concurrent one) sends nothing again.
                    .col(col("due_since").date().not_null())
                    .col(ts("sent_at").not_null())
                    .col(col("booked_appointment_id").uuid().null())
                    .col(ts("booked_at").null())
                    // Notices are the campaign's history: a rule with notices is deactivated,
                    // not deleted.
                    .foreign_key(&mut tenant_fk(
                        "fk_recall_notices_rule",
                        Alias::new("recall_notices"),
                        Alias::new("rule_id"),
                        Alias::new("recall_rules"),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_recall_notices_patient",
                        Alias::new("recall_notices"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_recall_notices_appointment",
                        Alias::new("recall_notices"),
                        Alias::new("booked_appointment_id"),
                        Alias::new("appointments"),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        for index in [
            tenant_index(
                "ux_recall_notices_period",
                Alias::new("recall_notices"),
                &["rule_id", "patient_id", "due_since"],
                true,
            ),
            tenant_index(
                "ix_recall_notices_rule_sent",
                Alias::new("recall_notices"),
                &["rule_id", "sent_at"],
                false,
            ),
            tenant_index(
                "ix_recall_notices_patient",
                Alias::new("recall_notices"),
                &["patient_id", "sent_at"],
                false,
            ),
            // Whether a patient had (or has booked) a rule's visit: by type and time.
            tenant_index(
                "ix_appointments_type_start",
                Alias::new("appointments"),
                &["appointment_type_id", "starts_at"],
                false,
            ),
            tenant_index(
                "ix_recall_rules_type",
                Alias::new("recall_rules"),
                &["appointment_type_id"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        postgres::tenant_table(manager, "recall_rules", "SELECT, INSERT, UPDATE, DELETE").await?;
        postgres::tenant_table(manager, "recall_notices", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }
}
