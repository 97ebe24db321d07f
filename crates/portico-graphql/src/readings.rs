//! Home readings: a patient (or a proxy with the `readings` scope) records blood pressure,
//! glucose, weight, temperature, oxygen saturation and peak flow, and sees each kind's
//! history next to the clinic's results; practice admins and providers set thresholds (the
//! practice's or one patient's); staff work the alerts readings beyond them open.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    PatientId,
    entities::{home_reading, reading_alert, reading_threshold},
    readings::{
        self, Kind, Measure, alerts,
        record::{self, NewReading},
        thresholds::{self, ThresholdInput},
    },
    tenancy::Access,
};

use crate::{
    global_id,
    records::Observation,
    run::{Need, OutcomeExt, Run, refusable},
    user_error::UserError,
};

/// The global id type of care-team pools.
const POOL: &str = "CareTeamPool";

/// A kind of home reading.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ReadingKind {
    /// Systolic and diastolic, mm[Hg] (LOINC 85354-9 with 8480-6 and 8462-4).
    BloodPressure,
    /// mg/dL (2339-0) or mmol/L (15074-8); thresholds in mg/dL.
    Glucose,
    /// kg or [lb_av] (29463-7); thresholds in kg.
    Weight,
    /// Cel or [degF] (8310-5); thresholds in Cel.
    Temperature,
    /// Oxygen saturation, % (59408-5).
    #[graphql(name = "SPO2")]
    Spo2,
    /// Peak expiratory flow, L/min (19935-6).
    PeakFlow,
}

impl From<ReadingKind> for Kind {
    fn from(kind: ReadingKind) -> Self {
        match kind {
            ReadingKind::BloodPressure => Self::BloodPressure,
            ReadingKind::Glucose => Self::Glucose,
            ReadingKind::Weight => Self::Weight,
            ReadingKind::Temperature => Self::Temperature,
            ReadingKind::Spo2 => Self::Spo2,
            ReadingKind::PeakFlow => Self::PeakFlow,
        }
    }
}

impl ReadingKind {
    fn of(kind: &str) -> Self {
        match Kind::parse(kind) {
            Some(Kind::Glucose) => Self::Glucose,
            Some(Kind::Weight) => Self::Weight,
            Some(Kind::Temperature) => Self::Temperature,
            Some(Kind::Spo2) => Self::Spo2,
            Some(Kind::PeakFlow) => Self::PeakFlow,
            Some(Kind::BloodPressure) | None => Self::BloodPressure,
        }
    }
}

/// One number of a reading a threshold bounds.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ReadingMeasure {
    Systolic,
    Diastolic,
    /// The one number of every kind but blood pressure.
    Value,
}

impl From<ReadingMeasure> for Measure {
    fn from(measure: ReadingMeasure) -> Self {
        match measure {
            ReadingMeasure::Systolic => Self::Systolic,
            ReadingMeasure::Diastolic => Self::Diastolic,
            ReadingMeasure::Value => Self::Value,
        }
    }
}

impl ReadingMeasure {
    fn of(measure: &str) -> Self {
        match Measure::parse(measure) {
            Some(Measure::Systolic) => Self::Systolic,
            Some(Measure::Diastolic) => Self::Diastolic,
            _ => Self::Value,
        }
    }
}

/// A reading recorded at home: patient-reported, as given and in the kind's canonical unit.
pub struct HomeReading {
    model: home_reading::Model,
    alert: Option<reading_alert::Model>,
}

