//! A generated corpus of clinical FHIR R4 content for the EHR tests: patients whose problems
//! and allergies carry every verification status, allergies with several reactions,
//! prescriptions that name their drug by code, by a contained Medication and by a separate
//! one, immunizations recorded by a primary source or not, and vital-sign panels over
//! several visits. Deterministic for a seed; nobody in it is real.
//!
//! Ids: `{prefix}pat-N`, `{prefix}cond-N-K`, `{prefix}alg-N-K`, `{prefix}rx-N-K`,
//! `{prefix}med-N` (the separate Medications), `{prefix}imm-N-K`, `{prefix}vit-N-V-K`,
//! `{prefix}lab-N-K` (a result with a reference range, and a coded one).

use serde_json::{Value, json};

const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";
const ICD10: &str = "http://hl7.org/fhir/sid/icd-10-cm";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const UCUM: &str = "http://unitsofmeasure.org";
const CVX: &str = "http://hl7.org/fhir/sid/cvx";
const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const CONDITION_VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const ALLERGY_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
const ALLERGY_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";

/// The condition verification statuses, each used for every patient.
pub const CONDITION_VERIFICATIONS: [&str; 5] = [
    "confirmed",
    "unconfirmed",
    "provisional",
    "refuted",
    "entered-in-error",
];
/// The allergy verification statuses, each used for every patient.
pub const ALLERGY_VERIFICATIONS: [&str; 4] =
    ["confirmed", "unconfirmed", "refuted", "entered-in-error"];
/// Visits with a full set of vital signs, per patient.
pub const VISITS: usize = 3;

const GIVEN: [&str; 8] = [
    "Odile", "Quentin", "Rosalind", "Silas", "Thea", "Ulric", "Vesna", "Wystan",
];
const MIDDLE: [&str; 6] = ["Marie", "Jon", "Ann", "Lee", "Kai", "Bea"];
const FAMILY: [&str; 6] = [
    "Ambrose",
    "Bellweather",
    "Crane",
    "Dovecote",
    "Everly",
    "Foxglove",
];
/// (SNOMED, ICD-10-CM, display)
const CONDITIONS: [(&str, &str, &str); 7] = [
    ("44054006", "E11.9", "Diabetes mellitus type 2"),
    ("38341003", "I10", "Hypertensive disorder"),
    ("195967001", "J45.909", "Asthma"),
    ("55822004", "E78.5", "Hyperlipidemia"),
    ("35489007", "F32.A", "Depressive disorder"),
    ("68566005", "N39.0", "Urinary tract infectious disease"),
    ("40055000", "J32.9", "Chronic sinusitis"),
];
/// (SNOMED or RxNorm system, code, display)
const SUBSTANCES: [(&str, &str, &str); 5] = [
    (RXNORM, "7980", "Penicillin G"),
    (SNOMED, "256349002", "Peanut"),
    (SNOMED, "227037002", "Fish"),
    (RXNORM, "1191", "Aspirin"),
    (SNOMED, "111088007", "Latex"),
];
const MANIFESTATIONS: [(&str, &str); 6] = [
    ("247472004", "Hives"),
    ("39579001", "Anaphylaxis"),
    ("271807003", "Rash"),
    ("267036007", "Dyspnea"),
    ("422587007", "Nausea"),
    ("418290006", "Itching"),
];
const DRUGS: [(&str, &str); 5] = [
    ("314076", "lisinopril 10 MG Oral Tablet"),
    ("197361", "amlodipine 5 MG Oral Tablet"),
    (
        "860975",
        "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet",
    ),
    ("259255", "atorvastatin 80 MG Oral Tablet"),
    ("310965", "ibuprofen 200 MG Oral Tablet"),
];

/// One vital sign: LOINC code (and a second one, for pulse oximetry), display, UCUM unit,
/// and the range values are drawn from.
struct Vital {
    codes: &'static [&'static str],
    display: &'static str,
    unit: &'static str,
    min: f64,
    max: f64,
}

