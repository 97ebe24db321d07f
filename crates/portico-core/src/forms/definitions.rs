//! Building forms: a definition is checked whole (a problem names its item), stored as a
//! FHIR Questionnaire, and changed in place only while no patient has been asked for it;
//! after that a change is a new version, so answers keep the questions they answered.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    FORM_STATUSES, canonical,
    questionnaire::{self, AnswerOption, EnableWhen, Item, Problem, Questionnaire},
};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{appointment_type, form, form_attachment, form_request},
};

/// A question as the builder sends it.
#[derive(Clone, Debug)]
pub struct ItemDraft {
    pub link_id: String,
    pub text: String,
    /// One of [`questionnaire::TYPES`].
    pub kind: String,
    pub required: bool,
    /// A choice's options.
    pub options: Vec<String>,
    pub conditions: Vec<ConditionDraft>,
    /// `any` or `all` (several conditions).
    pub behavior: Option<String>,
}

/// Show the item when `question` (an earlier item) compares with `value` by `operator`.
#[derive(Clone, Debug)]
pub struct ConditionDraft {
    pub question: String,
    /// `=`, `!=` or `exists`.
    pub operator: String,
    /// An answer to the question (`true`, `2`, `2026-01-31`, an option); for `exists`,
    /// `true` or `false`.
    pub value: String,
}

#[derive(Clone, Debug)]
pub struct FormDraft {
    pub title: String,
    /// `draft`, `active` or `retired`.
    pub status: String,
    pub items: Vec<ItemDraft>,
}

/// The Questionnaire of `draft`, or the first problem with it.
pub fn build(form_key: Uuid, version: i32, draft: &FormDraft) -> Result<Questionnaire, Problem> {
    if !FORM_STATUSES.contains(&draft.status.as_str()) {
        return Err(Problem {
            field: "status".to_owned(),
            code: "FORM_STATUS_INVALID",
            message: "a form is draft, active or retired".to_owned(),
        });
    }
    let mut items: Vec<Item> = Vec::with_capacity(draft.items.len());
    for (index, given) in draft.items.iter().enumerate() {
        let link_id = given.link_id.trim().to_owned();
        let mut enable_when = Vec::new();
        for condition in &given.conditions {
            let Some(target) = items
                .iter()
                .find(|i| i.link_id == condition.question.trim())
            else {
                return Err(Problem::item(
                    index,
                    &link_id,
                    format!(
                        "item \"{link_id}\": its condition is on \"{}\", which is not an \
                         earlier item",
                        condition.question
                    ),
                ));
            };
            if !questionnaire::OPERATORS.contains(&condition.operator.as_str()) {
                return Err(Problem::item(
                    index,
                    &link_id,
                    format!("item \"{link_id}\": the condition's operator is =, != or exists"),
                ));
            }
            let when = EnableWhen::new(target, &condition.operator, &condition.value).map_err(
                |reason| Problem::item(index, &link_id, format!("item \"{link_id}\": {reason}")),
            )?;
            enable_when.push(when);
        }
        items.push(Item {
            link_id,
            text: given.text.trim().to_owned(),
            kind: given.kind.clone(),
            required: given.required,
            answer_option: given
                .options
                .iter()
                .map(|o| AnswerOption {
                    value_string: o.clone(),
                })
                .collect(),
            enable_when,
            // FHIR wants it only with several conditions; one condition needs none.
            enable_behavior: given
                .behavior
                .clone()
                .filter(|_| given.conditions.len() > 1),
        });
    }
    let form = Questionnaire {
        resource_type: "Questionnaire".to_owned(),
        url: canonical(form_key),
        version: version.to_string(),
        title: draft.title.trim().to_owned(),
        status: draft.status.clone(),
        item: items,
    };
    questionnaire::check(&form)?;
    Ok(form)
}

