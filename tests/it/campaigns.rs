//! Invitation campaigns: starting one resolves its audience (charts without an account that
//! a chosen channel reaches) once; the sweep sends the invitation and each follow-up once per
//! patient, also with two workers sweeping at once, and no more once the patient activates;
//! the message names the practice only; preferences and quiet hours hold; bad input is
//! refused naming the field with nothing created; another practice sees nothing; the
//! practice's hourly sending limit holds invitations back for a later hour, dropping none.

use chrono::{DateTime, Duration, Utc};
use portico_core::{
    TenantTx,
    audit::Actor,
    campaigns::sweep,
    entities::{activation_code, outbox_message},
    identity::Role,
    notify::Portal,
    tenancy::Access,
    tenants,
};
use portico_tests::{Signed, TestApp, error_code, new_patient, spawn_app, wait_until};
use reqwest::multipart::{Form, Part};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use std::time::Duration as StdDuration;

use crate::support::{attachments::send_multipart, gid, processes::relay, user_error};

const START: &str = "mutation($input: StartInvitationCampaignInput!) {
    startInvitationCampaign(input: $input) {
    campaign { id name audience channels followUpDays status recipients }
    userErrors { field code message } } }";
const LIST: &str = "query { invitationCampaigns { id name status recipients
    funnel { recipients invited activated firstPortalAction firstOnlineBooking } } }";
const CANCEL: &str = "mutation($id: ID!) { cancelInvitationCampaign(input: { id: $id }) {
    campaign { id status } userErrors { field code } } }";
const ACTIVATE: &str = "mutation($code: String!, $dob: Date!, $email: String!, $password: String!) {
    activatePatientAccount(input: { code: $code, birthDate: $dob, email: $email, password: $password }) {
        session { accessToken } userErrors { field code } } }";
const PREVIEW: &str = "mutation($file: Upload!) { previewPatientImport(file: $file) {
    patientImport { id } userErrors { code } } }";
const IMPORT_START: &str = "mutation($id: ID!) { startPatientImport(importId: $id) {
    patientImport { id status } userErrors { code } } }";
const IMPORT_STATUS: &str = "query($id: ID!) { patientImport(id: $id) { status created } }";

/// A little past a step's day: the background sweep of the test's own workers may have sent
/// the invitation a moment after the test read the clock.
const LATER: Duration = Duration::minutes(1);

async fn write_tx(app: &TestApp, slug: &str) -> TenantTx {
    let tenant = tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap();
    TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap()
}

/// A chart without an account, with `email` and `phone` as given.
async fn chart(
    app: &TestApp,
    slug: &str,
    given: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> uuid::Uuid {
    let tenant = tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap();
    let mut new = new_patient(given);
    new.email = email.map(str::to_owned);
    new.phone = phone.map(str::to_owned);
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    let created = portico_core::patients::create(&tx, &Actor::system(), new)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    created.id
}

/// Sets a chart's column as the database owner (a preference the portal would set).
async fn set_chart(app: &TestApp, id: uuid::Uuid, column: &str, value: sea_orm::Value) {
    use sea_orm::{ConnectionTrait, Statement};
    let conn = sea_orm::Database::connect(&app.database.owner_url)
        .await
        .unwrap();
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => format!("UPDATE patients SET {column} = $1 WHERE id = $2"),
        _ => format!("UPDATE patients SET {column} = ? WHERE id = ?"),
    };
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        &sql,
        [value, id.into()],
    ))
    .await
    .unwrap();
    conn.close().await.unwrap();
}

async fn start(app: &TestApp, who: &Signed, input: Value) -> Value {
    app.gql_as(&who.slug, &who.access, START, json!({ "input": input }))
        .await
        .1
}

fn input(follow_up_days: &[i64], channels: &[&str]) -> Value {
    json!({ "name": "Winter invitations", "audience": "NOT_ACTIVATED",
        "channels": channels, "followUpDays": follow_up_days })
}

/// Plays the sweep at `at`.
async fn sweep_at(app: &TestApp, slug: &str, at: DateTime<Utc>) -> usize {
    let tx = write_tx(app, slug).await;
    let portal = Portal::new("http://portal.test", slug);
    let sent = sweep::send_due(&tx, &Actor::system(), at, &portal)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sent
}

