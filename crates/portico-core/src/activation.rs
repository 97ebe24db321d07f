//! Patient enrolment: staff issue an activation code for a chart; the patient proves who they
//! are with the code and their date of birth, then chooses an email and password.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, PatientId, TenantTx, UserId, accounts,
    audit::{self, Access, Actor},
    entities::{activation_code, patient, user},
    identity::Role,
    patients,
    ports::Credentials,
    secrets,
    sessions::hash_token,
};

/// Wrong dates of birth a code survives.
const MAX_FAILED_ATTEMPTS: i32 = 5;

pub struct Issued {
    pub code: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub patient: patient::Model,
}

fn hash(code: &str) -> String {
    hash_token(&secrets::normalize(code))
}

/// One answer for every refusal (unknown, used, worn-out or expired code, wrong date of
/// birth), so that guessing learns nothing about which codes exist.
fn invalid() -> CoreError {
    CoreError::invalid(
        "code",
        "ACTIVATION_INVALID",
        "the code or the date of birth is not right; check both, or ask the practice for a new code",
    )
}

/// Issues a new code for a chart; earlier unused codes of that chart stop working.
pub async fn issue(
    tx: &TenantTx,
    actor: &Actor,
    patient: PatientId,
    ttl: Duration,
) -> CoreResult<Issued> {
    issue_with(tx, actor, patient, ttl, true).await
}

/// Issues a new code for a chart and leaves its earlier codes working: an invitation
/// campaign's follow-up, so the link of the first invitation still works when the patient
/// opens that message after the follow-up arrived.
pub async fn issue_alongside(
    tx: &TenantTx,
    actor: &Actor,
    patient: PatientId,
    ttl: Duration,
) -> CoreResult<Issued> {
    issue_with(tx, actor, patient, ttl, false).await
}

async fn issue_with(
    tx: &TenantTx,
    actor: &Actor,
    patient: PatientId,
    ttl: Duration,
    revoke_earlier: bool,
) -> CoreResult<Issued> {
    let chart = patients::get(tx, actor, patient).await?;
    if chart.user_id.is_some() {
        return Err(CoreError::invalid(
            "patientId",
            "ALREADY_ACTIVATED",
            "this patient already has a portal account",
        ));
    }
    let now = Utc::now();
    if revoke_earlier {
        tx.update::<activation_code::Entity>()
            .col_expr(
                activation_code::Column::UsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(activation_code::Column::PatientId.eq(chart.id))
            .filter(activation_code::Column::UsedAt.is_null())
            .exec(tx.conn())
            .await?;
    }
    let code = secrets::code(2);
    let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(3));
    activation_code::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(chart.id),
        code_hash: Set(hash(&code)),
        created_by: Set(actor.id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        failed_attempts: Set(0),
    }
    .insert(tx.conn())
    .await?;
    audit::record(
        tx,
        actor,
        Access {
            action: "patient.activation_code_issued",
            resource_type: "Patient",
            resource_id: Some(chart.id),
            patient_id: Some(chart.id),
        },
    )
    .await?;
    Ok(Issued {
        code,
        expires_at,
        patient: chart,
    })
}

/// What went wrong with an activation, when it did. A wrong date of birth still has to be
/// committed (it counts against the code), so it is returned, not raised.
pub enum Outcome {
    Activated(Box<user::Model>),
    Refused(CoreError),
}

pub async fn activate(
    tx: &TenantTx,
    credentials: &dyn Credentials,
    code: &str,
    birth_date: NaiveDate,
    email: &str,
    password: &str,
) -> CoreResult<Outcome> {
    let Some(found) = tx
        .find::<activation_code::Entity>()
        .filter(activation_code::Column::CodeHash.eq(hash(code)))
        .one(tx.conn())
        .await?
    else {
        return Ok(Outcome::Refused(invalid()));
    };
    if found.used_at.is_some()
        || found.failed_attempts >= MAX_FAILED_ATTEMPTS
        || found.expires_at <= Utc::now()
    {
        return Ok(Outcome::Refused(invalid()));
    }
    let chart = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(found.patient_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    // A chart may hold several codes (an invitation and its follow-ups): once one of them
    // made an account, the others are refused like any used code.
    if chart.user_id.is_some() {
        return Ok(Outcome::Refused(invalid()));
    }
    if chart.birth_date != birth_date {
        // Counted on every live code of the chart, not only this one: with an invitation's
        // follow-ups a chart holds several, and guesses are limited per chart.
        tx.update::<activation_code::Entity>()
            .col_expr(
                activation_code::Column::FailedAttempts,
                sea_orm::sea_query::ExprTrait::add(
                    sea_orm::sea_query::Expr::col(activation_code::Column::FailedAttempts),
                    1,
                ),
            )
            .filter(activation_code::Column::PatientId.eq(chart.id))
            .filter(activation_code::Column::UsedAt.is_null())
            .exec(tx.conn())
            .await?;
        return Ok(Outcome::Refused(invalid()));
    }
    let email = accounts::normalize_email(email)?;
    credentials
        .check_policy(password, &[&email, &chart.given_name, &chart.family_name])
        .map_err(|e| CoreError::invalid("password", e.code(), e.to_string()))?;
    let hash = credentials.hash(password).map_err(CoreError::adapter)?;
    let name = format!("{} {}", chart.given_name, chart.family_name);
    let user = accounts::insert_user(tx, &email, &name, Role::Patient, Some(hash)).await?;
    let actor = Actor::user(user.id);
    patients::link_new_account(
        tx,
        &actor,
        PatientId::from_uuid(chart.id),
        UserId::from_uuid(user.id),
    )
    .await
    .map_err(|e| match e {
        CoreError::Invalid { .. } => invalid(),
        other => other,
    })?;
    // Conditional, so two concurrent activations with one code cannot both create accounts.
    let claimed = tx
        .update::<activation_code::Entity>()
        .col_expr(
            activation_code::Column::UsedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(activation_code::Column::Id.eq(found.id))
        .filter(activation_code::Column::UsedAt.is_null())
        .exec(tx.conn())
        .await?;
    if claimed.rows_affected != 1 {
        return Err(invalid());
    }
    crate::events::publish(
        tx,
        crate::events::Event::PatientActivated {
            patient_id: chart.id,
        },
    )
    .await?;
    // The chart's other codes (earlier invitations) stop working with this account made.
    tx.update::<activation_code::Entity>()
        .col_expr(
            activation_code::Column::UsedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(activation_code::Column::PatientId.eq(chart.id))
        .filter(activation_code::Column::UsedAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(Outcome::Activated(Box::new(user)))
}
