//! Filling in a form: the patient (or a proxy with `book`) saves a draft as often as they
//! like and submits once. Every answer is checked against its question; on submit, answers
//! to questions hidden by their conditions are dropped and every shown required question
//! must be answered. The answers are kept as a FHIR `QuestionnaireResponse`.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use super::{
    COMPLETED, IN_PROGRESS, OPEN, canonical,
    questionnaire::{self, Problem, QuestionnaireResponse, ResponseItem},
};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    chart_access::Viewer,
    entities::{form_request, patient},
    events::{self, Event},
    identity::Role,
};

/// The proxy scope that lets a caregiver fill in forms (they come with the visits a
/// caregiver books).
pub const PROXY_SCOPE: &str = "book";

fn refused(code: &'static str, message: &str) -> Problem {
    Problem {
        field: "id".to_owned(),
        code,
        message: message.to_owned(),
    }
}

/// Saves `given` (link id, answer) on the request `id`: a draft, or (`submit`) the final
/// answers. A problem with them changes nothing. A request of a chart the viewer may not
/// fill in for is `NotFound`.
pub async fn save(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    id: Uuid,
    given: &[(String, String)],
    submit: bool,
    now: DateTime<Utc>,
) -> CoreResult<Result<form_request::Model, Problem>> {
    audit::lock(tx).await?;
    let request = super::find_request(tx, id).await?;
    if viewer.role != Role::Patient {
        return Err(CoreError::NotFound);
    }
    let chart = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(request.patient_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if chart.user_id != Some(viewer.user_id.as_uuid())
        && !crate::proxies::allows(tx, viewer.user_id, chart.id, PROXY_SCOPE).await?
    {
        return Err(crate::proxies::refusal(tx, viewer.user_id, chart.id, PROXY_SCOPE).await?);
    }
    if request.status == COMPLETED {
        return Ok(Err(refused(
            "FORM_ALREADY_SUBMITTED",
            "this form was already submitted",
        )));
    }
    if !OPEN.contains(&request.status.as_str()) {
        return Ok(Err(refused(
            "FORM_WITHDRAWN",
            "this form is no longer asked for",
        )));
    }
    let form = super::find_form(tx, request.form_id).await?;
    let definition = super::questionnaire_of(&form)?;
    let kept = match questionnaire::answers(&definition, given, submit) {
        Ok(kept) => kept,
        Err(problem) => return Ok(Err(problem)),
    };
    let response = QuestionnaireResponse {
        resource_type: "QuestionnaireResponse".to_owned(),
        questionnaire: format!("{}|{}", canonical(form.form_key), form.version),
        status: if submit { "completed" } else { "in-progress" }.to_owned(),
        subject: None,
        authored: Some(now.to_rfc3339_opts(SecondsFormat::Secs, true)),
        item: kept
            .iter()
            .map(|(item, value)| ResponseItem {
                link_id: item.link_id.clone(),
                text: Some(item.text.clone()),
                answer: vec![value.to_answer()],
            })
            .collect(),
    };
    let json = serde_json::to_string(&response).map_err(CoreError::adapter)?;
    let status = if submit { COMPLETED } else { IN_PROGRESS };
    let mut update = tx
        .update::<form_request::Entity>()
        .col_expr(form_request::Column::Response, Expr::value(Some(json)))
        .col_expr(form_request::Column::Status, Expr::value(status))
        .col_expr(
            form_request::Column::AnsweredBy,
            Expr::value(Some(viewer.user_id.as_uuid())),
        )
        .col_expr(form_request::Column::UpdatedAt, Expr::value(now));
    if submit {
        update = update.col_expr(form_request::Column::SubmittedAt, Expr::value(Some(now)));
    }
    // Only while it is still open: of two submits at once, one wins.
    let changed = update
        .filter(form_request::Column::Id.eq(request.id))
        .filter(form_request::Column::Status.is_in(OPEN))
        .exec(tx.conn())
        .await?;
    if changed.rows_affected == 0 {
        return Ok(Err(refused(
            "FORM_ALREADY_SUBMITTED",
            "this form was already submitted",
        )));
    }
    audit::record(
        tx,
        actor,
        Access {
            action: if submit { "form.submit" } else { "form.draft" },
            resource_type: "QuestionnaireResponse",
            resource_id: Some(request.id),
            patient_id: Some(request.patient_id),
        },
    )
    .await?;
    if submit {
        events::publish(
            tx,
            Event::FormSubmitted {
                request_id: request.id,
                patient_id: request.patient_id,
            },
        )
        .await?;
    }
    Ok(Ok(super::find_request(tx, request.id).await?))
}
