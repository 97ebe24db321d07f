//! Invitation campaigns: a practice invites chosen patients who have no portal account yet
//! (every such chart, the charts an import created, or a filter), with follow-ups after set
//! days to those who still have not activated. One recipient row per (campaign, patient),
//! whose step count is advanced conditionally, so no sweep or worker sends a step twice.
//! Imports now note the charts they create, so a campaign can target them.

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
                new_tenant_table("invitation_campaigns")
                    .col(col("name").string_len(120).not_null())
                    // `not_activated`, `import` or `filter`.
                    .col(col("audience").string_len(20).not_null())
                    .col(col("import_id").uuid().null())
                    // JSON of the filter's fields, for `filter`.
                    .col(col("filter").string_len(1000).null())
                    // `email`, `sms` or `email,sms`.
                    .col(col("channels").string_len(20).not_null())
                    // JSON list of days after the first invitation, ascending, e.g. [3,7].
                    .col(col("follow_up_days").string_len(100).not_null())
                    // `running`, `finished` or `cancelled`.
                    .col(col("status").string_len(20).not_null())
                    .col(col("recipients").integer().not_null())
                    .col(col("created_by").uuid().null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .col(ts("finished_at").null())
                    .foreign_key(&mut tenant_fk(
                        "fk_invitation_campaigns_import",
                        Alias::new("invitation_campaigns"),
                        Alias::new("import_id"),
                        Alias::new("patient_imports"),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("campaign_recipients")
                    .col(col("campaign_id").uuid().not_null())
                    .col(col("patient_id").uuid().not_null())
                    // Steps sent (0: none yet; 1: the invitation; 2: the first follow-up...).
                    // Raised only from the value read, so a step is claimed once.
                    .col(col("steps_sent").integer().not_null())
                    // When the next step is due; null once there is none.
                    .col(ts("next_due_at").null())
                    // `pending` (steps to come), `done` (every step sent), `activated`
                    // (stopped: the patient has an account), `skipped` (cannot or does not
                    // want to be reached) or `cancelled`.
                    .col(col("status").string_len(20).not_null())
                    .col(ts("first_invited_at").null())
                    .col(ts("last_invited_at").null())
                    .col(ts("activated_at").null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_campaign_recipients_campaign",
                        Alias::new("campaign_recipients"),
                        Alias::new("campaign_id"),
                        Alias::new("invitation_campaigns"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_campaign_recipients_patient",
                        Alias::new("campaign_recipients"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("patient_import_charts")
                    .col(col("import_id").uuid().not_null())
                    .col(col("patient_id").uuid().not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_patient_import_charts_import",
                        Alias::new("patient_import_charts"),
                        Alias::new("import_id"),
                        Alias::new("patient_imports"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_patient_import_charts_patient",
                        Alias::new("patient_import_charts"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        for index in [
            // One row per patient and campaign: resolving the audience twice adds nobody.
            tenant_index(
                "ux_campaign_recipients_patient",
                Alias::new("campaign_recipients"),
                &["campaign_id", "patient_id"],
                true,
            ),
            tenant_index(
                "ix_campaign_recipients_due",
                Alias::new("campaign_recipients"),
                &["status", "next_due_at"],
                false,
            ),
            tenant_index(
                "ix_campaign_recipients_chart",
                Alias::new("campaign_recipients"),
                &["patient_id"],
                false,
            ),
            tenant_index(
                "ix_invitation_campaigns_created",
                Alias::new("invitation_campaigns"),
                &["created_at"],
                false,
            ),
            tenant_index(
                "ux_patient_import_charts",
                Alias::new("patient_import_charts"),
                &["import_id", "patient_id"],
                true,
            ),
        ] {
            manager.create_index(index).await?;
        }
        postgres::tenant_table(manager, "invitation_campaigns", "SELECT, INSERT, UPDATE").await?;
        postgres::tenant_table(manager, "campaign_recipients", "SELECT, INSERT, UPDATE").await?;
        postgres::tenant_table(manager, "patient_import_charts", "SELECT, INSERT").await?;
        crate::sqlite::length_guards(manager).await
    }
}
