//! What crosses the EHR port: resources mapped from FHIR into the chart's own inputs (with
//! references still as FHIR ids, resolved by the sync against the id map), and the writes
//! Portico sends back.

use chrono::{DateTime, NaiveDate, Utc};

use crate::records::{
    allergies::AllergyInput,
    conditions::ConditionInput,
    detail::{AllergyDetail, ConditionDetail, ObservationDetail},
    encounters::EncounterInput,
    immunizations::ImmunizationInput,
    medications::MedicationInput,
    observations::ObservationInput,
    reports::ReportInput,
};

/// The FHIR resource types Portico pulls, in the order a sync pulls them: what others refer
/// to comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    Patient,
    Practitioner,
    Location,
    Encounter,
    Appointment,
    Observation,
    DiagnosticReport,
    DocumentReference,
    MedicationRequest,
    AllergyIntolerance,
    Condition,
    Immunization,
}

impl ResourceKind {
    pub const ALL: [Self; 12] = [
        Self::Patient,
        Self::Practitioner,
        Self::Location,
        Self::Encounter,
        Self::Appointment,
        Self::Observation,
        Self::DiagnosticReport,
        Self::DocumentReference,
        Self::MedicationRequest,
        Self::AllergyIntolerance,
        Self::Condition,
        Self::Immunization,
    ];

    /// The FHIR resource type name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "Patient",
            Self::Practitioner => "Practitioner",
            Self::Location => "Location",
            Self::Encounter => "Encounter",
            Self::Appointment => "Appointment",
            Self::Observation => "Observation",
            Self::DiagnosticReport => "DiagnosticReport",
            Self::DocumentReference => "DocumentReference",
            Self::MedicationRequest => "MedicationRequest",
            Self::AllergyIntolerance => "AllergyIntolerance",
            Self::Condition => "Condition",
            Self::Immunization => "Immunization",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Extra search parameters the pull adds (only laboratory results and vital signs reach
    /// the chart; a comma is FHIR's "or").
    pub fn search_filter(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Observation => Some(("category", "laboratory,vital-signs")),
            _ => None,
        }
    }
}

/// One change read from the EHR.
#[derive(Clone, Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "almost every change is an upsert; boxing it would allocate for each one"
)]
pub enum Change {
    /// A resource mapped for the chart.
    Upsert(Mapped),
    /// A resource the EHR deleted.
    Deleted { kind: ResourceKind, fhir_id: String },
    /// A resource that could not be mapped (missing required fields, wrong types, values too
    /// long). `code` is stable and free of PHI; the rest of the page still syncs.
    Rejected {
        kind: ResourceKind,
        fhir_id: Option<String>,
        code: &'static str,
        last_updated: Option<DateTime<Utc>>,
    },
}

/// A mapped resource with the FHIR bookkeeping the sync needs.
#[derive(Clone, Debug)]
pub struct Mapped {
    pub fhir_id: String,
    pub version_id: Option<String>,
    pub last_updated: Option<DateTime<Utc>>,
    pub record: Inbound,
}

impl Mapped {
    pub fn kind(&self) -> ResourceKind {
        self.record.kind()
    }
}

/// A FHIR reference to another resource, by type and id (`Patient/123`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub kind: ResourceKind,
    pub fhir_id: String,
}

/// A resource mapped into what the chart stores. References are still FHIR ids.
#[derive(Clone, Debug)]
pub enum Inbound {
    Patient(EhrPatient),
    Practitioner(EhrPractitioner),
    Location(EhrLocation),
    Encounter {
        patient: String,
        practitioner: Option<String>,
        input: EncounterInput,
    },
    Appointment(EhrAppointment),
    Observation {
        patient: String,
        encounter: Option<String>,
        input: ObservationInput,
        /// `laboratory` or `vital-signs`.
        category: String,
        /// Boxed: it is much larger than the other variants' fields.
        detail: Box<ObservationDetail>,
    },
    DiagnosticReport {
        patient: String,
        encounter: Option<String>,
        /// Observation ids of the results.
        results: Vec<String>,
        input: ReportInput,
    },
    /// A visit summary (a clinical note attached to an encounter).
    VisitSummary {
        patient: String,
        encounter: String,
        /// `current`; `superseded` (a newer note replaced it: left alone); or
        /// `entered-in-error` to withdraw it.
        status: String,
        text: String,
    },
    MedicationRequest {
        patient: String,
        prescriber: Option<String>,
        input: MedicationInput,
    },
    Allergy {
        patient: String,
        input: AllergyInput,
        statuses: Statuses,
        detail: AllergyDetail,
    },
    Condition {
        patient: String,
        input: ConditionInput,
        statuses: Statuses,
        detail: ConditionDetail,
    },
    Immunization {
        patient: String,
        input: ImmunizationInput,
        /// FHIR `primarySource`, when the EHR said.
        primary_source: Option<bool>,
    },
}

