//! The chart as a read model shaped after FHIR R4 / US Core: one module per resource, with
//! what is shared here. Staff enter and correct records (a correction keeps the id and
//! updates the record; `entered-in-error` hides it from the patient); patients and proxies
//! read them. Every read and write is audited in the same transaction, so every function
//! needs a writing [`TenantTx`].

pub mod allergies;
pub mod conditions;
pub mod dashboard;
pub mod detail;
pub mod emergency;
pub mod encounters;
pub mod export;
pub mod fhir;
pub mod immunizations;
pub mod medications;
pub mod observations;
pub mod reports;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::{self, Access, Actor},
    chart_access::{self, OpenChart, Purpose, Viewer},
    tenancy::TenantOwned,
};

pub const ENTERED_IN_ERROR: &str = "entered-in-error";
/// An allergy or condition the EHR ruled out (`verificationStatus` refuted): kept with that
/// status, so it is never taken for an active one.
pub const REFUTED: &str = "refuted";

/// Where a record came from when staff entered it through Portico.
pub const PORTAL_SOURCE: &str = "portal";

/// A page of a list: `offset` records skipped, at most `limit` returned.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub offset: u64,
    pub limit: u64,
}

impl Page {
    /// Everything (exports, summaries).
    pub const ALL: Self = Self {
        offset: 0,
        limit: 10_000,
    };
}

/// A table of chart records, with what the shared list and lookup need to know.
pub trait ChartRecord: TenantOwned {
    /// FHIR resource type, also the audit resource type and the global id's type.
    const RESOURCE: &'static str;
    /// Prefix of audit actions: `observation` for `observation.read`.
    const ACTION: &'static str;
    fn id_column() -> Self::Column;
    fn patient_column() -> Self::Column;
    fn status_column() -> Self::Column;
    /// Newest first by this column.
    fn order_column() -> Self::Column;
    fn patient_of(model: &Self::Model) -> Uuid;
    fn status_of(model: &Self::Model) -> &str;
}

macro_rules! chart_record {
    ($module:ident, $resource:literal, $action:literal, $order:ident) => {
        impl ChartRecord for crate::entities::$module::Entity {
            const RESOURCE: &'static str = $resource;
            const ACTION: &'static str = $action;
            fn id_column() -> Self::Column {
                crate::entities::$module::Column::Id
            }
            fn patient_column() -> Self::Column {
                crate::entities::$module::Column::PatientId
            }
            fn status_column() -> Self::Column {
                crate::entities::$module::Column::Status
            }
            fn order_column() -> Self::Column {
                crate::entities::$module::Column::$order
            }
            fn patient_of(model: &Self::Model) -> Uuid {
                model.patient_id
            }
            fn status_of(model: &Self::Model) -> &str {
                &model.status
            }
        }
    };
}

chart_record!(observation, "Observation", "observation", EffectiveAt);
chart_record!(
    diagnostic_report,
    "DiagnosticReport",
    "diagnostic_report",
    EffectiveAt
);
chart_record!(encounter, "Encounter", "encounter", StartedAt);
chart_record!(
    medication_request,
    "MedicationRequest",
    "medication",
    AuthoredAt
);
chart_record!(allergy, "AllergyIntolerance", "allergy", CreatedAt);
chart_record!(condition, "Condition", "condition", CreatedAt);
chart_record!(immunization, "Immunization", "immunization", OccurredOn);

/// Records one audit event about `chart`, flagged when it was opened by breaking the glass.
pub async fn audit(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    action: &str,
    resource_type: &str,
    resource_id: Option<Uuid>,
) -> CoreResult<()> {
    let actor = actor.clone().with_break_glass(chart.break_glass);
    audit::record(
        tx,
        &actor,
        Access {
            action,
            resource_type,
            resource_id,
            patient_id: Some(chart.id()),
        },
    )
    .await
}

/// The chart's records the viewer may see, unaudited (for summaries that audit once).
pub(crate) async fn visible<E: ChartRecord>(
    tx: &TenantTx,
    chart: &OpenChart,
    page: Page,
) -> CoreResult<Vec<E::Model>> {
    let mut query = tx
        .find::<E>()
        .filter(E::patient_column().eq(chart.id()))
        .order_by_desc(E::order_column())
        .order_by_desc(E::id_column());
    if chart.is_patient_view() {
        query = query.filter(E::status_column().ne(ENTERED_IN_ERROR));
    }
    Ok(query
        .offset(page.offset)
        .limit(page.limit)
        .all(tx.conn())
        .await?)
}

/// A page of the chart's records, newest first, audited as `{action}.list`.
pub async fn list<E: ChartRecord>(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    page: Page,
) -> CoreResult<Vec<E::Model>> {
    let rows = visible::<E>(tx, chart, page).await?;
    audit(
        tx,
        actor,
        chart,
        &format!("{}.list", E::ACTION),
        E::RESOURCE,
        None,
    )
    .await?;
    Ok(rows)
}

