//! Write-back: the bodies are valid FHIR, and the gateway's conflict handling.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use fhir_model::r4b::resources::Resource;
use portico_core::ehr::gateway::WriteOutcome;
use portico_core::ehr::model::{Change, Demographics, OutboundWrite, ReadingWrite};
use portico_core::ehr::model::{PORTICO_OWN, ResourceKind};
use portico_fhir::outbound;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{bearer, connector, fixture, gateway, serve};

const BOOKING: Uuid = Uuid::from_u128(0x0192_6a1e_7c00_7000_8000_0000_0000_0001);
const REFILL: Uuid = Uuid::from_u128(0x0192_6a1e_7c00_7000_8000_0000_0000_0002);

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn valid(body: &Value) -> Resource {
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("not valid FHIR: {e}: {body}"))
}

#[test]
fn appointment_body_is_valid_fhir_with_participants() {
    let body = outbound::appointment(
        &BOOKING,
        "booked",
        &at("2024-03-01T14:00:00Z"),
        &at("2024-03-01T14:20:00Z"),
        "example",
        Some("practitioner-1"),
        None,
        "Follow-up visit",
    );
    assert!(matches!(valid(&body), Resource::Appointment(_)));
    assert!(body.get("id").is_none());
    assert_eq!(
        body["identifier"],
        json!([{"system": "urn:portico:appointment", "value": BOOKING.to_string()}])
    );
    assert_eq!(body["start"], "2024-03-01T14:00:00.000Z");
    assert_eq!(
        body["participant"][0]["actor"]["reference"],
        "Patient/example"
    );
    assert_eq!(
        body["participant"][1]["actor"]["reference"],
        "Practitioner/practitioner-1"
    );
    assert_eq!(body["participant"].as_array().unwrap().len(), 2);
    assert_eq!(body["appointmentType"]["text"], "Follow-up visit");
}

#[test]
fn refill_bodies_are_valid_fhir() {
    let approved = outbound::refill_approved(
        &REFILL,
        "example",
        Some("medrx-1"),
        Some("practitioner-1"),
        "Percocet 5/325",
        Some("1049221"),
        "1 tablet every 6 hours",
        Some(30),
        2,
        &at("2024-03-01T09:00:00Z"),
    );
    assert!(matches!(valid(&approved), Resource::MedicationRequest(_)));
    assert_eq!(approved["status"], "active");
    assert_eq!(approved["intent"], "order");
    assert_eq!(
        approved["priorPrescription"]["reference"],
        "MedicationRequest/medrx-1"
    );
    assert_eq!(approved["dispenseRequest"]["quantity"]["value"], 30);
    assert_eq!(approved["dispenseRequest"]["numberOfRepeatsAllowed"], 2);
    assert_eq!(
        approved["medicationCodeableConcept"]["coding"][0]["code"],
        "1049221"
    );

    let denied = outbound::refill_declined(
        &REFILL,
        "example",
        Some("medrx-1"),
        "denied",
        &at("2024-03-01T09:00:00Z"),
    );
    assert!(matches!(valid(&denied), Resource::Task(_)));
    assert_eq!(denied["status"], "rejected");
    assert_eq!(denied["intent"], "order");
    assert_eq!(denied["focus"]["reference"], "MedicationRequest/medrx-1");
    assert_eq!(denied["for"]["reference"], "Patient/example");
    assert!(denied.get("businessStatus").is_none());
    let portico = json!([{"system": "urn:portico:refill", "value": REFILL.to_string()}]);
    assert_eq!(approved["identifier"], portico);
    assert_eq!(denied["identifier"], portico);

    let visit = outbound::refill_declined(
        &REFILL,
        "example",
        None,
        "needs-appointment",
        &at("2024-03-01T09:00:00Z"),
    );
    valid(&visit);
    assert_eq!(visit["status"], "completed");
    assert_eq!(visit["businessStatus"]["text"], "needs-appointment");
}

const READING: Uuid = Uuid::from_u128(0x0192_6a1e_7c00_7000_8000_0000_0000_0003);