const VITALS: [Vital; 8] = [
    Vital {
        codes: &["8867-4"],
        display: "Heart rate",
        unit: "/min",
        min: 52.0,
        max: 110.0,
    },
    Vital {
        codes: &["9279-1"],
        display: "Respiratory rate",
        unit: "/min",
        min: 10.0,
        max: 24.0,
    },
    Vital {
        codes: &["8310-5"],
        display: "Body temperature",
        unit: "Cel",
        min: 36.1,
        max: 38.4,
    },
    Vital {
        codes: &["29463-7"],
        display: "Body weight",
        unit: "kg",
        min: 48.0,
        max: 120.0,
    },
    Vital {
        codes: &["8302-2"],
        display: "Body height",
        unit: "cm",
        min: 150.0,
        max: 195.0,
    },
    Vital {
        codes: &["39156-5"],
        display: "Body mass index (BMI) [Ratio]",
        unit: "kg/m2",
        min: 18.0,
        max: 38.0,
    },
    Vital {
        codes: &["2708-6", "59408-5"],
        display: "Oxygen saturation in Arterial blood by Pulse oximetry",
        unit: "%",
        min: 91.0,
        max: 100.0,
    },
    Vital {
        codes: &["85354-9"],
        display: "Blood pressure panel with all children optional",
        unit: "mm[Hg]",
        min: 0.0,
        max: 0.0,
    },
];

/// A small deterministic generator (xorshift64*), so a seed always gives the same corpus.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn between(&mut self, min: f64, max: f64, decimals: i32) -> f64 {
        let unit = (self.next() % 10_000) as f64 / 10_000.0;
        let scale = 10f64.powi(decimals);
        ((min + unit * (max - min)) * scale).round() / scale
    }
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "system": system, "code": code, "display": display })
}

fn status(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

fn patient_ref(id: &str) -> Value {
    json!({ "reference": format!("Patient/{id}") })
}

/// The corpus as a transaction Bundle (every entry a PUT), for `FhirServer::seed`.
pub fn generate(patients: usize, seed: u64, prefix: &str) -> Value {
    let mut draw = Draw(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut resources = Vec::new();
    for n in 1..=patients {
        let pid = format!("{prefix}pat-{n:04}");
        resources.push(patient(&mut draw, &pid, n));
        conditions(&mut draw, &mut resources, prefix, &pid, n);
        allergies(&mut draw, &mut resources, prefix, &pid, n);
        prescriptions(&mut draw, &mut resources, prefix, &pid, n);
        immunizations(&mut draw, &mut resources, prefix, &pid, n);
        vitals(&mut draw, &mut resources, prefix, &pid, n);
        labs(&mut draw, &mut resources, prefix, &pid, n);
    }
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let url = format!(
                "{}/{}",
                r["resourceType"].as_str().unwrap(),
                r["id"].as_str().unwrap()
            );
            json!({ "fullUrl": url, "resource": r, "request": { "method": "PUT", "url": url } })
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": "transaction", "entry": entry })
}

fn patient(draw: &mut Draw, id: &str, n: usize) -> Value {
    // Two or three given names, so an export that joins them shows.
    let mut given = vec![*draw.pick(&GIVEN), *draw.pick(&MIDDLE)];
    if n.is_multiple_of(2) {
        given.push(*draw.pick(&MIDDLE));
    }
    json!({
        "resourceType": "Patient", "id": id,
        "identifier": [{ "system": "urn:oid:portico-corpus-mrn", "value": format!("CMRN{n:05}"),
            "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR" }] } }],
        "name": [{ "use": "official", "family": format!("{}-{n}", draw.pick(&FAMILY)), "given": given }],
        "gender": if n.is_multiple_of(2) { "female" } else { "male" },
        "birthDate": format!("{}-{:02}-{:02}", 1940 + draw.below(60), 1 + draw.below(12), 1 + draw.below(28)),
        "telecom": [{ "system": "email", "value": format!("corpus{n}@example.com") }],
    })
}

fn conditions(draw: &mut Draw, out: &mut Vec<Value>, prefix: &str, pid: &str, n: usize) {
    let start = draw.below(CONDITIONS.len());
    for (k, verification) in CONDITION_VERIFICATIONS.iter().enumerate() {
        let (snomed, icd, display) = CONDITIONS[(start + k) % CONDITIONS.len()];
        let mut c = json!({
            "resourceType": "Condition", "id": format!("{prefix}cond-{n:04}-{k}"),
            "verificationStatus": status(CONDITION_VERIFICATION, verification),
            "category": [status("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")],
            "code": { "coding": [coding(SNOMED, snomed, display), coding(ICD10, icd, display)], "text": display },
            "subject": patient_ref(pid),
            "onsetDateTime": format!("{}-{:02}-{:02}", 2015 + draw.below(9), 1 + draw.below(12), 1 + draw.below(28)),
        });
        // FHIR: no clinical status when entered in error; a refuted one may be any.
        let clinical = match *verification {
            "entered-in-error" => None,
            "refuted" => Some(*draw.pick(&["active", "inactive", "resolved"])),
            _ => Some(*draw.pick(&["active", "recurrence", "remission"])),
        };
        if let Some(clinical) = clinical {
            c["clinicalStatus"] = status(CONDITION_CLINICAL, clinical);
        }
        out.push(c);
    }
}

