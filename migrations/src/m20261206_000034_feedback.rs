//! Patient feedback: the survey invitation sent after a completed visit (one per visit, with
//! its one-time link stored hashed) and the answers, from a survey link or from the portal's
//! feedback form, which staff read and mark handled.

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
                new_tenant_table("feedback_invitations")
                    .col(col("appointment_id").uuid().not_null())
                    .col(col("patient_id").uuid().not_null())
                    // `pending`, `sent`, `skipped` (the patient cannot or does not want to
                    // be reached) or `answered`.
                    .col(col("status").string_len(20).not_null())
                    .col(ts("send_at").not_null())
                    // SHA-256 of the link's token, set when the invitation is sent.
                    .col(col("token_hash").string_len(64).null())
                    .col(ts("sent_at").null())
                    .col(ts("expires_at").null())
                    .col(ts("answered_at").null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_feedback_invitations_appointment",
                        Alias::new("feedback_invitations"),
                        Alias::new("appointment_id"),
                        Alias::new("appointments"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_feedback_invitations_patient",
                        Alias::new("feedback_invitations"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("feedback_responses")
                    .col(col("patient_id").uuid().not_null())
                    // The survey it answers; none for the portal's feedback form.
                    .col(col("invitation_id").uuid().null())
                    // The visit it is about, with its provider and location copied so the
                    // scores group without a join.
                    .col(col("appointment_id").uuid().null())
                    .col(col("provider_id").uuid().null())
                    .col(col("location_id").uuid().null())
                    // 0-10; optional on the portal's form.
                    .col(col("rating").integer().null())
                    .col(col("comment").string_len(2000).null())
                    // `survey` or `portal`.
                    .col(col("source").string_len(20).not_null())
                    .col(col("submitted_by").uuid().null())
                    .col(col("handled_by").uuid().null())
                    .col(ts("handled_at").null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_feedback_responses_patient",
                        Alias::new("feedback_responses"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_feedback_responses_invitation",
                        Alias::new("feedback_responses"),
                        Alias::new("invitation_id"),
                        Alias::new("feedback_invitations"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_feedback_responses_appointment",
                        Alias::new("feedback_responses"),
                        Alias::new("appointment_id"),
                        Alias::new("appointments"),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        for index in [
            // One invitation per visit, however many times its outcome is recorded.
            tenant_index(
                "ux_feedback_invitations_appointment",
                Alias::new("feedback_invitations"),
                &["appointment_id"],
                true,
            ),
            tenant_index(
                "ux_feedback_invitations_token",
                Alias::new("feedback_invitations"),
                &["token_hash"],
                true,
            ),
            tenant_index(
                "ix_feedback_invitations_due",
                Alias::new("feedback_invitations"),
                &["status", "send_at"],
                false,
            ),
            // One answer per invitation (NULLs, the portal's form, are distinct).
            tenant_index(
                "ux_feedback_responses_invitation",
                Alias::new("feedback_responses"),
                &["invitation_id"],
                true,
            ),
            tenant_index(
                "ix_feedback_responses_created",
                Alias::new("feedback_responses"),
                &["created_at"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        postgres::tenant_table(manager, "feedback_invitations", "SELECT, INSERT, UPDATE").await?;
        postgres::tenant_table(manager, "feedback_responses", "SELECT, INSERT, UPDATE").await?;
        crate::sqlite::length_guards(manager).await
    }
}
