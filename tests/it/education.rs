//! Patient education: practice admins keep a library of resources about ICD-10-CM, SNOMED
//! CT, LOINC and RxNorm codes; bad input is refused with the field named and nothing saved;
//! the portal finds the active resources about a chart's codes in the patient's language,
//! else in English; staff send a resource in a message, whose notice carries nothing of it;
//! another practice, and a patient, can change nothing and see nothing they should not.

use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, error_code, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    gid,
    messaging::{POST, clinic, start, thread_id},
};

const SAVE: &str = "mutation($input: SaveEducationResourceInput!) {
    saveEducationResource(input: $input) {
        resource { id title kind url body language general status codes { system code } }
        userErrors { field code message } } }";
const ARCHIVE: &str = "mutation($id: ID!) { archiveEducationResource(input: { id: $id }) {
    resource { id status } userErrors { field code } } }";
const LIST: &str = "query($all: Boolean) { educationResources(includeArchived: $all, first: 50) {
    edges { node { id title status codes { system code } } } pageInfo { hasNextPage } } }";
const ONE: &str = "query($id: ID!) { educationResource(id: $id) { id title body status } }";
const FOR: &str = "query($p: ID!, $codes: [EducationCodeInput!]!) {
    educationFor(patientId: $p, codes: $codes) {
        system code resources { id title language } } }";
const LANGUAGE: &str = "mutation($input: UpdateContactDetailsInput!) {
    updateContactDetails(input: $input) { userErrors { field code } } }";
const THREAD: &str = "query($id: ID!) { messageThread(id: $id) {
    messages { body educationResource { id title summary kind url } } } }";

fn link(title: &str, language: &str, codes: &[(&str, &str)]) -> Value {
    json!({
        "title": title,
        "summary": "What it is and what helps.",
        "kind": "link",
        "url": "https://example.org/learn",
        "language": language,
        "codes": codes.iter().map(|(s, c)| json!({ "system": s, "code": c })).collect::<Vec<_>>(),
    })
}

async fn save(app: &TestApp, who: &Signed, input: Value) -> Value {
    let (_, body) = app
        .gql_as(&who.slug, &who.access, SAVE, json!({ "input": input }))
        .await;
    body
}

/// Saves `input` and returns the new resource's id.
async fn saved(app: &TestApp, who: &Signed, input: Value) -> String {
    let body = save(app, who, input).await;
    body["data"]["saveEducationResource"]["resource"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("not saved: {body}"))
        .to_owned()
}