#[Object]
impl HomeReading {
    async fn id(&self) -> ID {
        global_id::encode("HomeReading", self.model.id)
    }
    async fn patient_id(&self) -> ID {
        global_id::encode("Patient", self.model.patient_id)
    }
    async fn kind(&self) -> ReadingKind {
        ReadingKind::of(&self.model.kind)
    }
    /// LOINC (the panel, 85354-9, for blood pressure).
    async fn code(&self) -> &str {
        &self.model.code
    }
    /// As given, in `unit`: the systolic of a blood pressure.
    async fn value(&self) -> f64 {
        self.model.value
    }
    /// A blood pressure's diastolic, as given.
    async fn diastolic(&self) -> Option<f64> {
        self.model.value2
    }
    /// UCUM, as given.
    async fn unit(&self) -> &str {
        &self.model.unit
    }
    /// `value` in `canonicalUnit`, which thresholds are set in.
    async fn normalised_value(&self) -> f64 {
        self.model.normalised
    }
    async fn normalised_diastolic(&self) -> Option<f64> {
        self.model.normalised2
    }
    async fn canonical_unit(&self) -> &str {
        &self.model.canonical_unit
    }
    async fn taken_at(&self) -> DateTime<Utc> {
        self.model.taken_at
    }
    /// `patient-reported`.
    async fn source(&self) -> &str {
        &self.model.source
    }
    /// Recorded by a proxy (caregiver) rather than the patient.
    async fn recorded_by_proxy(&self) -> bool {
        self.model.by_proxy
    }
    async fn recorded_by_id(&self) -> ID {
        global_id::encode("User", self.model.recorded_by)
    }
    /// Beyond a threshold: the practice's instruction to the patient.
    async fn instruction(&self) -> Option<&str> {
        self.alert.as_ref().map(|a| a.instruction.as_str())
    }
    /// Beyond a threshold: whether the care team has acknowledged it.
    async fn alert_status(&self) -> Option<&str> {
        self.alert.as_ref().map(|a| a.status.as_str())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
}

/// One chart's readings next to the clinic's results of the same LOINC codes.
#[derive(SimpleObject)]
pub struct ReadingHistory {
    /// The patient's readings, oldest first.
    readings: Vec<HomeReading>,
    /// The clinic's results of the same codes (a blood pressure's panel or components),
    /// oldest first.
    clinic_observations: Vec<Observation>,
}

/// A threshold of the practice (no `patientId`) or of one patient.
#[derive(SimpleObject)]
pub struct ReadingThreshold {
    id: ID,
    patient_id: Option<ID>,
    kind: ReadingKind,
    measure: ReadingMeasure,
    /// In the kind's canonical unit.
    low: Option<f64>,
    high: Option<f64>,
    /// Shown to the patient when a reading is beyond it.
    instruction: String,
    updated_at: DateTime<Utc>,
}

impl From<reading_threshold::Model> for ReadingThreshold {
    fn from(m: reading_threshold::Model) -> Self {
        Self {
            id: global_id::encode("ReadingThreshold", m.id),
            patient_id: m.patient_id.map(|p| global_id::encode("Patient", p)),
            kind: ReadingKind::of(&m.kind),
            measure: ReadingMeasure::of(&m.measure),
            low: m.low,
            high: m.high,
            instruction: m.instruction,
            updated_at: m.updated_at,
        }
    }
}

/// A reading beyond a threshold, for the care team's inbox.
pub struct ReadingAlert {
    alert: reading_alert::Model,
    reading: Option<home_reading::Model>,
}

#[Object]
impl ReadingAlert {
    async fn id(&self) -> ID {
        global_id::encode("ReadingAlert", self.alert.id)
    }
    async fn patient_id(&self) -> ID {
        global_id::encode("Patient", self.alert.patient_id)
    }
    /// The pool that works it; null when the practice has no pool.
    async fn pool_id(&self) -> Option<ID> {
        self.alert.pool_id.map(|p| global_id::encode(POOL, p))
    }
    async fn reading(&self) -> Option<HomeReading> {
        self.reading.clone().map(|model| HomeReading {
            model,
            alert: Some(self.alert.clone()),
        })
    }
    /// What the patient was told to do.
    async fn instruction(&self) -> &str {
        &self.alert.instruction
    }
    /// `open` or `acknowledged`.
    async fn status(&self) -> &str {
        &self.alert.status
    }
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.alert.acknowledged_at
    }
    async fn acknowledged_by_id(&self) -> Option<ID> {
        self.alert
            .acknowledged_by
            .map(|u| global_id::encode("User", u))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.alert.created_at
    }
}

#[derive(InputObject)]
pub struct RecordReadingInput {
    /// The patient's own chart, or one a proxy grant with `readings` shares.
    patient_id: ID,
    kind: ReadingKind,
    /// The number, in `unit`: the systolic of a blood pressure.
    value: f64,
    /// A blood pressure's diastolic (required for it, refused for other kinds).
    diastolic: Option<f64>,
    /// UCUM: `mm[Hg]`; `mg/dL` or `mmol/L`; `kg` or `[lb_av]`; `Cel` or `[degF]`; `%`;
    /// `L/min`.
    unit: String,
    /// When it was taken (not in the future); now when null.
    taken_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject, Default)]
