//! Recording a reading: checks who records it for which chart, the unit, the plausible range
//! and the time; keeps the value as given and in the canonical unit, marked patient-reported
//! with who recorded it; and, in the same transaction, opens the alert when it is beyond a
//! threshold.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{Kind, Measure, PATIENT_REPORTED, PROXY_SCOPE, alerts, kinds::normalise};
use crate::{
    CoreError, CoreResult, TenantTx, UserId,
    audit::{self, Access, Actor},
    entities::{home_reading, patient, reading_alert},
};

/// A device's clock may run a little ahead of ours; beyond this a reading is in the future.
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How far back a reading may be entered: a log kept at home, typed in later, is welcome; an
/// older date is a mistyped year, and it would chart a reading among years-old results and
/// could open an alert about a value long past.
const OLDEST: Duration = Duration::days(366);

#[derive(Clone, Debug)]
pub struct NewReading {
    pub patient_id: Uuid,
    pub kind: Kind,
    /// The systolic, for blood pressure.
    pub value: f64,
    pub diastolic: Option<f64>,
    pub unit: String,
    pub taken_at: DateTime<Utc>,
}

/// A reading as recorded, with the alert it opened.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub reading: home_reading::Model,
    pub alert: Option<reading_alert::Model>,
    /// Queued for the practice's EHR (it sends readings there).
    pub to_ehr: bool,
}

/// The reading's values in the canonical unit (the diastolic second), once they are checked.
pub fn checked(input: &NewReading, now: DateTime<Utc>) -> CoreResult<(f64, Option<f64>)> {
    let kind = input.kind;
    let unit = input.unit.trim();
    let Some(value) = normalise(kind, unit, input.value) else {
        return Err(CoreError::invalid(
            "unit",
            "READING_UNIT",
            format!("give the {} in {}", label(kind), kind.units().join(" or ")),
        ));
    };
    in_range(kind, kind.measures()[0], "value", value)?;
    let diastolic = match (kind, input.diastolic) {
        (Kind::BloodPressure, None) => {
            return Err(CoreError::invalid(
                "diastolic",
                "READING_DIASTOLIC_REQUIRED",
                "a blood pressure needs its diastolic (lower) number",
            ));
        }
        (Kind::BloodPressure, Some(d)) => {
            let d = normalise(kind, unit, d).unwrap_or(d);
            in_range(kind, Measure::Diastolic, "diastolic", d)?;
            if d >= value {
                return Err(CoreError::invalid(
                    "diastolic",
                    "READING_OUT_OF_RANGE",
                    "the diastolic (lower) number must be below the systolic",
                ));
            }
            Some(d)
        }
        (_, Some(_)) => {
            return Err(CoreError::invalid(
                "diastolic",
                "READING_DIASTOLIC_UNEXPECTED",
                "only a blood pressure has a diastolic number",
            ));
        }
        (_, None) => None,
    };
    if input.taken_at > now + CLOCK_SKEW {
        return Err(CoreError::invalid(
            "takenAt",
            "READING_IN_FUTURE",
            "a reading cannot be taken in the future",
        ));
    }
    if input.taken_at < now - OLDEST {
        return Err(CoreError::invalid(
            "takenAt",
            "READING_TOO_OLD",
            "a reading is entered within a year of when it was taken",
        ));
    }
    Ok((value, diastolic))
}

fn in_range(kind: Kind, measure: Measure, field: &'static str, value: f64) -> CoreResult<()> {
    let (low, high) = kind.range(measure);
    if value.is_finite() && (low..=high).contains(&value) {
        return Ok(());
    }
    Err(CoreError::invalid(
        field,
        "READING_OUT_OF_RANGE",
        format!(
            "a {} {} is between {low} and {high} {}",
            label(kind),
            measure.as_str(),
            kind.canonical_unit()
        ),
    ))
}

fn label(kind: Kind) -> &'static str {
    match kind {
        Kind::BloodPressure => "blood pressure",
        Kind::Glucose => "blood glucose",
        Kind::Weight => "body weight",
        Kind::Temperature => "body temperature",
        Kind::Spo2 => "oxygen saturation",
        Kind::PeakFlow => "peak flow",
    }
}

/// Records `input` as `recorder`: on their own chart, or through a proxy grant with the
/// `readings` scope (a chart never shared with them is `NotFound`).
pub async fn record(
    tx: &TenantTx,
    actor: &Actor,
    recorder: UserId,
    input: NewReading,
    now: DateTime<Utc>,
) -> CoreResult<Recorded> {
    let chart = tx
        .find::<patient::Entity>()
        .filter(patient::Column::Id.eq(input.patient_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let own = chart.user_id == Some(recorder.as_uuid());
    if !own && !crate::proxies::allows(tx, recorder, chart.id, PROXY_SCOPE).await? {
        return Err(crate::proxies::refusal(tx, recorder, chart.id, PROXY_SCOPE).await?);
    }
    let (normalised, normalised2) = checked(&input, now)?;
    let unit = input.unit.trim().to_owned();
    let reading = home_reading::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(chart.id),
        kind: Set(input.kind.as_str().to_owned()),
        code: Set(input.kind.code(&unit).to_owned()),
        value: Set(input.value),
        value2: Set(input.diastolic),
        unit: Set(unit),
        normalised: Set(normalised),
        normalised2: Set(normalised2),
        canonical_unit: Set(input.kind.canonical_unit().to_owned()),
        taken_at: Set(input.taken_at),
        source: Set(PATIENT_REPORTED.to_owned()),
        recorded_by: Set(recorder.as_uuid()),
        by_proxy: Set(!own),
        created_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    audit::record(
        tx,
        actor,
        Access {
            action: "reading.record",
            resource_type: "HomeReading",
            resource_id: Some(reading.id),
            patient_id: Some(chart.id),
        },
    )
    .await?;
    // In the same transaction, so a reading saved is a reading the EHR will get.
    let to_ehr = crate::events::publish(
        tx,
        crate::events::Event::ReadingRecorded {
            reading_id: reading.id,
            patient_id: reading.patient_id,
        },
    )
    .await?
        > 0;
    let alert = alerts::open_if_beyond(tx, actor, &reading, now).await?;
    if let Some(alert) = &alert {
        crate::events::publish(
            tx,
            crate::events::Event::ReadingBeyondThreshold {
                alert_id: alert.id,
                reading_id: reading.id,
                patient_id: reading.patient_id,
            },
        )
        .await?;
    }
    Ok(Recorded {
        reading,
        alert,
        to_ehr,
    })
}
