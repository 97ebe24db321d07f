//! Staff enter and correct chart records. Each `record...` mutation enters a new record, or,
//! with `id`, corrects that record in place (same id; for results and reports the status
//! becomes `amended`, `corrected` or `entered-in-error`, which hides it from the patient).
//! Bad input is `userErrors` and changes nothing.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use portico_core::{
    CoreResult, TenantTx,
    records::{
        allergies, conditions, encounters, immunizations, medications, observations, reports,
    },
};
use uuid::Uuid;

use crate::{
    chart_access::{self, Opened},
    global_id,
    records::{
        AllergyIntolerance, Condition, DiagnosticReport, Encounter, Immunization,
        MedicationRequest, Observation,
    },
    run::{Need, Outcome},
    scalars::Date,
    user_error::UserError,
};

/// The record to correct, when `id` is given.
fn correction(ty: &'static str, id: Option<&ID>) -> async_graphql::Result<Option<Uuid>> {
    Ok(global_id::parse_opt(ty, "id", id)?)
}

/// Enters or corrects a record of chart `patient` (a `Patient` global id) with `work`.
/// Records are written by staff (`patients/write`) while the practice takes new work;
/// patients change only their contact details and emergency contacts.
async fn record<T>(
    ctx: &Context<'_>,
    patient: &ID,
    work: impl AsyncFnOnce(&TenantTx, &Opened) -> CoreResult<T>,
) -> async_graphql::Result<Outcome<T>> {
    let patient = chart_access::patient_id(patient)?;
    chart_access::mutate(ctx, Need::to("patients", "write").new_work(), patient, work).await
}

macro_rules! payload {
    ($name:ident, $field:ident, $ty:ty) => {
        #[derive(SimpleObject)]
        pub struct $name {
            $field: Option<$ty>,
            user_errors: Vec<UserError>,
        }

        impl $name {
            fn from(result: Outcome<$ty>) -> Self {
                match result {
                    Ok(v) => Self {
                        $field: Some(v),
                        user_errors: Vec::new(),
                    },
                    Err(user_errors) => Self {
                        $field: None,
                        user_errors,
                    },
                }
            }
        }
    };
}

payload!(RecordObservationPayload, observation, Observation);
payload!(RecordDiagnosticReportPayload, report, DiagnosticReport);
payload!(RecordEncounterPayload, encounter, Encounter);
payload!(RecordMedicationPayload, medication, MedicationRequest);
payload!(RecordAllergyPayload, allergy, AllergyIntolerance);
payload!(RecordConditionPayload, condition, Condition);
payload!(RecordImmunizationPayload, immunization, Immunization);

#[derive(InputObject)]
pub struct RecordObservationInput {
    /// Set to correct this result in place.
    id: Option<ID>,
    patient_id: ID,
    /// New: `preliminary` or `final`. Correction: `final` (from preliminary), `amended`,
    /// `corrected` or `entered-in-error`.
    status: String,
    /// LOINC code, e.g. `2345-7`.
    code: String,
    display: String,
    value: Option<f64>,
    /// UCUM unit of `value`.
    unit: Option<String>,
    value_text: Option<String>,
    range_low: Option<f64>,
    range_high: Option<f64>,
    range_text: Option<String>,
    /// `N`, `H`, `L`, `HH`, `LL`, `A` or `AA`.
    interpretation: Option<String>,
    effective_at: DateTime<Utc>,
    /// The report it belongs to (on a correction, left out keeps the current one).
    report_id: Option<ID>,
    /// The visit (on a correction, left out keeps the current one).
    encounter_id: Option<ID>,
}

#[derive(InputObject)]
pub struct RecordDiagnosticReportInput {
    id: Option<ID>,
    patient_id: ID,
    /// As for results.
    status: String,
    /// LOINC code of the panel or study.
    code: String,
    display: String,
    conclusion: Option<String>,
    effective_at: DateTime<Utc>,
    issued_at: Option<DateTime<Utc>>,
    encounter_id: Option<ID>,
}