impl Inbound {
    pub fn kind(&self) -> ResourceKind {
        match self {
            Self::Patient(_) => ResourceKind::Patient,
            Self::Practitioner(_) => ResourceKind::Practitioner,
            Self::Location(_) => ResourceKind::Location,
            Self::Encounter { .. } => ResourceKind::Encounter,
            Self::Appointment(_) => ResourceKind::Appointment,
            Self::Observation { .. } => ResourceKind::Observation,
            Self::DiagnosticReport { .. } => ResourceKind::DiagnosticReport,
            Self::VisitSummary { .. } => ResourceKind::DocumentReference,
            Self::MedicationRequest { .. } => ResourceKind::MedicationRequest,
            Self::Allergy { .. } => ResourceKind::AllergyIntolerance,
            Self::Condition { .. } => ResourceKind::Condition,
            Self::Immunization { .. } => ResourceKind::Immunization,
        }
    }

    /// The EHR patient the record belongs to (none for patients, practitioners, locations).
    pub fn patient(&self) -> Option<&str> {
        match self {
            Self::Patient(_) | Self::Practitioner(_) | Self::Location(_) => None,
            Self::Appointment(a) => Some(&a.patient),
            Self::Encounter { patient, .. }
            | Self::Observation { patient, .. }
            | Self::DiagnosticReport { patient, .. }
            | Self::VisitSummary { patient, .. }
            | Self::MedicationRequest { patient, .. }
            | Self::Allergy { patient, .. }
            | Self::Condition { patient, .. }
            | Self::Immunization { patient, .. } => Some(patient),
        }
    }
}

/// An allergy's or condition's FHIR statuses as received (`input.status` is the chart's
/// status derived from them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statuses {
    pub clinical: Option<String>,
    pub verification: Option<String>,
}

/// An identifier of a patient in the EHR, one in use (not `old`, within its period).
/// `system` is a URI; MRNs are matched by value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EhrIdentifier {
    pub system: Option<String>,
    pub value: String,
    /// Its v2-0203 type (`MR` for a medical record number, `SS`, `DL`, ...), when typed.
    pub type_code: Option<String>,
}

/// The v2-0203 type of a medical record number.
pub const MRN_TYPE: &str = "MR";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EhrPatient {
    pub identifiers: Vec<EhrIdentifier>,
    pub given_name: String,
    /// The given names one by one (`given_name` joins them), kept so the export can write
    /// them as the EHR did.
    pub given_names: Vec<String>,
    pub family_name: String,
    pub birth_date: NaiveDate,
    /// `male`, `female`, `other` or `unknown`.
    pub gender: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    /// `false` when the EHR marks the record inactive or entered in error.
    pub active: bool,
}

impl EhrPatient {
    /// The EHR's medical record number: the identifier typed `MR`, else one in the
    /// practice's MRN system (`mrn_system`, for EHRs that do not type it). Never just the
    /// first identifier: that may be a social security or driving licence number.
    pub fn mrn(&self, mrn_system: Option<&str>) -> Option<&EhrIdentifier> {
        self.identifiers
            .iter()
            .find(|i| i.type_code.as_deref() == Some(MRN_TYPE))
            .or_else(|| {
                let system = mrn_system?;
                self.identifiers
                    .iter()
                    .find(|i| i.system.as_deref() == Some(system))
            })
    }

