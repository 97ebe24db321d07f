//! Patients' charts (demographics for now). Staff of the practice see every chart; a patient
//! sees only their own. Another tenant's chart, or another patient's, is `NOT_FOUND`.

use async_graphql::{
    Context, ID, InputObject, Interface, Object, SimpleObject,
    connection::{Connection, Edge, EmptyFields, query},
};
use portico_core::{
    PatientId,
    entities::{
        allergy, condition, encounter, immunization, medication_request, observation, patient,
    },
    patient_search::PatientSearch,
    patients::{self, NewPatient},
    records as records_core,
    tenancy::Access,
};

use crate::{
    ApiError,
    chart_access::{self, ChartRestriction},
    contact_details::ContactChange,
    dashboard::PatientDashboard,
    emergency::{EmergencyContact, EmergencySummary},
    global_id,
    records::{
        self, AllergyIntolerance, Condition, DiagnosticReport, Encounter, Immunization,
        MedicationRequest, Observation, ObservationSeries, Page_,
    },
    run::{Need, OutcomeExt, Run, refusable},
    scalars::Date,
    user_error::UserError,
};

/// A patient's chart.
pub struct Patient(pub(crate) patient::Model);

#[Object]
impl Patient {
    async fn id(&self) -> ID {
        global_id::encode("Patient", self.0.id)
    }
    /// The practice's medical record number.
    async fn mrn(&self) -> Option<&str> {
        self.0.mrn.as_deref()
    }
    async fn given_name(&self) -> &str {
        &self.0.given_name
    }
    async fn family_name(&self) -> &str {
        &self.0.family_name
    }
    async fn birth_date(&self) -> Date {
        Date(self.0.birth_date)
    }
    /// FHIR administrative gender.
    async fn gender(&self) -> &str {
        &self.0.gender
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn address_line(&self) -> Option<&str> {
        self.0.address_line.as_deref()
    }
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    /// State or province.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }
    /// ISO 3166 two-letter code.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// BCP 47 tag.
    async fn preferred_language(&self) -> Option<&str> {
        self.0.preferred_language.as_deref()
    }
    async fn preferred_pharmacy(&self) -> Option<&str> {
        self.0.preferred_pharmacy.as_deref()
    }

    // The chart's records. Each field opens the chart again for the viewer (so a restricted
    // chart needs a break-glass access, a proxy needs a `read` grant) and is audited.

    /// Results (observations), newest first.
    async fn results(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page_<Observation>> {
        records::list::<observation::Entity, Observation>(ctx, self.0.id, first, after).await
    }
    /// Each test's history as a series a chart can draw (one test when `code` is given;
    /// laboratory results or vital signs only when `category` is `laboratory` or
    /// `vital-signs`).
    async fn result_series(
        &self,
        ctx: &Context<'_>,
        code: Option<String>,
        category: Option<String>,
    ) -> async_graphql::Result<Vec<ObservationSeries>> {
        records::series(ctx, self.0.id, code, category).await
    }
    /// Diagnostic reports with their results, newest first.
    async fn diagnostic_reports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page_<DiagnosticReport>> {
        records::reports(ctx, self.0.id, first, after).await
    }
    /// Visits with their summaries, newest first.
    async fn visit_summaries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page_<Encounter>> {
        records::list::<encounter::Entity, Encounter>(ctx, self.0.id, first, after).await
    }
    /// Prescriptions, newest first.
    async fn medications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page_<MedicationRequest>> {
        records::list::<medication_request::Entity, MedicationRequest>(ctx, self.0.id, first, after)
            .await
    }
    async fn allergies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page_<AllergyIntolerance>> {
        records::list::<allergy::Entity, AllergyIntolerance>(ctx, self.0.id, first, after).await
    }
    async fn immunizations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page_<Immunization>> {
        records::list::<immunization::Entity, Immunization>(ctx, self.0.id, first, after).await
    }
    /// The problem list.
    async fn problems(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page_<Condition>> {
        records::list::<condition::Entity, Condition>(ctx, self.0.id, first, after).await
    }
    async fn dashboard(&self, ctx: &Context<'_>) -> async_graphql::Result<PatientDashboard> {
        crate::dashboard::load(ctx, self.0.id).await
    }
    /// Allergies, active medications, problems, immunizations and emergency contacts.
    async fn emergency_summary(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<EmergencySummary> {
        crate::emergency::summary(ctx, self.0.id).await
    }
    async fn emergency_contacts(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<EmergencyContact>> {
        crate::emergency::contacts(ctx, self.0.id).await
    }
    /// How the patient wants to hear from the practice.
    async fn notification_preferences(&self) -> crate::notifications::NotificationPreferences {
        crate::notifications::NotificationPreferences::from(&self.0)
    }
    /// Every change of contact details, newest first.
    async fn contact_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page_<ContactChange>> {
        crate::contact_details::history(ctx, self.0.id, first, after).await
    }
    /// The whole chart as a FHIR R4 Bundle of type `transaction` (JSON), for "download my
    /// record". Records entered in error are left out.
    async fn fhir_bundle(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<async_graphql::Json<serde_json::Value>> {
        crate::fhir_export::bundle(ctx, self.0.id).await
    }
    /// Whether the chart is restricted, and to whom (staff; null for patients).
    async fn restriction(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<ChartRestriction>> {
        crate::chart_access::restriction_of(ctx, self.0.id).await
    }
}

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Patient(Patient),
    Observation(Observation),
    DiagnosticReport(DiagnosticReport),
    Encounter(Encounter),
    MedicationRequest(MedicationRequest),
    AllergyIntolerance(AllergyIntolerance),
    Condition(Condition),
    Immunization(Immunization),
}

#[derive(InputObject)]
pub struct CreatePatientInput {
    mrn: Option<String>,
    given_name: String,
    family_name: String,
    birth_date: Date,
    /// `female`, `male`, `other` or `unknown`.
    gender: String,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(SimpleObject, Default)]
pub struct CreatePatientPayload {
    patient: Option<Patient>,
    user_errors: Vec<UserError>,
}

refusable!(CreatePatientPayload);

/// Loads a chart the principal may open, or `NOT_FOUND` (`BREAK_GLASS_REQUIRED` for staff on
/// a restricted chart without a break-glass access).
async fn open_chart(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Patient> {
    let patient = global_id::parse("Patient", "id", id)?;
    let chart = chart_access::read(ctx, patient, async |tx, opened| {
        records_core::audit(
            tx,
            &opened.actor,
            &opened.chart,
            "patient.read",
            "Patient",
            Some(opened.chart.id()),
        )
        .await?;
        Ok(opened.chart.chart.clone())
    })
    .await?;
    Ok(Patient(chart))
}

#[derive(Default)]
pub struct PatientsQuery;

#[Object]
impl PatientsQuery {
    /// Any object by its global id.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Node> {
        // Any type is welcome here, but the id must be one the API made.
        let well_formed = global_id::type_of(&id)
            .and_then(|ty| global_id::decode(&ty, &id))
            .is_some();
        if !well_formed {
            return Err(ApiError::BadUserInput {
                field: "id",
                code: "INVALID_ID",
                message: "id must be a global id as the API returns it".to_owned(),
            }
            .into());
        }
        match global_id::type_of(&id).as_deref() {
            Some("Patient") => open_chart(ctx, &id).await.map(Node::Patient),
            _ => records::node(ctx, &id)
                .await?
                .ok_or_else(|| ApiError::NotFound.into()),
        }
    }

    /// One chart.
    async fn patient(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Patient> {
        open_chart(ctx, &id).await
    }

    /// The practice's charts, oldest first (staff only). With `search`, the charts it finds,
    /// by family name, given name and id: a date (`YYYY-MM-DD` or `MM/DD/YYYY`) finds the
    /// birth date; text with `@` emails starting with it; a phone number (7 or more digits)
    /// phones ending with its last 10 digits, or that MRN; anything else charts with a name
    /// word starting with each word (case and accents ignored), or that MRN. Blank is no
    /// search; over 200 characters is `BAD_USER_INPUT`.
    async fn patients(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> async_graphql::Result<Connection<String, Patient, EmptyFields, EmptyFields>> {
        // The policy first: a caller it refuses learns nothing about their search.
        let need = Need::to("patients", "read");
        ctx.caller(need).await?;
        // Read before any paging so bad text fails the same on every page; the error never
        // repeats the text (it is PHI).
        let search = match search.as_deref() {
            Some(text) => PatientSearch::parse(text).map_err(|e| ctx.fail(e))?,
            None => None,
        };
        query(
            after,
            None,
            first,
            None,
            |after: Option<String>, _, first, _| async move {
                let limit = first.unwrap_or(20).clamp(1, 100);
                let after = match after.as_deref() {
                    Some(cursor) => Some(
                        global_id::decode("Patient", &ID(cursor.to_owned()))
                            .map(PatientId::from_uuid)
                            .ok_or(ApiError::BadUserInput {
                                field: "after",
                                code: "INVALID_CURSOR",
                                message: "not a cursor from this list".to_owned(),
                            })?,
                    ),
                    None => None,
                };
                let mut page = ctx
                    .run(need, Access::Write, async |tx, caller| {
                        patients::list_for(
                            tx,
                            &caller.actor,
                            &caller.viewer(),
                            after,
                            search.as_ref(),
                            u64::try_from(limit + 1).unwrap_or(101),
                        )
                        .await
                    })
                    .await?;
                let has_next = page.len() > limit;
                page.truncate(limit);
                let mut connection = Connection::new(after.is_some(), has_next);
                connection.edges.extend(page.into_iter().map(|p| {
                    let cursor = global_id::encode("Patient", p.id).0;
                    Edge::new(cursor, Patient(p))
                }));
                Ok::<_, async_graphql::Error>(connection)
            },
        )
        .await
    }
}

#[derive(Default)]
pub struct PatientsMutation;

#[Object]
impl PatientsMutation {
    /// Opens a chart (staff).
    async fn create_patient(
        &self,
        ctx: &Context<'_>,
        input: CreatePatientInput,
    ) -> async_graphql::Result<CreatePatientPayload> {
        let patient = NewPatient {
            mrn: input.mrn,
            given_name: input.given_name,
            family_name: input.family_name,
            birth_date: Some(input.birth_date.0),
            gender: input.gender,
            email: input.email,
            phone: input.phone,
        };
        let outcome = ctx
            .mutate(
                Need::to("patients", "write").new_work(),
                async |tx, caller| patients::create(tx, &caller.actor, patient).await,
            )
            .await?;
        Ok(outcome.payload(|p| CreatePatientPayload {
            patient: Some(Patient(p)),
            user_errors: Vec::new(),
        }))
    }
}