/// The campaign messages in the practice's outbox.
async fn messages(app: &TestApp, slug: &str) -> Vec<outbox_message::Model> {
    let tx = write_tx(app, slug).await;
    let all = portico_core::outbox::all(&tx).await.unwrap();
    tx.rollback().await.unwrap();
    all.into_iter()
        .filter(|m| m.idempotency_key.starts_with("campaign:"))
        .collect()
}

/// The messages to `patient` on `channel`.
fn to(
    all: &[outbox_message::Model],
    patient: uuid::Uuid,
    channel: &str,
) -> Vec<outbox_message::Model> {
    all.iter()
        .filter(|m| m.patient_id == Some(patient) && m.channel == channel)
        .cloned()
        .collect()
}

/// The activation code of a message's link.
fn code_in(message: &str) -> String {
    let (_, rest) = message
        .split_once("/activate#code=")
        .unwrap_or_else(|| panic!("no activation link: {message}"));
    rest.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

async fn funnel(app: &TestApp, who: &Signed) -> Value {
    let (_, body) = app.gql_as(&who.slug, &who.access, LIST, json!({})).await;
    body["data"]["invitationCampaigns"][0]["funnel"].clone()
}

#[tokio::test]
async fn follow_ups_stop_once_a_patient_activates_and_each_step_goes_once_without_phi() {
    let app = spawn_app().await;
    let admin = app.practice_admin("cmpone").await;
    let ana = chart(&app, "cmpone", "Anastasia", Some("ana@example.org"), None).await;
    let ben = chart(&app, "cmpone", "Benedikt", Some("ben@example.org"), None).await;
    // Unreachable by email (no address), and already activated: not invited.
    let _landline = chart(&app, "cmpone", "Cordelia", None, Some("555-0100")).await;
    let (_, _has_account) = app.add_user("cmpone", Role::Patient).await;

    let body = start(&app, &admin, input(&[3, 7], &["EMAIL"])).await;
    let campaign = &body["data"]["startInvitationCampaign"]["campaign"];
    assert_eq!(campaign["recipients"], 2, "{body}");
    assert_eq!(campaign["status"], "RUNNING");
    assert_eq!(campaign["followUpDays"], json!([3, 7]));

    let now = Utc::now();
    sweep_at(&app, "cmpone", now).await;
    // Again at once (a second sweep, the minute's worker): nothing more.
    assert_eq!(sweep_at(&app, "cmpone", now).await, 0);
    let sent = messages(&app, "cmpone").await;
    assert_eq!(to(&sent, ana, "email").len(), 1, "{sent:?}");
    assert_eq!(to(&sent, ben, "email").len(), 1, "{sent:?}");
    assert_eq!(sent.len(), 2, "{sent:?}");
    for m in &sent {
        assert!(
            m.payload.contains("/t/cmpone/activate#code="),
            "{}",
            m.payload
        );
        for phi in ["Anastasia", "Benedikt", "Tester", "1980", "MRN-"] {
            assert!(!m.payload.contains(phi), "{phi} in {}", m.payload);
        }
    }

    // Ana activates with the code of her invitation.
    let code = code_in(&to(&sent, ana, "email")[0].payload);
    let (_, activated) = app
        .gql_status(
            Some("cmpone"),
            ACTIVATE,
            json!({ "code": code, "dob": "1980-01-02", "email": "ana@example.org",
                "password": "saffron window meadow" }),
        )
        .await;
    let token = activated["data"]["activatePatientAccount"]["session"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{activated}"))
        .to_owned();
    // Not before the third day; then Ben's first follow-up only.
    assert_eq!(sweep_at(&app, "cmpone", now + Duration::days(2)).await, 0);
    assert_eq!(
        sweep_at(&app, "cmpone", now + Duration::days(3) + LATER).await,
        1
    );
    assert_eq!(
        sweep_at(&app, "cmpone", now + Duration::days(3) + LATER).await,
        0
    );
    let sent = messages(&app, "cmpone").await;
    assert_eq!(to(&sent, ana, "email").len(), 1, "{sent:?}");
    assert_eq!(to(&sent, ben, "email").len(), 2, "{sent:?}");
    // Each follow-up's link carries a code of its own; the invitation's still works.
    let ben_codes: Vec<String> = to(&sent, ben, "email")
        .iter()
        .map(|m| code_in(&m.payload))
        .collect();
    assert_ne!(ben_codes[0], ben_codes[1]);

    assert_eq!(
        sweep_at(&app, "cmpone", now + Duration::days(7) + LATER).await,
        1
    );
    assert_eq!(sweep_at(&app, "cmpone", now + Duration::days(30)).await, 0);
    let sent = messages(&app, "cmpone").await;
    assert_eq!(to(&sent, ana, "email").len(), 1);
    assert_eq!(to(&sent, ben, "email").len(), 3);
    let mut keys: Vec<&str> = sent.iter().map(|m| m.idempotency_key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), sent.len(), "no key twice");

    let (_, listed) = app.gql_as("cmpone", &admin.access, LIST, json!({})).await;
    assert_eq!(
        listed["data"]["invitationCampaigns"][0]["status"], "FINISHED",
        "{listed}"
    );
    let f = funnel(&app, &admin).await;
    assert_eq!(f["recipients"], 2, "{f}");
    assert_eq!(f["invited"], 2, "{f}");
    assert_eq!(f["activated"], 1, "{f}");
    // Activating and signing in are not yet using the portal; opening her chart is.
    assert_eq!(f["firstPortalAction"], 0, "{f}");
    let (_, read) = app
        .gql_as(
            "cmpone",
            &token,
            "query($id: ID!) { patient(id: $id) { id } }",
            json!({ "id": gid("Patient", ana) }),
        )
        .await;
    assert!(read["data"]["patient"]["id"].is_string(), "{read}");
    let f = funnel(&app, &admin).await;
    assert_eq!(f["firstPortalAction"], 1, "{f}");
    assert_eq!(f["firstOnlineBooking"], 0, "{f}");

    // Ben joins late with his first invitation's code, which still works; then his latest
    // code is refused like any used one, and makes no second account.
    let ben_codes: Vec<String> = to(&sent, ben, "email")
        .iter()
        .map(|m| code_in(&m.payload))
        .collect();
    let activate = |code: &str, email: &str| {
        json!({ "code": code, "dob": "1980-01-02", "email": email,
            "password": "saffron window meadow" })
    };
    // A wrong date of birth on one of Ben's codes counts against every live code of his
    // chart: guesses are limited per chart, however many invitations it was sent.
    let mut wrong = activate(&ben_codes[1], "ben@example.org");
    wrong["dob"] = json!("1999-09-09");
    let (_, refused) = app.gql_status(Some("cmpone"), ACTIVATE, wrong).await;
    assert_eq!(
        user_error(&refused, "activatePatientAccount"),
        Some("ACTIVATION_INVALID"),
        "{refused}"
    );
    // Read as the database's owner (under no row-level security).
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let attempts: Vec<i32> = activation_code::Entity::find()
        .filter(activation_code::Column::PatientId.eq(ben))
        .filter(activation_code::Column::UsedAt.is_null())
        .all(&owner)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.failed_attempts)
        .collect();
    assert!(
        attempts.len() >= 3 && attempts.iter().all(|n| *n == 1),
        "{attempts:?}"
    );
    let (_, first) = app
        .gql_status(
            Some("cmpone"),
            ACTIVATE,
            activate(&ben_codes[0], "ben@example.org"),
        )
        .await;
    assert!(
        first["data"]["activatePatientAccount"]["session"]["accessToken"].is_string(),
        "{first}"
    );
    let (_, latest) = app
        .gql_status(
            Some("cmpone"),
            ACTIVATE,
            activate(&ben_codes[2], "ben2@example.org"),
        )
        .await;
    assert_eq!(
        user_error(&latest, "activatePatientAccount"),
        Some("ACTIVATION_INVALID"),
        "{latest}"
    );
    assert_eq!(funnel(&app, &admin).await["activated"], 2);
}