fn manifestation(code: &str, display: &str) -> Value {
    json!({ "coding": [coding(SNOMED, code, display)], "text": display })
}

fn allergies(draw: &mut Draw, out: &mut Vec<Value>, prefix: &str, pid: &str, n: usize) {
    let start = draw.below(SUBSTANCES.len());
    for (k, verification) in ALLERGY_VERIFICATIONS.iter().enumerate() {
        let (system, code, display) = SUBSTANCES[(start + k) % SUBSTANCES.len()];
        // The first allergy has several reactions, the worst not first; the others one or
        // none.
        let reactions: Vec<Value> = if k == 0 {
            let (mild_code, mild) = MANIFESTATIONS[0];
            let (other_code, other) = *draw.pick(&MANIFESTATIONS[2..]);
            vec![
                json!({ "manifestation": [manifestation(mild_code, mild)], "severity": "mild" }),
                json!({ "manifestation": [manifestation("39579001", "Anaphylaxis"),
                    manifestation("267036007", "Dyspnea")], "severity": "severe" }),
                json!({ "manifestation": [manifestation(other_code, other)], "severity": "moderate" }),
            ]
        } else if draw.below(2) == 0 {
            let (c, d) = *draw.pick(&MANIFESTATIONS);
            vec![
                json!({ "manifestation": [manifestation(c, d)], "severity": *draw.pick(&["mild", "moderate"]) }),
            ]
        } else {
            Vec::new()
        };
        let mut a = json!({
            "resourceType": "AllergyIntolerance", "id": format!("{prefix}alg-{n:04}-{k}"),
            "verificationStatus": status(ALLERGY_VERIFICATION, verification),
            "code": { "coding": [coding(system, code, display)], "text": display },
            "patient": patient_ref(pid),
            "recordedDate": format!("{}-{:02}-{:02}", 2016 + draw.below(8), 1 + draw.below(12), 1 + draw.below(28)),
        });
        if !reactions.is_empty() {
            a["reaction"] = Value::Array(reactions);
        }
        // FHIR: a clinical status unless entered in error.
        if *verification != "entered-in-error" {
            let clinical = if *verification == "refuted" {
                "inactive"
            } else {
                "active"
            };
            a["clinicalStatus"] = status(ALLERGY_CLINICAL, clinical);
        }
        out.push(a);
    }
}

fn medication(id: &str, code: &str, display: &str) -> Value {
    json!({ "resourceType": "Medication", "id": id,
        "code": { "coding": [coding(RXNORM, code, display)], "text": display } })
}

fn prescriptions(draw: &mut Draw, out: &mut Vec<Value>, prefix: &str, pid: &str, n: usize) {
    let start = draw.below(DRUGS.len());
    for k in 0..3 {
        let (code, display) = DRUGS[(start + k) % DRUGS.len()];
        let mut rx = json!({
            "resourceType": "MedicationRequest", "id": format!("{prefix}rx-{n:04}-{k}"),
            "status": "active", "intent": "order",
            "subject": patient_ref(pid),
            "authoredOn": format!("2024-{:02}-{:02}", 1 + draw.below(12), 1 + draw.below(28)),
            "dosageInstruction": [{ "text": "Take 1 tablet by mouth once daily." }],
            "dispenseRequest": { "numberOfRepeatsAllowed": draw.below(6) },
        });
        match k {
            // By code, as the chart always read it.
            0 => {
                rx["medicationCodeableConcept"] =
                    json!({ "coding": [coding(RXNORM, code, display)], "text": display })
            }
            // A contained Medication.
            1 => {
                rx["contained"] = json!([medication("m1", code, display)]);
                rx["medicationReference"] = json!({ "reference": "#m1" });
            }
            // A separate Medication on the server.
            _ => {
                let mid = format!("{prefix}med-{n:04}");
                out.push(medication(&mid, code, display));
                rx["medicationReference"] = json!({ "reference": format!("Medication/{mid}") });
            }
        }
        out.push(rx);
    }
}

