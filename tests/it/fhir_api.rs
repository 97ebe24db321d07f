//! The patient-facing FHIR R4 API (`/fhir/r4`): the CapabilityStatement; a patient reads and
//! searches every resource type of their chart, each resource parses as FHIR (R4B models,
//! which keep R4's shape for these resources) and every reference in it reads back; filters,
//! paging and `_revinclude=Provenance:target`; the reads are audited; bad searches are
//! refused with an OperationOutcome; another chart, another practice and no token get
//! nothing, and a caregiver reads the chart shared with them.

use fhir_model::r4b::resources::Resource;
use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, spawn_app};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    gid,
    records::{GRANT_PROXY, days_ago, small_chart},
    scheduling::{book, days_ahead, practice, slots, starts},
};

/// A GET of `path` (under `/fhir/r4`, or a whole URL the API gave out) for `slug`, with
/// `token` if any: the status and the JSON body.
async fn get(app: &TestApp, slug: &str, token: Option<&str>, path: &str) -> (u16, Value) {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        app.url(&format!("/fhir/r4/{path}"))
    };
    let mut request = app.client.get(url).header("X-Portico-Tenant", slug);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status == 200 {
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("application/fhir+json"), "{kind}");
    }
    (status, response.json().await.unwrap())
}

fn entries<'a>(bundle: &'a Value, mode: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .map(|e| e.iter().filter(|x| x["search"]["mode"] == mode).collect())
        .unwrap_or_default()
}

fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("reference", Some(r)) => out.push(r.to_owned()),
                    _ => references(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

/// The OperationOutcome's Portico code, checking its shape.
fn outcome_code(body: &Value) -> &str {
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    assert_eq!(body["issue"][0]["severity"], "error");
    body["issue"][0]["details"]["coding"][0]["code"]
        .as_str()
        .unwrap()
}

async fn audit_actions(app: &TestApp, admin: &Signed, chart: &str) -> Vec<String> {
    let (_, events) = app
        .gql_as(
            &admin.slug,
            &admin.access,
            "query($p: ID) { auditEvents(patientId: $p, first: 1000) { action actorRole } }",
            json!({ "p": chart }),
        )
        .await;
    events["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{events}"))
        .iter()
        .filter(|e| e["actorRole"] == "patient")
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_patient_reads_and_searches_every_resource_of_their_chart() {
    let app = spawn_app().await;
    let p = practice(&app, "fhirapi").await;
    let admin = &p.admin;
    let (patient, chart_id) = app.add_user("fhirapi", Role::Patient).await;
    let chart_id = chart_id.unwrap();
    let chart = gid("Patient", chart_id);
    small_chart(&app, admin, &chart).await;
    let (_, reading) = app
        .gql_as(
            "fhirapi",
            &patient.access,
            "mutation($i: RecordReadingInput!) { recordReading(input: $i) { userErrors { code } } }",
            json!({ "i": { "patientId": chart, "kind": "BLOOD_PRESSURE", "value": 128.0,
                "diastolic": 82.0, "unit": "mm[Hg]", "takenAt": days_ago(1) } }),
        )
        .await;
    assert_eq!(
        reading["data"]["recordReading"]["userErrors"],
        json!([]),
        "{reading}"
    );
    let day = days_ahead(&p, 3);
    let open = starts(&slots(&app, &admin.access, "fhirapi", &p, day, day).await);
    book(&app, &admin.access, &p, &chart, open[0]).await;

    // The CapabilityStatement needs no token and lists every type with its searches.
    let (status, capability) = get(&app, "fhirapi", None, "metadata").await;
    assert_eq!(status, 200);
    assert_eq!(capability["resourceType"], "CapabilityStatement");
    assert_eq!(capability["fhirVersion"], "4.0.1");
    // SMART apps are told where to get tokens.
    let oauth = &capability["rest"][0]["security"]["extension"][0]["extension"];
    assert_eq!(oauth[0]["valueUri"], app.url("/oauth/authorize"));
    assert_eq!(oauth[1]["valueUri"], app.url("/oauth/token"));
    let served = capability["rest"][0]["resource"].as_array().unwrap();
    assert_eq!(served.len(), 11);
    let observation = served.iter().find(|r| r["type"] == "Observation").unwrap();
    assert!(
        observation["searchParam"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "category")
    );

    let patient_ref = format!("Patient/{chart_id}");
    let expected = [
        ("Patient", 1),
        ("Encounter", 1),
        ("DocumentReference", 1),
        ("DiagnosticReport", 1),
        // Three lab results and the blood pressure taken at home.
        ("Observation", 4),
        ("MedicationRequest", 1),
        ("AllergyIntolerance", 1),
        ("Condition", 1),
        ("Immunization", 1),
        ("Appointment", 1),
    ];
    let token = Some(patient.access.as_str());
    for (kind, count) in expected {
        let query = if kind == "Patient" {
            format!("Patient?_id={chart_id}")
        } else {
            format!("{kind}?patient={chart_id}")
        };
        let (status, bundle) = get(&app, "fhirapi", token, &query).await;
        assert_eq!(status, 200, "{kind}: {bundle}");
        assert_eq!(bundle["type"], "searchset");
        assert_eq!(bundle["total"], count, "{kind}: {bundle}");
        for entry in entries(&bundle, "match") {
            let resource = &entry["resource"];
            assert_eq!(resource["resourceType"], kind);
            let _: Resource = serde_json::from_value(resource.clone())
                .unwrap_or_else(|e| panic!("{kind} does not parse as FHIR: {e}\n{resource}"));
            let id = resource["id"].as_str().unwrap();
            assert!(
                entry["fullUrl"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/fhir/r4/{kind}/{id}"))
            );
            // A read gives the same resource.
            let (status, read) = get(&app, "fhirapi", token, &format!("{kind}/{id}")).await;
            assert_eq!(status, 200, "{kind}/{id}: {read}");
            assert_eq!(&read, resource);
            // Every reference in it reads back (the clinician and place are named only).
            let mut refs = Vec::new();
            references(resource, &mut refs);
            for r in refs {
                let (status, _) = get(&app, "fhirapi", token, &r).await;
                assert_eq!(
                    status, 200,
                    "{kind}/{id} refers to {r}, which does not read"
                );
            }
            if kind != "Patient" {
                let subject = resource.get("subject").or(resource.get("patient"));
                let subject = subject.map_or_else(
                    || resource["participant"][0]["actor"]["reference"].clone(),
                    |s| s["reference"].clone(),
                );
                assert_eq!(subject, json!(patient_ref), "{kind}");
            }
        }
    }

    // Filters: the home reading is the one vital sign; the lab results of the last three days.
    let search = async |q: &str| get(&app, "fhirapi", token, q).await;
    let (_, vitals) = search(&format!(
        "Observation?patient={chart_id}&category=vital-signs"
    ))
    .await;
    assert_eq!(vitals["total"], 1, "{vitals}");
    assert_eq!(
        vitals["entry"][0]["resource"]["code"]["coding"][0]["code"],
        "85354-9"
    );
    let (_, labs) = search(&format!(
        "Observation?patient={chart_id}&code=http://loinc.org|2345-7&date=ge{}",
        &days_ago(3)[..10]
    ))
    .await;
    assert_eq!(labs["total"], 1, "{labs}");
    let (_, active) = search(&format!(
        "Condition?patient={chart_id}&clinical-status=active,recurrence"
    ))
    .await;
    assert_eq!(active["total"], 1, "{active}");
    let (_, none) = search(&format!(
        "MedicationRequest?patient={chart_id}&status=stopped"
    ))
    .await;
    assert_eq!(none["total"], 0);
    // Without `patient`, a patient's search reads their own chart.
    let (_, own) = search("AllergyIntolerance").await;
    assert_eq!(own["total"], 1, "{own}");

    // Paging: two at a time, the next link gives the rest, and no more after it.
    let (_, first) = search(&format!("Observation?patient={chart_id}&_count=2")).await;
    assert_eq!(first["total"], 4);
    assert_eq!(entries(&first, "match").len(), 2);
    let next = first["link"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["relation"] == "next")
        .expect("a next link")["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, second) = get(&app, "fhirapi", token, &next).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(entries(&second, "match").len(), 2);
    assert!(
        !second["link"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["relation"] == "next")
    );
    let ids = |b: &Value| -> Vec<String> {
        entries(b, "match")
            .iter()
            .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(ids(&first).iter().all(|id| !ids(&second).contains(id)));

    // Provenance comes along when asked for, and reads on its own.
    let (_, with) = search(&format!(
        "Immunization?patient={chart_id}&_revinclude=Provenance:target"
    ))
    .await;
    let included = entries(&with, "include");
    assert_eq!(included.len(), 1, "{with}");
    let provenance = &included[0]["resource"];
    assert_eq!(provenance["resourceType"], "Provenance");
    let immunization = with["entry"][0]["resource"]["id"].as_str().unwrap();
    assert_eq!(
        provenance["target"][0]["reference"],
        format!("Immunization/{immunization}")
    );
    // Entered in Portico by the practice, which is named as its author.
    assert_eq!(provenance["agent"][0]["who"]["display"], "fhirapi practice");
    assert_eq!(
        provenance["agent"][0]["type"]["coding"][0]["code"],
        "author"
    );
    let (status, read) = get(
        &app,
        "fhirapi",
        token,
        &format!("Provenance/{}", provenance["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(&read, provenance);
    let _: Resource = serde_json::from_value(read).expect("Provenance parses as FHIR");

    // Refusals, with the standard's OperationOutcome.
    for (query, status, code) in [
        (
            format!("Observation?patient={chart_id}&colour=red"),
            400,
            "UNKNOWN_PARAMETER",
        ),
        (
            format!("Observation?patient={chart_id}&code:text=glucose"),
            400,
            "UNSUPPORTED_MODIFIER",
        ),
        (
            format!("Observation?patient={chart_id}&date=last-week"),
            400,
            "INVALID_VALUE",
        ),
        ("Observation?patient=42".to_owned(), 400, "INVALID_VALUE"),
        (
            format!("Observation?patient={chart_id}&_count=1000"),
            400,
            "INVALID_VALUE",
        ),
        ("Provenance".to_owned(), 400, "UNSUPPORTED_SEARCH"),
        ("Medication".to_owned(), 404, "UNKNOWN_RESOURCE_TYPE"),
        (format!("Observation/{}", Uuid::now_v7()), 404, "NOT_FOUND"),
        ("Observation/not-an-id".to_owned(), 404, "NOT_FOUND"),
    ] {
        let (got, body) = search(&query).await;
        assert_eq!(got, status, "{query}: {body}");
        assert_eq!(outcome_code(&body), code, "{query}");
    }
    let (status, body) = get(&app, "fhirapi", None, &format!("Patient/{chart_id}")).await;
    assert_eq!(status, 401);
    assert_eq!(outcome_code(&body), "UNAUTHENTICATED");

    // Audited as the GraphQL API audits the same reads.
    let actions = audit_actions(&app, admin, &chart).await;
    for action in [
        "observation.list",
        "observation.read",
        "patient.list",
        "patient.read",
        "appointment.list",
        "encounter.read",
        "immunization.read",
        "emergency_contact.list",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "no {action} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn other_charts_and_practices_get_nothing_and_a_caregiver_reads_what_is_shared() {
    let app = spawn_app().await;
    let admin = app.practice_admin("fhirone").await;
    app.practice_admin("fhirtwo").await;
    let (alice, alice_chart) = app.add_user("fhirone", Role::Patient).await;
    let (bob, bob_chart) = app.add_user("fhirone", Role::Patient).await;
    let (alice_chart, bob_chart) = (alice_chart.unwrap(), bob_chart.unwrap());
    small_chart(&app, &admin, &gid("Patient", alice_chart)).await;
    let (_, alice_obs) = get(&app, "fhirone", Some(&alice.access), "Observation").await;
    let observation = alice_obs["entry"][0]["resource"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Bob sees none of Alice's chart.
    for path in [
        format!("Observation/{observation}"),
        format!("Patient/{alice_chart}"),
        format!("Observation?patient={alice_chart}"),
        format!("Patient?_id={alice_chart}"),
    ] {
        let (status, body) = get(&app, "fhirone", Some(&bob.access), &path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(outcome_code(&body), "NOT_FOUND");
    }
    let (_, own) = get(&app, "fhirone", Some(&bob.access), "Observation").await;
    assert_eq!(own["total"], 0);

    // Alice's token at another practice is not a credential there.
    let (status, body) = get(
        &app,
        "fhirtwo",
        Some(&alice.access),
        &format!("Observation/{observation}"),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(outcome_code(&body), "UNAUTHENTICATED");

    // Staff name the chart they search.
    let (status, body) = get(&app, "fhirone", Some(&admin.access), "Observation").await;
    assert_eq!(status, 400);
    assert_eq!(outcome_code(&body), "PATIENT_REQUIRED");
    let (status, body) = get(
        &app,
        "fhirone",
        Some(&admin.access),
        &format!("Observation?patient={alice_chart}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 3);

    // Appointments and home readings keep their own policies, as in GraphQL: staff whose
    // role loses them get neither.
    let (_, reading) = app
        .gql_as(
            "fhirone",
            &alice.access,
            "mutation($i: RecordReadingInput!) { recordReading(input: $i) { userErrors { code } } }",
            json!({ "i": { "patientId": gid("Patient", alice_chart), "kind": "WEIGHT", "value": 70.0, "unit": "kg" } }),
        )
        .await;
    assert_eq!(
        reading["data"]["recordReading"]["userErrors"],
        json!([]),
        "{reading}"
    );
    let (staff, _) = app.add_user("fhirone", Role::Staff).await;
    let observations = format!("Observation?patient={alice_chart}");
    let appointments = format!("Appointment?patient={alice_chart}");
    let (_, seen) = get(&app, "fhirone", Some(&staff.access), &observations).await;
    assert_eq!(seen["total"], 4, "{seen}");
    let (status, _) = get(&app, "fhirone", Some(&staff.access), &appointments).await;
    assert_eq!(status, 200);
    let (_, set) = app
        .gql_as(
            "fhirone",
            &admin.access,
            "mutation($perms: [PermissionInput!]!) { setRolePermissions(input: { role: \"staff\", permissions: $perms }) { userErrors { code } } }",
            json!({ "perms": [{ "object": "me", "action": "read" }, { "object": "patients", "action": "read" }] }),
        )
        .await;
    assert_eq!(
        set["data"]["setRolePermissions"]["userErrors"],
        json!([]),
        "{set}"
    );
    let (_, seen) = get(&app, "fhirone", Some(&staff.access), &observations).await;
    assert_eq!(seen["total"], 3, "no home readings: {seen}");
    let (status, body) = get(&app, "fhirone", Some(&staff.access), &appointments).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(outcome_code(&body), "FORBIDDEN");
    // A search names each chart once, and not too many.
    let (_, twice) = get(
        &app,
        "fhirone",
        Some(&admin.access),
        &format!("Observation?patient={alice_chart},{alice_chart}"),
    )
    .await;
    assert_eq!(twice["total"], 4, "{twice}");
    let many: Vec<String> = (0..21).map(|_| Uuid::now_v7().to_string()).collect();
    let (status, body) = get(
        &app,
        "fhirone",
        Some(&admin.access),
        &format!("Observation?patient={}", many.join(",")),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(outcome_code(&body), "INVALID_VALUE");
    // A search sent by POST gives no links carrying its values.
    let response = app
        .client
        .post(app.url("/fhir/r4/Observation/_search"))
        .header("X-Portico-Tenant", "fhirone")
        .bearer_auth(&admin.access)
        .form(&[
            ("patient", alice_chart.to_string()),
            ("_count", "1".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let posted: Value = response.json().await.unwrap();
    assert_eq!(posted["total"], 4);
    assert!(posted["link"].is_null(), "{posted}");

    // Alice shares her chart with Bob to read: his searches now cover both charts.
    let (_, granted) = app
        .gql_as(
            "fhirone",
            &alice.access,
            GRANT_PROXY,
            json!({ "chart": gid("Patient", alice_chart), "email": bob.email, "scopes": ["READ"] }),
        )
        .await;
    assert_eq!(
        granted["data"]["grantProxyAccess"]["userErrors"],
        json!([]),
        "{granted}"
    );
    let (_, patients) = get(&app, "fhirone", Some(&bob.access), "Patient").await;
    assert_eq!(patients["total"], 2, "{patients}");
    let (status, _) = get(
        &app,
        "fhirone",
        Some(&bob.access),
        &format!("Observation/{observation}"),
    )
    .await;
    assert_eq!(status, 200);
    let (_, shared) = get(
        &app,
        "fhirone",
        Some(&bob.access),
        &format!("Observation?patient={alice_chart}"),
    )
    .await;
    assert_eq!(shared["total"], 4);
    let _ = bob_chart;
}
