//! The chart's records as GraphQL types (shaped after FHIR R4 / US Core), the lists on
//! `Patient`, each test's history as a series, and `node` lookups of records. Every read
//! goes through [`crate::chart_access::read`] and is audited; another patient's record is
//! `NOT_FOUND`.

use async_graphql::{
    Context, ID, OutputType, SimpleObject,
    connection::{Connection, Edge, EmptyFields, query},
};
use chrono::{DateTime, Utc};
use portico_core::{
    CoreResult, TenantTx,
    chart_access::{OpenChart, Purpose},
    entities::{
        allergy, condition, diagnostic_report, encounter, immunization, medication_request,
        observation,
    },
    records::{self, ChartRecord, Page, detail},
    tenancy::Access,
};
use uuid::Uuid;

use crate::{
    chart_access, global_id,
    run::{Caller, Run},
    scalars::Date,
};

fn gid(ty: &str, id: Uuid) -> ID {
    global_id::encode(ty, id)
}

/// One part of a measurement made of several (a blood pressure's systolic and diastolic).
#[derive(SimpleObject, Clone)]
pub struct ObservationComponent {
    /// LOINC code.
    pub code: String,
    pub display: String,
    pub value: Option<f64>,
    pub unit: Option<String>,
}

fn components(detail_json: Option<&str>) -> Vec<ObservationComponent> {
    detail::read::<detail::ObservationDetail>(detail_json)
        .components
        .into_iter()
        .map(|c| ObservationComponent {
            code: c.code,
            display: c.display,
            value: c.value.as_ref().and_then(|q| q.value),
            unit: c.value.and_then(|q| q.unit.or(q.code)),
        })
        .collect()
}

/// A coding as the EHR sent it.
#[derive(SimpleObject, Clone)]
pub struct Coding {
    pub system: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
}

/// A coded value as the EHR sent it: its codings and text.
#[derive(SimpleObject, Clone)]
pub struct CodedValue {
    pub text: Option<String>,
    pub codings: Vec<Coding>,
}

impl From<detail::Concept> for CodedValue {
    fn from(c: detail::Concept) -> Self {
        Self {
            text: c.label().map(str::to_owned),
            codings: c
                .coding
                .into_iter()
                .map(|c| Coding {
                    system: c.system,
                    code: c.code,
                    display: c.display,
                })
                .collect(),
        }
    }
}

/// One reaction of an allergy: what happened, how bad.
#[derive(SimpleObject, Clone)]
pub struct AllergyReaction {
    pub manifestations: Vec<CodedValue>,
    /// `mild`, `moderate`, `severe`.
    pub severity: Option<String>,
}

