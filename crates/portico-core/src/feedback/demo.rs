//! The demo practice's feedback: past completed visits with Dr. Chen and Dr. Ortega,
//! answered over the last months (so the console's scores and comments have something to
//! show), and visits of yesterday (the demo patient's, and Jordan Reyes's, who has an email
//! and no account) whose surveys the first sweep sends.

use chrono::{Duration, DurationRound, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{ANSWERED, SURVEY, invitations};
use crate::{
    CoreResult, TenantTx,
    entities::{
        appointment, appointment_type, feedback_invitation, feedback_response, location, provider,
    },
    scheduling::appointments::COMPLETED,
};

/// Days ago, provider (0 Chen, 1 Ortega), rating and comment of each answered visit.
const ANSWERS: [(i64, usize, i32, Option<&str>); 6] = [
    (75, 0, 10, None),
    (62, 1, 7, None),
    (
        44,
        0,
        9,
        Some("Dr. Chen took the time to explain everything."),
    ),
    (
        30,
        1,
        5,
        Some("I waited 40 minutes past my appointment time."),
    ),
    (12, 0, 8, None),
    (5, 1, 9, Some("The new online check-in was quick and easy.")),
];

/// Loads it for `charts` (the demo patients; the first is the demo patient's).
pub async fn load(tx: &TenantTx, charts: &[Uuid]) -> CoreResult<()> {
    let Some(&avery) = charts.first() else {
        return Ok(());
    };
    let providers = tx
        .find::<provider::Entity>()
        .order_by_asc(provider::Column::CreatedAt)
        .all(tx.conn())
        .await?;
    let Some(clinic) = tx.find::<location::Entity>().one(tx.conn()).await? else {
        return Ok(());
    };
    let Some(kind) = tx
        .find::<appointment_type::Entity>()
        .filter(appointment_type::Column::Name.eq("Follow-up"))
        .one(tx.conn())
        .await?
    else {
        return Ok(());
    };
    if providers.len() < 2 {
        return Ok(());
    }
    let today = Utc::now()
        .duration_trunc(Duration::days(1))
        .unwrap_or_else(|_| Utc::now());
    let visit = |days: i64, provider: Uuid, patient: Uuid| {
        let starts_at = today - Duration::days(days) + Duration::hours(15);
        appointment::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            patient_id: Set(patient),
            provider_id: Set(provider),
            location_id: Set(clinic.id),
            appointment_type_id: Set(kind.id),
            starts_at: Set(starts_at),
            ends_at: Set(starts_at + Duration::minutes(20)),
            status: Set(COMPLETED.to_owned()),
            booked_by: Set(None),
            booked_via: Set("staff".to_owned()),
            rescheduled_from: Set(None),
            cancelled_at: Set(None),
            cancelled_by: Set(None),
            confirmed_at: Set(None),
            created_at: Set(starts_at - Duration::days(7)),
            updated_at: Set(starts_at + Duration::hours(1)),
        }
    };
    for (index, (days, who, rating, comment)) in ANSWERS.into_iter().enumerate() {
        let patient = charts[index % charts.len()];
        let provider = providers[who].id;
        let done = visit(days, provider, patient).insert(tx.conn()).await?;
        let answered_at = done.ends_at + Duration::hours(5);
        let invitation = feedback_invitation::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            appointment_id: Set(done.id),
            patient_id: Set(patient),
            status: Set(ANSWERED.to_owned()),
            send_at: Set(done.ends_at + super::SEND_DELAY),
            token_hash: Set(None),
            sent_at: Set(Some(done.ends_at + super::SEND_DELAY)),
            expires_at: Set(Some(done.ends_at + super::LINK_LIFETIME)),
            answered_at: Set(Some(answered_at)),
            created_at: Set(done.ends_at),
        }
        .insert(tx.conn())
        .await?;
        feedback_response::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            patient_id: Set(patient),
            invitation_id: Set(Some(invitation.id)),
            appointment_id: Set(Some(done.id)),
            provider_id: Set(Some(provider)),
            location_id: Set(Some(clinic.id)),
            rating: Set(Some(rating)),
            comment: Set(comment.map(str::to_owned)),
            source: Set(SURVEY.to_owned()),
            submitted_by: Set(None),
            handled_by: Set(None),
            handled_at: Set(None),
            created_at: Set(answered_at),
        }
        .insert(tx.conn())
        .await?;
    }
    // Yesterday's visits: their surveys are due, and the sweep sends them.
    let yesterday = visit(1, providers[0].id, avery).insert(tx.conn()).await?;
    invitations::plan(tx, &yesterday, COMPLETED).await?;
    if let Some(&jordan) = charts.get(1) {
        let yesterday = visit(1, providers[1].id, jordan).insert(tx.conn()).await?;
        invitations::plan(tx, &yesterday, COMPLETED).await?;
    }
    Ok(())
}