pub struct RecordReadingPayload {
    reading: Option<HomeReading>,
    /// The reading is beyond a threshold: the care team has been told.
    beyond_threshold: bool,
    /// The practice's instruction for a reading beyond a threshold.
    instruction: Option<String>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct SetReadingThresholdInput {
    /// One patient's threshold (replacing the practice's for the kind); the practice's when
    /// null.
    patient_id: Option<ID>,
    kind: ReadingKind,
    measure: ReadingMeasure,
    /// In the kind's canonical unit; both null removes the threshold.
    low: Option<f64>,
    high: Option<f64>,
    /// What the patient should do: 1 to 500 characters.
    instruction: String,
}

#[derive(SimpleObject, Default)]
pub struct SetReadingThresholdPayload {
    /// Null once removed.
    threshold: Option<ReadingThreshold>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct AcknowledgeReadingAlertPayload {
    alert: Option<ReadingAlert>,
    user_errors: Vec<UserError>,
}

refusable!(
    RecordReadingPayload,
    SetReadingThresholdPayload,
    AcknowledgeReadingAlertPayload
);

#[derive(Default)]
pub struct ReadingsQuery;

#[Object]
impl ReadingsQuery {
    /// A chart's home readings (of one `kind`, or all) next to the clinic's results of the
    /// same codes: the patient's own (or a proxy's with `read` or `readings`), or any chart's
    /// for staff.
    async fn home_readings(
        &self,
        ctx: &Context<'_>,
        patient_id: ID,
        kind: Option<ReadingKind>,
    ) -> async_graphql::Result<ReadingHistory> {
        let patient = global_id::parse("Patient", "patientId", &patient_id)?;
        let history = ctx
            .run(
                Need::to("readings", "read").or_own("own_readings"),
                Access::Read,
                async |tx, caller| {
                    let chart = readings::chart_for_listing(
                        tx,
                        &caller.viewer(),
                        PatientId::from_uuid(patient),
                    )
                    .await?;
                    readings::history(tx, &caller.actor, &chart, kind.map(Kind::from)).await
                },
            )
            .await?;
        Ok(ReadingHistory {
            readings: history
                .readings
                .into_iter()
                .map(|(model, alert)| HomeReading { model, alert })
                .collect(),
            clinic_observations: history.clinic.into_iter().map(Observation::from).collect(),
        })
    }

    /// The practice's thresholds, or (with `patientId`) that patient's own (staff).
    async fn reading_thresholds(
        &self,
        ctx: &Context<'_>,
        patient_id: Option<ID>,
    ) -> async_graphql::Result<Vec<ReadingThreshold>> {
        let patient = global_id::parse_opt("Patient", "patientId", patient_id.as_ref())?;
        let found = ctx
            .run(
                Need::to("readings", "read"),
                Access::Read,
                async |tx, caller| match patient {
                    Some(patient) => {
                        thresholds::list_for_chart(
                            tx,
                            &caller.viewer(),
                            &caller.actor,
                            PatientId::from_uuid(patient),
                        )
                        .await
                    }
                    None => thresholds::list(tx, None).await,
                },
            )
            .await?;
        Ok(found.into_iter().map(ReadingThreshold::from).collect())
    }

