//! Patients' demographics. Every read and write is audited: a write in its transaction, a
//! read as its transaction ends (see [`crate::audit`]).

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::{self, Access, Actor},
    entities::patient::{self, Column},
    patient_search::{self, PatientSearch},
};

pub(crate) const GENDERS: &[&str] = &["female", "male", "other", "unknown"];

#[derive(Clone, Debug, Default)]
pub struct NewPatient {
    pub mrn: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: Option<NaiveDate>,
    pub gender: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

pub async fn create(tx: &TenantTx, actor: &Actor, new: NewPatient) -> CoreResult<patient::Model> {
    let model = new_chart(tx, new)?
        .insert(tx.conn())
        .await
        .map_err(|e| CoreError::unique_as(e, CoreError::Conflict { field: "mrn" }))?;
    crate::patient_search::index_names(tx, &model).await?;
    audit::record(tx, actor, created(model.id)).await?;
    Ok(model)
}

/// What [`create`] audits for a chart it made.
pub(crate) fn created(id: uuid::Uuid) -> Access<'static> {
    access("patient.create", id)
}

/// The row of a new chart, checked: what [`create`] inserts (the search columns are filled
/// as it is saved).
pub(crate) fn new_chart(tx: &TenantTx, new: NewPatient) -> CoreResult<patient::ActiveModel> {
    let given_name = required_name("givenName", &new.given_name)?;
    let family_name = required_name("familyName", &new.family_name)?;
    let birth_date = new.birth_date.ok_or_else(|| {
        CoreError::invalid("birthDate", "REQUIRED", "the date of birth is required")
    })?;
    if birth_date > Utc::now().date_naive() {
        return Err(CoreError::invalid(
            "birthDate",
            "INVALID_DATE",
            "cannot be in the future",
        ));
    }
    if !GENDERS.contains(&new.gender.as_str()) {
        return Err(CoreError::invalid(
            "gender",
            "INVALID_GENDER",
            "must be female, male, other or unknown",
        ));
    }
    let now = Utc::now();
    let id = PatientId::new().as_uuid();
    Ok(patient::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(id),
        user_id: Set(None),
        mrn: Set(new.mrn),
        given_name: Set(given_name),
        family_name: Set(family_name),
        given_names: Set(None),
        birth_date: Set(birth_date),
        gender: Set(new.gender),
        email: Set(new.email.map(|e| e.trim().to_ascii_lowercase())),
        phone: Set(new.phone),
        address_line: Set(None),
        city: Set(None),
        region: Set(None),
        postal_code: Set(None),
        country: Set(None),
        preferred_language: Set(None),
        preferred_pharmacy: Set(None),
        time_zone: Set(None),
        notify_email: Set(true),
        notify_sms: Set(false),
        notifications_opted_out_at: Set(None),
        email_bounced_at: Set(None),
        phone_bounced_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        // Filled from the names, phone and email by the entity's `before_save`.
        search_family: NotSet,
        search_given: NotSet,
        phone_reversed: NotSet,
        email_lower: NotSet,
    })
}