/// The newest version of the form `form_key`.
pub async fn latest(tx: &TenantTx, form_key: Uuid) -> CoreResult<form::Model> {
    tx.find::<form::Entity>()
        .filter(form::Column::FormKey.eq(form_key))
        .order_by_desc(form::Column::Version)
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// Whether a patient has been asked for this version (its questions are then fixed).
async fn in_use(tx: &TenantTx, form_id: Uuid) -> CoreResult<bool> {
    Ok(tx
        .find::<form_request::Entity>()
        .filter(form_request::Column::FormId.eq(form_id))
        .count(tx.conn())
        .await?
        > 0)
}

/// Saves a new form (`form_key` none) or a change to the form `form_key`: in place while no
/// patient was asked for its newest version, as a new version otherwise. The problem with
/// the definition, if any, changes nothing.
pub async fn save(
    tx: &TenantTx,
    actor: &Actor,
    form_key: Option<Uuid>,
    draft: &FormDraft,
) -> CoreResult<Result<form::Model, Problem>> {
    audit::lock(tx).await?;
    let now = Utc::now();
    let current = match form_key {
        Some(key) => Some(latest(tx, key).await?),
        None => None,
    };
    let (key, version, replace) = match &current {
        None => (Uuid::now_v7(), 1, None),
        Some(found) if in_use(tx, found.id).await? => (found.form_key, found.version + 1, None),
        Some(found) => (found.form_key, found.version, Some(found.clone())),
    };
    let built = match build(key, version, draft) {
        Ok(built) => built,
        Err(problem) => return Ok(Err(problem)),
    };
    let json = serde_json::to_string(&built).map_err(CoreError::adapter)?;
    let saved = match replace {
        Some(found) => {
            let mut row: form::ActiveModel = found.into();
            row.title = Set(built.title.clone());
            row.status = Set(built.status.clone());
            row.questionnaire = Set(json);
            row.updated_at = Set(now);
            row.update(tx.conn()).await?
        }
        None => {
            form::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                form_key: Set(key),
                version: Set(version),
                title: Set(built.title.clone()),
                status: Set(built.status.clone()),
                questionnaire: Set(json),
                created_by: Set(actor.id),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(tx.conn())
            .await?
        }
    };
    audit::record(
        tx,
        actor,
        Access::practice("form.save", "Questionnaire", Some(saved.id)),
    )
    .await?;
    Ok(Ok(saved))
}

/// The newest version of each of the practice's forms, by title.
pub async fn list(tx: &TenantTx) -> CoreResult<Vec<form::Model>> {
    let all = tx
        .find::<form::Entity>()
        .order_by_asc(form::Column::FormKey)
        .order_by_desc(form::Column::Version)
        .all(tx.conn())
        .await?;
    let mut newest: HashMap<Uuid, form::Model> = HashMap::new();
    for found in all {
        newest.entry(found.form_key).or_insert(found);
    }
    let mut listed: Vec<form::Model> = newest.into_values().collect();
    listed.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
    Ok(listed)
}

/// Attaches the form `form_key` to the visit type (or, `attached` false, takes it off).
/// Returns the forms now attached to the type.
pub async fn attach(
    tx: &TenantTx,
    actor: &Actor,
    appointment_type_id: Uuid,
    form_key: Uuid,
    attached: bool,
) -> CoreResult<Vec<form::Model>> {
    audit::lock(tx).await?;
    tx.find::<appointment_type::Entity>()
        .filter(appointment_type::Column::Id.eq(appointment_type_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let form = latest(tx, form_key).await?;
    let existing = tx
        .find::<form_attachment::Entity>()
        .filter(form_attachment::Column::AppointmentTypeId.eq(appointment_type_id))
        .filter(form_attachment::Column::FormKey.eq(form_key))
        .one(tx.conn())
        .await?;
    match (existing, attached) {
        (None, true) => {
            form_attachment::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                appointment_type_id: Set(appointment_type_id),
                form_key: Set(form_key),
                created_at: Set(Utc::now()),
            }
            .insert(tx.conn())
            .await?;
        }
        (Some(found), false) => {
            tx.delete::<form_attachment::Entity>()
                .filter(form_attachment::Column::Id.eq(found.id))
                .exec(tx.conn())
                .await?;
        }
        _ => {}
    }
    audit::record(
        tx,
        actor,
        Access::practice(
            if attached {
                "form.attach"
            } else {
                "form.detach"
            },
            "Questionnaire",
            Some(form.id),
        ),
    )
    .await?;
    attached_to(tx, appointment_type_id).await
}

/// The forms (newest versions) attached to a visit type.
pub async fn attached_to(tx: &TenantTx, appointment_type_id: Uuid) -> CoreResult<Vec<form::Model>> {
    attached_versions(tx, appointment_type_id)
        .await?
        .into_iter()
        .map(|versions| versions.into_iter().next().ok_or(CoreError::NotFound))
        .collect()
}

/// Every version of each form attached to a visit type (newest first), in the order they
/// were attached: two queries, whatever the number of forms.
pub async fn attached_versions(
    tx: &TenantTx,
    appointment_type_id: Uuid,
) -> CoreResult<Vec<Vec<form::Model>>> {
    let keys: Vec<Uuid> = tx
        .find::<form_attachment::Entity>()
        .filter(form_attachment::Column::AppointmentTypeId.eq(appointment_type_id))
        .order_by_asc(form_attachment::Column::CreatedAt)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|a| a.form_key)
        .collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_key: HashMap<Uuid, Vec<form::Model>> = HashMap::new();
    for version in tx
        .find::<form::Entity>()
        .filter(form::Column::FormKey.is_in(keys.iter().copied()))
        .order_by_desc(form::Column::Version)
        .all(tx.conn())
        .await?
    {
        by_key.entry(version.form_key).or_default().push(version);
    }
    Ok(keys.iter().filter_map(|key| by_key.remove(key)).collect())
}

/// Sets a form version's status (retiring it stops new requests; answers are untouched).
pub async fn set_status(
    tx: &TenantTx,
    actor: &Actor,
    form_id: Uuid,
    status: &str,
) -> CoreResult<form::Model> {
    audit::lock(tx).await?;
    if !FORM_STATUSES.contains(&status) {
        return Err(CoreError::invalid(
            "status",
            "FORM_STATUS_INVALID",
            "a form is draft, active or retired",
        ));
    }
    let found = super::find_form(tx, form_id).await?;
    let mut parsed = super::questionnaire_of(&found)?;
    parsed.status = status.to_owned();
    let json = serde_json::to_string(&parsed).map_err(CoreError::adapter)?;
    tx.update::<form::Entity>()
        .col_expr(form::Column::Status, Expr::value(status))
        .col_expr(form::Column::Questionnaire, Expr::value(json))
        .col_expr(form::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(form::Column::Id.eq(form_id))
        .exec(tx.conn())
        .await?;
    audit::record(
        tx,
        actor,
        Access::practice("form.status", "Questionnaire", Some(form_id)),
    )
    .await?;
    super::find_form(tx, form_id).await
}