    /// Alerts of readings beyond a threshold (staff), oldest first: open ones unless
    /// `includeAcknowledged`, of one pool when given; at most `first` (1 to 200, 50 by
    /// default).
    async fn reading_alerts(
        &self,
        ctx: &Context<'_>,
        pool_id: Option<ID>,
        include_acknowledged: Option<bool>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<ReadingAlert>> {
        let pool = global_id::parse_opt(POOL, "poolId", pool_id.as_ref())?;
        let limit = u64::try_from(first.unwrap_or(50).clamp(1, 200)).unwrap_or(50);
        let listed = ctx
            .run(
                Need::to("readings", "read"),
                Access::Read,
                async |tx, caller| {
                    // A pool that is not this practice's is not found, not an empty list.
                    if let Some(pool) = pool {
                        portico_core::messaging::pools::find(tx, pool).await?;
                    }
                    alerts::list(
                        tx,
                        &caller.actor,
                        &caller.viewer(),
                        pool,
                        include_acknowledged.unwrap_or(false),
                        limit,
                    )
                    .await
                },
            )
            .await?;
        Ok(listed
            .into_iter()
            .map(|l| ReadingAlert {
                alert: l.alert,
                reading: l.reading,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct ReadingsMutation;

#[Object]
impl ReadingsMutation {
    /// Records a home reading on the patient's own chart (or, with a proxy grant's
    /// `readings` scope, on that chart). `READING_UNIT`, `READING_OUT_OF_RANGE`,
    /// `READING_IN_FUTURE`, `READING_DIASTOLIC_REQUIRED` or `READING_DIASTOLIC_UNEXPECTED`,
    /// naming the field; another chart is `NOT_FOUND`. Beyond a threshold, the care team is
    /// alerted and the payload carries the practice's instruction.
    async fn record_reading(
        &self,
        ctx: &Context<'_>,
        input: RecordReadingInput,
    ) -> async_graphql::Result<RecordReadingPayload> {
        let patient = global_id::parse("Patient", "patientId", &input.patient_id)?;
        let now = Utc::now();
        let outcome = ctx
            .mutate(
                Need::to("own_readings", "write").new_work(),
                async |tx, caller| {
                    let new = NewReading {
                        patient_id: patient,
                        kind: input.kind.into(),
                        value: input.value,
                        diastolic: input.diastolic,
                        unit: input.unit,
                        taken_at: input.taken_at.unwrap_or(now),
                    };
                    record::record(tx, &caller.actor, caller.principal.user_id, new, now).await
                },
            )
            .await?;
        if outcome.as_ref().is_ok_and(|recorded| recorded.to_ehr) {
            // The write-back to the EHR waits in the outbox.
            crate::scheduling::appointments::relay_outbox(ctx, 1).await?;
        }
        Ok(outcome.payload(|recorded| RecordReadingPayload {
            beyond_threshold: recorded.alert.is_some(),
            instruction: recorded.alert.as_ref().map(|a| a.instruction.clone()),
            reading: Some(HomeReading {
                model: recorded.reading,
                alert: recorded.alert,
            }),
            user_errors: Vec::new(),
        }))
    }

    /// Sets a threshold of the practice or of one patient (practice admins and providers).
    /// `THRESHOLD_MEASURE`, `THRESHOLD_OUT_OF_RANGE` or `INVALID_INSTRUCTION`; both bounds
    /// null removes it.
    async fn set_reading_threshold(
        &self,
        ctx: &Context<'_>,
        input: SetReadingThresholdInput,
    ) -> async_graphql::Result<SetReadingThresholdPayload> {
        let patient = global_id::parse_opt("Patient", "patientId", input.patient_id.as_ref())?;
        let outcome = ctx
            .mutate(Need::to("readings", "manage"), async |tx, caller| {
                let input = ThresholdInput {
                    patient_id: patient,
                    kind: input.kind.into(),
                    measure: input.measure.into(),
                    low: input.low,
                    high: input.high,
                    instruction: input.instruction,
                };
                thresholds::set(tx, &caller.actor, caller.principal.user_id.as_uuid(), input).await
            })
            .await?;
        Ok(outcome.payload(|saved| SetReadingThresholdPayload {
            threshold: saved.map(ReadingThreshold::from),
            user_errors: Vec::new(),
        }))
    }

    /// Acknowledges a reading alert (staff); again is a no-op.
    async fn acknowledge_reading_alert(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<AcknowledgeReadingAlertPayload> {
        let id = global_id::parse("ReadingAlert", "id", &id)?;
        let outcome = ctx
            .mutate(Need::to("readings", "acknowledge"), async |tx, caller| {
                alerts::acknowledge(
                    tx,
                    &caller.actor,
                    caller.principal.user_id.as_uuid(),
                    id,
                    Utc::now(),
                )
                .await
            })
            .await?;
        Ok(outcome.payload(|alert| AcknowledgeReadingAlertPayload {
            alert: Some(ReadingAlert {
                alert,
                reading: None,
            }),
            user_errors: Vec::new(),
        }))
    }
}
