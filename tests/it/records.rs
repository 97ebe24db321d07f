//! The chart: staff enter and correct records; patients read results (with each test's
//! history as a series), reports, visits, medications, allergies, immunizations, problems and
//! a dashboard; they keep their contact details (with history) and emergency contacts. Bad
//! input gives codes and changes nothing.

use portico_core::identity::Role;
use portico_tests::{error_code, spawn_app};
use serde_json::json;

use crate::support::{
    gid,
    records::{day, days_ago, glucose, id_of, record, small_chart},
};

const RESULTS: &str = "query($p: ID!) { patient(id: $p) { results { edges { node {
    id status value interpretation } } } } }";

#[tokio::test]
async fn staff_enter_and_correct_records_and_the_patient_reads_the_chart() {
    let app = spawn_app().await;
    let admin = app.practice_admin("charts").await;
    let (patient, chart) = app.add_user("charts", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let ids = small_chart(&app, &admin, &chart).await;

    // A correction keeps the id and changes the status and value.
    let mut fix = glucose(&chart, 5, 99.0, "N");
    fix["id"] = json!(ids["glucose_mid"]);
    fix["status"] = json!("corrected");
    let corrected = record(&app, &admin, "recordObservation", fix).await;
    assert_eq!(id_of(&corrected), ids["glucose_mid"]);
    assert_eq!(corrected["observation"]["status"], "corrected");
    assert_eq!(corrected["observation"]["value"], 99.0);
    // Entered in error: hidden from the patient, kept for staff.
    let mut wrong = glucose(&chart, 40, 92.0, "N");
    wrong["id"] = json!(ids["glucose_old"]);
    wrong["status"] = json!("entered-in-error");
    let hidden = record(&app, &admin, "recordObservation", wrong).await;
    assert_eq!(hidden["observation"]["status"], "entered-in-error");

    let (_, mine) = app
        .gql_as("charts", &patient.access, RESULTS, json!({ "p": chart }))
        .await;
    let edges = mine["data"]["patient"]["results"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{mine}"));
    let seen: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        seen,
        vec![ids["glucose_new"].as_str(), ids["glucose_mid"].as_str()],
        "newest first, entered-in-error left out"
    );
    let (_, hidden_node) = app
        .gql_as(
            "charts",
            &patient.access,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": ids["glucose_old"] }),
        )
        .await;
    assert_eq!(error_code(&hidden_node), Some("NOT_FOUND"));
    let (_, staff_view) = app
        .gql_as("charts", &admin.access, RESULTS, json!({ "p": chart }))
        .await;
    let staff_edges = staff_view["data"]["patient"]["results"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(staff_edges.len(), 3, "staff see every result: {staff_view}");
    assert!(
        staff_edges
            .iter()
            .any(|e| e["node"]["status"] == "entered-in-error")
    );

    // Pages follow one another.
    let page = |after: Option<String>| json!({ "p": chart, "a": after });
    const PAGE: &str =
        "query($p: ID!, $a: String) { patient(id: $p) { results(first: 1, after: $a) {
        pageInfo { hasNextPage endCursor } edges { node { id } } } } }";
    let (_, one) = app
        .gql_as("charts", &patient.access, PAGE, page(None))
        .await;
    let first_page = &one["data"]["patient"]["results"];
    assert_eq!(first_page["pageInfo"]["hasNextPage"], true, "{one}");
    assert_eq!(
        first_page["edges"][0]["node"]["id"],
        ids["glucose_new"].as_str()
    );
    let cursor = first_page["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, two) = app
        .gql_as("charts", &patient.access, PAGE, page(Some(cursor)))
        .await;
    let second_page = &two["data"]["patient"]["results"];
    assert_eq!(second_page["pageInfo"]["hasNextPage"], false, "{two}");
    assert_eq!(
        second_page["edges"][0]["node"]["id"],
        ids["glucose_mid"].as_str()
    );

    // The series: oldest first, the entered-in-error point left out, the range kept.
    let (_, series) = app
        .gql_as(
            "charts",
            &patient.access,
            "query($p: ID!) { patient(id: $p) { resultSeries(code: \"2345-7\") {
                code display unit rangeLow rangeHigh points { at value flag } } } }",
            json!({ "p": chart }),
        )
        .await;
    let glucose_series = &series["data"]["patient"]["resultSeries"][0];
    assert_eq!(glucose_series["code"], "2345-7", "{series}");
    assert_eq!(glucose_series["unit"], "mg/dL");
    assert_eq!(glucose_series["rangeHigh"], 99.0);
    let points = glucose_series["points"].as_array().unwrap();
    assert_eq!(
        points
            .iter()
            .map(|p| p["value"].clone())
            .collect::<Vec<_>>(),
        vec![json!(99.0), json!(131.0)]
    );
    assert_eq!(points[1]["flag"], "H");
    let times: Vec<chrono::DateTime<chrono::Utc>> = points
        .iter()
        .map(|p| p["at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "ordered by time");

    // Everything else on the chart, as the patient.
    let (_, rest) = app
        .gql_as(
            "charts",
            &patient.access,
            "query($p: ID!) { patient(id: $p) {
                diagnosticReports { edges { node { id display results { id } } } }
                visitSummaries { edges { node { id summary } } }
                medications { edges { node { name refillsLeft prescriberName } } }
                allergies { edges { node { substance severity } } }
                immunizations { edges { node { vaccineName nextDueOn } } }
                problems { edges { node { name status } } }
                dashboard { lastVisit { id } newResults { id }
                    reminders { kind title dueOn resourceId needsVisit } } } }",
            json!({ "p": chart }),
        )
        .await;
    let p = &rest["data"]["patient"];
    assert!(rest["errors"].is_null(), "{rest}");
    let report = &p["diagnosticReports"]["edges"][0]["node"];
    assert_eq!(report["id"], ids["report"].as_str());
    assert_eq!(
        report["results"].as_array().unwrap().len(),
        2,
        "the report's visible results: {rest}"
    );
    assert_eq!(
        p["visitSummaries"]["edges"][0]["node"]["summary"],
        "Routine visit; labs ordered."
    );
    assert_eq!(p["medications"]["edges"][0]["node"]["refillsLeft"], 0);
    assert_eq!(p["allergies"]["edges"][0]["node"]["severity"], "severe");
    assert_eq!(p["immunizations"]["edges"][0]["node"]["nextDueOn"], day(7));
    assert_eq!(p["problems"]["edges"][0]["node"]["status"], "active");
    // Dashboard: results after the visit 10 days ago; the shot falling due and the
    // prescription without refills.
    assert_eq!(p["dashboard"]["lastVisit"]["id"], ids["encounter"].as_str());
    let new: Vec<&str> = p["dashboard"]["newResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        new,
        vec![ids["glucose_new"].as_str(), ids["glucose_mid"].as_str()]
    );
    let reminders = p["dashboard"]["reminders"].as_array().unwrap();
    assert_eq!(reminders.len(), 2, "{rest}");
    assert_eq!(reminders[0]["kind"], "IMMUNIZATION_DUE");
    assert_eq!(reminders[0]["resourceId"], ids["immunization"].as_str());
    assert_eq!(reminders[1]["kind"], "MEDICATION_RENEWAL");
    assert_eq!(reminders[1]["needsVisit"], false);

    // Patients do not write records.
    let (_, refused) = app
        .gql_as(
            "charts",
            &patient.access,
            "mutation($i: RecordAllergyInput!) { recordAllergy(input: $i) { allergy { id } } }",
            json!({ "i": { "patientId": chart, "status": "active", "substance": "Dust" } }),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
}

