//! Readings patients record at home: blood pressure, glucose, weight, temperature, oxygen
//! saturation and peak flow. Each kind has its LOINC code, the UCUM units a reading may be
//! given in and a plausible range ([`kinds`]); a reading is kept as given and in the kind's
//! canonical unit ([`record`]). The care team sets thresholds per practice or per patient
//! ([`thresholds`]); a reading beyond one opens one alert in the care team's inbox and tells
//! the patient the practice's instruction ([`alerts`]).

pub mod alerts;
pub mod demo;
pub mod kinds;
pub mod record;
pub mod thresholds;

use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

pub use kinds::{Kind, Measure};

use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::Actor,
    chart_access::{self, OpenChart, Purpose, Relationship, Viewer},
    entities::{home_reading, observation, patient, reading_alert},
    identity::Role,
};

/// The proxy scope that lets a caregiver record readings for a patient.
pub const PROXY_SCOPE: &str = "readings";
/// Where every reading of this area comes from.
pub const PATIENT_REPORTED: &str = "patient-reported";

/// A chart opened for its readings, and whether the viewer may also see the clinic's results.
pub struct ReadingsChart {
    pub chart: OpenChart,
    /// False for a caregiver whose grant has `readings` but not `read`: they see what is
    /// recorded, never the clinic's results (a glucose lab value is not theirs to read).
    pub with_clinic: bool,
}

/// The chart whose readings `viewer` may see: as for any record (own chart, a proxy with
/// `read`, staff), or through a proxy grant with `readings`, which lets its holder see the
/// readings only.
pub async fn chart_for_listing(
    tx: &TenantTx,
    viewer: &Viewer,
    patient: PatientId,
) -> CoreResult<ReadingsChart> {
    let chart = match chart_access::open(tx, viewer, patient, Purpose::Read).await {
        Err(CoreError::NotFound) if viewer.role == Role::Patient => {
            let chart = tx
                .find::<patient::Entity>()
                .filter(patient::Column::Id.eq(patient.as_uuid()))
                .one(tx.conn())
                .await?
                .ok_or(CoreError::NotFound)?;
            if crate::proxies::allows(tx, viewer.user_id, chart.id, PROXY_SCOPE).await? {
                return Ok(ReadingsChart {
                    chart: OpenChart {
                        chart,
                        relationship: Relationship::Proxy,
                        break_glass: None,
                    },
                    with_clinic: false,
                });
            }
            return Err(CoreError::NotFound);
        }
        other => other?,
    };
    Ok(ReadingsChart {
        chart,
        with_clinic: true,
    })
}

/// One kind's history on a chart: the patient's readings and the clinic's results of the
/// same LOINC codes, each oldest first, with the alerts the readings opened.
pub struct History {
    pub readings: Vec<(home_reading::Model, Option<reading_alert::Model>)>,
    pub clinic: Vec<observation::Model>,
}

/// The chart's readings (of `kind` only, when given) next to the clinic's results of the
/// same codes, audited once as `reading.list`.
pub async fn history(
    tx: &TenantTx,
    actor: &Actor,
    opened: &ReadingsChart,
    kind: Option<Kind>,
) -> CoreResult<History> {
    let chart = &opened.chart;
    let mut query = tx
        .find::<home_reading::Entity>()
        .filter(home_reading::Column::PatientId.eq(chart.id()))
        .order_by_asc(home_reading::Column::TakenAt)
        .order_by_asc(home_reading::Column::Id);
    if let Some(kind) = kind {
        query = query.filter(home_reading::Column::Kind.eq(kind.as_str()));
    }
    let readings = query.all(tx.conn()).await?;
    let alerts = tx
        .find::<reading_alert::Entity>()
        .filter(reading_alert::Column::PatientId.eq(chart.id()))
        .all(tx.conn())
        .await?;
    let codes: Vec<&str> = match kind {
        Some(kind) => kind.clinic_codes().to_vec(),
        None => Kind::ALL
            .iter()
            .flat_map(|k| k.clinic_codes())
            .copied()
            .collect(),
    };
    if !opened.with_clinic {
        crate::records::audit(tx, actor, chart, "reading.list", "HomeReading", None).await?;
        return Ok(History {
            readings: with_alerts(readings, alerts),
            clinic: Vec::new(),
        });
    }
    let clinic = tx
        .find::<observation::Entity>()
        .filter(observation::Column::PatientId.eq(chart.id()))
        .filter(observation::Column::Code.is_in(codes))
        .filter(observation::Column::Status.ne(crate::records::ENTERED_IN_ERROR))
        .order_by_asc(observation::Column::EffectiveAt)
        .order_by_asc(observation::Column::Id)
        .all(tx.conn())
        .await?;
    crate::records::audit(tx, actor, chart, "reading.list", "HomeReading", None).await?;
    Ok(History {
        readings: with_alerts(readings, alerts),
        clinic,
    })
}

/// Each reading with the alert it opened, if any.
fn with_alerts(
    readings: Vec<home_reading::Model>,
    alerts: Vec<reading_alert::Model>,
) -> Vec<(home_reading::Model, Option<reading_alert::Model>)> {
    readings
        .into_iter()
        .map(|r| {
            let alert = alerts.iter().find(|a| a.reading_id == r.id).cloned();
            (r, alert)
        })
        .collect()
}
