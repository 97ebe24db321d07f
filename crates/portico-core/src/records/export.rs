//! "Download my record": the whole chart as a FHIR R4 Bundle of type `transaction`. Every
//! entry has a `urn:uuid:` full URL and a `POST` request, and resources refer to each other
//! by those URLs, so a FHIR server accepts the bundle as one transaction and links the
//! records it creates. Built with `serde_json` (docs/design-notes.md says why not a model crate).
//! Records entered in error are left out.

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    Page, audit,
    detail::{self, AllergyDetail, Concept, ConditionDetail, ObservationDetail, Quantity},
    visible,
};
use crate::{
    CoreResult, TenantTx,
    audit::Actor,
    chart_access::OpenChart,
    entities::{
        allergy, condition, diagnostic_report, emergency_contact, encounter, immunization,
        medication_request, observation, patient,
    },
};

const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const CVX: &str = "http://hl7.org/fhir/sid/cvx";
const MRN_SYSTEM: &str = "urn:portico:mrn";

fn urn(id: Uuid) -> String {
    format!("urn:uuid:{id}")
}

fn reference(id: Uuid) -> Value {
    json!({ "reference": urn(id) })
}

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn entry(id: Uuid, resource: Value) -> Value {
    let kind = resource["resourceType"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    json!({
        "fullUrl": urn(id),
        "resource": resource,
        "request": { "method": "POST", "url": kind },
    })
}

/// Drops `null` members so optional elements are absent rather than null (FHIR JSON has no
/// nulls).
fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, compact(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(compact).collect()),
        other => other,
    }
}

fn coded(system: &str, code: Option<&str>, text: &str) -> Value {
    match code {
        Some(code) => json!({
            "coding": [{ "system": system, "code": code, "display": text }],
            "text": text,
        }),
        None => json!({ "text": text }),
    }
}

/// A concept as the EHR sent it; `fallback` when the record has none (entered in Portico).
fn concept_or(received: Option<&Concept>, fallback: Value) -> Value {
    match received {
        Some(c) if !c.coding.is_empty() || c.text.is_some() => json!(c),
        _ => fallback,
    }
}