#[tokio::test]
async fn no_patient_gets_two_of_the_same_message_with_two_workers_sweeping_at_once() {
    let app = spawn_app().await;
    let admin = app.practice_admin("cmptwo").await;
    let mut charts = Vec::new();
    for i in 0..40 {
        let given = format!("Patient{i}");
        let email = format!("p{i}@example.org");
        charts.push(chart(&app, "cmptwo", &given, Some(&email), None).await);
    }
    let body = start(&app, &admin, input(&[3], &["EMAIL"])).await;
    assert_eq!(
        body["data"]["startInvitationCampaign"]["campaign"]["recipients"], 40,
        "{body}"
    );
    let now = Utc::now();
    for at in [now, now + Duration::days(3) + LATER] {
        // Two workers, each its own connection and transaction, at the same moment.
        let (a, b) = tokio::join!(sweep_at(&app, "cmptwo", at), sweep_at(&app, "cmptwo", at));
        assert!(a + b <= 40, "{a} + {b}");
    }
    let sent = messages(&app, "cmptwo").await;
    for patient in &charts {
        assert_eq!(to(&sent, *patient, "email").len(), 2, "{sent:?}");
    }
    assert_eq!(sent.len(), 80);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_creates_nothing() {
    let app = spawn_app().await;
    let admin = app.practice_admin("cmpbad").await;
    // No chart yet: the audience is empty.
    let empty = start(&app, &admin, input(&[3], &["EMAIL"])).await;
    assert_eq!(
        user_error(&empty, "startInvitationCampaign"),
        Some("EMPTY_AUDIENCE"),
        "{empty}"
    );
    assert_eq!(
        empty["data"]["startInvitationCampaign"]["userErrors"][0]["field"],
        "audience"
    );
    chart(&app, "cmpbad", "Dora", Some("dora@example.org"), None).await;
    let unknown_import = gid("PatientImport", uuid::Uuid::now_v7());
    for (input, field, code) in [
        (
            json!({ "name": " ", "audience": "NOT_ACTIVATED", "channels": ["EMAIL"], "followUpDays": [] }),
            "name",
            "NAME_REQUIRED",
        ),
        (
            json!({ "name": "x".repeat(121), "audience": "NOT_ACTIVATED", "channels": ["EMAIL"], "followUpDays": [] }),
            "name",
            "NAME_TOO_LONG",
        ),
        (
            json!({ "name": "A", "audience": "NOT_ACTIVATED", "channels": [], "followUpDays": [] }),
            "channels",
            "CHANNEL_REQUIRED",
        ),
        (
            json!({ "name": "A", "audience": "NOT_ACTIVATED", "channels": ["EMAIL"], "followUpDays": [7, 3] }),
            "followUpDays",
            "INVALID_FOLLOW_UP_DAYS",
        ),
        (
            json!({ "name": "A", "audience": "NOT_ACTIVATED", "channels": ["EMAIL"], "followUpDays": [0] }),
            "followUpDays",
            "INVALID_FOLLOW_UP_DAYS",
        ),
        (
            json!({ "name": "A", "audience": "NOT_ACTIVATED", "channels": ["EMAIL"], "followUpDays": [61] }),
            "followUpDays",
            "INVALID_FOLLOW_UP_DAYS",
        ),
        (
            json!({ "name": "A", "audience": "NOT_ACTIVATED", "channels": ["EMAIL"], "followUpDays": [1, 2, 3, 4, 5, 6] }),
            "followUpDays",
            "INVALID_FOLLOW_UP_DAYS",
        ),
        (
            json!({ "name": "A", "audience": "IMPORT", "channels": ["EMAIL"], "followUpDays": [] }),
            "importId",
            "IMPORT_REQUIRED",
        ),
        (
            json!({ "name": "A", "audience": "IMPORT", "importId": unknown_import, "channels": ["EMAIL"], "followUpDays": [] }),
            "importId",
            "IMPORT_NOT_FOUND",
        ),
        (
            json!({ "name": "A", "audience": "FILTER", "channels": ["EMAIL"], "followUpDays": [] }),
            "filter",
            "FILTER_REQUIRED",
        ),
        (
            json!({ "name": "A", "audience": "FILTER", "filter": { "createdFrom": "2026-12-07", "createdTo": "2026-12-01" }, "channels": ["EMAIL"], "followUpDays": [] }),
            "filter.createdTo",
            "INVALID_RANGE",
        ),
        // Dora has no mobile number: nobody to text.
        (
            json!({ "name": "A", "audience": "NOT_ACTIVATED", "channels": ["SMS"], "followUpDays": [] }),
            "audience",
            "EMPTY_AUDIENCE",
        ),
    ] {
        let body = start(&app, &admin, input).await;
        let errors = &body["data"]["startInvitationCampaign"]["userErrors"];
        assert_eq!(errors[0]["code"], code, "{body}");
        assert_eq!(errors[0]["field"], field, "{body}");
        assert!(body["data"]["startInvitationCampaign"]["campaign"].is_null());
    }
    let (_, listed) = app.gql_as("cmpbad", &admin.access, LIST, json!({})).await;
    assert_eq!(listed["data"]["invitationCampaigns"], json!([]), "{listed}");
    assert_eq!(sweep_at(&app, "cmpbad", Utc::now()).await, 0);
    assert!(messages(&app, "cmpbad").await.is_empty());
}

#[tokio::test]
async fn preferences_quiet_hours_and_channels_are_kept() {
    let app = spawn_app().await;
    let admin = app.practice_admin("cmppref").await;
    let texter = chart(
        &app,
        "cmppref",
        "Texter",
        Some("t@example.org"),
        Some("+15551230000"),
    )
    .await;
    set_chart(&app, texter, "notify_sms", true.into()).await;
    let opted_out = chart(&app, "cmppref", "Quiet", Some("q@example.org"), None).await;
    set_chart(
        &app,
        opted_out,
        "notifications_opted_out_at",
        Some(Utc::now()).into(),
    )
    .await;
    let no_texts = chart(
        &app,
        "cmppref",
        "Mailer",
        Some("m@example.org"),
        Some("+15551230001"),
    )
    .await;

    let body = start(&app, &admin, input(&[], &["SMS"])).await;
    let campaign = &body["data"]["startInvitationCampaign"]["campaign"];
    // Only the chart that accepts texts and has a mobile number.
    assert_eq!(campaign["recipients"], 1, "{body}");
    assert_eq!(campaign["channels"], json!(["SMS"]));

    // 03:00 in Chicago, inside the default quiet hours: the text waits for the morning.
    let night = "2030-01-15T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
    sweep_at(&app, "cmppref", night).await;
    let sent = messages(&app, "cmppref").await;
    let texts = to(&sent, texter, "sms");
    assert_eq!(texts.len(), 1, "{sent:?}");
    assert!(
        texts[0].next_attempt_at.is_some_and(|t| t > night),
        "held back past quiet hours: {:?}",
        texts[0].next_attempt_at
    );
    // The campaign texts only: no email, though the chart has an address.
    assert!(to(&sent, texter, "email").is_empty());
    assert!(to(&sent, opted_out, "email").is_empty());
    assert!(to(&sent, no_texts, "sms").is_empty());
    assert!(
        texts[0].payload.contains("/activate#code="),
        "{}",
        texts[0].payload
    );
}

#[tokio::test]
async fn a_campaign_invites_the_charts_an_import_created() {
    let app = spawn_app().await;
    let admin = app.practice_admin("cmpimp").await;
    let before = chart(&app, "cmpimp", "Earlier", Some("earlier@example.org"), None).await;
    let csv = "Last Name,First Name,Date of Birth,Gender,E-mail\n\
Imported,Ines,1970-01-01,F,ines@example.org\n\
Imported,Ivo,1971-01-01,M,ivo@example.org\n";
    let form = Form::new()
        .text(
            "operations",
            json!({ "query": PREVIEW, "variables": { "file": null } }).to_string(),
        )
        .text("map", r#"{ "0": ["variables.file"] }"#)
        .part(
            "0",
            Part::bytes(csv.as_bytes().to_vec())
                .file_name("patients.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let (_, previewed) = send_multipart(&app, &admin, form).await;
    let import = previewed["data"]["previewPatientImport"]["patientImport"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{previewed}"))
        .to_owned();
    let (_, started) = app
        .gql_as(
            "cmpimp",
            &admin.access,
            IMPORT_START,
            json!({ "id": import }),
        )
        .await;
    assert!(
        started["data"]["startPatientImport"]["patientImport"].is_object(),
        "{started}"
    );
    wait_until(
        "the import to finish",
        std::time::Duration::from_secs(60),
        async || {
            let (_, body) = app
                .gql_as(
                    "cmpimp",
                    &admin.access,
                    IMPORT_STATUS,
                    json!({ "id": import }),
                )
                .await;
            (body["data"]["patientImport"]["status"] == "DONE").then_some(())
        },
    )
    .await;

    let body = start(
        &app,
        &admin,
        json!({ "name": "New charts", "audience": "IMPORT", "importId": import,
            "channels": ["EMAIL"], "followUpDays": [5] }),
    )
    .await;
    assert_eq!(
        body["data"]["startInvitationCampaign"]["campaign"]["recipients"], 2,
        "{body}"
    );
    sweep_at(&app, "cmpimp", Utc::now()).await;
    let sent = messages(&app, "cmpimp").await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(to(&sent, before, "email").is_empty());
    // Those two await a follow-up of a running campaign: a second one leaves them out.
    let again = start(&app, &admin, input(&[], &["EMAIL"])).await;
    assert_eq!(
        again["data"]["startInvitationCampaign"]["campaign"]["recipients"], 1,
        "{again}"
    );
}

#[tokio::test]
async fn another_practice_and_other_staff_see_nothing_and_cancel_nothing() {
    let app = spawn_app().await;
    let admin = app.practice_admin("cmpiso").await;
    chart(&app, "cmpiso", "Flora", Some("flora@example.org"), None).await;
    let body = start(&app, &admin, input(&[3], &["EMAIL"])).await;
    let id = body["data"]["startInvitationCampaign"]["campaign"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();

    let other = app.practice_admin("cmpiso-other").await;
    let (_, listed) = app
        .gql_as("cmpiso-other", &other.access, LIST, json!({}))
        .await;
    assert_eq!(listed["data"]["invitationCampaigns"], json!([]), "{listed}");
    let (_, refused) = app
        .gql_as("cmpiso-other", &other.access, CANCEL, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&refused), Some("NOT_FOUND"), "{refused}");

    let (staff, _) = app.add_user("cmpiso", Role::Staff).await;
    let (_, denied) = app.gql_as("cmpiso", &staff.access, LIST, json!({})).await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"), "{denied}");

    // Cancelled: nothing more is written, and cancelling again is refused by name.
    let (_, cancelled) = app
        .gql_as("cmpiso", &admin.access, CANCEL, json!({ "id": id }))
        .await;
    assert_eq!(
        cancelled["data"]["cancelInvitationCampaign"]["campaign"]["status"], "CANCELLED",
        "{cancelled}"
    );
    let sent_before = messages(&app, "cmpiso").await.len();
    assert_eq!(
        sweep_at(&app, "cmpiso", Utc::now() + Duration::days(3)).await,
        0
    );
    assert_eq!(messages(&app, "cmpiso").await.len(), sent_before);
    let (_, again) = app
        .gql_as("cmpiso", &admin.access, CANCEL, json!({ "id": id }))
        .await;
    assert_eq!(
        user_error(&again, "cancelInvitationCampaign"),
        Some("CAMPAIGN_NOT_RUNNING"),
        "{again}"
    );
}

#[tokio::test]
async fn the_sending_limit_holds_invitations_for_a_later_hour_and_drops_none() {
    let app = spawn_app().await;
    let admin = app.practice_admin("cmplimit").await;
    let (_, set) = app
        .gql_as(
            "cmplimit",
            &admin.access,
            "mutation { updateNotificationSettings(input: { sendingLimitPerHour: 2 }) {
                userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        set["data"]["updateNotificationSettings"]["userErrors"],
        json!([]),
        "{set}"
    );
    for i in 0..4 {
        let email = format!("limit{i}@example.org");
        chart(&app, "cmplimit", &format!("Limit{i}"), Some(&email), None).await;
    }
    start(&app, &admin, input(&[], &["EMAIL"])).await;
    sweep_at(&app, "cmplimit", Utc::now()).await;
    let tenant = tenants::find_by_slug(&app.db(), "cmplimit")
        .await
        .unwrap()
        .unwrap();
    let delivered =
        |all: &[outbox_message::Model]| all.iter().filter(|m| m.delivered_at.is_some()).count();
    relay(&app, tenant.id()).await;
    wait_until(
        "two invitations delivered",
        StdDuration::from_secs(30),
        async || {
            let all = messages(&app, "cmplimit").await;
            (all.len() == 4 && delivered(&all) == 2).then_some(())
        },
    )
    .await;
    // Another relay this hour hands out nothing more; the other two wait, not dropped.
    relay(&app, tenant.id()).await;
    drain(&app).await;
    let all = messages(&app, "cmplimit").await;
    assert_eq!(delivered(&all), 2);
    assert_eq!(all.iter().filter(|m| m.relayed_at.is_none()).count(), 2);
    assert!(all.iter().all(|m| m.cancelled_at.is_none()));
    // A higher limit lets them go.
    app.gql_as(
        "cmplimit",
        &admin.access,
        "mutation { updateNotificationSettings(input: { sendingLimitPerHour: 100 }) {
            userErrors { code } } }",
        json!({}),
    )
    .await;
    relay(&app, tenant.id()).await;
    wait_until(
        "all four delivered",
        StdDuration::from_secs(30),
        async || (delivered(&messages(&app, "cmplimit").await) == 4).then_some(()),
    )
    .await;
}

/// Waits until the job queue is empty: every job queued so far has run.
async fn drain(app: &TestApp) {
    let queue = app.services().queue;
    wait_until(
        "the job queue to empty",
        StdDuration::from_secs(30),
        async || {
            let depth = queue.depth().await.unwrap();
            if depth == 0 { Ok(()) } else { Err(depth) }
        },
    )
    .await;
}

/// A follow-up sent late (the workers were down past its day) keeps the next one at its
/// distance: it does not follow a minute later.
#[tokio::test]
async fn a_late_follow_up_does_not_bring_the_next_one_right_after_it() {
    let app = spawn_app().await;
    let admin = app.practice_admin("cmplate").await;
    let ana = chart(&app, "cmplate", "Ana", Some("ana@example.org"), None).await;
    let body = start(&app, &admin, input(&[3, 7], &["EMAIL"])).await;
    assert_eq!(
        body["data"]["startInvitationCampaign"]["campaign"]["recipients"], 1,
        "{body}"
    );
    let now = Utc::now();
    // The invitation (the server's own sweep may have sent it already).
    sweep_at(&app, "cmplate", now + LATER).await;
    // Down from day 3 to day 8: the first follow-up goes on day 8...
    assert_eq!(sweep_at(&app, "cmplate", now + Duration::days(8)).await, 1);
    // ... and the second four days after it (7 - 3), not at once.
    assert_eq!(
        sweep_at(&app, "cmplate", now + Duration::days(8) + LATER).await,
        0
    );
    assert_eq!(sweep_at(&app, "cmplate", now + Duration::days(11)).await, 0);
    assert_eq!(
        sweep_at(&app, "cmplate", now + Duration::days(12) + LATER).await,
        1
    );
    assert_eq!(to(&messages(&app, "cmplate").await, ana, "email").len(), 3);
}

const PRACTICE_FUNNEL: &str = "query($from: NaiveDate!, $to: NaiveDate!) {
    invitationFunnel(from: $from, to: $to) {
    recipients invited activated firstPortalAction firstOnlineBooking } }";

#[tokio::test]
async fn the_adoption_funnel_counts_each_invited_patient_once_and_each_campaign_keeps_its_own() {
    let app = spawn_app().await;
    let admin = app.practice_admin("cmpfun").await;
    let ana = chart(&app, "cmpfun", "Anastasia", Some("ana@example.org"), None).await;
    let _ben = chart(&app, "cmpfun", "Benedikt", Some("ben@example.org"), None).await;

    // A first campaign without follow-ups invites both and is then finished.
    let first = start(&app, &admin, input(&[], &["EMAIL"])).await;
    assert_eq!(
        first["data"]["startInvitationCampaign"]["campaign"]["recipients"], 2,
        "{first}"
    );
    // (The test's own workers may have swept first: count what was sent, not who sent it.)
    let now = Utc::now();
    sweep_at(&app, "cmpfun", now).await;
    assert_eq!(messages(&app, "cmpfun").await.len(), 2);
    // A second one chooses them again (no longer in a running campaign) and a new chart.
    let _cid = chart(&app, "cmpfun", "Cidalia", Some("cid@example.org"), None).await;
    let mut again = input(&[], &["EMAIL"]);
    again["name"] = json!("Spring invitations");
    let second = start(&app, &admin, again).await;
    assert_eq!(
        second["data"]["startInvitationCampaign"]["campaign"]["recipients"], 3,
        "{second}"
    );
    sweep_at(&app, "cmpfun", Utc::now()).await;
    assert_eq!(messages(&app, "cmpfun").await.len(), 5);

    // Ana joins with her latest invitation.
    let sent = messages(&app, "cmpfun").await;
    let latest = to(&sent, ana, "email");
    let code = code_in(&latest.last().unwrap().payload);
    let (_, activated) = app
        .gql_status(
            Some("cmpfun"),
            ACTIVATE,
            json!({ "code": code, "dob": "1980-01-02", "email": "ana@example.org",
                "password": "saffron window meadow" }),
        )
        .await;
    assert!(
        activated["data"]["activatePatientAccount"]["session"]["accessToken"].is_string(),
        "{activated}"
    );

    // The list counts every campaign's funnel together, each its own.
    let (_, listed) = app.gql_as("cmpfun", &admin.access, LIST, json!({})).await;
    let funnels: Vec<(Value, Value)> = listed["data"]["invitationCampaigns"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .map(|c| (c["name"].clone(), c["funnel"].clone()))
        .collect();
    let counts = |recipients: u32, invited: u32| {
        json!({ "recipients": recipients, "invited": invited, "activated": 1,
            "firstPortalAction": 0, "firstOnlineBooking": 0 })
    };
    assert_eq!(
        funnels,
        vec![
            (json!("Spring invitations"), counts(3, 3)),
            (json!("Winter invitations"), counts(2, 2)),
        ]
    );

    // The second campaign's first invitations as if sent forty days on: for Ana and Ben it
    // was their second, for Cidalia her first.
    {
        use sea_orm::{ConnectionTrait, Statement};
        let conn = sea_orm::Database::connect(&app.database.owner_url)
            .await
            .unwrap();
        let backend = conn.get_database_backend();
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                "UPDATE campaign_recipients SET first_invited_at = $1 WHERE campaign_id = $2"
            }
            _ => "UPDATE campaign_recipients SET first_invited_at = ? WHERE campaign_id = ?",
        };
        let spring = uuid_of_campaign(&second);
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [(now + Duration::days(40)).into(), spring.into()],
        ))
        .await
        .unwrap();
    }

    // The practice's funnel for a period: each patient once, by their first invitation.
    let day = |d: i64| (now + Duration::days(d)).date_naive().to_string();
    let period = |from: String, to: String| json!({ "from": from, "to": to });
    let (_, body) = app
        .gql_as(
            "cmpfun",
            &admin.access,
            PRACTICE_FUNNEL,
            period(day(-1), day(1)),
        )
        .await;
    assert_eq!(body["data"]["invitationFunnel"], counts(3, 2), "{body}");
    // Forty days on: no campaign started then, and Cidalia first invited then.
    let (_, body) = app
        .gql_as(
            "cmpfun",
            &admin.access,
            PRACTICE_FUNNEL,
            period(day(39), day(41)),
        )
        .await;
    assert_eq!(
        body["data"]["invitationFunnel"],
        json!({ "recipients": 0, "invited": 1, "activated": 0, "firstPortalAction": 0,
            "firstOnlineBooking": 0 }),
        "{body}"
    );
    // A period before any campaign: nothing.
    let (_, body) = app
        .gql_as(
            "cmpfun",
            &admin.access,
            PRACTICE_FUNNEL,
            period(day(-30), day(-10)),
        )
        .await;
    assert_eq!(
        body["data"]["invitationFunnel"],
        json!({ "recipients": 0, "invited": 0, "activated": 0, "firstPortalAction": 0,
            "firstOnlineBooking": 0 }),
        "{body}"
    );
    // A period backwards is refused; staff do not see adoption figures.
    let (_, body) = app
        .gql_as(
            "cmpfun",
            &admin.access,
            PRACTICE_FUNNEL,
            period(day(1), day(-1)),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["reason"], "INVALID_RANGE",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["field"], "to", "{body}");
    let (staff, _) = app.add_user("cmpfun", Role::Staff).await;
    let (_, body) = app
        .gql_as(
            "cmpfun",
            &staff.access,
            PRACTICE_FUNNEL,
            period(day(-1), day(1)),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
}

/// The uuid of a started campaign's global id.
fn uuid_of_campaign(started: &Value) -> uuid::Uuid {
    crate::support::uuid_of(
        started["data"]["startInvitationCampaign"]["campaign"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{started}")),
    )
}
