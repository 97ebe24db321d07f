//! Check-in forms: a bad definition is refused with its item named; a form attached to a
//! visit type is asked once per booking; the patient saves drafts, resumes, and submits once,
//! with conditions applied (hidden answers dropped, hidden required questions not required);
//! another practice and another patient see nothing; staff read the answers on the visit;
//! a form sent by staff tells the patient without naming it; and a submitted form reaches the
//! EHR as a valid QuestionnaireResponse.

use std::time::Duration;

use portico_core::{
    TenantTx, events, identity::Role, outbox, scheduling::appointments, tenancy::Access, tenants,
};
use portico_tests::{
    Signed, TestApp, fhir_server::FhirServer, spawn_app, spawn_app_with, wait_until,
};
use serde_json::{Value, json};

use crate::support::{
    ehr::{TOKEN, connect, sync_now},
    gid,
    scheduling::{Practice, book, booked_id, days_ahead, practice, slots, starts},
    uuid_of,
};

const SAVE_FORM: &str = "mutation($input: SaveFormInput!) { saveForm(input: $input) {
    form { id version status url items { linkId type required options enableWhen { question operator value } } }
    userErrors { field code message } } }";
const ATTACH: &str = "mutation($input: AttachFormInput!) { attachForm(input: $input) {
    forms { id title } userErrors { field code } } }";
const REQUESTS: &str = "query($patient: ID!) { formRequests(patientId: $patient) {
    id status appointmentId dueOn form { id title version } answers { linkId value } } }";
const VISIT_FORMS: &str = "query($visit: ID!) { appointmentForms(appointmentId: $visit) {
    id status submittedAt form { title items { linkId text } } answers { linkId value } response } }";
const ANSWER: &str = "mutation($input: SaveFormAnswersInput!) { saveFormAnswers(input: $input) {
    formRequest { id status answers { linkId value } } userErrors { field code message } } }";
const SEND: &str = "mutation($input: SendFormInput!) { sendForm(input: $input) {
    formRequest { id status dueOn } userErrors { field code } } }";

async fn gql(app: &TestApp, who: &Signed, query: &str, vars: Value) -> Value {
    app.gql_as(&who.slug, &who.access, query, vars).await.1
}

/// A smoking history: `packs` (required) only for smokers, `quit` only for non-smokers who
/// answered a choice of "Former".
fn smoking_items() -> Value {
    json!([
        { "linkId": "smoker", "text": "Do you smoke?", "type": "BOOLEAN", "required": true },
        { "linkId": "packs", "text": "Packs a day", "type": "INTEGER", "required": true,
          "enableWhen": [{ "question": "smoker", "operator": "EQUALS", "value": "true" }] },
        { "linkId": "history", "text": "Which describes you?", "type": "CHOICE",
          "options": ["Never", "Former"],
          "enableWhen": [{ "question": "smoker", "operator": "EQUALS", "value": "false" }] },
        { "linkId": "quit", "text": "When did you quit?", "type": "DATE",
          "enableWhen": [{ "question": "history", "operator": "EQUALS", "value": "Former" }] },
        { "linkId": "notes", "text": "Anything else?", "type": "TEXT" }
    ])
}

async fn save_form(app: &TestApp, admin: &Signed, title: &str, items: Value) -> Value {
    gql(
        app,
        admin,
        SAVE_FORM,
        json!({ "input": { "title": title, "status": "ACTIVE", "items": items } }),
    )
    .await
}