/// One record by id, if `viewer` may open its chart and see it (else `NotFound`), audited as
/// `{action}.read`.
pub async fn get<E: ChartRecord>(
    tx: &TenantTx,
    actor: &Actor,
    viewer: &Viewer,
    id: Uuid,
) -> CoreResult<(E::Model, OpenChart)> {
    let found = tx
        .find::<E>()
        .filter(E::id_column().eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let chart = chart_access::open(
        tx,
        viewer,
        PatientId::from_uuid(E::patient_of(&found)),
        Purpose::Read,
    )
    .await?;
    if chart.is_patient_view() && E::status_of(&found) == ENTERED_IN_ERROR {
        return Err(CoreError::NotFound);
    }
    audit(
        tx,
        actor,
        &chart,
        &format!("{}.read", E::ACTION),
        E::RESOURCE,
        Some(id),
    )
    .await?;
    Ok((found, chart))
}

/// The record `id` of this chart, for a correction (staff only).
pub(crate) async fn existing<E: ChartRecord>(
    tx: &TenantTx,
    chart: &OpenChart,
    id: Uuid,
) -> CoreResult<E::Model> {
    if chart.is_patient_view() {
        return Err(CoreError::NotFound);
    }
    tx.find::<E>()
        .filter(E::id_column().eq(id))
        .filter(E::patient_column().eq(chart.id()))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// Staff write records; a patient's or proxy's view cannot.
pub(crate) fn staff_only(chart: &OpenChart) -> CoreResult<()> {
    if chart.is_patient_view() {
        Err(CoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Whether a record with this id exists in the chart (references between records): one
/// that does not, or that is in another chart, is `NotFound` like any unknown id.
pub(crate) async fn belongs<E: ChartRecord>(
    tx: &TenantTx,
    chart: &OpenChart,
    id: Option<Uuid>,
) -> CoreResult<Option<Uuid>> {
    let Some(id) = id else { return Ok(None) };
    let found = tx
        .find::<E>()
        .filter(E::id_column().eq(id))
        .filter(E::patient_column().eq(chart.id()))
        .one(tx.conn())
        .await?;
    if found.is_none() {
        return Err(CoreError::NotFound);
    }
    Ok(Some(id))
}

pub(crate) fn status(field: &'static str, value: &str, allowed: &[&str]) -> CoreResult<String> {
    if allowed.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(CoreError::invalid(
            field,
            "INVALID_STATUS",
            format!("must be one of: {}", allowed.join(", ")),
        ))
    }
}

pub(crate) fn required(field: &'static str, value: &str, max: usize) -> CoreResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CoreError::invalid(field, "REQUIRED", "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(CoreError::invalid(
            field,
            "TOO_LONG",
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

pub(crate) fn optional(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> CoreResult<Option<String>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required(field, v, max).map(Some),
    }
}

/// A code of digits, optionally with a hyphenated check digit (LOINC `2345-7`, CVX `208`,
/// RxNorm `197361`).
pub(crate) fn code(
    field: &'static str,
    value: Option<String>,
    loinc: bool,
) -> CoreResult<Option<String>> {
    let Some(value) = value.map(|v| v.trim().to_owned()) else {
        return Ok(None);
    };
    let ok = if loinc {
        value.split_once('-').is_some_and(|(num, check)| {
            (1..=7).contains(&num.len())
                && num.chars().all(|c| c.is_ascii_digit())
                && check.len() == 1
                && check.chars().all(|c| c.is_ascii_digit())
        })
    } else {
        (1..=32).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    if ok {
        Ok(Some(value))
    } else {
        Err(CoreError::invalid(
            field,
            "INVALID_CODE",
            if loinc {
                "must be a LOINC code such as 2345-7"
            } else {
                "must be a code of letters, digits, dots and hyphens"
            },
        ))
    }
}

/// Not later than a few minutes from now (clock skew).
pub(crate) fn not_future(field: &'static str, at: DateTime<Utc>) -> CoreResult<DateTime<Utc>> {
    if at > Utc::now() + chrono::Duration::minutes(5) {
        return Err(CoreError::invalid(
            field,
            "INVALID_DATE",
            "cannot be in the future",
        ));
    }
    Ok(at)
}

pub(crate) fn not_future_day(field: &'static str, day: NaiveDate) -> CoreResult<NaiveDate> {
    if day > Utc::now().date_naive() + chrono::Duration::days(1) {
        return Err(CoreError::invalid(
            field,
            "INVALID_DATE",
            "cannot be in the future",
        ));
    }
    Ok(day)
}
