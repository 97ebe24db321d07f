//! Resources the EHR deleted, or labelled restricted, leave the portal: records take the
//! `entered-in-error` status (hidden from patients), appointments are cancelled, and people
//! and places stay (the EHR no longer answers for them).

use chrono::Utc;
use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};

use super::{Page, ResourceKind, summaries::other_note_of};
use crate::{
    CoreResult, TenantTx,
    entities::{
        allergy, appointment, condition, diagnostic_report, encounter, immunization, location,
        medication_request, observation, provider,
    },
    records::ENTERED_IN_ERROR,
    scheduling::{appointments as booking, reminders},
};

/// Takes a resource the EHR deleted out of Portico. Returns whether anything changed.
pub(super) async fn remove(
    tx: &TenantTx,
    page: &mut Page,
    kind: ResourceKind,
    fhir_id: &str,
) -> CoreResult<bool> {
    let Some(link) = page.link(tx, kind, fhir_id).await? else {
        return Ok(false);
    };
    // What the page holds goes first: the record taken out may be one of them.
    page.flush(tx).await?;
    let id = link.local_id;
    let hidden = Expr::value(ENTERED_IN_ERROR);
    let now = Expr::value(Utc::now());
    macro_rules! hide {
        ($entity:ident) => {
            tx.update::<$entity::Entity>()
                .col_expr($entity::Column::Status, hidden)
                .col_expr($entity::Column::UpdatedAt, now)
                .filter($entity::Column::Id.eq(id))
                .exec(tx.conn())
                .await?
        };
    }
    match kind {
        // People and places stay (a portal account or bookings may hang on them); the EHR
        // no longer answers for them.
        ResourceKind::Patient => {}
        ResourceKind::Practitioner => {
            tx.changed(crate::caches::Change::Catalog);
            tx.update::<provider::Entity>()
                .col_expr(provider::Column::Active, Expr::value(false))
                .filter(provider::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
        }
        ResourceKind::Location => {
            tx.changed(crate::caches::Change::Catalog);
            tx.update::<location::Entity>()
                .col_expr(location::Column::Active, Expr::value(false))
                .filter(location::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
        }
        ResourceKind::Appointment => {
            reminders::withdraw(tx, id).await?;
            tx.update::<appointment::Entity>()
                .col_expr(appointment::Column::Status, Expr::value(booking::CANCELLED))
                .col_expr(
                    appointment::Column::CancelledAt,
                    Expr::value(Some(Utc::now())),
                )
                .col_expr(appointment::Column::UpdatedAt, now)
                .filter(appointment::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
        }
        ResourceKind::Encounter => {
            hide!(encounter);
        }
        ResourceKind::Observation => {
            hide!(observation);
        }
        ResourceKind::DiagnosticReport => {
            hide!(diagnostic_report);
        }
        ResourceKind::DocumentReference if other_note_of(tx, page, id, fhir_id).await? => {}
        ResourceKind::DocumentReference => {
            tx.update::<encounter::Entity>()
                .col_expr(
                    encounter::Column::Summary,
                    Expr::value(Option::<String>::None),
                )
                .filter(encounter::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
        }
        ResourceKind::MedicationRequest => {
            hide!(medication_request);
        }
        ResourceKind::AllergyIntolerance => {
            hide!(allergy);
        }
        ResourceKind::Condition => {
            hide!(condition);
        }
        ResourceKind::Immunization => {
            hide!(immunization);
        }
    }
    page.remove_link(kind, fhir_id);
    Ok(true)
}
