//! Check-in forms: questionnaires a practice builds (each version a FHIR `Questionnaire`),
//! which visit types they go with, and the forms asked of patients with their answers (a
//! FHIR `QuestionnaireResponse`).

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
                new_tenant_table("forms")
                    // Shared by every version of one form; its canonical URL is made of it.
                    .col(col("form_key").uuid().not_null())
                    .col(col("version").integer().not_null())
                    .col(col("title").string_len(200).not_null())
                    // `draft`, `active` or `retired`.
                    .col(col("status").string_len(20).not_null())
                    // The FHIR R4 Questionnaire, as JSON.
                    .col(col("questionnaire").text().not_null())
                    .col(col("created_by").uuid().null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("form_attachments")
                    .col(col("appointment_type_id").uuid().not_null())
                    // The form (all its versions): a booking asks for its newest active one.
                    .col(col("form_key").uuid().not_null())
                    .col(ts("created_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_form_attachments_type",
                        Alias::new("form_attachments"),
                        Alias::new("appointment_type_id"),
                        Alias::new("appointment_types"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                new_tenant_table("form_requests")
                    .col(col("form_id").uuid().not_null())
                    .col(col("patient_id").uuid().not_null())
                    // Set when the form came with a booking; null when staff sent it.
                    .col(col("appointment_id").uuid().null())
                    // `pending`, `in_progress` (a draft saved), `completed` or `withdrawn`.
                    .col(col("status").string_len(20).not_null())
                    .col(col("due_on").date().null())
                    // The FHIR R4 QuestionnaireResponse (a draft or the submitted answers).
                    .col(col("response").text().null())
                    .col(col("requested_by").uuid().null())
                    .col(col("answered_by").uuid().null())
                    .col(ts("submitted_at").null())
                    .col(ts("created_at").not_null())
                    .col(ts("updated_at").not_null())
                    .foreign_key(&mut tenant_fk(
                        "fk_form_requests_form",
                        Alias::new("form_requests"),
                        Alias::new("form_id"),
                        Alias::new("forms"),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_form_requests_patient",
                        Alias::new("form_requests"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut tenant_fk(
                        "fk_form_requests_appointment",
                        Alias::new("form_requests"),
                        Alias::new("appointment_id"),
                        Alias::new("appointments"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        for index in [
            tenant_index(
                "ux_forms_version",
                Alias::new("forms"),
                &["form_key", "version"],
                true,
            ),
            tenant_index(
                "ux_form_attachments_type_form",
                Alias::new("form_attachments"),
                &["appointment_type_id", "form_key"],
                true,
            ),
            // One request of a form per visit, however often the booking is told.
            tenant_index(
                "ux_form_requests_visit_form",
                Alias::new("form_requests"),
                &["appointment_id", "form_id"],
                true,
            ),
            tenant_index(
                "ix_form_requests_patient",
                Alias::new("form_requests"),
                &["patient_id", "created_at"],
                false,
            ),
            tenant_index(
                "ix_form_requests_form",
                Alias::new("form_requests"),
                &["form_id"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        for table in ["forms", "form_attachments", "form_requests"] {
            postgres::tenant_table(manager, table, "SELECT, INSERT, UPDATE, DELETE").await?;
        }
        crate::sqlite::length_guards(manager).await
    }
}