fn status_concept(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

/// The bundle, audited as `chart.export`.
pub async fn bundle(tx: &TenantTx, actor: &Actor, chart: &OpenChart) -> CoreResult<Value> {
    let contacts = super::emergency::contacts(tx, chart).await?;
    let encounters = visible::<encounter::Entity>(tx, chart, Page::ALL).await?;
    let reports = visible::<diagnostic_report::Entity>(tx, chart, Page::ALL).await?;
    let observations = visible::<observation::Entity>(tx, chart, Page::ALL).await?;
    let medications = visible::<medication_request::Entity>(tx, chart, Page::ALL).await?;
    let allergies = visible::<allergy::Entity>(tx, chart, Page::ALL).await?;
    let conditions = visible::<condition::Entity>(tx, chart, Page::ALL).await?;
    let immunizations = visible::<immunization::Entity>(tx, chart, Page::ALL).await?;

    // Records entered in error are not exported, so references to them are dropped too.
    let hidden = |status: &str| status == super::ENTERED_IN_ERROR;
    let encounter_ids: Vec<Uuid> = encounters
        .iter()
        .filter(|e| !hidden(&e.status))
        .map(|e| e.id)
        .collect();
    let known_encounter =
        |id: Option<Uuid>| id.filter(|i| encounter_ids.contains(i)).map(reference);

    let p = &chart.chart;
    let mut entries = vec![entry(p.id, patient_resource(p, &contacts))];
    for e in encounters.iter().filter(|e| !hidden(&e.status)) {
        entries.push(entry(e.id, encounter_resource(e, p.id)));
        if let Some(summary) = &e.summary {
            let note = Uuid::now_v7();
            entries.push(entry(note, summary_resource(e, summary, p.id)));
        }
    }
    let live_observations: Vec<&observation::Model> =
        observations.iter().filter(|o| !hidden(&o.status)).collect();
    for r in reports.iter().filter(|r| !hidden(&r.status)) {
        let results: Vec<Value> = live_observations
            .iter()
            .filter(|o| o.report_id == Some(r.id))
            .map(|o| reference(o.id))
            .collect();
        let mut resource = json!({
            "resourceType": "DiagnosticReport",
            "status": r.status,
            "category": [status_concept("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB")],
            "code": coded(LOINC, Some(&r.code), &r.display),
            "subject": reference(p.id),
            "encounter": known_encounter(r.encounter_id),
            "effectiveDateTime": instant(r.effective_at),
            "issued": r.issued_at.map(instant),
            "conclusion": r.conclusion,
        });
        if !results.is_empty() {
            resource["result"] = Value::Array(results);
        }
        entries.push(entry(r.id, resource));
    }
    for o in &live_observations {
        entries.push(entry(
            o.id,
            observation_resource(o, p.id, known_encounter(o.encounter_id)),
        ));
    }
    for m in medications.iter().filter(|m| !hidden(&m.status)) {
        entries.push(entry(m.id, medication_resource(m, p.id)));
    }
    for a in allergies.iter().filter(|a| !hidden(&a.status)) {
        entries.push(entry(a.id, allergy_resource(a, p.id)));
    }
    for c in conditions.iter().filter(|c| !hidden(&c.status)) {
        entries.push(entry(c.id, condition_resource(c, p.id)));
    }
    for i in immunizations.iter().filter(|i| !hidden(&i.status)) {
        entries.push(entry(
            i.id,
            json!({
                "resourceType": "Immunization",
                "status": i.status,
                "vaccineCode": coded(CVX, i.vaccine_code.as_deref(), &i.vaccine_name),
                "patient": reference(p.id),
                "occurrenceDateTime": i.occurred_on.to_string(),
                // As the EHR said; a record entered in Portico is the practice's own.
                "primarySource": i.primary_source.or(
                    (i.source.as_deref() == Some(super::PORTAL_SOURCE)).then_some(true)
                ),
            }),
        ));
    }
    audit(tx, actor, chart, "chart.export", "Bundle", Some(chart.id())).await?;
    Ok(compact(json!({
        "resourceType": "Bundle",
        "type": "transaction",
        "timestamp": instant(Utc::now()),
        "entry": entries,
    })))
}

fn patient_resource(p: &patient::Model, contacts: &[emergency_contact::Model]) -> Value {
    let mut telecom = Vec::new();
    if let Some(phone) = &p.phone {
        telecom.push(json!({ "system": "phone", "value": phone }));
    }
    if let Some(email) = &p.email {
        telecom.push(json!({ "system": "email", "value": email }));
    }
    let has_address = p.address_line.is_some() || p.city.is_some() || p.postal_code.is_some();
    let contact: Vec<Value> = contacts
        .iter()
        .map(|c| {
            let mut telecom = vec![json!({ "system": "phone", "value": c.phone })];
            if let Some(email) = &c.email {
                telecom.push(json!({ "system": "email", "value": email }));
            }
            json!({
                "relationship": [{
                    "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                        "code": "C",
                        "display": "Emergency Contact",
                    }],
                    "text": c.relationship,
                }],
                "name": { "text": c.name },
                "telecom": telecom,
            })
        })
        .collect();
    json!({
        "resourceType": "Patient",
        "identifier": p.mrn.as_ref().map(|mrn| json!([{ "system": MRN_SYSTEM, "value": mrn }])),
        "name": [{ "family": p.family_name, "given": given_names(p) }],
        "gender": p.gender,
        "birthDate": p.birth_date.to_string(),
        "telecom": (!telecom.is_empty()).then_some(telecom),
        "address": has_address.then(|| json!([{
            "line": p.address_line.as_ref().map(|l| vec![l]),
            "city": p.city,
            "state": p.region,
            "postalCode": p.postal_code,
            "country": p.country,
        }])),
        "communication": p.preferred_language.as_ref().map(|lang| json!([{
            "language": { "coding": [{ "system": "urn:ietf:bcp:47", "code": lang }] },
            "preferred": true,
        }])),
        "contact": (!contact.is_empty()).then_some(contact),
    })
}

