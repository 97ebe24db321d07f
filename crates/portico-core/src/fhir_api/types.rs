//! The resource types the FHIR API serves and the search parameters each takes (those US
//! Core requires, and a few it recommends), as the CapabilityStatement declares them.

/// How a search parameter's value is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// `[system|]code` against a code, Coding, CodeableConcept or Identifier.
    Token,
    /// A date or time, with an optional prefix (`ge2024-01-01`).
    Date,
    /// Starts with, ignoring case.
    String,
    /// `Patient/{id}` or `{id}`: the chart.
    Reference,
}

impl ParamKind {
    /// The FHIR name of the type, for the CapabilityStatement.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Date => "date",
            Self::String => "string",
            Self::Reference => "reference",
        }
    }
}

/// A search parameter: its name, kind and where in the resource it looks (dotted paths;
/// arrays on the way are searched through).
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    pub paths: &'static [&'static str],
}

const fn p(name: &'static str, kind: ParamKind, paths: &'static [&'static str]) -> Param {
    Param { name, kind, paths }
}

use ParamKind::{Date, Reference, String as Text, Token};

/// Where the US Core profiles are named.
pub const US_CORE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/";

const ID: Param = p("_id", Token, &["id"]);
const PATIENT: Param = p("patient", Reference, &[]);

/// The resource types served, in the CapabilityStatement's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceType {
    Patient,
    AllergyIntolerance,
    Condition,
    Observation,
    DiagnosticReport,
    MedicationRequest,
    Immunization,
    Encounter,
    DocumentReference,
    Appointment,
    Provenance,
}

impl ResourceType {
    pub const ALL: [Self; 11] = [
        Self::Patient,
        Self::AllergyIntolerance,
        Self::Condition,
        Self::Observation,
        Self::DiagnosticReport,
        Self::MedicationRequest,
        Self::Immunization,
        Self::Encounter,
        Self::DocumentReference,
        Self::Appointment,
        Self::Provenance,
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "Patient",
            Self::AllergyIntolerance => "AllergyIntolerance",
            Self::Condition => "Condition",
            Self::Observation => "Observation",
            Self::DiagnosticReport => "DiagnosticReport",
            Self::MedicationRequest => "MedicationRequest",
            Self::Immunization => "Immunization",
            Self::Encounter => "Encounter",
            Self::DocumentReference => "DocumentReference",
            Self::Appointment => "Appointment",
            Self::Provenance => "Provenance",
        }
    }

    /// The audit log's name for reading it (`observation.read`, `observation.list`), as the
    /// GraphQL API names the same reads.
    pub(crate) fn action(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::AllergyIntolerance => "allergy",
            Self::Condition => "condition",
            Self::Observation => "observation",
            Self::DiagnosticReport => "diagnostic_report",
            Self::MedicationRequest => "medication",
            Self::Immunization => "immunization",
            Self::Encounter | Self::DocumentReference => "encounter",
            Self::Appointment => "appointment",
            Self::Provenance => "provenance",
        }
    }

    /// The US Core profile its resources follow (Appointment has none), by name: the
    /// canonical URL is [`US_CORE`] followed by it.
    pub fn profile(self) -> Option<&'static str> {
        Some(match self {
            Self::Patient => "us-core-patient",
            Self::AllergyIntolerance => "us-core-allergyintolerance",
            Self::Condition => "us-core-condition-problems-health-concerns",
            Self::Observation => "us-core-observation-lab",
            Self::DiagnosticReport => "us-core-diagnosticreport-lab",
            Self::MedicationRequest => "us-core-medicationrequest",
            Self::Immunization => "us-core-immunization",
            Self::Encounter => "us-core-encounter",
            Self::DocumentReference => "us-core-documentreference",
            Self::Provenance => "us-core-provenance",
            Self::Appointment => return None,
        })
    }

    /// Whether it can be searched (Provenance is read, or included with
    /// `_revinclude=Provenance:target`).
    pub fn searchable(self) -> bool {
        self != Self::Provenance
    }

    /// The search parameters it takes, besides `_count`, `_offset` and `_revinclude`.
    pub fn params(self) -> &'static [Param] {
        match self {
            Self::Patient => PATIENT_PARAMS,
            Self::AllergyIntolerance => ALLERGY_INTOLERANCE_PARAMS,
            Self::Condition => CONDITION_PARAMS,
            Self::Observation | Self::DiagnosticReport => OBSERVATION_PARAMS,
            Self::MedicationRequest => MEDICATION_REQUEST_PARAMS,
            Self::Immunization => IMMUNIZATION_PARAMS,
            Self::Encounter => ENCOUNTER_PARAMS,
            Self::DocumentReference => DOCUMENT_REFERENCE_PARAMS,
            Self::Appointment => APPOINTMENT_PARAMS,
            Self::Provenance => &[],
        }
    }
}

const PATIENT_PARAMS: &[Param] = &[
    ID,
    p("identifier", Token, &["identifier"]),
    p("name", Text, &["name.family", "name.given", "name.text"]),
    p("family", Text, &["name.family"]),
    p("given", Text, &["name.given"]),
    p("birthdate", Date, &["birthDate"]),
    p("gender", Token, &["gender"]),
];

const ALLERGY_INTOLERANCE_PARAMS: &[Param] = &[
    ID,
    PATIENT,
    p("clinical-status", Token, &["clinicalStatus"]),
];

const CONDITION_PARAMS: &[Param] = &[
    ID,
    PATIENT,
    p("category", Token, &["category"]),
    p("clinical-status", Token, &["clinicalStatus"]),
    p("code", Token, &["code"]),
    p("onset-date", Date, &["onsetDateTime"]),
];

const OBSERVATION_PARAMS: &[Param] = &[
    ID,
    PATIENT,
    p("category", Token, &["category"]),
    p("code", Token, &["code"]),
    p("date", Date, &["effectiveDateTime"]),
    p("status", Token, &["status"]),
];

const MEDICATION_REQUEST_PARAMS: &[Param] = &[
    ID,
    PATIENT,
    p("intent", Token, &["intent"]),
    p("status", Token, &["status"]),
    p("authoredon", Date, &["authoredOn"]),
];

const IMMUNIZATION_PARAMS: &[Param] = &[
    ID,
    PATIENT,
    p("date", Date, &["occurrenceDateTime"]),
    p("status", Token, &["status"]),
];

const ENCOUNTER_PARAMS: &[Param] = &[
    ID,
    PATIENT,
    p("class", Token, &["class"]),
    p("date", Date, &["period.start"]),
    p("status", Token, &["status"]),
];

const DOCUMENT_REFERENCE_PARAMS: &[Param] = &[
    ID,
    PATIENT,
    p("category", Token, &["category"]),
    p("type", Token, &["type"]),
    p("date", Date, &["date"]),
    p("status", Token, &["status"]),
];

const APPOINTMENT_PARAMS: &[Param] = &[
    ID,
    PATIENT,
    p("date", Date, &["start"]),
    p("status", Token, &["status"]),
];
