//! Observations: lab results and other measurements, with LOINC codes, UCUM units,
//! reference ranges and interpretation flags; and each test's history as a series.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{audit, belongs, code, existing, not_future, optional, required, staff_only, status};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::Actor,
    chart_access::OpenChart,
    entities::{diagnostic_report, encounter, observation},
};

pub const STATUSES: [&str; 5] = [
    "preliminary",
    "final",
    "amended",
    "corrected",
    super::ENTERED_IN_ERROR,
];
/// Statuses a correction may set (a preliminary result may also become final).
const CORRECTION_STATUSES: [&str; 4] = ["final", "amended", "corrected", super::ENTERED_IN_ERROR];
/// Observation categories the chart keeps.
pub const LABORATORY: &str = "laboratory";
pub const VITAL_SIGNS: &str = "vital-signs";
pub const CATEGORIES: [&str; 2] = [LABORATORY, VITAL_SIGNS];
/// HL7 v3 ObservationInterpretation codes Portico shows.
pub const FLAGS: [&str; 7] = ["N", "H", "L", "HH", "LL", "A", "AA"];

/// A result as staff enter or correct it.
#[derive(Clone, Debug, Default)]
pub struct ObservationInput {
    pub status: String,
    pub code: String,
    pub display: String,
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub value_text: Option<String>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub range_text: Option<String>,
    pub interpretation: Option<String>,
    pub effective_at: Option<DateTime<Utc>>,
    pub report_id: Option<Uuid>,
    pub encounter_id: Option<Uuid>,
}

pub(crate) struct Checked {
    pub code: String,
    pub display: String,
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub value_text: Option<String>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub range_text: Option<String>,
    pub interpretation: Option<String>,
    pub effective_at: DateTime<Utc>,
}

/// The chart's rules for a result, shared with the EHR sync. A result made of components
/// (a blood pressure's systolic and diastolic) may have no value of its own.
pub(crate) fn check(input: ObservationInput, components: bool) -> CoreResult<Checked> {
    let code = code("code", Some(input.code), true)?
        .ok_or_else(|| CoreError::invalid("code", "INVALID_CODE", "a LOINC code is required"))?;
    let display = required("display", &input.display, 200)?;
    let value_text = optional("valueText", input.value_text, 1000)?;
    match (input.value, &value_text) {
        (Some(v), None) if v.is_finite() => {}
        (None, Some(_)) => {}
        (None, None) if components => {}
        _ => {
            return Err(CoreError::invalid(
                "value",
                "INVALID_VALUE",
                "give either a number or a text value",
            ));
        }
    }
    let unit = optional("unit", input.unit, 32)?;
    if unit.is_some() && input.value.is_none() {
        return Err(CoreError::invalid(
            "unit",
            "INVALID_VALUE",
            "a unit goes with a numeric value",
        ));
    }
    for bound in [input.range_low, input.range_high].into_iter().flatten() {
        if !bound.is_finite() {
            return Err(CoreError::invalid(
                "rangeLow",
                "INVALID_RANGE",
                "must be a number",
            ));
        }
    }
    if let (Some(low), Some(high)) = (input.range_low, input.range_high)
        && low > high
    {
        return Err(CoreError::invalid(
            "rangeLow",
            "INVALID_RANGE",
            "the low end must not be above the high end",
        ));
    }
    let interpretation = match input.interpretation.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(flag) if FLAGS.contains(&flag) => Some(flag.to_owned()),
        Some(_) => {
            return Err(CoreError::invalid(
                "interpretation",
                "INVALID_INTERPRETATION",
                format!("must be one of: {}", FLAGS.join(", ")),
            ));
        }
    };
    let effective_at = not_future(
        "effectiveAt",
        input.effective_at.ok_or_else(|| {
            CoreError::invalid("effectiveAt", "REQUIRED", "when the sample was taken")
        })?,
    )?;
    Ok(Checked {
        code,
        display,
        value: input.value,
        unit,
        value_text,
        range_low: input.range_low,
        range_high: input.range_high,
        range_text: optional("rangeText", input.range_text, 200)?,
        interpretation,
        effective_at,
    })
}

