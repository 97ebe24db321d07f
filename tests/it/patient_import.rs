//! Importing a practice's patients from a CSV file: the preview names every bad row by its
//! line and field and creates nothing; a file with errors is refused whole; a clean file's
//! charts are created by a job (once, however often the file is sent or the job run), rows
//! matching a chart already here are skipped; another practice and patients see nothing.

use std::time::{Duration, Instant};

use portico_core::{
    TenantTx, entities::patient, identity::Role, patient_imports::run, tenancy::Access, tenants,
};
use portico_tests::{Signed, TestApp, error_code, spawn_app, wait_until};
use reqwest::multipart::{Form, Part};
use sea_orm::{EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{attachments::send_multipart, uuid_of};

const PREVIEW: &str = "mutation($file: Upload!) { previewPatientImport(file: $file) {
    patientImport { id fileName status rowsTotal newCharts alreadyHere errorRows
      problems { line field code severity message } problemCounts { code count } }
    userErrors { field code message } } }";
const START: &str = "mutation($id: ID!) { startPatientImport(importId: $id) {
    patientImport { id status } userErrors { field code message } } }";
const STATUS: &str = "query($id: ID!) { patientImport(id: $id) {
    id status rowsTotal rowsDone created skipped failure } }";
const CREATE: &str = "mutation($input: CreatePatientInput!) { createPatient(input: $input) {
    patient { id } userErrors { code } } }";
const SEARCH: &str = "query($q: String) { patients(first: 50, search: $q) {
    edges { node { id mrn givenName familyName gender email phone preferredLanguage } } } }";

async fn upload(app: &TestApp, who: &Signed, name: &str, csv: &str) -> (u16, Value) {
    let form = Form::new()
        .text(
            "operations",
            json!({ "query": PREVIEW, "variables": { "file": null } }).to_string(),
        )
        .text("map", r#"{ "0": ["variables.file"] }"#)
        .part(
            "0",
            Part::bytes(csv.as_bytes().to_vec())
                .file_name(name.to_owned())
                .mime_str("text/csv")
                .unwrap(),
        );
    send_multipart(app, who, form).await
}

async fn previewed(app: &TestApp, who: &Signed, csv: &str) -> Value {
    let (status, body) = upload(app, who, "patients.csv", csv).await;
    assert_eq!(status, 200, "{body}");
    let import = body["data"]["previewPatientImport"]["patientImport"].clone();
    assert!(import["id"].is_string(), "{body}");
    import
}

async fn gql(app: &TestApp, who: &Signed, query: &str, vars: Value) -> Value {
    app.gql_as(&who.slug, &who.access, query, vars).await.1
}

/// The practice's charts, counted as the database's owner (under no row-level security).
async fn charts(app: &TestApp, slug: &str) -> u64 {
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let tenant = tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap();
    patient::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(
            &patient::Column::TenantId,
            tenant.id().as_uuid(),
        ))
        .count(&owner)
        .await
        .unwrap()
}

/// Waits for the import to end (done or failed) and gives its status.
async fn finished(app: &TestApp, who: &Signed, id: &str) -> Value {
    wait_until(
        "the import to finish",
        Duration::from_secs(120),
        async || {
            let body = gql(app, who, STATUS, json!({ "id": id })).await;
            let import = body["data"]["patientImport"].clone();
            match import["status"].as_str() {
                Some("DONE" | "FAILED") => Ok(import),
                _ => Err(body.to_string()),
            }
        },
    )
    .await
}