/// The chart with this id in the transaction's tenant, unaudited: callers audit what they do.
async fn find(tx: &TenantTx, id: PatientId) -> CoreResult<patient::Model> {
    tx.find::<patient::Entity>()
        .filter(Column::Id.eq(id.as_uuid()))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

pub async fn get(tx: &TenantTx, actor: &Actor, id: PatientId) -> CoreResult<patient::Model> {
    let found = find(tx, id).await?;
    audit::record(tx, actor, access("patient.read", found.id)).await?;
    Ok(found)
}

/// A page of the tenant's patients in creation order, after `after` when given.
pub async fn list(
    tx: &TenantTx,
    actor: &Actor,
    after: Option<PatientId>,
    limit: u64,
) -> CoreResult<Vec<patient::Model>> {
    let mut query = tx.find::<patient::Entity>().order_by_asc(Column::Id);
    if let Some(after) = after {
        query = query.filter(Column::Id.gt(after.as_uuid()));
    }
    let page = query.limit(limit).all(tx.conn()).await?;
    for p in &page {
        audit::record(tx, actor, access("patient.list", p.id)).await?;
    }
    Ok(page)
}

/// A page of the charts `viewer` (staff) may see in the practice's list, in creation order
/// after `after`; with a `search`, the charts it finds, by family name, given name and id,
/// after the chart `after` in that order. A restricted chart the viewer could open only by
/// breaking the glass is left out (its demographics are what the restriction protects);
/// they open it by id with a break-glass access, after which it is listed too.
#[tracing::instrument(skip_all, err(level = "warn"), fields(tenant_id = %tx.tenant_id(), searched = search.is_some()))]
pub async fn list_for(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &crate::chart_access::Viewer,
    after: Option<PatientId>,
    search: Option<&PatientSearch>,
    limit: u64,
) -> CoreResult<Vec<patient::Model>> {
    use crate::{chart_access, entities::chart_restriction};
    // Where the next batch starts: an id in creation order, or a chart in search order.
    let mut cursor = after.map(|a| a.as_uuid());
    let mut search_after = match (search, after) {
        (Some(_), Some(after)) => Some(patient_search::After::from(
            &find(tx, after).await.map_err(|_| {
                CoreError::invalid("after", "INVALID_CURSOR", "not a cursor from this list")
            })?,
        )),
        _ => None,
    };
    let mut visible = Vec::new();
    loop {
        let batch = match search {
            Some(search) => patient_search::batch(tx, search, search_after.as_ref(), limit).await?,
            None => {
                let mut query = tx.find::<patient::Entity>().order_by_asc(Column::Id);
                if let Some(after) = cursor {
                    query = query.filter(Column::Id.gt(after));
                }
                query.limit(limit).all(tx.conn()).await?
            }
        };
        let Some(last) = batch.last() else { break };
        cursor = Some(last.id);
        search_after = Some(patient_search::After::from(last));
        let ids: Vec<uuid::Uuid> = batch.iter().map(|p| p.id).collect();
        let restricted: Vec<uuid::Uuid> = tx
            .find::<chart_restriction::Entity>()
            .filter(chart_restriction::Column::PatientId.is_in(ids))
            .all(tx.conn())
            .await?
            .into_iter()
            .map(|r| r.patient_id)
            .collect();
        let exhausted = (batch.len() as u64) < limit;
        for p in batch {
            if restricted.contains(&p.id)
                && chart_access::needs_break_glass(tx, viewer, p.id).await?
                && chart_access::active_break_glass(tx, viewer.user_id, p.id)
                    .await?
                    .is_none()
            {
                continue;
            }
            if visible.len() as u64 == limit {
                break;
            }
            visible.push(p);
        }
        if exhausted || visible.len() as u64 == limit {
            break;
        }
    }
    for p in &visible {
        audit::record(tx, actor, access("patient.list", p.id)).await?;
    }
    Ok(visible)
}

/// How a user reaches a chart.
#[derive(Clone, Debug)]
pub struct ChartAccess {
    pub chart: patient::Model,
    /// Their own chart (`None`) or the scopes of a proxy grant.
    pub proxy_scopes: Option<Vec<String>>,
}

/// The charts `user` may open as a patient: their own, and those shared with them.
pub async fn accessible_to(
    tx: &TenantTx,
    actor: &Actor,
    user: crate::UserId,
) -> CoreResult<Vec<ChartAccess>> {
    let mut out: Vec<ChartAccess> = tx
        .find::<patient::Entity>()
        .filter(Column::UserId.eq(user.as_uuid()))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|chart| ChartAccess {
            chart,
            proxy_scopes: None,
        })
        .collect();
    // A grant without `read` (message or book only) does not show the chart.
    let readable = crate::proxies::active_for(tx, user)
        .await?
        .into_iter()
        .filter(|g| crate::proxies::scopes_of(g).contains(&"read"));
    for grant in readable {
        if let Ok(chart) = find(tx, PatientId::from_uuid(grant.patient_id)).await {
            out.push(ChartAccess {
                chart,
                proxy_scopes: Some(
                    crate::proxies::scopes_of(&grant)
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                ),
            });
        }
    }
    for access in &out {
        audit::record(tx, actor, self::access("patient.list", access.chart.id)).await?;
    }
    Ok(out)
}

/// Links a chart to the portal account that may open it (patient enrolment).
pub async fn link_account(
    tx: &TenantTx,
    actor: &Actor,
    id: PatientId,
    user: crate::UserId,
) -> CoreResult<patient::Model> {
    let found = find(tx, id).await?;
    let mut active: patient::ActiveModel = found.into();
    active.user_id = Set(Some(user.as_uuid()));
    active.updated_at = Set(Utc::now());
    let updated = active.update(tx.conn()).await?;
    audit::record(tx, actor, access("patient.link_account", updated.id)).await?;
    Ok(updated)
}

/// Links a new account to a chart that has none, conditionally: of two activations of one
/// chart at once (with two of its codes: an invitation and its follow-up), one links and the
/// other is refused with `ALREADY_ACTIVATED`, rather than replacing the first account.
pub async fn link_new_account(
    tx: &TenantTx,
    actor: &Actor,
    id: PatientId,
    user: crate::UserId,
) -> CoreResult<()> {
    let linked = tx
        .update::<patient::Entity>()
        .col_expr(Column::UserId, Some(user.as_uuid()).into())
        .col_expr(Column::UpdatedAt, Utc::now().into())
        .filter(Column::Id.eq(id.as_uuid()))
        .filter(Column::UserId.is_null())
        .exec(tx.conn())
        .await?;
    if linked.rows_affected != 1 {
        return Err(CoreError::invalid(
            "patientId",
            "ALREADY_ACTIVATED",
            "this patient already has a portal account",
        ));
    }
    audit::record(tx, actor, access("patient.link_account", id.as_uuid())).await?;
    Ok(())
}

/// Removes a chart created in error. Charts with clinical data will be archived instead once
/// records exist; for now a chart holds demographics only.
pub async fn delete(tx: &TenantTx, actor: &Actor, id: PatientId) -> CoreResult<()> {
    let result = tx
        .delete::<patient::Entity>()
        .filter(Column::Id.eq(id.as_uuid()))
        .exec(tx.conn())
        .await?;
    if result.rows_affected == 0 {
        return Err(CoreError::NotFound);
    }
    audit::record(tx, actor, access("patient.delete", id.as_uuid())).await?;
    Ok(())
}

fn access(action: &str, id: uuid::Uuid) -> Access<'_> {
    Access {
        action,
        resource_type: "Patient",
        resource_id: Some(id),
        patient_id: Some(id),
    }
}

fn required_name(field: &'static str, value: &str) -> CoreResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        return Err(CoreError::invalid(
            field,
            "INVALID_NAME",
            "must be 1 to 100 characters",
        ));
    }
    Ok(value.to_owned())
}