    /// The values that may equal a chart's MRN when matching: the MRN when the EHR says
    /// which it is; else those identifiers it does not type at all (an identifier typed
    /// as something else, a social security number say, is never an MRN).
    pub fn mrn_values(&self, mrn_system: Option<&str>) -> Vec<&str> {
        match self.mrn(mrn_system) {
            Some(mrn) => vec![mrn.value.as_str()],
            None => self
                .identifiers
                .iter()
                .filter(|i| i.type_code.is_none())
                .map(|i| i.value.as_str())
                .collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EhrPractitioner {
    pub display_name: String,
    pub specialty: Option<String>,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EhrLocation {
    pub name: String,
    pub address: Option<String>,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EhrAppointment {
    pub patient: String,
    pub practitioner: Option<String>,
    pub location: Option<String>,
    /// The FHIR status: `booked`, `cancelled`, `noshow`, `fulfilled`, `entered-in-error`, ...
    pub status: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// `appointmentType` or `serviceType` text, matched to a practice's visit type by name.
    pub type_name: Option<String>,
}

/// The rejection code of a resource Portico wrote itself (a home reading's Observation): a
/// pull passes over it, neither charted again nor counted as refused.
pub const PORTICO_OWN: &str = "EHR_PORTICO_OWN";

/// A write-back Portico sends. Ids are FHIR ids the sync resolved from its id map.
#[derive(Clone, Debug, PartialEq)]
pub enum OutboundWrite {
    /// Create (no `fhir_id`) or update the FHIR Appointment of a portal booking.
    Appointment {
        /// Portico's id: the resource's `identifier` (`urn:portico:appointment`), so a create
        /// sent twice (an answer lost) makes one resource (`If-None-Exist`).
        local_id: uuid::Uuid,
        fhir_id: Option<String>,
        /// `booked`, `cancelled`, `noshow`, `fulfilled`.
        status: String,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        patient: String,
        practitioner: Option<String>,
        location: Option<String>,
        type_name: String,
    },
    /// An approved refill: a new MedicationRequest based on the prescription it renews.
    RefillApproved {
        /// The refill request's id (`urn:portico:refill` identifier, as for appointments).
        local_id: uuid::Uuid,
        patient: String,
        prior: Option<String>,
        requester: Option<String>,
        medication: String,
        rxnorm_code: Option<String>,
        dosage: String,
        /// Left out when the decision gave none.
        quantity: Option<i32>,
        refills: i32,
        authored_at: DateTime<Utc>,
    },
    /// A refill denied or sent to a visit: a Task on the prescription, for the EHR's inbox.
    RefillDeclined {
        /// The refill request's id (`urn:portico:refill` identifier).
        local_id: uuid::Uuid,
        patient: String,
        prior: Option<String>,
        /// `denied` or `needs-appointment`.
        outcome: String,
        authored_at: DateTime<Utc>,
    },
    /// A submitted form: its QuestionnaireResponse (JSON, without subject or identifier,
    /// which the gateway adds), about the EHR's patient, who is its author when they
    /// answered it themselves.
    FormResponse {
        /// The form request's id (`urn:portico:form-response` identifier).
        local_id: uuid::Uuid,
        patient: String,
        response: String,
        /// Answered by a caregiver rather than the patient: no author is named.
        by_proxy: bool,
    },
    /// A reading the patient (or a caregiver) recorded at home: a patient-reported
    /// Observation.
    Reading(ReadingWrite),
    /// A demographic change made in Portico, written to the EHR Patient only if its version
    /// is still `expected_version`.
    Demographics {
        fhir_id: String,
        expected_version: Option<String>,
        demographics: Demographics,
    },
}

/// A home reading as the EHR gets it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadingWrite {
    /// The reading's id (`urn:portico:reading` identifier).
    pub local_id: uuid::Uuid,
    pub patient: String,
    /// LOINC: the panel for blood pressure, with its two components.
    pub code: String,
    pub display: String,
    /// `vital-signs` or `laboratory` (glucose).
    pub category: String,
    /// As given, in UCUM `unit`; `diastolic` for blood pressure.
    pub value: f64,
    pub diastolic: Option<f64>,
    pub unit: String,
    pub taken_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// Recorded by a caregiver with access to the chart rather than the patient.
    pub by_proxy: bool,
}

/// The demographic fields Portico writes back; `None` leaves the EHR's value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Demographics {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}