#[tokio::test]
async fn bad_record_input_gives_codes_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.practice_admin("strict").await;
    let (patient, chart) = app.add_user("strict", Role::Patient).await;
    let (other, other_chart) = app.add_user("strict", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let foreign_report = id_of(
        &record(
            &app,
            &admin,
            "recordDiagnosticReport",
            json!({ "patientId": gid("Patient", other_chart.unwrap()), "status": "final",
                "code": "24323-8", "display": "Panel", "effectiveAt": days_ago(1) }),
        )
        .await,
    );
    let ok = glucose(&chart, 1, 100.0, "H");
    let with = |changes: serde_json::Value| {
        let mut input = ok.clone();
        for (k, v) in changes.as_object().unwrap() {
            input[k] = v.clone();
        }
        input
    };
    let future = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let cases = [
        (
            "recordObservation",
            with(json!({ "status": "done" })),
            "INVALID_STATUS",
        ),
        (
            "recordObservation",
            with(json!({ "status": "amended" })),
            "INVALID_STATUS",
        ),
        (
            "recordObservation",
            with(json!({ "code": "" })),
            "INVALID_CODE",
        ),
        (
            "recordObservation",
            with(json!({ "code": "glucose" })),
            "INVALID_CODE",
        ),
        (
            "recordObservation",
            with(json!({ "display": " " })),
            "REQUIRED",
        ),
        (
            "recordObservation",
            with(json!({ "valueText": "high" })),
            "INVALID_VALUE",
        ),
        (
            "recordObservation",
            with(json!({ "rangeLow": 120.0 })),
            "INVALID_RANGE",
        ),
        (
            "recordObservation",
            with(json!({ "interpretation": "X" })),
            "INVALID_INTERPRETATION",
        ),
        (
            "recordObservation",
            with(json!({ "effectiveAt": future })),
            "INVALID_DATE",
        ),
        (
            "recordMedication",
            json!({ "patientId": chart, "status": "active", "name": "Drug", "dosage": "daily",
                "refillsLeft": -1, "prescriberName": "Dr. A" }),
            "INVALID_REFILLS",
        ),
        (
            "recordMedication",
            json!({ "patientId": chart, "status": "active", "name": "Drug", "dosage": "daily",
                "refillsLeft": 1 }),
            "REQUIRED",
        ),
        (
            "recordAllergy",
            json!({ "patientId": chart, "status": "active", "substance": "Latex",
                "severity": "deadly" }),
            "INVALID_SEVERITY",
        ),
        (
            "recordEncounter",
            json!({ "patientId": chart, "status": "finished", "class": "ambulatory",
                "startedAt": days_ago(1) }),
            "REQUIRED",
        ),
        (
            "recordCondition",
            json!({ "patientId": chart, "status": "cured", "name": "Flu" }),
            "INVALID_STATUS",
        ),
        (
            "recordImmunization",
            json!({ "patientId": chart, "status": "completed", "vaccineName": "Flu",
                "occurredOn": day(-1), "nextDueOn": day(-2) }),
            "INVALID_DATE",
        ),
    ];
    for (mutation, input, code) in cases {
        let payload = record(&app, &admin, mutation, input.clone()).await;
        assert_eq!(
            payload["userErrors"][0]["code"].as_str(),
            Some(code),
            "{mutation} {input}: {payload}"
        );
    }
    // A reference to a record of another chart names nothing this chart has: NOT_FOUND,
    // as any unknown id; one that is not a report's id at all is BAD_USER_INPUT.
    const OBSERVE: &str = "mutation($input: RecordObservationInput!) {
        recordObservation(input: $input) { observation { id } userErrors { code } } }";
    for (report, code) in [
        (json!(foreign_report), "NOT_FOUND"),
        (json!(chart), "BAD_USER_INPUT"),
    ] {
        let (_, body) = app
            .gql_as(
                "strict",
                &admin.access,
                OBSERVE,
                json!({ "input": with(json!({ "reportId": report })) }),
            )
            .await;
        assert_eq!(error_code(&body), Some(code), "{body}");
    }
    // Nothing was written.
    let (_, body) = app
        .gql_as(
            "strict",
            &patient.access,
            "query($p: ID!) { patient(id: $p) { results { edges { node { id } } }
                medications { edges { node { id } } } allergies { edges { node { id } } }
                visitSummaries { edges { node { id } } } problems { edges { node { id } } }
                immunizations { edges { node { id } } } } }",
            json!({ "p": chart }),
        )
        .await;
    for list in [
        "results",
        "medications",
        "allergies",
        "visitSummaries",
        "problems",
        "immunizations",
    ] {
        assert_eq!(
            body["data"]["patient"][list]["edges"],
            json!([]),
            "{list}: {body}"
        );
    }
    let _ = other;
}