async fn create(app: &TestApp, who: &Signed, mrn: &str, given: &str, family: &str, birth: &str) {
    let body = gql(
        app,
        who,
        CREATE,
        json!({ "input": { "mrn": mrn, "givenName": given, "familyName": family,
            "birthDate": birth, "gender": "female" } }),
    )
    .await;
    assert!(
        body["data"]["createPatient"]["patient"]["id"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn every_bad_row_is_named_by_line_and_field_and_a_file_with_errors_creates_nothing() {
    let app = spawn_app().await;
    let admin = app.practice_admin("bad-rows").await;
    create(&app, &admin, "EX-1", "Ines", "Okafor", "1970-02-03").await;
    let before = charts(&app, "bad-rows").await;
    let csv = "\
Given name,Family name,DOB,Sex,MRN,Email,Mobile,Language\n\
Ada,Lovelace,1985-12-10,F,A-1,ada@example.org,555-123-4567,English\n\
,Missing,1990-01-01,M,A-2,,,\n\
Future,Born,2999-01-01,M,A-3,,,\n\
Bad,Date,1980-13-40,M,A-4,,,\n\
Bad,Sex,1980-01-01,maybe,A-5,,,\n\
Bad,Email,1980-01-01,F,A-6,not-an-email,,\n\
Bad,Phone,1980-01-01,F,A-7,,12,\n\
Bad,Language,1980-01-01,F,A-8,,,Klingon\n\
Copy,Mrn,1980-01-01,F,A-1,,,\n\
Ada,Lovelace,1985-12-10,F,A-9,,,\n\
Ines,Okafor,1970-02-03,F,OTHER-9,,,\n\
Known,Mrn,1975-05-05,M,EX-1,,,\n";
    let import = previewed(&app, &admin, csv).await;
    let problems: Vec<(i64, &str, &str, &str)> = import["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_i64().unwrap(),
                p["field"].as_str().unwrap(),
                p["code"].as_str().unwrap(),
                p["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            (3, "givenName", "MISSING_FIELD", "ERROR"),
            (4, "birthDate", "INVALID_DATE", "ERROR"),
            (5, "birthDate", "INVALID_DATE", "ERROR"),
            (6, "sex", "INVALID_SEX", "ERROR"),
            (7, "email", "INVALID_EMAIL", "ERROR"),
            (8, "mobile", "INVALID_PHONE", "ERROR"),
            (9, "language", "UNKNOWN_LANGUAGE", "ERROR"),
            (10, "mrn", "DUPLICATE_IN_FILE", "ERROR"),
            (11, "givenName", "DUPLICATE_IN_FILE", "ERROR"),
            (12, "mrn", "EXISTING_CHART", "ERROR"),
            (13, "mrn", "ALREADY_HERE", "NOTICE"),
        ],
        "{import}"
    );
    // Each message names its line; none repeats a value from the file.
    for p in import["problems"].as_array().unwrap() {
        let message = p["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("line {}:", p["line"])), "{p}");
        for value in ["Klingon", "not-an-email", "2999", "maybe", "A-1", "Okafor"] {
            assert!(!message.contains(value), "{p}");
        }
    }
    assert_eq!(import["rowsTotal"], 12);
    assert_eq!(import["errorRows"], 10);
    assert_eq!(import["newCharts"], 1);
    assert_eq!(import["alreadyHere"], 1);
    let counts = &import["problemCounts"];
    assert!(
        counts
            .as_array()
            .unwrap()
            .contains(&json!({ "code": "INVALID_DATE", "count": 2 })),
        "{counts}"
    );

    // Starting it is refused, naming the rows; nothing is created.
    let refused = gql(&app, &admin, START, json!({ "id": import["id"] })).await;
    let error = &refused["data"]["startPatientImport"]["userErrors"][0];
    assert_eq!(error["code"], "IMPORT_HAS_ERRORS", "{refused}");
    assert_eq!(error["field"], "importId");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("lines 3, 4, 5, 6, 7, 8, 9, 10, 11, 12"),
        "{message}"
    );
    assert_eq!(charts(&app, "bad-rows").await, before);

    // A file without the required columns is refused whole, naming them.
    let (_, body) = upload(&app, &admin, "short.csv", "first name,email\nAda,a@b.org\n").await;
    let error = &body["data"]["previewPatientImport"]["userErrors"][0];
    assert_eq!(error["code"], "MISSING_COLUMN", "{body}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("family name") && message.contains("date of birth"),
        "{message}"
    );
    let form_bytes = b"given,family,dob,sex\nJos\xe9,Ng,1980-01-01,M\n".to_vec();
    let form = Form::new()
        .text(
            "operations",
            json!({ "query": PREVIEW, "variables": { "file": null } }).to_string(),
        )
        .text("map", r#"{ "0": ["variables.file"] }"#)
        .part("0", Part::bytes(form_bytes).file_name("latin1.csv"));
    let (_, body) = send_multipart(&app, &admin, form).await;
    assert_eq!(
        body["data"]["previewPatientImport"]["userErrors"][0]["code"], "FILE_NOT_UTF8",
        "{body}"
    );
    assert_eq!(charts(&app, "bad-rows").await, before);
}

#[tokio::test]
async fn a_clean_file_is_imported_once_and_charts_already_here_are_skipped() {
    let app = spawn_app().await;
    let admin = app.practice_admin("clean-file").await;
    let (staff, _) = app.add_user("clean-file", Role::Staff).await;
    create(&app, &admin, "MRN-2", "Bea", "Existing", "1960-06-06").await;
    let before = charts(&app, "clean-file").await;
    // A byte-order mark, CRLF line ends, quoted fields (one with a comma) and a blank line.
    let csv = "\u{feff}Last Name,First Name,Date of Birth,Gender,Medical Record Number,E-mail,Cell Phone,Preferred Language\r\n\
\"Núñez, Jr\",Ana,03/04/1980,female,MRN-1,Ana@Example.org,(555) 010-2000,es-mx\r\n\
Existing,Bea,1960-06-06,F,MRN-2,,,\r\n\
\r\n\
O'Brien,\"Carl \"\"CJ\"\"\",1999-12-31,U,,,,\r\n";
    let import = previewed(&app, &staff, csv).await;
    assert_eq!(import["status"], "PREVIEWED", "{import}");
    assert_eq!(import["rowsTotal"], 3, "{import}");
    assert_eq!(import["newCharts"], 2);
    assert_eq!(import["alreadyHere"], 1);
    assert_eq!(import["errorRows"], 0);
    assert_eq!(import["problems"][0]["code"], "ALREADY_HERE");
    assert_eq!(import["problems"][0]["line"], 3);
    let id = import["id"].as_str().unwrap().to_owned();
    // Previewing changes nothing.
    assert_eq!(charts(&app, "clean-file").await, before);

    let started = gql(&app, &staff, START, json!({ "id": id })).await;
    assert!(
        started["data"]["startPatientImport"]["userErrors"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{started}"
    );
    let done = finished(&app, &staff, &id).await;
    assert_eq!(done["status"], "DONE", "{done}");
    assert_eq!(done["created"], 2);
    assert_eq!(done["skipped"], 1);
    assert_eq!(done["rowsDone"], 3);
    assert_eq!(charts(&app, "clean-file").await, before + 2);

    // The new charts are found by the list's search (its columns and name terms filled).
    let found = gql(&app, &staff, SEARCH, json!({ "q": "nunez" })).await;
    let node = &found["data"]["patients"]["edges"][0]["node"];
    assert_eq!(node["givenName"], "Ana", "{found}");
    assert_eq!(node["familyName"], "Núñez, Jr");
    assert_eq!(node["gender"], "female");
    assert_eq!(node["email"], "ana@example.org");
    assert_eq!(node["preferredLanguage"], "es-MX");
    let found = gql(&app, &staff, SEARCH, json!({ "q": "0102000" })).await;
    assert_eq!(
        found["data"]["patients"]["edges"].as_array().unwrap().len(),
        1,
        "{found}"
    );
    let found = gql(&app, &staff, SEARCH, json!({ "q": "obrien carl" })).await;
    assert_eq!(
        found["data"]["patients"]["edges"][0]["node"]["gender"], "unknown",
        "{found}"
    );

    // The same file again is the same import, and starting it again creates nothing.
    let again = previewed(&app, &admin, csv).await;
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["status"], "DONE");
    let restarted = gql(&app, &admin, START, json!({ "id": id })).await;
    assert_eq!(
        restarted["data"]["startPatientImport"]["patientImport"]["status"], "DONE",
        "{restarted}"
    );
    // A second delivery of the job finds nothing to claim.
    let tenant = tenants::find_by_slug(&app.db(), "clean-file")
        .await
        .unwrap()
        .unwrap();
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    assert!(run::claim(&tx, uuid_of(&id)).await.unwrap().is_none());
    tx.commit().await.unwrap();
    assert_eq!(charts(&app, "clean-file").await, before + 2);
    // The file itself is not kept once imported.
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let kept = portico_core::entities::patient_import_file::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(
            &portico_core::entities::patient_import_file::Column::Id,
            uuid_of(&id),
        ))
        .count(&owner)
        .await
        .unwrap();
    assert_eq!(kept, 0);

    // A new file with rows already here by MRN skips them and creates the rest.
    let more =
        "mrn,given,family,dob,sex\nMRN-1,Ana,Nunez,1980-03-04,F\nMRN-3,Dee,New,2001-01-01,F\n";
    let import = previewed(&app, &admin, more).await;
    assert_eq!(import["newCharts"], 1, "{import}");
    assert_eq!(import["alreadyHere"], 1);
    gql(&app, &admin, START, json!({ "id": import["id"] })).await;
    let done = finished(&app, &admin, import["id"].as_str().unwrap()).await;
    assert_eq!(
        (done["created"].clone(), done["skipped"].clone()),
        (json!(1), json!(1)),
        "{done}"
    );
    assert_eq!(charts(&app, "clean-file").await, before + 3);
}

#[tokio::test]
async fn another_practice_sees_nothing_of_an_import() {
    let app = spawn_app().await;
    let north = app.practice_admin("north-import").await;
    let south = app.practice_admin("south-import").await;
    let csv = "given,family,dob,sex,mrn\nAda,North,1980-01-01,F,N-1\n";
    let import = previewed(&app, &north, csv).await;
    let id = import["id"].as_str().unwrap();

    let seen = gql(&app, &south, STATUS, json!({ "id": id })).await;
    assert_eq!(error_code(&seen), Some("NOT_FOUND"), "{seen}");
    let started = gql(&app, &south, START, json!({ "id": id })).await;
    assert_eq!(error_code(&started), Some("NOT_FOUND"), "{started}");

    // The same file at the other practice is an import of its own, checked against its
    // own charts.
    let theirs = previewed(&app, &south, csv).await;
    assert_ne!(theirs["id"], import["id"]);
    assert_eq!(theirs["status"], "PREVIEWED");
    assert_eq!(theirs["newCharts"], 1);
    gql(&app, &north, START, json!({ "id": id })).await;
    finished(&app, &north, id).await;
    assert_eq!(charts(&app, "south-import").await, 0);
    assert_eq!(charts(&app, "north-import").await, 1);
}

#[tokio::test]
async fn patients_and_callers_who_may_not_write_charts_are_refused() {
    let app = spawn_app().await;
    let admin = app.practice_admin("guarded-import").await;
    let (patient, _) = app.add_user("guarded-import", Role::Patient).await;
    let csv = "given,family,dob,sex\nAda,Guarded,1980-01-01,F\n";
    let (status, body) = upload(&app, &patient, "patients.csv", csv).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let import = previewed(&app, &admin, csv).await;
    let id = import["id"].as_str().unwrap();
    for query in [STATUS, START] {
        let body = gql(&app, &patient, query, json!({ "id": id })).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    }
    // Nobody signed in cannot even send the file.
    let anonymous = Signed {
        access: "not-a-token".to_owned(),
        ..patient.clone()
    };
    let (status, _) = upload(&app, &anonymous, "patients.csv", csv).await;
    assert_eq!(status, 401);
    let charts_before = charts(&app, "guarded-import").await;
    assert_eq!(charts_before, 1, "only the patient's own chart");
}

/// The benchmark of docs/benchmarks.md: 50,000 rows previewed and imported, with the times
/// printed. `cargo test --release -p portico-tests --test it patient_import::fifty_thousand
/// -- --ignored --nocapture` (with the PostgreSQL variables for that profile).
#[tokio::test]
#[ignore = "a benchmark: run it by name"]
async fn fifty_thousand_rows_are_previewed_and_imported() {
    let app = spawn_app().await;
    let admin = app.practice_admin("big-import").await;
    let mut csv =
        String::from("MRN,Given name,Family name,Date of birth,Sex,Email,Mobile,Language\n");
    for i in 0..50_000_u32 {
        let sex = ["F", "M", "O", "U"][(i % 4) as usize];
        let birth = format!("{}-{:02}-{:02}", 1930 + i % 90, 1 + i % 12, 1 + i % 28);
        csv.push_str(&format!(
            "B-{i:06},Given{i},Family{},{birth},{sex},p{i}@example.org,555-{:03}-{:04},{}\n",
            i / 7,
            i % 1000,
            i % 10_000,
            ["en", "es", "Spanish", ""][(i % 4) as usize],
        ));
    }
    let engine = format!("{:?}", app.db().engine());
    let clock = Instant::now();
    let import = previewed(&app, &admin, &csv).await;
    let preview = clock.elapsed();
    assert_eq!(import["newCharts"], 50_000, "{}", import["problems"]);
    let id = import["id"].as_str().unwrap().to_owned();
    let clock = Instant::now();
    gql(&app, &admin, START, json!({ "id": id })).await;
    // Progress is seen while it runs (counted, not timed).
    let mut seen_progress = Vec::new();
    let done = wait_until(
        "the import to finish",
        Duration::from_secs(600),
        async || {
            let body = gql(&app, &admin, STATUS, json!({ "id": id })).await;
            let import = body["data"]["patientImport"].clone();
            let rows_done = import["rowsDone"].as_i64().unwrap_or(0);
            if seen_progress.last() != Some(&rows_done) {
                seen_progress.push(rows_done);
            }
            match import["status"].as_str() {
                Some("DONE" | "FAILED") => Ok(import),
                _ => Err(body.to_string()),
            }
        },
    )
    .await;
    let import_time = clock.elapsed();
    assert_eq!(done["created"], 50_000, "{done}");
    assert_eq!(charts(&app, "big-import").await, 50_000);
    println!(
        "patient import of 50,000 rows on {engine}: file {} KiB, preview {:.2} s, import {:.2} s (start to done as polled), progress seen: {:?}",
        csv.len() / 1024,
        preview.as_secs_f64(),
        import_time.as_secs_f64(),
        seen_progress
            .iter()
            .filter(|n| **n > 0 && **n < 50_000)
            .collect::<Vec<_>>(),
    );
}

/// Sets an import's row as the database's owner (under no row-level security).
async fn set_import(app: &TestApp, id: uuid::Uuid, column: &str, value: sea_orm::Value) {
    use sea_orm::{ColumnTrait, sea_query::Expr};
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let column = match column {
        "status" => portico_core::entities::patient_import::Column::Status,
        _ => portico_core::entities::patient_import::Column::UpdatedAt,
    };
    portico_core::entities::patient_import::Entity::update_many()
        .col_expr(column, Expr::value(value))
        .filter(portico_core::entities::patient_import::Column::Id.eq(id))
        .exec(&owner)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_run_whose_claim_was_taken_over_creates_nothing_and_cannot_end_the_import() {
    let app = spawn_app().await;
    let admin = app.practice_admin("taken-over").await;
    let before = charts(&app, "taken-over").await;
    let csv =
        "given,family,dob,sex,mrn\nAda,Overtaken,1980-01-01,F,T-1\nBo,Overtaken,1981-02-02,M,T-2\n";
    let global = previewed(&app, &admin, csv).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = uuid_of(&global);
    // Queued as starting it does, without a worker's job racing the test for it.
    set_import(&app, id, "status", "queued".into()).await;
    let tenant = tenants::find_by_slug(&app.db(), "taken-over")
        .await
        .unwrap()
        .unwrap();
    let begin = async || {
        TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
            .await
            .unwrap()
    };
    let tx = begin().await;
    let first = run::claim(&tx, id).await.unwrap().expect("claimed");
    tx.commit().await.unwrap();
    // The first run goes quiet for longer than a run may; a second delivery takes it over.
    set_import(
        &app,
        id,
        "updated_at",
        (chrono::Utc::now() - run::STALE_AFTER - chrono::Duration::minutes(1)).into(),
    )
    .await;
    let tx = begin().await;
    let second = run::claim(&tx, id).await.unwrap().expect("taken over");
    tx.commit().await.unwrap();
    assert_ne!(first.started_at, second.started_at);

    // The first run finishes late: its end is refused, and its charts go with its rollback.
    let tx = begin().await;
    let done = run::import(&tx, &first, &|_| {})
        .await
        .unwrap()
        .expect("rows pass");
    let refused = run::finish(&tx, &done).await;
    assert!(
        matches!(refused, Err(portico_core::CoreError::Conflict { .. })),
        "{refused:?}"
    );
    tx.rollback().await.unwrap();
    assert_eq!(charts(&app, "taken-over").await, before);
    // Nor can it mark the import failed, or note progress, under the second run.
    let tx = begin().await;
    run::fail(&tx, id, first.started_at, "late", None)
        .await
        .unwrap();
    run::record_progress(&tx, id, first.started_at, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let status = gql(&app, &admin, STATUS, json!({ "id": global })).await;
    assert_eq!(
        status["data"]["patientImport"]["status"], "RUNNING",
        "{status}"
    );

    // The run that holds it imports the file once.
    let tx = begin().await;
    let done = run::import(&tx, &second, &|_| {})
        .await
        .unwrap()
        .expect("rows pass");
    run::finish(&tx, &done).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(charts(&app, "taken-over").await, before + 2);
    let status = gql(&app, &admin, STATUS, json!({ "id": global })).await;
    assert_eq!(
        status["data"]["patientImport"]["status"], "DONE",
        "{status}"
    );
}
