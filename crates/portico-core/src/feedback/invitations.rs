//! Survey invitations: planned when a visit's outcome is recorded as completed (the
//! subscriber of `AppointmentOutcome`), written to the outbox by the reminders' sweep once
//! due. The message names the practice only; its link's token is random and stored hashed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::{LINK_LIFETIME, OUTBOX_KEY, PENDING, SEND_DELAY, SENT, SKIPPED};
use crate::{
    CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{appointment, feedback_invitation},
    notify::{self, Notice, Portal},
    scheduling::appointments::COMPLETED,
    sessions::hash_token,
};

/// Invitations sent per run.
const BATCH: u64 = 500;

/// Plans the survey of a visit whose outcome was recorded: once per visit (a unique index
/// holds it, so recording the outcome again changes nothing), and only for a completed one.
pub async fn plan(tx: &TenantTx, visit: &appointment::Model, status: &str) -> CoreResult<()> {
    if status != COMPLETED {
        return Ok(());
    }
    let now = Utc::now();
    let row = feedback_invitation::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        appointment_id: Set(visit.id),
        patient_id: Set(visit.patient_id),
        status: Set(PENDING.to_owned()),
        send_at: Set(visit.updated_at.max(visit.ends_at) + SEND_DELAY),
        token_hash: Set(None),
        sent_at: Set(None),
        expires_at: Set(None),
        answered_at: Set(None),
        created_at: Set(now),
    };
    feedback_invitation::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                feedback_invitation::Column::TenantId,
                feedback_invitation::Column::AppointmentId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?;
    Ok(())
}

/// Writes the surveys due at `now` to the outbox, each with a fresh one-time link; a
/// patient who cannot or does not want to be reached is skipped. Returns how many went.
pub async fn send_due(
    tx: &TenantTx,
    actor: &Actor,
    now: DateTime<Utc>,
    portal: &Portal,
) -> CoreResult<usize> {
    let due = tx
        .find::<feedback_invitation::Entity>()
        .filter(feedback_invitation::Column::Status.eq(PENDING))
        .filter(feedback_invitation::Column::SendAt.lte(now))
        .order_by_asc(feedback_invitation::Column::SendAt)
        .limit(BATCH)
        .all(tx.conn())
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let planned: Vec<(String, String, String)> = due
        .iter()
        .map(|invitation| {
            let token = format!("fbk_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
            let key = format!("{OUTBOX_KEY}{}", invitation.id);
            let link = portal.feedback(&token);
            (token, key, link)
        })
        .collect();
    let notices: Vec<(Uuid, notify::Send<'_>)> = due
        .iter()
        .zip(&planned)
        .map(|(invitation, (_, key, link))| {
            let send = notify::Send {
                notice: Notice::FeedbackRequest,
                key,
                topic: None,
                link,
                deadline: None,
            };
            (invitation.patient_id, send)
        })
        .collect();
    let written = notify::to_patients(tx, portal, &notices, now).await?;
    let mut sent = 0;
    for ((invitation, (token, _, _)), written) in due.into_iter().zip(planned).zip(written) {
        let patient = invitation.patient_id;
        let id = invitation.id;
        let mut active: feedback_invitation::ActiveModel = invitation.into();
        if written.any() {
            active.status = Set(SENT.to_owned());
            active.token_hash = Set(Some(hash_token(&token)));
            active.sent_at = Set(Some(now));
            active.expires_at = Set(Some(now + LINK_LIFETIME));
            sent += 1;
        } else {
            active.status = Set(SKIPPED.to_owned());
        }
        active.update(tx.conn()).await?;
        if written.any() {
            audit::record(
                tx,
                actor,
                Access {
                    action: "feedback.invite",
                    resource_type: "FeedbackInvitation",
                    resource_id: Some(id),
                    patient_id: Some(patient),
                },
            )
            .await?;
        }
    }
    Ok(sent)
}

/// Every invitation of the practice, oldest first (support and tests).
pub async fn all(tx: &TenantTx) -> CoreResult<Vec<feedback_invitation::Model>> {
    Ok(tx
        .find::<feedback_invitation::Entity>()
        .order_by_asc(feedback_invitation::Column::Id)
        .all(tx.conn())
        .await?)
}