#[tokio::test]
async fn contact_details_change_with_history_kept_and_emergency_contacts() {
    let app = spawn_app().await;
    let admin = app.practice_admin("moves").await;
    let (patient, chart) = app.add_user("moves", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    const UPDATE: &str =
        "mutation($i: UpdateContactDetailsInput!) { updateContactDetails(input: $i) {
        patient { phone city country preferredLanguage preferredPharmacy }
        userErrors { field code } } }";
    let (_, first) = app
        .gql_as(
            "moves",
            &patient.access,
            UPDATE,
            json!({ "i": { "patientId": chart, "phone": "+1 312 555 0100",
                "addressLine": "1 Lake St", "city": "Chicago", "region": "IL",
                "postalCode": "60601", "country": "us", "preferredLanguage": "es-MX",
                "preferredPharmacy": "Lakeside Pharmacy, 2 Main St" } }),
        )
        .await;
    let p = &first["data"]["updateContactDetails"]["patient"];
    assert_eq!(p["country"], "US", "{first}");
    assert_eq!(p["preferredLanguage"], "es-MX");
    let (_, second) = app
        .gql_as(
            "moves",
            &patient.access,
            UPDATE,
            json!({ "i": { "patientId": chart, "phone": "+1 312 555 0199" } }),
        )
        .await;
    assert_eq!(
        second["data"]["updateContactDetails"]["patient"]["phone"],
        "+1 312 555 0199"
    );
    for (input, code) in [
        (
            json!({ "patientId": chart, "country": "USA" }),
            "INVALID_COUNTRY",
        ),
        (
            json!({ "patientId": chart, "preferredLanguage": "english!" }),
            "INVALID_LANGUAGE",
        ),
        (
            json!({ "patientId": chart, "phone": "call me" }),
            "INVALID_PHONE",
        ),
        (
            json!({ "patientId": chart, "email": "nope" }),
            "INVALID_EMAIL",
        ),
        (
            json!({ "patientId": chart, "city": "Chicago" }),
            "NO_CHANGES",
        ),
    ] {
        let (_, bad) = app
            .gql_as("moves", &patient.access, UPDATE, json!({ "i": input }))
            .await;
        assert_eq!(
            bad["data"]["updateContactDetails"]["userErrors"][0]["code"], code,
            "{bad}"
        );
    }
    // Staff see the history, newest first, with what changed.
    let (_, history) = app
        .gql_as(
            "moves",
            &admin.access,
            "query($p: ID!) { patient(id: $p) { phone contactHistory { edges { node {
                changedFields phone city preferredPharmacy changedBy } } } } }",
            json!({ "p": chart }),
        )
        .await;
    let p = &history["data"]["patient"];
    assert_eq!(p["phone"], "+1 312 555 0199", "bad input changed nothing");
    let changes = p["contactHistory"]["edges"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{history}");
    assert_eq!(changes[0]["node"]["changedFields"], json!(["phone"]));
    assert_eq!(
        changes[0]["node"]["city"], "Chicago",
        "values after the change"
    );
    assert_eq!(changes[1]["node"]["phone"], "+1 312 555 0100");
    assert!(
        changes[1]["node"]["changedFields"]
            .as_array()
            .unwrap()
            .contains(&json!("preferredPharmacy"))
    );
    assert!(changes[0]["node"]["changedBy"].is_string());

    // Emergency contacts: the patient keeps them; they show in the emergency summary.
    let (_, added) = app
        .gql_as(
            "moves",
            &patient.access,
            "mutation($i: AddEmergencyContactInput!) { addEmergencyContact(input: $i) {
                emergencyContact { id name } userErrors { code } } }",
            json!({ "i": { "patientId": chart, "name": "Sam Doe", "relationship": "sibling",
                "phone": "+1 312 555 0111" } }),
        )
        .await;
    assert_eq!(
        added["data"]["addEmergencyContact"]["emergencyContact"]["name"], "Sam Doe",
        "{added}"
    );
    let (_, bad_contact) = app
        .gql_as(
            "moves",
            &patient.access,
            "mutation($i: AddEmergencyContactInput!) { addEmergencyContact(input: $i) {
                emergencyContact { id } userErrors { code } } }",
            json!({ "i": { "patientId": chart, "name": "X", "relationship": "friend",
                "phone": "12" } }),
        )
        .await;
    assert_eq!(
        bad_contact["data"]["addEmergencyContact"]["userErrors"][0]["code"],
        "INVALID_PHONE"
    );
    small_chart(&app, &admin, &chart).await;
    let (_, summary) = app
        .gql_as(
            "moves",
            &admin.access,
            "query($p: ID!) { patient(id: $p) { emergencySummary {
                allergies { substance } medications { name } problems { name }
                immunizations { vaccineName } emergencyContacts { name phone } } } }",
            json!({ "p": chart }),
        )
        .await;
    let s = &summary["data"]["patient"]["emergencySummary"];
    assert_eq!(s["allergies"][0]["substance"], "Peanuts", "{summary}");
    assert_eq!(s["medications"][0]["name"], "Metformin 500 mg tablet");
    assert_eq!(s["problems"][0]["name"], "Type 2 diabetes mellitus");
    assert_eq!(s["immunizations"].as_array().unwrap().len(), 1);
    assert_eq!(s["emergencyContacts"][0]["name"], "Sam Doe");
}