fn reading(diastolic: Option<f64>, by_proxy: bool) -> ReadingWrite {
    ReadingWrite {
        local_id: READING,
        patient: "example".to_owned(),
        code: if diastolic.is_some() {
            "85354-9"
        } else {
            "29463-7"
        }
        .to_owned(),
        display: "Reading".to_owned(),
        category: "vital-signs".to_owned(),
        value: if diastolic.is_some() { 128.0 } else { 150.5 },
        diastolic,
        unit: if diastolic.is_some() {
            "mm[Hg]"
        } else {
            "[lb_av]"
        }
        .to_owned(),
        taken_at: at("2024-03-01T07:30:00Z"),
        recorded_at: at("2024-03-01T07:31:00Z"),
        by_proxy,
    }
}

#[test]
fn a_home_reading_is_a_valid_patient_reported_observation() {
    let weight = outbound::reading(&reading(None, false));
    assert!(matches!(valid(&weight), Resource::Observation(_)));
    assert_eq!(weight["status"], "final");
    assert_eq!(weight["performer"][0]["reference"], "Patient/example");
    assert_eq!(
        weight["valueQuantity"],
        json!({ "value": 150.5, "unit": "[lb_av]", "system": "http://unitsofmeasure.org",
            "code": "[lb_av]" })
    );
    assert_eq!(weight["effectiveDateTime"], "2024-03-01T07:30:00.000Z");
    assert!(weight.get("component").is_none());

    // Blood pressure: the panel and its two components; a caregiver's names no performer.
    let pressure = outbound::reading(&reading(Some(82.0), true));
    valid(&pressure);
    assert!(pressure.get("valueQuantity").is_none());
    assert!(pressure.get("performer").is_none());
    assert!(
        pressure["note"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("caregiver"))
    );
    let codes: Vec<&str> = pressure["component"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["8480-6", "8462-4"]);
    assert_eq!(pressure["component"][1]["valueQuantity"]["value"], 82.0);

    // Read back by a pull, it is Portico's own: passed over, not charted again.
    let mut pulled = pressure.clone();
    pulled["id"] = json!("obs-1");
    match portico_fhir::inbound::map_resource(&pulled, ResourceKind::Observation, "http://ehr") {
        Change::Rejected { code, .. } => assert_eq!(code, PORTICO_OWN),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_caregivers_form_answers_name_no_author() {
    let response = r#"{"resourceType":"QuestionnaireResponse","status":"completed"}"#;
    let own = outbound::form_response(&READING, "example", response, false).unwrap();
    assert_eq!(own["author"]["reference"], "Patient/example");
    let proxy = outbound::form_response(&READING, "example", response, true).unwrap();
    assert!(proxy.get("author").is_none(), "{proxy}");
    assert_eq!(proxy["subject"]["reference"], "Patient/example");
    valid(&proxy);
}

#[test]
fn an_approved_refill_without_a_quantity_leaves_it_out() {
    let approved = outbound::refill_approved(
        &REFILL,
        "example",
        None,
        None,
        "Lisinopril 10 mg",
        None,
        "1 tablet daily",
        None,
        3,
        &at("2024-03-01T09:00:00Z"),
    );
    valid(&approved);
    assert_eq!(approved["dispenseRequest"]["numberOfRepeatsAllowed"], 3);
    assert!(approved["dispenseRequest"].get("quantity").is_none());
}

#[test]
fn demographics_change_only_the_given_fields() {
    let mut patient = fixture("patient-example");
    let before = patient.clone();
    outbound::apply_demographics(
        &mut patient,
        &Demographics {
            email: Some("amy@new.example".into()),
            city: Some("Tulsa".into()),
            ..Demographics::default()
        },
    );
    valid(&patient);
    assert_eq!(patient["telecom"][1]["value"], "amy@new.example");
    assert_eq!(patient["telecom"][0], before["telecom"][0]);
    // The example's only address ended in 2020: it is history, kept as it was; the new
    // city goes into a new home address.
    assert_eq!(patient["address"][0], before["address"][0]);
    assert_eq!(
        patient["address"][1],
        json!({ "use": "home", "city": "Tulsa" })
    );
    for kept in ["name", "identifier", "extension", "birthDate", "meta"] {
        assert_eq!(patient[kept], before[kept], "{kept}");
    }
}

/// The `If-Match` header and body of a PUT.
type Put = (Option<String>, Value);

/// A create: the resource type, its `If-None-Exist` and its body.
type Post = (String, Option<String>, Value);

#[derive(Clone, Default)]
struct Ehr {
    puts: Arc<Mutex<Vec<Put>>>,
    /// Status the PUT answers with.
    put_status: Arc<Mutex<Option<StatusCode>>>,
    posts: Arc<Mutex<Vec<Post>>>,
    /// The `If-None-Exist` searches of the resources created so far.
    made: Arc<Mutex<HashSet<String>>>,
    appointment_puts: Arc<Mutex<Vec<Put>>>,
}

async fn read_patient() -> Json<Value> {
    Json(fixture("patient-example"))
}

async fn put_patient(
    State(ehr): State<Ehr>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let if_match = headers
        .get(header::IF_MATCH)
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "application/fhir+json"
    );
    ehr.puts.lock().unwrap().push((if_match, body.clone()));
    if let Some(status) = *ehr.put_status.lock().unwrap() {
        return status.into_response();
    }
    let mut body = body;
    body["meta"]["versionId"] = "4".into();
    Json(body).into_response()
}

/// A conditional create as FHIR servers do it: a second POST whose `If-None-Exist` matches
/// the first answers 200 with the resource made then. First answers differ by type, as they
/// do between servers (a Location only; the resource; a Location and an OperationOutcome).
async fn create(ehr: Ehr, kind: &'static str, headers: HeaderMap, mut body: Value) -> Response {
    let search = headers
        .get("if-none-exist")
        .map(|v| v.to_str().unwrap().to_owned());
    ehr.posts
        .lock()
        .unwrap()
        .push((kind.to_owned(), search.clone(), body.clone()));
    let id = match kind {
        "Task" => "task-7",
        "MedicationRequest" => "medrx-2",
        _ => "new-1",
    };
    if let Some(search) = search
        && !ehr.made.lock().unwrap().insert(search)
    {
        let existing = json!({"resourceType": kind, "id": id, "meta": {"versionId": "1"}});
        return (StatusCode::OK, Json(existing)).into_response();
    }
    match kind {
        "Task" => (
            StatusCode::CREATED,
            [(header::LOCATION, "http://ehr/fhir/Task/task-7/_history/1")],
        )
            .into_response(),
        "MedicationRequest" => {
            body["id"] = id.into();
            body["meta"] = json!({"versionId": "1"});
            (StatusCode::CREATED, Json(body)).into_response()
        }
        _ => (
            StatusCode::CREATED,
            [(
                header::LOCATION,
                "https://ehr.example.org/fhir/Appointment/new-1/_history/1",
            )],
            Json(json!({"resourceType": "OperationOutcome", "id": "not-the-appointment"})),
        )
            .into_response(),
    }
}

/// The EHR's Appointment: the fixture (version 4) with fields Portico does not write.
async fn read_appointment(Path(id): Path<String>) -> Response {
    if id == "gone" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut appointment = fixture("appointment-example");
    appointment["id"] = id.into();
    appointment["comment"] = "Bring your inhaler".into();
    appointment["identifier"] = json!([{"system": "urn:ehr:appointment", "value": "A-77"}]);
    Json(appointment).into_response()
}

async fn put_appointment(
    State(ehr): State<Ehr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(mut body): Json<Value>,
) -> Response {
    assert_eq!(body["id"], id.as_str());
    let if_match = headers
        .get(header::IF_MATCH)
        .map(|v| v.to_str().unwrap().to_owned());
    ehr.appointment_puts
        .lock()
        .unwrap()
        .push((if_match, body.clone()));
    match id.as_str() {
        "busy" => StatusCode::CONFLICT.into_response(),
        "stale" => StatusCode::PRECONDITION_FAILED.into_response(),
        _ => {
            body["meta"] = json!({"versionId": "5"});
            Json(body).into_response()
        }
    }
}

async fn start() -> (String, Ehr) {
    let ehr = Ehr::default();
    let router = Router::new()
        .route("/fhir/Patient/example", get(read_patient).put(put_patient))
        .route(
            "/fhir/Task",
            post(
                |State(ehr): State<Ehr>, headers: HeaderMap, Json(body): Json<Value>| {
                    create(ehr, "Task", headers, body)
                },
            ),
        )
        .route(
            "/fhir/MedicationRequest",
            post(
                |State(ehr): State<Ehr>, headers: HeaderMap, Json(body): Json<Value>| {
                    create(ehr, "MedicationRequest", headers, body)
                },
            ),
        )
        .route(
            "/fhir/Appointment",
            post(
                |State(ehr): State<Ehr>, headers: HeaderMap, Json(body): Json<Value>| {
                    create(ehr, "Appointment", headers, body)
                },
            ),
        )
        .route(
            "/fhir/Appointment/{id}",
            get(read_appointment).put(put_appointment),
        )
        .with_state(ehr.clone());
    (serve(router).await, ehr)
}

fn demographics(expected: Option<&str>) -> OutboundWrite {
    OutboundWrite::Demographics {
        fhir_id: "example".into(),
        expected_version: expected.map(str::to_owned),
        demographics: Demographics {
            phone: Some("555-000-1111".into()),
            ..Demographics::default()
        },
    }
}

#[tokio::test]
async fn a_demographics_write_on_a_changed_patient_is_a_conflict_without_writing() {
    let (base, ehr) = start().await;
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let outcome = gw.write(&demographics(Some("2"))).await.unwrap();
    assert_eq!(
        outcome,
        WriteOutcome::Conflict {
            current_version: Some("3".into())
        }
    );
    assert!(ehr.puts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_demographics_write_puts_with_if_match_and_keeps_the_rest() {
    let (base, ehr) = start().await;
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let outcome = gw.write(&demographics(Some("3"))).await.unwrap();
    assert_eq!(
        outcome,
        WriteOutcome::Written {
            fhir_id: "example".into(),
            version_id: Some("4".into())
        }
    );
    let puts = ehr.puts.lock().unwrap();
    let (if_match, body) = &puts[0];
    assert_eq!(if_match.as_deref(), Some("W/\"3\""));
    assert_eq!(body["telecom"][0]["value"], "555-000-1111");
    assert_eq!(body["name"], fixture("patient-example")["name"]);
}

#[tokio::test]
async fn write_errors_name_the_method_and_type_but_never_the_id() {
    let (base, ehr) = start().await;
    *ehr.put_status.lock().unwrap() = Some(StatusCode::INTERNAL_SERVER_ERROR);
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let err = gw.write(&demographics(None)).await.unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        ("EHR_UNAVAILABLE", "PUT Patient: 500 Internal Server Error")
    );
}

#[tokio::test]
async fn a_precondition_failure_is_a_conflict() {
    let (base, ehr) = start().await;
    *ehr.put_status.lock().unwrap() = Some(StatusCode::PRECONDITION_FAILED);
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let outcome = gw.write(&demographics(None)).await.unwrap();
    assert_eq!(
        outcome,
        WriteOutcome::Conflict {
            current_version: None
        }
    );
}

#[tokio::test]
async fn created_resources_report_their_id_from_the_body_or_the_location() {
    let (base, _) = start().await;
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let task = gw.write(&refill_declined()).await.unwrap();
    assert_eq!(
        task,
        WriteOutcome::Written {
            fhir_id: "task-7".into(),
            version_id: Some("1".into())
        }
    );
    let order = gw.write(&refill_approved()).await.unwrap();
    assert_eq!(
        order,
        WriteOutcome::Written {
            fhir_id: "medrx-2".into(),
            version_id: Some("1".into())
        }
    );
}

fn refill_approved() -> OutboundWrite {
    OutboundWrite::RefillApproved {
        local_id: REFILL,
        patient: "example".into(),
        prior: Some("medrx-1".into()),
        requester: None,
        medication: "Percocet 5/325".into(),
        rxnorm_code: None,
        dosage: "1 tablet every 6 hours".into(),
        quantity: Some(30),
        refills: 1,
        authored_at: at("2024-03-01T09:00:00Z"),
    }
}

fn refill_declined() -> OutboundWrite {
    OutboundWrite::RefillDeclined {
        local_id: REFILL,
        patient: "example".into(),
        prior: Some("medrx-1".into()),
        outcome: "denied".into(),
        authored_at: at("2024-03-01T09:00:00Z"),
    }
}

#[tokio::test]
async fn a_create_sent_twice_makes_one_resource() {
    let (base, ehr) = start().await;
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let cases = [
        (booking(None), "new-1", "urn:portico:appointment", BOOKING),
        (refill_approved(), "medrx-2", "urn:portico:refill", REFILL),
        (refill_declined(), "task-7", "urn:portico:refill", REFILL),
    ];
    for (write, id, system, local_id) in &cases {
        let written = WriteOutcome::Written {
            fhir_id: (*id).into(),
            version_id: Some("1".into()),
        };
        assert_eq!(gw.write(write).await.unwrap(), written, "first {id}");
        // The answer was lost; the job sends the same write again and the EHR finds the first.
        assert_eq!(gw.write(write).await.unwrap(), written, "again {id}");
        let posts = ehr.posts.lock().unwrap();
        let sent: Vec<&Post> = posts.iter().rev().take(2).collect();
        for (_, search, body) in sent {
            assert_eq!(
                search.as_deref(),
                Some(format!("identifier={system}|{local_id}").as_str())
            );
            assert_eq!(
                body["identifier"],
                json!([{"system": system, "value": local_id.to_string()}])
            );
        }
    }
    assert_eq!(ehr.posts.lock().unwrap().len(), 6);
    assert_eq!(ehr.made.lock().unwrap().len(), 2, "one per Portico id");
}

#[tokio::test]
async fn an_appointment_update_changes_only_status_and_times_over_the_version_read() {
    let (base, ehr) = start().await;
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let moved = OutboundWrite::Appointment {
        local_id: BOOKING,
        fhir_id: Some("appt-1".into()),
        status: "cancelled".into(),
        starts_at: at("2024-03-02T09:00:00Z"),
        ends_at: at("2024-03-02T09:30:00Z"),
        patient: "example".into(),
        practitioner: None,
        location: None,
        type_name: "Something else".into(),
    };
    assert_eq!(
        gw.write(&moved).await.unwrap(),
        WriteOutcome::Written {
            fhir_id: "appt-1".into(),
            version_id: Some("5".into())
        }
    );
    let (if_match, body) = ehr.appointment_puts.lock().unwrap()[0].clone();
    assert_eq!(if_match.as_deref(), Some("W/\"4\""));
    assert!(matches!(valid(&body), Resource::Appointment(_)));
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["start"], "2024-03-02T09:00:00.000Z");
    assert_eq!(body["end"], "2024-03-02T09:30:00.000Z");
    let before = fixture("appointment-example");
    for kept in ["participant", "appointmentType", "serviceType"] {
        assert_eq!(body[kept], before[kept], "{kept}");
    }
    assert_eq!(body["comment"], "Bring your inhaler");
    assert_eq!(
        body["identifier"],
        json!([
            {"system": "urn:ehr:appointment", "value": "A-77"},
            {"system": "urn:portico:appointment", "value": BOOKING.to_string()}
        ])
    );
    let at_id = |id: &str| {
        let mut write = moved.clone();
        if let OutboundWrite::Appointment { fhir_id, .. } = &mut write {
            *fhir_id = Some(id.into());
        }
        write
    };
    let conflict = WriteOutcome::Conflict {
        current_version: None,
    };
    assert_eq!(gw.write(&at_id("stale")).await.unwrap(), conflict);
    assert_eq!(gw.write(&at_id("busy")).await.unwrap(), conflict);
    let gone = gw.write(&at_id("gone")).await.unwrap_err();
    assert_eq!(gone.code, "EHR_REFUSED");
    assert_eq!(
        gone.message, "GET Appointment: 404 Not Found",
        "the type only, never the id"
    );
}

fn booking(fhir_id: Option<&str>) -> OutboundWrite {
    OutboundWrite::Appointment {
        local_id: BOOKING,
        fhir_id: fhir_id.map(str::to_owned),
        status: "booked".into(),
        starts_at: at("2024-03-01T14:00:00Z"),
        ends_at: at("2024-03-01T14:20:00Z"),
        patient: "example".into(),
        practitioner: Some("practitioner-1".into()),
        location: None,
        type_name: "Follow-up visit".into(),
    }
}

#[tokio::test]
async fn appointments_are_created_with_post_and_updated_with_put() {
    let (base, _) = start().await;
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let written = |id: &str, v: &str| WriteOutcome::Written {
        fhir_id: id.into(),
        version_id: Some(v.into()),
    };
    assert_eq!(
        gw.write(&booking(None)).await.unwrap(),
        written("new-1", "1"),
        "from Location, not the OperationOutcome"
    );
    assert_eq!(
        gw.write(&booking(Some("appt-1"))).await.unwrap(),
        written("appt-1", "5")
    );
    assert_eq!(
        gw.write(&booking(Some("busy"))).await.unwrap(),
        WriteOutcome::Conflict {
            current_version: None
        }
    );
    assert_eq!(
        gw.write(&booking(Some("../Patient/x")))
            .await
            .unwrap_err()
            .code,
        "EHR_REFUSED"
    );
}