/// Enters a new result (status `preliminary` or `final`).
pub async fn create(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    input: ObservationInput,
) -> CoreResult<observation::Model> {
    staff_only(chart)?;
    let status = status("status", &input.status, &STATUSES[..2])?;
    let report_id = belongs::<diagnostic_report::Entity>(tx, chart, input.report_id).await?;
    let encounter_id = belongs::<encounter::Entity>(tx, chart, input.encounter_id).await?;
    let c = check(input, false)?;
    let now = Utc::now();
    let model = observation::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(chart.id()),
        report_id: Set(report_id),
        encounter_id: Set(encounter_id),
        status: Set(status),
        code: Set(c.code),
        display: Set(c.display),
        value_num: Set(c.value),
        unit: Set(c.unit),
        value_text: Set(c.value_text),
        range_low: Set(c.range_low),
        range_high: Set(c.range_high),
        range_text: Set(c.range_text),
        interpretation: Set(c.interpretation),
        effective_at: Set(c.effective_at),
        category: Set(None),
        detail: Set(None),
        source: Set(Some(super::PORTAL_SOURCE.to_owned())),
        external_id: Set(None),
        entered_by: Set(actor.id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    audit(
        tx,
        actor,
        chart,
        "observation.create",
        "Observation",
        Some(model.id),
    )
    .await?;
    Ok(model)
}

/// Corrects a result in place: same id, status `final` (from preliminary), `amended`,
/// `corrected` or `entered-in-error`. A report or visit left out stays as it was.
pub async fn correct(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    id: Uuid,
    input: ObservationInput,
) -> CoreResult<observation::Model> {
    let found = existing::<observation::Entity>(tx, chart, id).await?;
    let status = status("status", &input.status, &CORRECTION_STATUSES)?;
    if status == "final" && found.status != "preliminary" {
        return Err(CoreError::invalid(
            "status",
            "INVALID_STATUS",
            "a final result is corrected as amended, corrected or entered-in-error",
        ));
    }
    let report_id = belongs::<diagnostic_report::Entity>(tx, chart, input.report_id).await?;
    let encounter_id = belongs::<encounter::Entity>(tx, chart, input.encounter_id).await?;
    let c = check(input, false)?;
    let report_id = report_id.or(found.report_id);
    let encounter_id = encounter_id.or(found.encounter_id);
    let mut active: observation::ActiveModel = found.into();
    active.status = Set(status);
    active.report_id = Set(report_id);
    active.encounter_id = Set(encounter_id);
    active.code = Set(c.code);
    active.display = Set(c.display);
    active.value_num = Set(c.value);
    active.unit = Set(c.unit);
    active.value_text = Set(c.value_text);
    active.range_low = Set(c.range_low);
    active.range_high = Set(c.range_high);
    active.range_text = Set(c.range_text);
    active.interpretation = Set(c.interpretation);
    active.effective_at = Set(c.effective_at);
    // The corrected value is the record now: units, codings and components as received no
    // longer describe it.
    active.detail = Set(None);
    active.entered_by = Set(actor.id);
    active.updated_at = Set(Utc::now());
    let model = active.update(tx.conn()).await?;
    audit(
        tx,
        actor,
        chart,
        "observation.correct",
        "Observation",
        Some(model.id),
    )
    .await?;
    Ok(model)
}

/// One test's history, oldest point first, with the latest reference range.
#[derive(Clone, Debug)]
pub struct Series {
    pub code: String,
    pub display: String,
    /// `laboratory` or `vital-signs`.
    pub category: String,
    pub unit: Option<String>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub range_text: Option<String>,
    pub points: Vec<observation::Model>,
}

/// The history of each test (or of `code` only; of `category`'s tests only, `laboratory` or
/// `vital-signs`, by the latest result's category) as series a chart can draw, audited once
/// as `observation.series`. Results entered in error are left out for everyone.
pub async fn series(
    tx: &TenantTx,
    actor: &Actor,
    chart: &OpenChart,
    code: Option<&str>,
    category: Option<&str>,
) -> CoreResult<Vec<Series>> {
    let mut query = tx
        .find::<observation::Entity>()
        .filter(observation::Column::PatientId.eq(chart.id()))
        .filter(observation::Column::Status.ne(super::ENTERED_IN_ERROR))
        .order_by_asc(observation::Column::Code)
        .order_by_asc(observation::Column::EffectiveAt)
        .order_by_asc(observation::Column::Id);
    if let Some(code) = code {
        query = query.filter(observation::Column::Code.eq(code.trim()));
    }
    let rows = query.all(tx.conn()).await?;
    let mut out: Vec<Series> = Vec::new();
    for row in rows {
        match out.last_mut() {
            Some(s) if s.code == row.code => {
                latest_into(s, &row);
                s.points.push(row);
            }
            _ => {
                let mut s = Series {
                    code: row.code.clone(),
                    display: String::new(),
                    category: LABORATORY.to_owned(),
                    unit: None,
                    range_low: None,
                    range_high: None,
                    range_text: None,
                    points: Vec::new(),
                };
                latest_into(&mut s, &row);
                s.points.push(row);
                out.push(s);
            }
        }
    }
    audit(tx, actor, chart, "observation.series", "Observation", None).await?;
    if let Some(category) = category {
        out.retain(|s| s.category == category.trim());
    }
    Ok(out)
}

fn latest_into(s: &mut Series, row: &observation::Model) {
    s.display.clone_from(&row.display);
    if let Some(category) = &row.category {
        s.category.clone_from(category);
    }
    if row.unit.is_some() {
        s.unit.clone_from(&row.unit);
    }
    if row.range_low.is_some() || row.range_high.is_some() || row.range_text.is_some() {
        s.range_low = row.range_low;
        s.range_high = row.range_high;
        s.range_text.clone_from(&row.range_text);
    }
}

/// Results of a report, oldest first, unaudited (the report's read is audited).
pub async fn of_report(
    tx: &TenantTx,
    chart: &OpenChart,
    report: Uuid,
) -> CoreResult<Vec<observation::Model>> {
    let mut query = tx
        .find::<observation::Entity>()
        .filter(observation::Column::PatientId.eq(chart.id()))
        .filter(observation::Column::ReportId.eq(report))
        .order_by_asc(observation::Column::EffectiveAt);
    if chart.is_patient_view() {
        query = query.filter(observation::Column::Status.ne(super::ENTERED_IN_ERROR));
    }
    Ok(query.all(tx.conn()).await?)
}