/// Every read path writes its own audit event, with the patient and the reader's role.
#[tokio::test]
async fn each_read_path_writes_an_audit_event() {
    let app = spawn_app().await;
    let admin = app.practice_admin("ledger2").await;
    let (patient, chart) = app.add_user("ledger2", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let ids = small_chart(&app, &admin, &chart).await;
    let reads = [
        ("results { edges { node { id } } }", "observation.list"),
        ("resultSeries { code }", "observation.series"),
        (
            "diagnosticReports { edges { node { id } } }",
            "diagnostic_report.list",
        ),
        ("visitSummaries { edges { node { id } } }", "encounter.list"),
        ("medications { edges { node { id } } }", "medication.list"),
        ("allergies { edges { node { id } } }", "allergy.list"),
        (
            "immunizations { edges { node { id } } }",
            "immunization.list",
        ),
        ("problems { edges { node { id } } }", "condition.list"),
        ("dashboard { newResults { id } }", "dashboard.read"),
        (
            "emergencySummary { allergies { id } }",
            "chart.emergency_summary",
        ),
        ("emergencyContacts { id }", "emergency_contact.list"),
        (
            "contactHistory { edges { node { id } } }",
            "patient.contact_history",
        ),
        ("fhirBundle", "chart.export"),
        ("givenName", "patient.read"),
    ];
    for (field, action) in reads {
        let (_, body) = app
            .gql_as(
                "ledger2",
                &patient.access,
                &format!("query($p: ID!) {{ patient(id: $p) {{ {field} }} }}"),
                json!({ "p": chart }),
            )
            .await;
        assert!(body["errors"].is_null(), "{field}: {body}");
        assert_audited(&app, &admin, &chart, action, None).await;
    }
    for (key, action) in [
        ("glucose_new", "observation.read"),
        ("report", "diagnostic_report.read"),
        ("encounter", "encounter.read"),
        ("medication", "medication.read"),
        ("allergy", "allergy.read"),
        ("condition", "condition.read"),
        ("immunization", "immunization.read"),
    ] {
        let (_, body) = app
            .gql_as(
                "ledger2",
                &patient.access,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": ids[key] }),
            )
            .await;
        assert_eq!(body["data"]["node"]["id"], ids[key].as_str(), "{body}");
        assert_audited(&app, &admin, &chart, action, Some(&ids[key])).await;
    }
    // Writes are audited too.
    assert_audited(&app, &admin, &chart, "observation.create", None).await;
}

/// The newest event with `action` on `chart` is the patient's (or, for writes, staff's).
async fn assert_audited(
    app: &portico_tests::TestApp,
    admin: &portico_tests::Signed,
    chart: &str,
    action: &str,
    resource: Option<&str>,
) {
    let (_, events) = app
        .gql_as(
            &admin.slug,
            &admin.access,
            "query($p: ID) { auditEvents(patientId: $p, first: 1000) {
                action actorRole resourceType resourceId patientId } }",
            json!({ "p": chart }),
        )
        .await;
    let events = events["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{events}"));
    let event = events
        .iter()
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("no {action} event"));
    assert_eq!(event["patientId"], chart);
    if action.ends_with(".create") {
        assert_eq!(event["actorRole"], "practice_admin");
    } else {
        assert_eq!(event["actorRole"], "patient", "{action}");
    }
    // The resource is named by the same global id the API gave out for it.
    if let Some(resource) = resource {
        assert_eq!(event["resourceId"], resource, "{action}");
    }
}