#[derive(InputObject)]
pub struct RecordEncounterInput {
    id: Option<ID>,
    patient_id: ID,
    /// `planned`, `in-progress`, `finished`, `cancelled` or `entered-in-error`.
    status: String,
    /// `ambulatory`, `virtual`, `emergency`, `inpatient` or `home`.
    class: String,
    reason: Option<String>,
    /// The visit summary the patient reads.
    summary: Option<String>,
    practitioner_name: Option<String>,
    started_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct RecordMedicationInput {
    id: Option<ID>,
    patient_id: ID,
    /// `active`, `on-hold`, `cancelled`, `completed`, `stopped` or `entered-in-error`.
    status: String,
    name: String,
    rxnorm_code: Option<String>,
    /// Dosage instructions as written.
    dosage: String,
    refills_left: i32,
    /// A user of the practice...
    prescriber_id: Option<ID>,
    /// ... or a name (at least one of the two).
    prescriber_name: Option<String>,
    last_filled_on: Option<Date>,
    #[graphql(default)]
    controlled: bool,
    /// Defaults to now.
    authored_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct RecordAllergyInput {
    id: Option<ID>,
    patient_id: ID,
    /// `active`, `inactive`, `resolved` or `entered-in-error`.
    status: String,
    substance: String,
    code: Option<String>,
    reaction: Option<String>,
    /// `mild`, `moderate` or `severe`.
    severity: Option<String>,
    recorded_on: Option<Date>,
}

#[derive(InputObject)]
pub struct RecordConditionInput {
    id: Option<ID>,
    patient_id: ID,
    /// `active`, `recurrence`, `relapse`, `inactive`, `remission`, `resolved` or
    /// `entered-in-error`.
    status: String,
    /// SNOMED CT or ICD-10-CM code.
    code: Option<String>,
    name: String,
    onset_on: Option<Date>,
    abated_on: Option<Date>,
}

#[derive(InputObject)]
pub struct RecordImmunizationInput {
    id: Option<ID>,
    patient_id: ID,
    /// `completed`, `not-done` or `entered-in-error`.
    status: String,
    /// CVX code.
    vaccine_code: Option<String>,
    vaccine_name: String,
    occurred_on: Date,
    /// When the next dose is due (drives the dashboard's reminders).
    next_due_on: Option<Date>,
}

#[derive(Default)]
pub struct RecordsMutation;

#[Object]
impl RecordsMutation {
    /// Enters or corrects a result (staff).
    async fn record_observation(
        &self,
        ctx: &Context<'_>,
        input: RecordObservationInput,
    ) -> async_graphql::Result<RecordObservationPayload> {
        let id = correction("Observation", input.id.as_ref())?;
        let report_id =
            global_id::parse_opt("DiagnosticReport", "reportId", input.report_id.as_ref())?;
        let encounter_id =
            global_id::parse_opt("Encounter", "encounterId", input.encounter_id.as_ref())?;
        let data = observations::ObservationInput {
            status: input.status,
            code: input.code,
            display: input.display,
            value: input.value,
            unit: input.unit,
            value_text: input.value_text,
            range_low: input.range_low,
            range_high: input.range_high,
            range_text: input.range_text,
            interpretation: input.interpretation,
            effective_at: Some(input.effective_at),
            report_id,
            encounter_id,
        };
        let saved = record(ctx, &input.patient_id, async |tx, o| match id {
            Some(id) => observations::correct(tx, &o.actor, &o.chart, id, data).await,
            None => observations::create(tx, &o.actor, &o.chart, data).await,
        })
        .await?;
        Ok(RecordObservationPayload::from(saved.map(Observation::from)))
    }

    /// Enters or corrects a diagnostic report (staff). Results join it with `reportId`.
    async fn record_diagnostic_report(
        &self,
        ctx: &Context<'_>,
        input: RecordDiagnosticReportInput,
    ) -> async_graphql::Result<RecordDiagnosticReportPayload> {
        let id = correction("DiagnosticReport", input.id.as_ref())?;
        let encounter_id =
            global_id::parse_opt("Encounter", "encounterId", input.encounter_id.as_ref())?;
        let data = reports::ReportInput {
            status: input.status,
            code: input.code,
            display: input.display,
            conclusion: input.conclusion,
            effective_at: Some(input.effective_at),
            issued_at: input.issued_at,
            encounter_id,
        };
        let saved = record(ctx, &input.patient_id, async |tx, o| {
            let report = reports::save(tx, &o.actor, &o.chart, id, data).await?;
            let results = observations::of_report(tx, &o.chart, report.id).await?;
            Ok(DiagnosticReport::new(report, results))
        })
        .await?;
        Ok(RecordDiagnosticReportPayload::from(saved))
    }

    /// Enters or corrects a visit and its summary (staff).
    async fn record_encounter(
        &self,
        ctx: &Context<'_>,
        input: RecordEncounterInput,
    ) -> async_graphql::Result<RecordEncounterPayload> {
        let id = correction("Encounter", input.id.as_ref())?;
        let data = encounters::EncounterInput {
            status: input.status,
            class: input.class,
            reason: input.reason,
            summary: input.summary,
            practitioner_name: input.practitioner_name,
            started_at: Some(input.started_at),
            ended_at: input.ended_at,
        };
        let saved = record(ctx, &input.patient_id, async |tx, o| {
            encounters::save(tx, &o.actor, &o.chart, id, data).await
        })
        .await?;
        Ok(RecordEncounterPayload::from(saved.map(Encounter::from)))
    }

    /// Enters or corrects a prescription (staff).
    async fn record_medication(
        &self,
        ctx: &Context<'_>,
        input: RecordMedicationInput,
    ) -> async_graphql::Result<RecordMedicationPayload> {
        let id = correction("MedicationRequest", input.id.as_ref())?;
        let prescriber_id =
            global_id::parse_opt("User", "prescriberId", input.prescriber_id.as_ref())?;
        let data = medications::MedicationInput {
            status: input.status,
            name: input.name,
            rxnorm_code: input.rxnorm_code,
            dosage: input.dosage,
            refills_left: input.refills_left,
            prescriber_id,
            prescriber_name: input.prescriber_name,
            last_filled_on: input.last_filled_on.map(|d| d.0),
            controlled: input.controlled,
            authored_at: input.authored_at,
        };
        let saved = record(ctx, &input.patient_id, async |tx, o| {
            medications::save(tx, &o.actor, &o.chart, id, data).await
        })
        .await?;
        Ok(RecordMedicationPayload::from(
            saved.map(MedicationRequest::from),
        ))
    }

    /// Enters or corrects an allergy (staff).
    async fn record_allergy(
        &self,
        ctx: &Context<'_>,
        input: RecordAllergyInput,
    ) -> async_graphql::Result<RecordAllergyPayload> {
        let id = correction("AllergyIntolerance", input.id.as_ref())?;
        let data = allergies::AllergyInput {
            status: input.status,
            substance: input.substance,
            code: input.code,
            reaction: input.reaction,
            severity: input.severity,
            recorded_on: input.recorded_on.map(|d| d.0),
        };
        let saved = record(ctx, &input.patient_id, async |tx, o| {
            allergies::save(tx, &o.actor, &o.chart, id, data).await
        })
        .await?;
        Ok(RecordAllergyPayload::from(
            saved.map(AllergyIntolerance::from),
        ))
    }

    /// Enters or corrects a problem-list entry (staff).
    async fn record_condition(
        &self,
        ctx: &Context<'_>,
        input: RecordConditionInput,
    ) -> async_graphql::Result<RecordConditionPayload> {
        let id = correction("Condition", input.id.as_ref())?;
        let data = conditions::ConditionInput {
            status: input.status,
            code: input.code,
            name: input.name,
            onset_on: input.onset_on.map(|d| d.0),
            abated_on: input.abated_on.map(|d| d.0),
        };
        let saved = record(ctx, &input.patient_id, async |tx, o| {
            conditions::save(tx, &o.actor, &o.chart, id, data).await
        })
        .await?;
        Ok(RecordConditionPayload::from(saved.map(Condition::from)))
    }

    /// Enters or corrects an immunization (staff).
    async fn record_immunization(
        &self,
        ctx: &Context<'_>,
        input: RecordImmunizationInput,
    ) -> async_graphql::Result<RecordImmunizationPayload> {
        let id = correction("Immunization", input.id.as_ref())?;
        let data = immunizations::ImmunizationInput {
            status: input.status,
            vaccine_code: input.vaccine_code,
            vaccine_name: input.vaccine_name,
            occurred_on: Some(input.occurred_on.0),
            next_due_on: input.next_due_on.map(|d| d.0),
        };
        let saved = record(ctx, &input.patient_id, async |tx, o| {
            immunizations::save(tx, &o.actor, &o.chart, id, data).await
        })
        .await?;
        Ok(RecordImmunizationPayload::from(
            saved.map(Immunization::from),
        ))
    }
}