/// The given names one by one as the EHR sent them, else the chart's given name.
fn given_names(p: &patient::Model) -> Vec<String> {
    let names: Vec<String> = detail::read(p.given_names.as_deref());
    if names.is_empty() {
        vec![p.given_name.clone()]
    } else {
        names
    }
}

fn encounter_resource(e: &encounter::Model, patient: Uuid) -> Value {
    let class = match e.class.as_str() {
        "virtual" => "VR",
        "emergency" => "EMER",
        "inpatient" => "IMP",
        "home" => "HH",
        _ => "AMB",
    };
    json!({
        "resourceType": "Encounter",
        "status": e.status,
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": class,
        },
        "subject": reference(patient),
        "period": { "start": instant(e.started_at), "end": e.ended_at.map(instant) },
        "reasonCode": e.reason.as_ref().map(|r| json!([{ "text": r }])),
        "participant": e.practitioner_name.as_ref().map(|n| json!([{
            "individual": { "display": n },
        }])),
    })
}

/// The visit summary as a clinical note about the encounter.
fn summary_resource(e: &encounter::Model, summary: &str, patient: Uuid) -> Value {
    json!({
        "resourceType": "DocumentReference",
        "status": "current",
        "type": coded(LOINC, Some("34133-9"), "Summary of episode note"),
        "subject": reference(patient),
        "date": instant(e.updated_at),
        "content": [{
            "attachment": {
                "contentType": "text/plain; charset=utf-8",
                "data": STANDARD.encode(summary.as_bytes()),
                "title": "Visit summary",
            },
        }],
        "context": { "encounter": [reference(e.id)] },
    })
}

/// A quantity in `unit`: with the unit's system and code as received, else as UCUM.
fn quantity(value: f64, unit: Option<&str>, received: Option<&Quantity>) -> Value {
    match received {
        Some(q) if q.unit.is_some() || q.code.is_some() => json!({
            "value": value, "unit": q.unit, "system": q.system, "code": q.code,
        }),
        _ => match unit {
            Some(unit) => json!({ "value": value, "unit": unit, "system": UCUM, "code": unit }),
            None => json!({ "value": value }),
        },
    }
}

/// A range bound in its own unit as received, else in the result's unit.
fn bound(
    value: Option<f64>,
    received: Option<&Quantity>,
    o: &observation::Model,
    d: &ObservationDetail,
) -> Option<Value> {
    let unit = received
        .filter(|q| q.unit.is_some() || q.code.is_some())
        .or(d.value_unit.as_ref());
    value.map(|v| quantity(v, o.unit.as_deref(), unit))
}

fn observation_resource(o: &observation::Model, patient: Uuid, encounter: Option<Value>) -> Value {
    let d: ObservationDetail = detail::read(o.detail.as_deref());
    let received_range = d.range.clone().unwrap_or_default();
    let range =
        (o.range_low.is_some() || o.range_high.is_some() || o.range_text.is_some()).then(|| {
            json!([{
                "low": bound(o.range_low, received_range.low.as_ref(), o, &d),
                "high": bound(o.range_high, received_range.high.as_ref(), o, &d),
                "text": o.range_text,
            }])
        });
    let components: Vec<Value> = d
        .components
        .iter()
        .map(|c| {
            json!({
                "code": concept_or(c.concept.as_ref(), coded(LOINC, Some(&c.code), &c.display)),
                "valueQuantity": c.value.as_ref().and_then(|q| q.value).map(|v| {
                    quantity(v, None, c.value.as_ref())
                }),
            })
        })
        .collect();
    let category = o
        .category
        .as_deref()
        .unwrap_or(super::observations::LABORATORY);
    let value_concept = d.value_concept.as_ref().filter(|_| o.value_text.is_some());
    json!({
        "resourceType": "Observation",
        "status": o.status,
        "category": [{
            "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": category,
            }],
        }],
        "code": concept_or(d.code.as_ref(), coded(LOINC, Some(&o.code), &o.display)),
        "subject": reference(patient),
        "encounter": encounter,
        "effectiveDateTime": instant(o.effective_at),
        "valueQuantity": o.value_num.map(|v| quantity(v, o.unit.as_deref(), d.value_unit.as_ref())),
        "valueCodeableConcept": value_concept.map(|c| json!(c)),
        "valueString": o.value_text.as_ref().filter(|_| value_concept.is_none()),
        "component": (!components.is_empty()).then_some(components),
        "interpretation": o.interpretation.as_ref().map(|flag| json!([status_concept(
            "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
            flag,
        )])),
        "referenceRange": range,
    })
}