/// A result: a lab value, a vital sign or other measurement.
#[derive(SimpleObject, Clone)]
pub struct Observation {
    #[graphql(owned)]
    pub id: ID,
    pub patient_id: ID,
    /// `laboratory` or `vital-signs`.
    pub category: String,
    /// The parts of a measurement made of several, such as a blood pressure's systolic and
    /// diastolic (its own `value` is then empty).
    pub components: Vec<ObservationComponent>,
    /// `preliminary`, `final`, `amended`, `corrected`, `entered-in-error` (staff only).
    pub status: String,
    /// LOINC code of the test.
    pub code: String,
    pub display: String,
    /// A numeric result, in `unit` (UCUM)...
    pub value: Option<f64>,
    pub unit: Option<String>,
    /// ... or a text one.
    pub value_text: Option<String>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub range_text: Option<String>,
    /// `N`, `H`, `L`, `HH`, `LL`, `A`, `AA`.
    pub interpretation: Option<String>,
    pub effective_at: DateTime<Utc>,
    pub report_id: Option<ID>,
    pub encounter_id: Option<ID>,
    /// `portal` (entered by staff) or, later, `ehr`.
    pub source: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<observation::Model> for Observation {
    fn from(m: observation::Model) -> Self {
        Self {
            id: gid("Observation", m.id),
            patient_id: gid("Patient", m.patient_id),
            category: m
                .category
                .clone()
                .unwrap_or_else(|| records::observations::LABORATORY.to_owned()),
            components: components(m.detail.as_deref()),
            status: m.status,
            code: m.code,
            display: m.display,
            value: m.value_num,
            unit: m.unit,
            value_text: m.value_text,
            range_low: m.range_low,
            range_high: m.range_high,
            range_text: m.range_text,
            interpretation: m.interpretation,
            effective_at: m.effective_at,
            report_id: m.report_id.map(|r| gid("DiagnosticReport", r)),
            encounter_id: m.encounter_id.map(|e| gid("Encounter", e)),
            source: m.source,
            updated_at: m.updated_at,
        }
    }
}

/// A panel or study grouping results.
#[derive(SimpleObject, Clone)]
pub struct DiagnosticReport {
    #[graphql(owned)]
    pub id: ID,
    pub patient_id: ID,
    pub status: String,
    pub code: String,
    pub display: String,
    pub conclusion: Option<String>,
    pub effective_at: DateTime<Utc>,
    pub issued_at: Option<DateTime<Utc>>,
    pub encounter_id: Option<ID>,
    /// The report's results, oldest first.
    pub results: Vec<Observation>,
    pub source: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl DiagnosticReport {
    pub(crate) fn new(m: diagnostic_report::Model, results: Vec<observation::Model>) -> Self {
        Self {
            id: gid("DiagnosticReport", m.id),
            patient_id: gid("Patient", m.patient_id),
            status: m.status,
            code: m.code,
            display: m.display,
            conclusion: m.conclusion,
            effective_at: m.effective_at,
            issued_at: m.issued_at,
            encounter_id: m.encounter_id.map(|e| gid("Encounter", e)),
            results: results.into_iter().map(Observation::from).collect(),
            source: m.source,
            updated_at: m.updated_at,
        }
    }
}

/// A visit, with the summary the patient reads.
#[derive(SimpleObject, Clone)]
pub struct Encounter {
    #[graphql(owned)]
    pub id: ID,
    pub patient_id: ID,
    /// `planned`, `in-progress`, `finished`, `cancelled`, `entered-in-error`.
    pub status: String,
    /// `ambulatory`, `virtual`, `emergency`, `inpatient`, `home`.
    pub class: String,
    pub reason: Option<String>,
    pub summary: Option<String>,
    pub practitioner_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub source: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<encounter::Model> for Encounter {
    fn from(m: encounter::Model) -> Self {
        Self {
            id: gid("Encounter", m.id),
            patient_id: gid("Patient", m.patient_id),
            status: m.status,
            class: m.class,
            reason: m.reason,
            summary: m.summary,
            practitioner_name: m.practitioner_name,
            started_at: m.started_at,
            ended_at: m.ended_at,
            source: m.source,
            updated_at: m.updated_at,
        }
    }
}

/// A prescription.
#[derive(SimpleObject, Clone)]
pub struct MedicationRequest {
    #[graphql(owned)]
    pub id: ID,
    pub patient_id: ID,
    /// `active`, `on-hold`, `cancelled`, `completed`, `stopped`, `entered-in-error`.
    pub status: String,
    pub name: String,
    pub rxnorm_code: Option<String>,
    pub dosage: String,
    pub refills_left: i32,
    /// The prescriber, when a user of the practice.
    pub prescriber_id: Option<ID>,
    pub prescriber_name: Option<String>,
    pub last_filled_on: Option<Date>,
    /// A controlled substance: renewing it needs a visit.
    pub controlled: bool,
    pub authored_at: DateTime<Utc>,
    pub source: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<medication_request::Model> for MedicationRequest {
    fn from(m: medication_request::Model) -> Self {
        Self {
            id: gid("MedicationRequest", m.id),
            patient_id: gid("Patient", m.patient_id),
            status: m.status,
            name: m.name,
            rxnorm_code: m.rxnorm_code,
            dosage: m.dosage,
            refills_left: m.refills_left,
            prescriber_id: m.prescriber_id.map(|u| gid("User", u)),
            prescriber_name: m.prescriber_name,
            last_filled_on: m.last_filled_on.map(Date),
            controlled: m.controlled,
            authored_at: m.authored_at,
            source: m.source,
            updated_at: m.updated_at,
        }
    }
}

/// An allergy or intolerance.
#[derive(SimpleObject, Clone)]
pub struct AllergyIntolerance {
    #[graphql(owned)]
    pub id: ID,
    pub patient_id: ID,
    /// `active`, `inactive`, `resolved`; `refuted` (ruled out, never an active allergy) or
    /// `entered-in-error` (staff only).
    pub status: String,
    /// FHIR `clinicalStatus` as the EHR sent it.
    pub clinical_status: Option<String>,
    /// FHIR `verificationStatus` as the EHR sent it (`unconfirmed`, `confirmed`, `refuted`).
    pub verification_status: Option<String>,
    pub substance: String,
    pub code: Option<String>,
    /// The worst reaction's manifestations, in one line.
    pub reaction: Option<String>,
    /// `mild`, `moderate`, `severe`: the worst reaction's.
    pub severity: Option<String>,
    /// Every reaction recorded.
    pub reactions: Vec<AllergyReaction>,
    pub recorded_on: Option<Date>,
    pub source: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<allergy::Model> for AllergyIntolerance {
    fn from(m: allergy::Model) -> Self {
        Self {
            id: gid("AllergyIntolerance", m.id),
            patient_id: gid("Patient", m.patient_id),
            reactions: detail::read::<detail::AllergyDetail>(m.detail.as_deref())
                .reactions
                .into_iter()
                .map(|r| AllergyReaction {
                    manifestations: r.manifestations.into_iter().map(Into::into).collect(),
                    severity: r.severity,
                })
                .collect(),
            status: m.status,
            clinical_status: m.clinical_status,
            verification_status: m.verification_status,
            substance: m.substance,
            code: m.code,
            reaction: m.reaction,
            severity: m.severity,
            recorded_on: m.recorded_on.map(Date),
            source: m.source,
            updated_at: m.updated_at,
        }
    }
}

/// An entry of the problem list.
#[derive(SimpleObject, Clone)]
pub struct Condition {
    #[graphql(owned)]
    pub id: ID,
    pub patient_id: ID,
    /// `active`, `recurrence`, `relapse`, `inactive`, `remission`, `resolved`; `refuted`
    /// (ruled out, never an active problem) or `entered-in-error` (staff only).
    pub status: String,
    /// FHIR `clinicalStatus` as the EHR sent it.
    pub clinical_status: Option<String>,
    /// FHIR `verificationStatus` as the EHR sent it (`unconfirmed`, `provisional`,
    /// `differential`, `confirmed`, `refuted`).
    pub verification_status: Option<String>,
    /// SNOMED CT (digits) or ICD-10-CM code.
    pub code: Option<String>,
    pub name: String,
    pub onset_on: Option<Date>,
    pub abated_on: Option<Date>,
    pub source: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<condition::Model> for Condition {
    fn from(m: condition::Model) -> Self {
        Self {
            id: gid("Condition", m.id),
            patient_id: gid("Patient", m.patient_id),
            status: m.status,
            clinical_status: m.clinical_status,
            verification_status: m.verification_status,
            code: m.code,
            name: m.name,
            onset_on: m.onset_on.map(Date),
            abated_on: m.abated_on.map(Date),
            source: m.source,
            updated_at: m.updated_at,
        }
    }
}

/// A vaccine given (or not).
#[derive(SimpleObject, Clone)]
pub struct Immunization {
    #[graphql(owned)]
    pub id: ID,
    pub patient_id: ID,
    /// `completed`, `not-done`, `entered-in-error`.
    pub status: String,
    /// CVX code.
    pub vaccine_code: Option<String>,
    pub vaccine_name: String,
    pub occurred_on: Date,
    pub next_due_on: Option<Date>,
    /// Recorded by whoever gave the vaccine (FHIR `primarySource`), when known.
    pub primary_source: Option<bool>,
    pub source: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<immunization::Model> for Immunization {
    fn from(m: immunization::Model) -> Self {
        Self {
            id: gid("Immunization", m.id),
            patient_id: gid("Patient", m.patient_id),
            status: m.status,
            vaccine_code: m.vaccine_code,
            vaccine_name: m.vaccine_name,
            occurred_on: Date(m.occurred_on),
            next_due_on: m.next_due_on.map(Date),
            primary_source: m.primary_source,
            source: m.source,
            updated_at: m.updated_at,
        }
    }
}

/// One point of a test's history.
#[derive(SimpleObject)]
pub struct SeriesPoint {
    pub observation_id: ID,
    pub at: DateTime<Utc>,
    pub value: Option<f64>,
    pub value_text: Option<String>,
    pub unit: Option<String>,
    /// The interpretation flag (`H`, `L`, ...).
    pub flag: Option<String>,
    pub status: String,
    /// A blood pressure's systolic and diastolic: one reading, both values.
    pub components: Vec<ObservationComponent>,
}

/// One test's history, oldest point first, for drawing; the reference range is the latest.
#[derive(SimpleObject)]
pub struct ObservationSeries {
    /// LOINC code of the test.
    pub code: String,
    pub display: String,
    /// `laboratory` or `vital-signs`.
    pub category: String,
    pub unit: Option<String>,
    pub range_low: Option<f64>,
    pub range_high: Option<f64>,
    pub range_text: Option<String>,
    pub points: Vec<SeriesPoint>,
}

impl From<records::observations::Series> for ObservationSeries {
    fn from(s: records::observations::Series) -> Self {
        Self {
            code: s.code,
            display: s.display,
            category: s.category,
            unit: s.unit,
            range_low: s.range_low,
            range_high: s.range_high,
            range_text: s.range_text,
            points: s
                .points
                .into_iter()
                .map(|p| SeriesPoint {
                    components: components(p.detail.as_deref()),
                    observation_id: gid("Observation", p.id),
                    at: p.effective_at,
                    value: p.value_num,
                    value_text: p.value_text,
                    unit: p.unit,
                    flag: p.interpretation,
                    status: p.status,
                })
                .collect(),
        }
    }
}

pub(crate) type Page_<T> = Connection<usize, T, EmptyFields, EmptyFields>;

/// A page of the chart's records of type `E`, newest first (offset cursors).
pub(crate) async fn list<E, T>(
    ctx: &Context<'_>,
    patient: Uuid,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Page_<T>>
where
    E: ChartRecord,
    T: OutputType + From<E::Model>,
{
    query(
        after,
        None,
        first,
        None,
        |after: Option<usize>, _: Option<usize>, first, _| async move {
            let page = page_of(after, first);
            let rows = chart_access::read(ctx, patient, async |tx, opened| {
                records::list::<E>(tx, &opened.actor, &opened.chart, page).await
            })
            .await?;
            Ok::<_, async_graphql::Error>(connection(page, shown(page, rows), T::from))
        },
    )
    .await
}

/// The page after offset cursor `after`, with one row more than asked for (to tell
/// whether another page follows).
pub(crate) fn page_of(after: Option<usize>, first: Option<usize>) -> Page {
    let limit = first.unwrap_or(20).clamp(1, 100);
    Page {
        offset: after.map_or(0, |a| a + 1) as u64,
        limit: limit as u64 + 1,
    }
}

/// The rows of `page` (as [`page_of`] made it) to show, and whether more follow.
pub(crate) fn shown<R>(page: Page, mut rows: Vec<R>) -> (Vec<R>, bool) {
    let limit = usize::try_from(page.limit.saturating_sub(1)).unwrap_or(usize::MAX);
    let has_next = rows.len() > limit;
    rows.truncate(limit);
    (rows, has_next)
}

/// The connection of `page` from its [`shown`] rows.
pub(crate) fn connection<R, T: OutputType>(
    page: Page,
    (rows, has_next): (Vec<R>, bool),
    node: impl Fn(R) -> T,
) -> Page_<T> {
    let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
    let mut connection = Connection::new(offset > 0, has_next);
    connection.edges.extend(
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| Edge::new(offset + i, node(r))),
    );
    connection
}

/// Diagnostic reports with their results.
pub(crate) async fn reports(
    ctx: &Context<'_>,
    patient: Uuid,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Page_<DiagnosticReport>> {
    query(
        after,
        None,
        first,
        None,
        |after: Option<usize>, _: Option<usize>, first, _| async move {
            let page = page_of(after, first);
            let (reports, has_next) = chart_access::read(ctx, patient, async |tx, opened| {
                let listed = records::list::<diagnostic_report::Entity>(
                    tx,
                    &opened.actor,
                    &opened.chart,
                    page,
                )
                .await?;
                let (reports, has_next) = shown(page, listed);
                let reports = records::reports::with_results(tx, &opened.chart, reports).await?;
                Ok((reports, has_next))
            })
            .await?;
            Ok::<_, async_graphql::Error>(connection(page, (reports, has_next), |(r, results)| {
                DiagnosticReport::new(r, results)
            }))
        },
    )
    .await
}

pub(crate) async fn series(
    ctx: &Context<'_>,
    patient: Uuid,
    code: Option<String>,
    category: Option<String>,
) -> async_graphql::Result<Vec<ObservationSeries>> {
    let series = chart_access::read(ctx, patient, async |tx, opened| {
        let (code, category) = (code.as_deref(), category.as_deref());
        records::observations::series(tx, &opened.actor, &opened.chart, code, category).await
    })
    .await?;
    Ok(series.into_iter().map(ObservationSeries::from).collect())
}

/// One record by global id, for `node`; `None` when the id is not a record's.
pub(crate) async fn node(
    ctx: &Context<'_>,
    id: &ID,
) -> async_graphql::Result<Option<crate::patients::Node>> {
    use crate::patients::Node;
    let Some(ty) = global_id::type_of(id) else {
        return Ok(None);
    };
    let Some(uuid) = global_id::decode(&ty, id) else {
        return Ok(None);
    };
    if !RECORD_TYPES.contains(&ty.as_str()) {
        // Not a record: the policy is still checked first, as for a record.
        ctx.caller(chart_access::need(Purpose::Read)).await?;
        return Ok(None);
    }
    // Writing: a record read by id is audited in the transaction that read it.
    let node = ctx
        .run(
            chart_access::need(Purpose::Read),
            Access::Write,
            async |tx, caller| {
                Ok(match ty.as_str() {
                    "Observation" => Node::Observation(
                        get::<observation::Entity>(tx, caller, uuid).await?.0.into(),
                    ),
                    "DiagnosticReport" => {
                        let (m, chart) = get::<diagnostic_report::Entity>(tx, caller, uuid).await?;
                        let results = records::observations::of_report(tx, &chart, m.id).await?;
                        Node::DiagnosticReport(DiagnosticReport::new(m, results))
                    }
                    "Encounter" => {
                        Node::Encounter(get::<encounter::Entity>(tx, caller, uuid).await?.0.into())
                    }
                    "MedicationRequest" => Node::MedicationRequest(
                        get::<medication_request::Entity>(tx, caller, uuid)
                            .await?
                            .0
                            .into(),
                    ),
                    "AllergyIntolerance" => Node::AllergyIntolerance(
                        get::<allergy::Entity>(tx, caller, uuid).await?.0.into(),
                    ),
                    "Condition" => {
                        Node::Condition(get::<condition::Entity>(tx, caller, uuid).await?.0.into())
                    }
                    _ => Node::Immunization(
                        get::<immunization::Entity>(tx, caller, uuid)
                            .await?
                            .0
                            .into(),
                    ),
                })
            },
        )
        .await?;
    Ok(Some(node))
}

/// Record `id` of table `E` for the caller, audited, and the chart it belongs to.
async fn get<E: ChartRecord>(
    tx: &TenantTx,
    caller: &Caller,
    id: Uuid,
) -> CoreResult<(E::Model, OpenChart)> {
    records::get::<E>(tx, &caller.actor, &caller.viewer(), id).await
}

/// The record types `node` finds.
const RECORD_TYPES: [&str; 7] = [
    "Observation",
    "DiagnosticReport",
    "Encounter",
    "MedicationRequest",
    "AllergyIntolerance",
    "Condition",
    "Immunization",
];
