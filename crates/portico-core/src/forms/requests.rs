//! Asking patients for forms: with a booked visit of a type the form is attached to (once
//! per visit and form, however often the booking is told), or sent on its own by staff with
//! an optional due date. Also the lists patients and staff read, each audited.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::{ACTIVE, OPEN, PENDING, WITHDRAWN, definitions::attached_versions};
use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::{self, Access, Actor},
    chart_access::{self, OpenChart, Purpose, Viewer},
    entities::{appointment, form, form_request, patient},
    notify::{self, Notice, Portal},
    scheduling::appointments::CANCELLED,
};

/// A request with the form version it asks for.
#[derive(Clone, Debug)]
pub struct Listed {
    pub request: form_request::Model,
    pub form: form::Model,
}

fn row(
    tx: &TenantTx,
    form_id: Uuid,
    patient_id: Uuid,
    appointment_id: Option<Uuid>,
    due_on: Option<NaiveDate>,
    requested_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> form_request::ActiveModel {
    form_request::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        form_id: Set(form_id),
        patient_id: Set(patient_id),
        appointment_id: Set(appointment_id),
        status: Set(PENDING.to_owned()),
        due_on: Set(due_on),
        response: Set(None),
        requested_by: Set(requested_by),
        answered_by: Set(None),
        submitted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// After a booking: the forms of the visit's type are asked for this visit. A move carries
/// the moved visit's requests (and any draft) over instead of asking again.
pub async fn on_booked(tx: &TenantTx, booked: &appointment::Model) -> CoreResult<()> {
    if let Some(previous) = booked.rescheduled_from {
        tx.update::<form_request::Entity>()
            .col_expr(
                form_request::Column::AppointmentId,
                Expr::value(Some(booked.id)),
            )
            .filter(form_request::Column::AppointmentId.eq(previous))
            .exec(tx.conn())
            .await?;
    }
    let attached = attached_versions(tx, booked.appointment_type_id).await?;
    if attached.is_empty() {
        return Ok(());
    }
    let asked: Vec<Uuid> = tx
        .find::<form_request::Entity>()
        .filter(form_request::Column::AppointmentId.eq(booked.id))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|r| r.form_id)
        .collect();
    let now = Utc::now();
    let mut requested = 0;
    for versions in attached {
        let Some(version) = versions.iter().find(|f| f.status == super::ACTIVE) else {
            continue;
        };
        // Any version of this form already asked for the visit (carried over by a move).
        if versions.iter().any(|f| asked.contains(&f.id)) {
            continue;
        }
        let request = row(
            tx,
            version.id,
            booked.patient_id,
            Some(booked.id),
            None,
            None,
            now,
        );
        // The unique index on (visit, form) is the backstop against a second telling.
        form_request::Entity::insert(request)
            .on_conflict(
                OnConflict::columns([
                    form_request::Column::TenantId,
                    form_request::Column::AppointmentId,
                    form_request::Column::FormId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(tx.conn())
            .await?;
        requested += 1;
    }
    audit::record_all(
        tx,
        &Actor::system(),
        (0..requested).map(|_| Access {
            action: "form.request",
            resource_type: "QuestionnaireResponse",
            resource_id: None,
            patient_id: Some(booked.patient_id),
        }),
    )
    .await?;
    Ok(())
}

/// After a visit was cancelled: its unanswered forms are withdrawn (submitted ones stay).
pub async fn on_released(
    tx: &TenantTx,
    visit: &appointment::Model,
    status: &str,
) -> CoreResult<()> {
    if status != CANCELLED {
        return Ok(());
    }
    tx.update::<form_request::Entity>()
        .col_expr(form_request::Column::Status, Expr::value(WITHDRAWN))
        .col_expr(form_request::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(form_request::Column::AppointmentId.eq(visit.id))
        .filter(form_request::Column::Status.is_in(OPEN))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Staff send the form version `form_id` (active) to a patient, due by `due_on` if given.
/// The patient is told there is a form to fill in, and nothing more. Returns the request and
/// how many notices were written to the outbox.
pub async fn send(
    tx: &TenantTx,
    actor: &Actor,
    portal: &Portal,
    form_id: Uuid,
    patient_id: Uuid,
    due_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> CoreResult<(form_request::Model, usize)> {
    audit::lock(tx).await?;
    let found = super::find_form(tx, form_id).await?;
    if found.status != ACTIVE {
        return Err(CoreError::invalid(
            "formId",
            "FORM_NOT_ACTIVE",
            "only an active form can be sent",
        ));
    }
    let chart = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(patient_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    if due_on.is_some_and(|d| d < now.date_naive()) {
        return Err(CoreError::invalid(
            "dueOn",
            "FORM_DUE_INVALID",
            "the due date is in the past",
        ));
    }
    let request = row(tx, found.id, chart.id, None, due_on, actor.id, now);
    let created = request.insert(tx.conn()).await?;
    audit::record(
        tx,
        actor,
        Access {
            action: "form.send",
            resource_type: "QuestionnaireResponse",
            resource_id: Some(created.id),
            patient_id: Some(chart.id),
        },
    )
    .await?;
    let written = tell_patient(tx, portal, &created, now).await?;
    Ok((created, written))
}

/// After a booking (in its transaction): the patient is told once that the visit has forms
/// to fill in (as `send` tells them), however many it asks for. The message's key is the
/// visit's first request, so a move, which carries the requests over, does not tell again.
/// Returns the messages written.
pub async fn tell_booked(
    tx: &TenantTx,
    portal: &Portal,
    visit: Uuid,
    now: DateTime<Utc>,
) -> CoreResult<usize> {
    let first = tx
        .find::<form_request::Entity>()
        .filter(form_request::Column::AppointmentId.eq(visit))
        .filter(form_request::Column::Status.eq(PENDING))
        .order_by_asc(form_request::Column::Id)
        .one(tx.conn())
        .await?;
    match first {
        Some(request) => tell_patient(tx, portal, &request, now).await,
        None => Ok(0),
    }
}

/// "You have a form to fill in": no form name, no question, only the link to the portal.
async fn tell_patient(
    tx: &TenantTx,
    portal: &Portal,
    request: &form_request::Model,
    now: DateTime<Utc>,
) -> CoreResult<usize> {
    let key = format!("form:{}", request.id);
    let link = portal.forms();
    let notice = notify::Send {
        notice: Notice::FormRequested,
        key: &key,
        topic: None,
        link: &link,
        deadline: None,
    };
    let written = notify::to_patient(tx, portal, request.patient_id, &notice, now).await?;
    Ok(usize::from(written.email) + usize::from(written.sms))
}

/// The forms of these requests.
async fn with_forms(tx: &TenantTx, requests: Vec<form_request::Model>) -> CoreResult<Vec<Listed>> {
    let ids: Vec<Uuid> = requests.iter().map(|r| r.form_id).collect();
    let forms = tx
        .find::<form::Entity>()
        .filter(form::Column::Id.is_in(ids))
        .all(tx.conn())
        .await?;
    requests
        .into_iter()
        .map(|request| {
            let form = forms
                .iter()
                .find(|f| f.id == request.form_id)
                .cloned()
                .ok_or(CoreError::NotFound)?;
            Ok(Listed { request, form })
        })
        .collect()
}

/// The chart's form requests (withdrawn ones left out), newest first, audited as one read.
pub async fn of_chart(tx: &TenantTx, actor: &Actor, chart: &OpenChart) -> CoreResult<Vec<Listed>> {
    let found = tx
        .find::<form_request::Entity>()
        .filter(form_request::Column::PatientId.eq(chart.id()))
        .filter(form_request::Column::Status.ne(WITHDRAWN))
        .order_by_desc(form_request::Column::CreatedAt)
        .order_by_desc(form_request::Column::Id)
        .all(tx.conn())
        .await?;
    crate::records::audit(tx, actor, chart, "form.list", "QuestionnaireResponse", None).await?;
    with_forms(tx, found).await
}

/// A visit's form requests, for whoever may read the visit's chart, audited.
pub async fn of_visit(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    appointment_id: Uuid,
) -> CoreResult<Vec<Listed>> {
    let visit = crate::scheduling::appointments::find(tx, appointment_id).await?;
    let chart = chart_access::open(
        tx,
        viewer,
        PatientId::from_uuid(visit.patient_id),
        Purpose::Read,
    )
    .await?;
    let found = tx
        .find::<form_request::Entity>()
        .filter(form_request::Column::AppointmentId.eq(visit.id))
        .filter(form_request::Column::Status.ne(WITHDRAWN))
        .order_by_asc(form_request::Column::CreatedAt)
        .all(tx.conn())
        .await?;
    crate::records::audit(
        tx,
        actor,
        &chart,
        "form.list",
        "QuestionnaireResponse",
        None,
    )
    .await?;
    with_forms(tx, found).await
}

/// One request with its form, for whoever may read its chart, audited.
pub async fn open(tx: &TenantTx, actor: &Actor, viewer: &Viewer, id: Uuid) -> CoreResult<Listed> {
    let request = super::find_request(tx, id).await?;
    let chart = chart_access::open(
        tx,
        viewer,
        PatientId::from_uuid(request.patient_id),
        Purpose::Read,
    )
    .await?;
    crate::records::audit(
        tx,
        actor,
        &chart,
        "form.read",
        "QuestionnaireResponse",
        Some(request.id),
    )
    .await?;
    let form = super::find_form(tx, request.form_id).await?;
    Ok(Listed { request, form })
}