async fn list(app: &TestApp, who: &Signed, all: bool) -> Vec<Value> {
    let (_, body) = app
        .gql_as(&who.slug, &who.access, LIST, json!({ "all": all }))
        .await;
    body["data"]["educationResources"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no list: {body}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn learn_more(
    app: &TestApp,
    who: &Signed,
    chart: uuid::Uuid,
    codes: &[(&str, &str)],
) -> Value {
    let codes: Vec<Value> = codes
        .iter()
        .map(|(s, c)| json!({ "system": s, "code": c }))
        .collect();
    let (_, body) = app
        .gql_as(
            &who.slug,
            &who.access,
            FOR,
            json!({ "p": gid("Patient", chart), "codes": codes }),
        )
        .await;
    body
}

/// The titles found for each asked code, as `(code, [titles])`.
fn titles(body: &Value) -> Vec<(String, Vec<String>)> {
    body["data"]["educationFor"]
        .as_array()
        .unwrap_or_else(|| panic!("no matches: {body}"))
        .iter()
        .map(|m| {
            (
                m["code"].as_str().unwrap_or_default().to_owned(),
                m["resources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| r["title"].as_str().unwrap_or_default().to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named_and_nothing_saved() {
    let app = spawn_app().await;
    let admin = app.practice_admin("edu-refuse").await;
    let good = link("Living with diabetes", "en", &[("icd10", "E11.9")]);
    let with = |change: Value| {
        let mut input = good.clone();
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        input
    };
    for (input, field, code) in [
        (with(json!({ "title": "  " })), "title", "TITLE_REQUIRED"),
        (
            with(json!({ "title": "t".repeat(201) })),
            "title",
            "TITLE_TOO_LONG",
        ),
        (
            with(json!({ "summary": "" })),
            "summary",
            "SUMMARY_REQUIRED",
        ),
        (with(json!({ "kind": "video" })), "kind", "INVALID_KIND"),
        (
            with(json!({ "url": "http://example.org" })),
            "url",
            "URL_NOT_HTTPS",
        ),
        (
            with(json!({ "url": "javascript:alert(1)" })),
            "url",
            "URL_NOT_HTTPS",
        ),
        (with(json!({ "url": null })), "url", "URL_REQUIRED"),
        (with(json!({ "kind": "article" })), "body", "BODY_REQUIRED"),
        (
            with(json!({ "language": "fr" })),
            "language",
            "LANGUAGE_UNSUPPORTED",
        ),
        (with(json!({ "codes": [] })), "codes", "CODES_REQUIRED"),
        (
            with(json!({ "general": true })),
            "codes",
            "GENERAL_WITH_CODES",
        ),
        (
            with(json!({ "codes": [{ "system": "cpt", "code": "99213" }] })),
            "codes",
            "INVALID_CODE_SYSTEM",
        ),
        (
            with(json!({ "codes": [{ "system": "icd10", "code": "E11.9" },
                { "system": "loinc", "code": "4548-5" }] })),
            "codes",
            "INVALID_CODE",
        ),
        (
            with(json!({ "codes": [{ "system": "snomed", "code": "44054007" }] })),
            "codes",
            "INVALID_CODE",
        ),
        (
            with(json!({ "codes": [{ "system": "rxnorm", "code": "RX617310" }] })),
            "codes",
            "INVALID_CODE",
        ),
    ] {
        let body = save(&app, &admin, input).await;
        let error = &body["data"]["saveEducationResource"]["userErrors"][0];
        assert_eq!(error["code"], code, "{body}");
        assert_eq!(error["field"], field, "{body}");
        assert_eq!(
            body["data"]["saveEducationResource"]["resource"],
            Value::Null
        );
    }
    // The second code is named by its place.
    let body = save(
        &app,
        &admin,
        with(json!({ "codes": [{ "system": "icd10", "code": "E11.9" },
            { "system": "loinc", "code": "4548-5" }] })),
    )
    .await;
    let message = body["data"]["saveEducationResource"]["userErrors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.starts_with("code 2 "), "{message}");
    assert!(list(&app, &admin, true).await.is_empty());

    // A refused change leaves the resource and its codes as they were.
    let id = saved(&app, &admin, good.clone()).await;
    let mut change = with(json!({ "title": "Renamed", "codes": [
        { "system": "icd10", "code": "E11.65" }, { "system": "loinc", "code": "bad" }] }));
    change["id"] = json!(id);
    let body = save(&app, &admin, change).await;
    assert_eq!(
        body["data"]["saveEducationResource"]["userErrors"][0]["code"],
        "INVALID_CODE"
    );
    let kept = list(&app, &admin, true).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["title"], "Living with diabetes");
    assert_eq!(
        kept[0]["codes"],
        json!([{ "system": "icd10", "code": "E11.9" }])
    );
}

#[tokio::test]
async fn a_saved_resource_keeps_its_codes_canonical_and_a_change_replaces_them() {
    let app = spawn_app().await;
    let admin = app.practice_admin("edu-save").await;
    let body = save(
        &app,
        &admin,
        link(
            "Sugar and you",
            "EN",
            &[("icd10", "e119"), ("loinc", "4548-4"), ("icd10", "E11.9")],
        ),
    )
    .await;
    let resource = &body["data"]["saveEducationResource"]["resource"];
    assert_eq!(resource["language"], "en", "{body}");
    assert_eq!(resource["status"], "active");
    assert_eq!(
        resource["codes"],
        json!([{ "system": "icd10", "code": "E11.9" }, { "system": "loinc", "code": "4548-4" }])
    );
    let id = resource["id"].as_str().unwrap().to_owned();
    let mut article = json!({
        "id": id, "title": "Sugar and you", "summary": "A short read.", "kind": "article",
        "body": "## Why\n\n<script>alert(1)</script> is kept as text", "url": "https://x.org",
        "language": "es", "codes": [{ "system": "rxnorm", "code": "860975" }] });
    let body = save(&app, &admin, article.clone()).await;
    let resource = &body["data"]["saveEducationResource"]["resource"];
    assert_eq!(resource["kind"], "article", "{body}");
    // An article has no address, whatever was sent.
    assert_eq!(resource["url"], Value::Null);
    assert_eq!(
        resource["codes"],
        json!([{ "system": "rxnorm", "code": "860975" }])
    );
    // A general resource is about no code.
    article["general"] = json!(true);
    article["codes"] = json!([]);
    let body = save(&app, &admin, article).await;
    assert_eq!(
        body["data"]["saveEducationResource"]["resource"]["codes"],
        json!([])
    );
    assert_eq!(list(&app, &admin, false).await.len(), 1);
}

#[tokio::test]
async fn learn_more_matches_codes_in_the_patients_language_with_english_as_the_fallback() {
    let app = spawn_app().await;
    let admin = app.practice_admin("edu-match").await;
    saved(
        &app,
        &admin,
        link("Blood pressure", "en", &[("icd10", "I10")]),
    )
    .await;
    saved(
        &app,
        &admin,
        link("Presión arterial", "es", &[("icd10", "I10")]),
    )
    .await;
    saved(&app, &admin, link("Your A1c", "en", &[("loinc", "4548-4")])).await;
    saved(&app, &admin, link("Diabetes", "en", &[("icd10", "E11")])).await;
    saved(&app, &admin, link("Statins", "en", &[("rxnorm", "617310")])).await;
    saved(
        &app,
        &admin,
        link("Hipertensión", "es", &[("snomed", "38341003")]),
    )
    .await;
    let (patient, chart) = app.add_user("edu-match", Role::Patient).await;
    let chart = chart.unwrap();
    let asked = [
        ("icd10", "I10"),
        ("loinc", "4548-4"),
        ("icd10", "E11.65"),
        ("rxnorm", "617310"),
        ("snomed", "38341003"),
        ("loinc", "2345-7"),
        // A local code the records may hold matches nothing and refuses nothing.
        ("loinc", "LOCAL-1"),
    ];
    // English by default: the Spanish-only SNOMED resource falls back to nothing.
    let english = learn_more(&app, &patient, chart, &asked).await;
    assert_eq!(
        titles(&english),
        vec![
            ("I10".to_owned(), vec!["Blood pressure".to_owned()]),
            ("4548-4".to_owned(), vec!["Your A1c".to_owned()]),
            ("E11.65".to_owned(), vec!["Diabetes".to_owned()]),
            ("617310".to_owned(), vec!["Statins".to_owned()]),
        ],
        "{english}"
    );
    let (_, set) = app
        .gql_as(
            "edu-match",
            &patient.access,
            LANGUAGE,
            json!({ "input": { "patientId": gid("Patient", chart), "preferredLanguage": "es-MX" } }),
        )
        .await;
    assert_eq!(
        set["data"]["updateContactDetails"]["userErrors"],
        json!([]),
        "{set}"
    );
    let spanish = learn_more(&app, &patient, chart, &asked).await;
    assert_eq!(
        titles(&spanish),
        vec![
            ("I10".to_owned(), vec!["Presión arterial".to_owned()]),
            ("4548-4".to_owned(), vec!["Your A1c".to_owned()]),
            ("E11.65".to_owned(), vec!["Diabetes".to_owned()]),
            ("617310".to_owned(), vec!["Statins".to_owned()]),
            ("38341003".to_owned(), vec!["Hipertensión".to_owned()]),
        ],
        "{spanish}"
    );
    // Each lookup is on the chart's access log.
    let (_, log) = app
        .gql_as(
            "edu-match",
            &admin.access,
            "query($p: ID) { auditEvents(patientId: $p) { action } }",
            json!({ "p": gid("Patient", chart) }),
        )
        .await;
    let lookups = log["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .filter(|e| e["action"] == "education.match")
        .count();
    assert_eq!(lookups, 2, "{log}");
    // An unknown system is refused, naming the codes.
    let bad = learn_more(&app, &patient, chart, &[("cpt", "99213")]).await;
    assert_eq!(error_code(&bad), Some("BAD_USER_INPUT"), "{bad}");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "codes", "{bad}");
    assert_eq!(
        bad["errors"][0]["extensions"]["reason"],
        "INVALID_CODE_SYSTEM"
    );
    // Another patient's chart is not found.
    let (other, _) = app.add_user("edu-match", Role::Patient).await;
    let theirs = learn_more(&app, &other, chart, &asked).await;
    assert_eq!(error_code(&theirs), Some("NOT_FOUND"), "{theirs}");
}

#[tokio::test]
async fn archived_resources_are_not_shown_opened_or_sent() {
    let app = spawn_app().await;
    let c = clinic(&app, "edu-archive").await;
    let id = saved(
        &app,
        &c.admin,
        link("Blood pressure", "en", &[("icd10", "I10")]),
    )
    .await;
    let (patient, chart) = app.add_user("edu-archive", Role::Patient).await;
    let chart = chart.unwrap();
    assert_eq!(
        titles(&learn_more(&app, &patient, chart, &[("icd10", "I10")]).await).len(),
        1
    );
    let (_, archived) = app
        .gql_as("edu-archive", &c.admin.access, ARCHIVE, json!({ "id": id }))
        .await;
    assert_eq!(
        archived["data"]["archiveEducationResource"]["resource"]["status"], "archived",
        "{archived}"
    );
    assert!(titles(&learn_more(&app, &patient, chart, &[("icd10", "I10")]).await).is_empty());
    let (_, opened) = app
        .gql_as("edu-archive", &patient.access, ONE, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&opened), Some("NOT_FOUND"), "{opened}");
    // Staff still see it in the whole library, not in the active one.
    assert!(list(&app, &c.nurse, false).await.is_empty());
    assert_eq!(list(&app, &c.nurse, true).await.len(), 1);
    let started = start(&app, &c.nurse, chart, &c.pool, "Hello").await;
    let thread = thread_id(&started);
    let (_, sent) = app
        .gql_as(
            "edu-archive",
            &c.nurse.access,
            POST,
            json!({ "input": { "threadId": thread, "body": "", "educationResourceId": id } }),
        )
        .await;
    assert_eq!(
        sent["data"]["postMessage"]["userErrors"][0]["code"], "EDUCATION_RESOURCE_NOT_FOUND",
        "{sent}"
    );
    assert_eq!(
        sent["data"]["postMessage"]["userErrors"][0]["field"],
        "educationResourceId"
    );
}

#[tokio::test]
async fn another_practice_sees_and_changes_nothing_of_the_library() {
    let app = spawn_app().await;
    let a = app.practice_admin("edu-a").await;
    let b = app.practice_admin("edu-b").await;
    let id = saved(&app, &a, link("Blood pressure", "en", &[("icd10", "I10")])).await;
    assert!(list(&app, &b, true).await.is_empty());
    let (_, opened) = app
        .gql_as("edu-b", &b.access, ONE, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&opened), Some("NOT_FOUND"), "{opened}");
    let mut change = link("Taken over", "en", &[("icd10", "I10")]);
    change["id"] = json!(id);
    let body = save(&app, &b, change).await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    let (_, archived) = app
        .gql_as("edu-b", &b.access, ARCHIVE, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&archived), Some("NOT_FOUND"), "{archived}");
    let (patient, chart) = app.add_user("edu-b", Role::Patient).await;
    let found = learn_more(&app, &patient, chart.unwrap(), &[("icd10", "I10")]).await;
    assert!(titles(&found).is_empty(), "{found}");
    let kept = list(&app, &a, true).await;
    assert_eq!(kept[0]["title"], "Blood pressure");
    assert_eq!(kept[0]["status"], "active");
}

#[tokio::test]
async fn patients_and_staff_cannot_change_the_library() {
    let app = spawn_app().await;
    let c = clinic(&app, "edu-roles").await;
    let id = saved(
        &app,
        &c.admin,
        link("Blood pressure", "en", &[("icd10", "I10")]),
    )
    .await;
    let (patient, _) = app.add_user("edu-roles", Role::Patient).await;
    for who in [&patient, &c.nurse] {
        let body = save(&app, who, link("Mine", "en", &[("icd10", "I10")])).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
        let (_, archived) = app
            .gql_as("edu-roles", &who.access, ARCHIVE, json!({ "id": id }))
            .await;
        assert_eq!(error_code(&archived), Some("FORBIDDEN"), "{archived}");
    }
    // A patient opens an active resource, but does not browse the library.
    let (_, listed) = app
        .gql_as("edu-roles", &patient.access, LIST, json!({ "all": true }))
        .await;
    assert_eq!(error_code(&listed), Some("FORBIDDEN"), "{listed}");
    let (_, opened) = app
        .gql_as("edu-roles", &patient.access, ONE, json!({ "id": id }))
        .await;
    assert_eq!(
        opened["data"]["educationResource"]["title"], "Blood pressure",
        "{opened}"
    );
    assert_eq!(list(&app, &c.admin, false).await.len(), 1);
}

#[tokio::test]
async fn a_resource_sent_in_a_message_reaches_the_patient_without_phi_in_the_notice() {
    let app = spawn_app().await;
    let c = clinic(&app, "edu-send").await;
    let id = saved(
        &app,
        &c.admin,
        link("Managing your diabetes", "en", &[("icd10", "E11.9")]),
    )
    .await;
    let (patient, chart) = app.add_user("edu-send", Role::Patient).await;
    let chart = chart.unwrap();
    let started = start(&app, &patient, chart, &c.pool, "Hello").await;
    let thread = thread_id(&started);
    let post = |who: &Signed, internal: bool| {
        let input = json!({ "input": { "threadId": thread, "body": "",
            "internal": internal, "educationResourceId": id } });
        let who = who.clone();
        let app = &app;
        async move { app.gql_as("edu-send", &who.access, POST, input).await.1 }
    };
    // A patient does not send resources, and they are not for internal notes.
    let refused = post(&patient, false).await;
    assert_eq!(
        refused["data"]["postMessage"]["userErrors"][0]["code"], "EDUCATION_STAFF_ONLY",
        "{refused}"
    );
    let refused = post(&c.nurse, true).await;
    assert_eq!(
        refused["data"]["postMessage"]["userErrors"][0]["code"], "EDUCATION_STAFF_ONLY",
        "{refused}"
    );
    // Staff send it with no words of their own.
    let sent = post(&c.nurse, false).await;
    assert_eq!(
        sent["data"]["postMessage"]["userErrors"],
        json!([]),
        "{sent}"
    );
    let mail = app.wait_for_email_to(&patient.email).await;
    for secret in ["Managing", "diabetes", "E11", "example.org"] {
        assert!(
            !mail.contains(secret),
            "the notice carries {secret:?}: {mail}"
        );
    }
    let (_, read) = app
        .gql_as("edu-send", &patient.access, THREAD, json!({ "id": thread }))
        .await;
    let messages = read["data"]["messageThread"]["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("{read}"));
    let card = &messages[messages.len() - 1]["educationResource"];
    assert_eq!(card["id"], id.as_str(), "{read}");
    assert_eq!(card["title"], "Managing your diabetes");
    assert_eq!(card["kind"], "link");
    assert_eq!(card["url"], "https://example.org/learn");
    // Another practice's resource cannot be sent.
    let other = app.practice_admin("edu-send-other").await;
    let foreign = saved(&app, &other, link("Elsewhere", "en", &[("icd10", "I10")])).await;
    let (_, sent) = app
        .gql_as(
            "edu-send",
            &c.nurse.access,
            POST,
            json!({ "input": { "threadId": thread, "body": "See this",
                "educationResourceId": foreign } }),
        )
        .await;
    assert_eq!(
        sent["data"]["postMessage"]["userErrors"][0]["code"], "EDUCATION_RESOURCE_NOT_FOUND",
        "{sent}"
    );
}