fn medication_resource(m: &medication_request::Model, patient: Uuid) -> Value {
    json!({
        "resourceType": "MedicationRequest",
        "status": m.status,
        "intent": "order",
        "medicationCodeableConcept": coded(RXNORM, m.rxnorm_code.as_deref(), &m.name),
        "subject": reference(patient),
        "authoredOn": instant(m.authored_at),
        "requester": m.prescriber_name.as_ref().map(|n| json!({ "display": n })),
        "dosageInstruction": [{ "text": m.dosage }],
        "dispenseRequest": { "numberOfRepeatsAllowed": m.refills_left },
    })
}

/// The clinical and verification status codes to write: as received; for a record entered
/// in Portico, its status (a clinical code, or `refuted`). A verification never stated is
/// not written (it used to be `confirmed` whatever the truth).
fn statuses<'a>(
    status: &'a str,
    clinical: Option<&'a str>,
    verification: Option<&'a str>,
    clinical_codes: &[&str],
) -> (Option<&'a str>, Option<&'a str>) {
    let clinical = clinical.or_else(|| clinical_codes.contains(&status).then_some(status));
    let verification = verification.or_else(|| (status == super::REFUTED).then_some(status));
    (clinical, verification)
}

fn allergy_resource(a: &allergy::Model, patient: Uuid) -> Value {
    let d: AllergyDetail = detail::read(a.detail.as_deref());
    let (clinical, verification) = statuses(
        &a.status,
        a.clinical_status.as_deref(),
        a.verification_status.as_deref(),
        &super::allergies::CLINICAL,
    );
    let reactions: Option<Value> = if d.reactions.is_empty() {
        a.reaction.as_ref().map(|r| {
            json!([{
                "manifestation": [{ "text": r }],
                "severity": a.severity,
            }])
        })
    } else {
        Some(Value::Array(
            d.reactions
                .iter()
                .map(|r| json!({ "manifestation": r.manifestations, "severity": r.severity }))
                .collect(),
        ))
    };
    json!({
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": clinical.map(|c| status_concept(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
            c,
        )),
        "verificationStatus": verification.map(|v| status_concept(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
            v,
        )),
        "code": concept_or(d.code.as_ref(), json!({ "text": a.substance })),
        "patient": reference(patient),
        "recordedDate": a.recorded_on.map(|d| d.to_string()),
        "reaction": reactions,
    })
}

fn condition_resource(c: &condition::Model, patient: Uuid) -> Value {
    let d: ConditionDetail = detail::read(c.detail.as_deref());
    let (clinical, verification) = statuses(
        &c.status,
        c.clinical_status.as_deref(),
        c.verification_status.as_deref(),
        &super::conditions::CLINICAL,
    );
    // SNOMED CT codes are digits; anything else is taken as ICD-10-CM.
    let system = match &c.code {
        Some(code) if code.chars().all(|ch| ch.is_ascii_digit()) => "http://snomed.info/sct",
        _ => "http://hl7.org/fhir/sid/icd-10-cm",
    };
    json!({
        "resourceType": "Condition",
        "clinicalStatus": clinical.map(|s| status_concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical",
            s,
        )),
        "verificationStatus": verification.map(|v| status_concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            v,
        )),
        "category": [status_concept(
            "http://terminology.hl7.org/CodeSystem/condition-category",
            "problem-list-item",
        )],
        "code": concept_or(d.code.as_ref(), coded(system, c.code.as_deref(), &c.name)),
        "subject": reference(patient),
        "onsetDateTime": c.onset_on.map(|d| d.to_string()),
        "abatementDateTime": c.abated_on.map(|d| d.to_string()),
    })
}