fn immunizations(draw: &mut Draw, out: &mut Vec<Value>, prefix: &str, pid: &str, n: usize) {
    for (k, primary) in [true, false].into_iter().enumerate() {
        let (code, display) = *draw.pick(&[
            ("140", "Influenza, seasonal, injectable"),
            ("115", "Tdap"),
            ("208", "COVID-19, mRNA"),
        ]);
        out.push(json!({
            "resourceType": "Immunization", "id": format!("{prefix}imm-{n:04}-{k}"),
            "status": "completed",
            "vaccineCode": { "coding": [coding(CVX, code, display)], "text": display },
            "patient": patient_ref(pid),
            "occurrenceDateTime": format!("{}-{:02}-{:02}", 2019 + k + draw.below(3), 1 + draw.below(12), 1 + draw.below(28)),
            "primarySource": primary,
        }));
    }
}

fn labs(draw: &mut Draw, out: &mut Vec<Value>, prefix: &str, pid: &str, n: usize) {
    let category = json!([{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory" }] }]);
    let at = format!(
        "2024-{:02}-{:02}T07:40:00Z",
        1 + draw.below(12),
        1 + draw.below(28)
    );
    out.push(json!({
        "resourceType": "Observation", "id": format!("{prefix}lab-{n:04}-0"), "status": "final",
        "category": category,
        "code": { "coding": [coding(LOINC, "2345-7", "Glucose [Mass/volume] in Serum or Plasma")], "text": "Glucose" },
        "subject": patient_ref(pid), "effectiveDateTime": at,
        "valueQuantity": quantity(draw.between(60.0, 160.0, 0), "mg/dL"),
        "referenceRange": [{ "low": quantity(70.0, "mg/dL"), "high": quantity(99.0, "mg/dL") }],
    }));
    let (code, display) = *draw.pick(&[("260385009", "Negative"), ("10828004", "Positive")]);
    out.push(json!({
        "resourceType": "Observation", "id": format!("{prefix}lab-{n:04}-1"), "status": "final",
        "category": category,
        "code": { "coding": [coding(LOINC, "2888-6", "Protein [Mass/volume] in Urine")], "text": "Urine protein" },
        "subject": patient_ref(pid), "effectiveDateTime": at,
        "valueCodeableConcept": { "coding": [coding(SNOMED, code, display)], "text": display },
    }));
}

fn quantity(value: f64, unit: &str) -> Value {
    json!({ "value": value, "unit": unit, "system": UCUM, "code": unit })
}

fn vitals(draw: &mut Draw, out: &mut Vec<Value>, prefix: &str, pid: &str, n: usize) {
    for visit in 0..VISITS {
        let at = format!(
            "2024-{:02}-{:02}T{:02}:15:00Z",
            2 + visit * 3,
            1 + draw.below(27),
            8 + draw.below(9)
        );
        for (k, v) in VITALS.iter().enumerate() {
            let codings: Vec<Value> = v
                .codes
                .iter()
                .map(|c| coding(LOINC, c, v.display))
                .collect();
            let mut o = json!({
                "resourceType": "Observation", "id": format!("{prefix}vit-{n:04}-{visit}-{k}"),
                "status": "final",
                "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital Signs" }] }],
                "code": { "coding": codings, "text": v.display },
                "subject": patient_ref(pid),
                "effectiveDateTime": at,
            });
            if v.codes == ["85354-9"] {
                let systolic = draw.between(98.0, 165.0, 0);
                let diastolic = draw.between(58.0, 100.0, 0);
                o["component"] = json!([
                    { "code": { "coding": [coding(LOINC, "8480-6", "Systolic blood pressure")] }, "valueQuantity": quantity(systolic, v.unit) },
                    { "code": { "coding": [coding(LOINC, "8462-4", "Diastolic blood pressure")] }, "valueQuantity": quantity(diastolic, v.unit) },
                ]);
            } else {
                o["valueQuantity"] = quantity(draw.between(v.min, v.max, 1), v.unit);
            }
            out.push(o);
        }
    }
}
