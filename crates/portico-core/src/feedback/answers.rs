//! Answers: a survey answered through its one-time link (no sign-in; once, before it
//! expires), and the portal's feedback form for a signed-in patient. Bad input is refused
//! with the field named, and nothing is saved.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{ANSWERED, MAX_COMMENT, PORTAL, SENT, SURVEY};
use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::{self, Access, Actor},
    chart_access::{self, Purpose, Viewer},
    entities::{appointment, feedback_invitation, feedback_response},
    scheduling::appointments::COMPLETED,
    sessions::hash_token,
};

/// What the patient says.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub rating: Option<i32>,
    pub comment: Option<String>,
}

impl Answer {
    /// The rating (0-10) and the comment trimmed, empty as none.
    fn checked(&self) -> CoreResult<(Option<i32>, Option<String>)> {
        if let Some(rating) = self.rating
            && !(0..=10).contains(&rating)
        {
            return Err(CoreError::invalid(
                "rating",
                "INVALID_RATING",
                "the rating must be a whole number from 0 to 10",
            ));
        }
        let comment = self
            .comment
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT) {
            return Err(CoreError::invalid(
                "comment",
                "COMMENT_TOO_LONG",
                format!("the comment must be at most {MAX_COMMENT} characters"),
            ));
        }
        Ok((self.rating, comment.map(str::to_owned)))
    }
}

fn invalid_link() -> CoreError {
    CoreError::invalid(
        "token",
        "INVALID_LINK",
        "this feedback link is not valid; use the link from your message",
    )
}

fn already_answered() -> CoreError {
    CoreError::invalid(
        "token",
        "SURVEY_ALREADY_ANSWERED",
        "this survey was already answered; thank you",
    )
}

/// Answers the survey of the link `token`. The rating is required here.
pub async fn answer_survey(
    tx: &TenantTx,
    actor: &Actor,
    token: &str,
    answer: &Answer,
    now: DateTime<Utc>,
) -> CoreResult<feedback_response::Model> {
    if answer.rating.is_none() {
        return Err(CoreError::invalid(
            "rating",
            "INVALID_RATING",
            "choose a rating from 0 to 10",
        ));
    }
    let (rating, comment) = answer.checked()?;
    audit::lock(tx).await?;
    let invitation = tx
        .find::<feedback_invitation::Entity>()
        .filter(feedback_invitation::Column::TokenHash.eq(hash_token(token)))
        .one(tx.conn())
        .await?
        .ok_or_else(invalid_link)?;
    if invitation.status == ANSWERED {
        return Err(already_answered());
    }
    if invitation.expires_at.is_none_or(|at| at <= now) {
        return Err(CoreError::invalid(
            "token",
            "SURVEY_EXPIRED",
            "this feedback link has expired",
        ));
    }
    // Taken once: of two answers at once, the second finds it answered.
    let taken = tx
        .update::<feedback_invitation::Entity>()
        .col_expr(feedback_invitation::Column::Status, Expr::value(ANSWERED))
        .col_expr(
            feedback_invitation::Column::AnsweredAt,
            Expr::value(Some(now)),
        )
        .filter(feedback_invitation::Column::Id.eq(invitation.id))
        .filter(feedback_invitation::Column::Status.eq(SENT))
        .exec(tx.conn())
        .await?;
    if taken.rows_affected == 0 {
        return Err(already_answered());
    }
    let visit = tx
        .find::<appointment::Entity>()
        .filter(appointment::Column::Id.eq(invitation.appointment_id))
        .one(tx.conn())
        .await?;
    let response = feedback_response::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(invitation.patient_id),
        invitation_id: Set(Some(invitation.id)),
        appointment_id: Set(Some(invitation.appointment_id)),
        provider_id: Set(visit.as_ref().map(|v| v.provider_id)),
        location_id: Set(visit.as_ref().map(|v| v.location_id)),
        rating: Set(rating),
        comment: Set(comment),
        source: Set(SURVEY.to_owned()),
        submitted_by: Set(None),
        handled_by: Set(None),
        handled_at: Set(None),
        created_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    record(tx, actor, "feedback.answer", &response).await?;
    Ok(response)
}

/// The portal's feedback form: a comment (required), a rating (optional) and, optionally,
/// the past visit of the patient's own chart it is about.
pub async fn submit(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    patient: PatientId,
    appointment_id: Option<Uuid>,
    answer: &Answer,
    now: DateTime<Utc>,
) -> CoreResult<feedback_response::Model> {
    let (rating, comment) = answer.checked()?;
    if comment.is_none() {
        return Err(CoreError::invalid(
            "comment",
            "COMMENT_REQUIRED",
            "write what you would like the practice to know",
        ));
    }
    audit::lock(tx).await?;
    let chart = chart_access::open(tx, viewer, patient, Purpose::Write).await?;
    let visit = match appointment_id {
        None => None,
        Some(id) => Some(
            tx.find::<appointment::Entity>()
                .filter(appointment::Column::Id.eq(id))
                .filter(appointment::Column::PatientId.eq(chart.id()))
                // A past visit: recorded completed, or begun by now.
                .filter(
                    Condition::any()
                        .add(appointment::Column::Status.eq(COMPLETED))
                        .add(appointment::Column::StartsAt.lte(now)),
                )
                .one(tx.conn())
                .await?
                .ok_or_else(|| {
                    CoreError::invalid(
                        "appointmentId",
                        "APPOINTMENT_NOT_FOUND",
                        "choose one of your past visits",
                    )
                })?,
        ),
    };
    let response = feedback_response::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(chart.id()),
        invitation_id: Set(None),
        appointment_id: Set(visit.as_ref().map(|v| v.id)),
        provider_id: Set(visit.as_ref().map(|v| v.provider_id)),
        location_id: Set(visit.as_ref().map(|v| v.location_id)),
        rating: Set(rating),
        comment: Set(comment),
        source: Set(PORTAL.to_owned()),
        submitted_by: Set(Some(viewer.user_id.as_uuid())),
        handled_by: Set(None),
        handled_at: Set(None),
        created_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    record(tx, actor, "feedback.submit", &response).await?;
    Ok(response)
}

pub(super) async fn record(
    tx: &TenantTx,
    actor: &Actor,
    action: &str,
    response: &feedback_response::Model,
) -> CoreResult<()> {
    audit::record(
        tx,
        actor,
        Access {
            action,
            resource_type: "FeedbackResponse",
            resource_id: Some(response.id),
            patient_id: Some(response.patient_id),
        },
    )
    .await
}

/// Every answer of the practice, oldest first (support and tests).
pub async fn all(tx: &TenantTx) -> CoreResult<Vec<feedback_response::Model>> {
    Ok(tx
        .find::<feedback_response::Entity>()
        .order_by_asc(feedback_response::Column::Id)
        .all(tx.conn())
        .await?)
}