/// A practice with the smoking form attached to its visit type; returns the form's id.
async fn with_attached_form(app: &TestApp, p: &Practice) -> String {
    let saved = save_form(app, &p.admin, "Smoking history", smoking_items()).await;
    let form = saved["data"]["saveForm"]["form"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{saved}"))
        .to_owned();
    let attached = gql(
        app,
        &p.admin,
        ATTACH,
        json!({ "input": { "appointmentTypeId": p.kind, "formId": form } }),
    )
    .await;
    assert_eq!(
        attached["data"]["attachForm"]["forms"][0]["title"], "Smoking history",
        "{attached}"
    );
    form
}

/// A patient of the practice who books the first free time in three days.
async fn booked_patient(app: &TestApp, p: &Practice) -> (Signed, String, String) {
    let (patient, chart) = app.add_user(&p.admin.slug, Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let day = days_ahead(p, 3);
    let first = starts(&slots(app, &patient.access, &p.admin.slug, p, day, day).await)[0];
    let visit = booked_id(&book(app, &patient.access, p, &chart, first).await);
    (patient, chart, visit)
}

fn answers(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(l, v)| json!({ "linkId": l, "value": v }))
        .collect()
}

async fn answer(
    app: &TestApp,
    who: &Signed,
    request: &str,
    pairs: &[(&str, &str)],
    submit: bool,
) -> Value {
    gql(
        app,
        who,
        ANSWER,
        json!({ "input": { "id": request, "answers": answers(pairs), "submit": submit } }),
    )
    .await
}

fn refusal(body: &Value) -> (String, String) {
    let error = &body["data"]["saveFormAnswers"]["userErrors"][0];
    (
        error["field"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned(),
        error["code"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_bad_definition_is_refused_with_the_item_named_and_nothing_saved() {
    let app = spawn_app().await;
    let admin = app.practice_admin("formbuild").await;
    let item = |link: &str, kind: &str| json!({ "linkId": link, "text": "Question", "type": kind });
    let cases = [
        (
            "duplicate link id",
            json!([item("q1", "STRING"), item("q1", "BOOLEAN")]),
            "items.q1",
        ),
        (
            "choice without options",
            json!([item("q1", "STRING"), item("color", "CHOICE")]),
            "items.color",
        ),
        (
            "condition on a later item",
            json!([
                { "linkId": "packs", "text": "Packs", "type": "INTEGER",
                  "enableWhen": [{ "question": "smoker", "operator": "EQUALS", "value": "true" }] },
                item("smoker", "BOOLEAN")
            ]),
            "items.packs",
        ),
        (
            "condition on an unknown item",
            json!([
                item("smoker", "BOOLEAN"),
                { "linkId": "packs", "text": "Packs", "type": "INTEGER",
                  "enableWhen": [{ "question": "nobody", "operator": "EXISTS", "value": "true" }] }
            ]),
            "items.packs",
        ),
        (
            "condition value of the wrong type",
            json!([
                item("smoker", "BOOLEAN"),
                { "linkId": "packs", "text": "Packs", "type": "INTEGER",
                  "enableWhen": [{ "question": "smoker", "operator": "EQUALS", "value": "often" }] }
            ]),
            "items.packs",
        ),
        (
            "two conditions without any/all",
            json!([
                item("a", "BOOLEAN"), item("b", "BOOLEAN"),
                { "linkId": "c", "text": "C", "type": "STRING", "enableWhen": [
                    { "question": "a", "operator": "EQUALS", "value": "true" },
                    { "question": "b", "operator": "NOT_EQUALS", "value": "true" }] }
            ]),
            "items.c",
        ),
        (
            "bad link id",
            json!([item("has space", "STRING")]),
            "items.has space",
        ),
    ];
    for (case, items, field) in cases {
        let body = save_form(&app, &admin, "Intake", items).await;
        let error = &body["data"]["saveForm"]["userErrors"][0];
        assert_eq!(error["code"], "FORM_ITEM_INVALID", "{case}: {body}");
        assert_eq!(error["field"], field, "{case}: {body}");
        assert!(body["data"]["saveForm"]["form"].is_null(), "{case}: {body}");
    }
    let (_, listed) = app
        .gql_as("formbuild", &admin.access, "{ forms { id } }", json!({}))
        .await;
    assert_eq!(listed["data"]["forms"], json!([]), "{listed}");

    // The same form without the mistakes is saved, with its conditions as FHIR enableWhen.
    let saved = save_form(&app, &admin, "Smoking history", smoking_items()).await;
    let form = &saved["data"]["saveForm"]["form"];
    assert_eq!(form["version"], 1, "{saved}");
    assert!(form["url"].as_str().unwrap().starts_with("urn:uuid:"));
    assert_eq!(
        form["items"][1]["enableWhen"],
        json!([{ "question": "smoker", "operator": "EQUALS", "value": "true" }])
    );
    let (_, fhir) = app
        .gql_as(
            "formbuild",
            &admin.access,
            "query($id: ID!) { form(id: $id) { questionnaire } }",
            json!({ "id": form["id"] }),
        )
        .await;
    let questionnaire: Value =
        serde_json::from_str(fhir["data"]["form"]["questionnaire"].as_str().unwrap()).unwrap();
    assert_eq!(questionnaire["resourceType"], "Questionnaire");
    assert_eq!(questionnaire["status"], "active");
    assert_eq!(
        questionnaire["item"][1]["enableWhen"][0],
        json!({ "question": "smoker", "operator": "=", "answerBoolean": true })
    );
    assert_eq!(
        questionnaire["item"][2]["answerOption"],
        json!([{ "valueString": "Never" }, { "valueString": "Former" }])
    );
}

#[tokio::test]
async fn a_booking_asks_for_the_form_once_and_the_patient_drafts_resumes_and_submits_once() {
    let app = spawn_app().await;
    let p = practice(&app, "formfill").await;
    let form = with_attached_form(&app, &p).await;
    let (patient, chart, visit) = booked_patient(&app, &p).await;

    let listed = gql(&app, &patient, REQUESTS, json!({ "patient": chart })).await;
    let requests = listed["data"]["formRequests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{listed}");
    assert_eq!(requests[0]["status"], "PENDING");
    assert_eq!(requests[0]["appointmentId"], json!(visit));
    assert_eq!(requests[0]["form"]["id"], json!(form));
    let request = requests[0]["id"].as_str().unwrap().to_owned();

    // The booking told again (a redelivery) asks for nothing more.
    let tenant = tenants::find_by_slug(&app.db(), "formfill")
        .await
        .unwrap()
        .unwrap();
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    let booked = appointments::find(&tx, uuid_of(&visit)).await.unwrap();
    for _ in 0..2 {
        events::publish(
            &tx,
            events::Event::AppointmentBooked {
                appointment: &booked,
                at: chrono::Utc::now(),
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let again = gql(&app, &patient, REQUESTS, json!({ "patient": chart })).await;
    assert_eq!(
        again["data"]["formRequests"].as_array().unwrap().len(),
        1,
        "{again}"
    );

    // A draft is saved with what is there, required or not, and comes back as saved.
    let draft = answer(&app, &patient, &request, &[("smoker", "true")], false).await;
    assert_eq!(
        draft["data"]["saveFormAnswers"]["formRequest"]["status"], "IN_PROGRESS",
        "{draft}"
    );
    let resumed = gql(&app, &patient, REQUESTS, json!({ "patient": chart })).await;
    assert_eq!(
        resumed["data"]["formRequests"][0]["answers"],
        json!([{ "linkId": "smoker", "value": "true" }]),
        "{resumed}"
    );

    // A shown required question must be answered; answers must fit their question.
    let missing = answer(&app, &patient, &request, &[("smoker", "true")], true).await;
    assert_eq!(
        refusal(&missing),
        ("packs".into(), "FORM_ANSWER_REQUIRED".into())
    );
    let wrong = answer(
        &app,
        &patient,
        &request,
        &[("smoker", "true"), ("packs", "a few")],
        true,
    )
    .await;
    assert_eq!(
        refusal(&wrong),
        ("packs".into(), "FORM_ANSWER_INVALID".into())
    );
    let not_an_option = answer(
        &app,
        &patient,
        &request,
        &[("smoker", "false"), ("history", "Sometimes")],
        true,
    )
    .await;
    assert_eq!(
        refusal(&not_an_option),
        ("history".into(), "FORM_ANSWER_INVALID".into())
    );
    let unknown = answer(
        &app,
        &patient,
        &request,
        &[("smoker", "false"), ("shoe", "42")],
        true,
    )
    .await;
    assert_eq!(
        refusal(&unknown),
        ("shoe".into(), "FORM_ANSWER_INVALID".into())
    );
    // Refusals changed nothing: the draft is as it was.
    let still = gql(&app, &patient, REQUESTS, json!({ "patient": chart })).await;
    assert_eq!(still["data"]["formRequests"][0]["status"], "IN_PROGRESS");
    assert_eq!(
        still["data"]["formRequests"][0]["answers"],
        json!([{ "linkId": "smoker", "value": "true" }])
    );

    // A non-smoker: `packs` is hidden, so not required, and its answer is dropped; `quit`
    // shows because of the `history` answer.
    let submitted = answer(
        &app,
        &patient,
        &request,
        &[
            ("smoker", "false"),
            ("packs", "2"),
            ("history", "Former"),
            ("quit", "2019-05-01"),
        ],
        true,
    )
    .await;
    let done = &submitted["data"]["saveFormAnswers"]["formRequest"];
    assert_eq!(done["status"], "COMPLETED", "{submitted}");
    assert_eq!(
        done["answers"],
        json!([
            { "linkId": "smoker", "value": "false" },
            { "linkId": "history", "value": "Former" },
            { "linkId": "quit", "value": "2019-05-01" }
        ])
    );

    // Submitted once: a second submit or draft is refused and changes nothing.
    let twice = answer(
        &app,
        &patient,
        &request,
        &[("smoker", "true"), ("packs", "1")],
        true,
    )
    .await;
    assert_eq!(
        refusal(&twice),
        ("id".into(), "FORM_ALREADY_SUBMITTED".into())
    );
    let redraft = answer(&app, &patient, &request, &[("smoker", "true")], false).await;
    assert_eq!(
        refusal(&redraft),
        ("id".into(), "FORM_ALREADY_SUBMITTED".into())
    );

    // Staff read the answers on the visit, with the questions; the read is audited.
    let on_visit = gql(&app, &p.admin, VISIT_FORMS, json!({ "visit": visit })).await;
    let forms = on_visit["data"]["appointmentForms"].as_array().unwrap();
    assert_eq!(forms.len(), 1, "{on_visit}");
    assert_eq!(forms[0]["status"], "COMPLETED");
    assert_eq!(forms[0]["form"]["items"][0]["text"], "Do you smoke?");
    assert_eq!(
        forms[0]["answers"][2],
        json!({ "linkId": "quit", "value": "2019-05-01" })
    );
    let response: Value = serde_json::from_str(forms[0]["response"].as_str().unwrap()).unwrap();
    assert_eq!(response["resourceType"], "QuestionnaireResponse");
    assert_eq!(response["status"], "completed");
    assert!(response["questionnaire"].as_str().unwrap().ends_with("|1"));
    assert_eq!(
        response["item"][0],
        json!({ "linkId": "smoker", "text": "Do you smoke?", "answer": [{ "valueBoolean": false }] })
    );
    let (_, log) = app
        .gql_as(
            "formfill",
            &p.admin.access,
            "{ auditEvents(first: 1000) { action resourceType } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = log["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .filter(|e| e["resourceType"] == "QuestionnaireResponse")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["form.request", "form.draft", "form.submit", "form.list"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }

    // The form is in use: a change makes version 2, and the answers keep version 1.
    let changed = gql(
        &app,
        &p.admin,
        SAVE_FORM,
        json!({ "input": { "id": form, "title": "Smoking history", "status": "ACTIVE",
            "items": [{ "linkId": "smoker", "text": "Do you smoke or vape?", "type": "BOOLEAN" }] } }),
    )
    .await;
    assert_eq!(
        changed["data"]["saveForm"]["form"]["version"], 2,
        "{changed}"
    );
    let kept = gql(&app, &p.admin, VISIT_FORMS, json!({ "visit": visit })).await;
    assert_eq!(
        kept["data"]["appointmentForms"][0]["form"]["items"][0]["text"],
        "Do you smoke?"
    );
}

#[tokio::test]
async fn another_practice_and_another_patient_see_nothing() {
    let app = spawn_app().await;
    let p = practice(&app, "formmine").await;
    with_attached_form(&app, &p).await;
    let (_, chart, visit) = booked_patient(&app, &p).await;
    let listed = gql(&app, &p.admin, REQUESTS, json!({ "patient": chart })).await;
    let request = listed["data"]["formRequests"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{listed}"))
        .to_owned();

    // Another patient of the practice.
    let (stranger, _) = app.add_user("formmine", Role::Patient).await;
    let theirs = gql(&app, &stranger, REQUESTS, json!({ "patient": chart })).await;
    assert_eq!(
        theirs["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{theirs}"
    );
    let on_visit = gql(&app, &stranger, VISIT_FORMS, json!({ "visit": visit })).await;
    assert_eq!(
        on_visit["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{on_visit}"
    );
    let filled = answer(&app, &stranger, &request, &[("smoker", "false")], true).await;
    assert_eq!(
        filled["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{filled}"
    );

    // Another practice's staff, with the same ids.
    let other = practice(&app, "formother").await;
    let forms = gql(&app, &other.admin, "{ forms { id } }", json!({})).await;
    assert_eq!(forms["data"]["forms"], json!([]), "{forms}");
    let across = gql(&app, &other.admin, REQUESTS, json!({ "patient": chart })).await;
    assert_eq!(
        across["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{across}"
    );
    let across_visit = gql(&app, &other.admin, VISIT_FORMS, json!({ "visit": visit })).await;
    assert_eq!(
        across_visit["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{across_visit}"
    );
    let (other_patient, _) = app.add_user("formother", Role::Patient).await;
    let filled = answer(&app, &other_patient, &request, &[("smoker", "false")], true).await;
    assert_eq!(
        filled["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{filled}"
    );

    // Nothing changed: the owner's form still waits.
    let after = gql(&app, &p.admin, REQUESTS, json!({ "patient": chart })).await;
    assert_eq!(
        after["data"]["formRequests"][0]["status"], "PENDING",
        "{after}"
    );
}

#[tokio::test]
async fn a_form_sent_by_staff_tells_the_patient_without_naming_it() {
    let app = spawn_app().await;
    let p = practice(&app, "formsend").await;
    let saved = save_form(
        &app,
        &p.admin,
        "Depression screening PHQ-9",
        smoking_items(),
    )
    .await;
    let form = saved["data"]["saveForm"]["form"]["id"].clone();
    let (patient, chart) = app.add_user("formsend", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let due = days_ahead(&p, 14).to_string();

    let past = gql(
        &app,
        &p.admin,
        SEND,
        json!({ "input": { "formId": form, "patientId": chart, "dueOn": "2020-01-01" } }),
    )
    .await;
    assert_eq!(
        past["data"]["sendForm"]["userErrors"][0]["code"], "FORM_DUE_INVALID",
        "{past}"
    );
    let sent = gql(
        &app,
        &p.admin,
        SEND,
        json!({ "input": { "formId": form, "patientId": chart, "dueOn": due } }),
    )
    .await;
    assert_eq!(
        sent["data"]["sendForm"]["formRequest"]["status"], "PENDING",
        "{sent}"
    );
    let mine = gql(&app, &patient, REQUESTS, json!({ "patient": chart })).await;
    let requests = mine["data"]["formRequests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{mine}");
    assert_eq!(requests[0]["dueOn"], json!(due));
    assert!(requests[0]["appointmentId"].is_null());

    let tenant = tenants::find_by_slug(&app.db(), "formsend")
        .await
        .unwrap()
        .unwrap();
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Read)
        .await
        .unwrap();
    let notices: Vec<_> = outbox::all(&tx)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.channel == outbox::EMAIL || m.channel == outbox::SMS)
        .collect();
    assert!(!notices.is_empty());
    for notice in &notices {
        assert!(
            notice.payload.contains("form to fill in"),
            "{}",
            notice.payload
        );
        assert!(!notice.payload.contains("PHQ") && !notice.payload.contains("Depression"));
    }

    // A retired form is not sent.
    let retired = gql(
        &app,
        &p.admin,
        "mutation($id: ID!) { setFormStatus(input: { id: $id, status: RETIRED }) { form { status } } }",
        json!({ "id": form }),
    )
    .await;
    assert_eq!(
        retired["data"]["setFormStatus"]["form"]["status"], "RETIRED",
        "{retired}"
    );
    let refused = gql(
        &app,
        &p.admin,
        SEND,
        json!({ "input": { "formId": form, "patientId": chart } }),
    )
    .await;
    assert_eq!(
        refused["data"]["sendForm"]["userErrors"][0]["code"], "FORM_NOT_ACTIVE",
        "{refused}"
    );
}

async fn fhir_get(server: &FhirServer, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/{path}", server.base_url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_submitted_form_reaches_the_ehr_as_a_questionnaire_response() {
    let Some(server) = FhirServer::start(&[("FHIR_BEARER_TOKEN", TOKEN)]).await else {
        return;
    };
    let app = spawn_app_with(|c| {
        c.ehr.ehr_page_size = 100;
        c.ehr.ehr_request_timeout_secs = 30;
    })
    .await;
    let p = practice(&app, "formehr").await;
    let form = with_attached_form(&app, &p).await;
    let (patient, chart) = app.add_user("formehr", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let (_, body) = app
        .gql_as(
            "formehr",
            &p.admin.access,
            "query($id: ID!) { patient(id: $id) { mrn } }",
            json!({ "id": chart }),
        )
        .await;
    let mrn = body["data"]["patient"]["mrn"].as_str().unwrap().to_owned();
    server
        .seed(&json!([{ "resourceType": "Patient", "id": "form-pat", "identifier": [{ "value": mrn }],
            "name": [{ "given": ["Fran"], "family": "Form" }], "gender": "female", "birthDate": "1980-01-02" }]))
        .await;
    connect(&app, "formehr", &p.admin.access, &server.base_url).await;
    sync_now(&app, "formehr").await;

    let day = days_ahead(&p, 3);
    let first = starts(&slots(&app, &patient.access, "formehr", &p, day, day).await)[0];
    booked_id(&book(&app, &patient.access, &p, &chart, first).await);
    let listed = gql(&app, &patient, REQUESTS, json!({ "patient": chart })).await;
    let request = listed["data"]["formRequests"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{listed}"))
        .to_owned();
    let submitted = answer(
        &app,
        &patient,
        &request,
        &[
            ("smoker", "true"),
            ("packs", "2"),
            ("notes", "Trying to quit"),
        ],
        true,
    )
    .await;
    assert_eq!(
        submitted["data"]["saveFormAnswers"]["formRequest"]["status"], "COMPLETED",
        "{submitted}"
    );

    // The server validates on create: a resource there is a valid QuestionnaireResponse.
    let found = wait_until(
        "the QuestionnaireResponse in the EHR",
        Duration::from_secs(20),
        async || {
            let bundle = fhir_get(&server, "QuestionnaireResponse?subject=Patient/form-pat").await;
            match bundle["entry"].as_array().map(Vec::as_slice) {
                Some([one]) => Ok(one["resource"].clone()),
                // What the write-back saw, for the failure message.
                _ => Err(app
                    .gql_as(
                        "formehr",
                        &p.admin.access,
                        "{ ehrSyncStatus(runs: 1) { pendingWrites failedWrites { kind lastError } } }",
                        json!({}),
                    )
                    .await
                    .1),
            }
        },
    )
    .await;
    assert_eq!(found["status"], "completed");
    assert_eq!(found["subject"]["reference"], "Patient/form-pat");
    assert_eq!(
        found["identifier"],
        json!({ "system": "urn:portico:form-response", "value": uuid_of(&request).to_string() })
    );
    let (_, url) = app
        .gql_as(
            "formehr",
            &p.admin.access,
            "query($id: ID!) { form(id: $id) { url } }",
            json!({ "id": form }),
        )
        .await;
    assert_eq!(
        found["questionnaire"],
        json!(format!(
            "{}|1",
            url["data"]["form"]["url"].as_str().unwrap()
        ))
    );
    let items: Vec<(String, Value)> = found["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["linkId"].as_str().unwrap().to_owned(),
                i["answer"][0].clone(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            ("smoker".to_owned(), json!({ "valueBoolean": true })),
            ("packs".to_owned(), json!({ "valueInteger": 2 })),
            (
                "notes".to_owned(),
                json!({ "valueString": "Trying to quit" })
            ),
        ]
    );
}

#[tokio::test]
async fn the_demo_patient_has_the_check_in_form_for_the_booked_follow_up_once() {
    use portico_core::demo;
    let app = spawn_app().await;
    let config = app.database.config();
    let hasher = portico_auth::password::Argon2Hasher::new(
        config.auth.argon2_params(),
        config.auth.password_min_length,
    )
    .unwrap();
    demo::load(&app.db(), &hasher).await.unwrap();
    // Loading again asks for nothing more.
    demo::load(&app.db(), &hasher).await.unwrap();
    let body = app
        .sign_in(
            demo::DEMO_SLUG,
            demo::PATIENT_EMAIL,
            demo::DEMO_PASSWORD,
            None,
        )
        .await;
    let access = body["data"]["signIn"]["session"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let (_, me) = app
        .gql_as(
            demo::DEMO_SLUG,
            &access,
            "{ me { charts { relationship patient { id } } } }",
            json!({}),
        )
        .await;
    let chart = me["data"]["me"]["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["relationship"] == "self")
        .unwrap_or_else(|| panic!("{me}"))["patient"]["id"]
        .clone();
    let (_, listed) = app
        .gql_as(
            demo::DEMO_SLUG,
            &access,
            REQUESTS,
            json!({ "patient": chart }),
        )
        .await;
    let requests = listed["data"]["formRequests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{listed}");
    assert_eq!(requests[0]["status"], "PENDING");
    assert_eq!(requests[0]["form"]["title"], "Check-in questionnaire");
    assert!(requests[0]["appointmentId"].is_string());
}

#[tokio::test]
async fn a_booking_tells_the_patient_of_its_forms_once_without_naming_them() {
    let app = spawn_app().await;
    let p = practice(&app, "formtell").await;
    with_attached_form(&app, &p).await;
    let (patient, chart, visit) = booked_patient(&app, &p).await;
    let listed = gql(&app, &patient, REQUESTS, json!({ "patient": chart })).await;
    let request = uuid_of(listed["data"]["formRequests"][0]["id"].as_str().unwrap());

    let tenant = tenants::find_by_slug(&app.db(), "formtell")
        .await
        .unwrap()
        .unwrap();
    let told = async || {
        let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Read)
            .await
            .unwrap();
        let all = outbox::all(&tx).await.unwrap();
        tx.rollback().await.unwrap();
        all.into_iter()
            .filter(|m| m.idempotency_key.starts_with("form:"))
            .collect::<Vec<_>>()
    };
    let sent = told().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].idempotency_key, format!("form:{request}"));
    assert_eq!(sent[0].channel, outbox::EMAIL);
    assert!(sent[0].payload.contains("/forms"), "{}", sent[0].payload);
    for phi in ["Smoking", "smok", "packs", "Tester"] {
        assert!(
            !sent[0].payload.contains(phi),
            "{phi} in {}",
            sent[0].payload
        );
    }

    // Moved: the request goes with the visit, and the patient is not told again.
    let day = days_ahead(&p, 4);
    let later = starts(&slots(&app, &patient.access, "formtell", &p, day, day).await)[0];
    let (_, moved) = app
        .gql_as(
            "formtell",
            &patient.access,
            "mutation($id: ID!, $start: DateTime!) { rescheduleAppointment(input: {
                appointmentId: $id, start: $start }) { appointment { id } userErrors { code } } }",
            json!({ "id": visit, "start": later }),
        )
        .await;
    assert!(
        moved["data"]["rescheduleAppointment"]["appointment"]["id"].is_string(),
        "{moved}"
    );
    assert_eq!(told().await.len(), 1);
}
