//! Notification delivery: text messages through a Twilio-style API (a local server that
//! answers as the provider does), branded HTML email, patient channels and opt-out, quiet
//! hours, a practice's hourly sending limit, bounces, and no PHI in any message even for a
//! patient with a full chart.

use std::time::Duration;

use chrono::{DateTime, Utc};
use portico_core::{TenantTx, entities::outbox_message, identity::Role, outbox, tenancy::Access};
use portico_tests::{
    Signed, TestApp,
    sms_provider::{ACCOUNT_SID, AUTH_TOKEN, FROM, SmsProvider},
    spawn_app, spawn_app_with, wait_until,
};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::support::{
    gid,
    processes::relay,
    records::small_chart,
    scheduling::{CANCEL, Practice, book, booked_id, days_ahead, practice, slots, starts},
    user_error,
};

const PREFERENCES: &str = "mutation($input: UpdateNotificationPreferencesInput!) {
    updateNotificationPreferences(input: $input) {
        patient { notificationPreferences { email sms optedOut timeZone smsBouncedAt } }
        userErrors { field code message } } }";
const SETTINGS: &str = "mutation($input: UpdateNotificationSettingsInput!) {
    updateNotificationSettings(input: $input) {
        notificationSettings { quietHoursStart quietHoursEnd sendingLimitPerHour }
        userErrors { field code message } } }";
const CONTACT: &str = "mutation($p: ID!, $phone: String) {
    updateContactDetails(input: { patientId: $p, phone: $phone }) { userErrors { code } } }";

async fn settings(app: &TestApp, slug: &str, admin: &Signed, input: Value) -> Value {
    app.gql_as(slug, &admin.access, SETTINGS, json!({ "input": input }))
        .await
        .1
}

async fn preferences(app: &TestApp, slug: &str, who: &Signed, chart: &str, input: Value) -> Value {
    let mut input = input;
    input["patientId"] = json!(chart);
    app.gql_as(slug, &who.access, PREFERENCES, json!({ "input": input }))
        .await
        .1
}

/// A practice whose reminders go four days ahead (a visit three days out is reminded at
/// once), with the given quiet hours.
async fn reminding(app: &TestApp, slug: &str, quiet: (&str, &str)) -> Practice {
    let p = practice(app, slug).await;
    app.gql_as(
        slug,
        &p.admin.access,
        "mutation { updateReminderSettings(input: { offsetsMinutes: [5760] }) { userErrors { code } } }",
        json!({}),
    )
    .await;
    let set = settings(
        app,
        slug,
        &p.admin,
        json!({ "quietHoursStart": quiet.0, "quietHoursEnd": quiet.1 }),
    )
    .await;
    assert!(
        set["data"]["updateNotificationSettings"]["notificationSettings"].is_object(),
        "{set}"
    );
    p
}

/// A patient with a mobile number who wants texts as well as email.
async fn texting_patient(app: &TestApp, slug: &str, phone: &str) -> (Signed, String) {
    let (patient, chart) = app.add_user(slug, Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let (_, changed) = app
        .gql_as(
            slug,
            &patient.access,
            CONTACT,
            json!({ "p": chart, "phone": phone }),
        )
        .await;
    assert_eq!(
        changed["data"]["updateContactDetails"]["userErrors"],
        json!([]),
        "{changed}"
    );
    let set = preferences(app, slug, &patient, &chart, json!({ "sms": true })).await;
    assert_eq!(
        set["data"]["updateNotificationPreferences"]["patient"]["notificationPreferences"]["sms"],
        true,
        "{set}"
    );
    (patient, chart)
}

/// Books the `nth` open slot three days ahead for the patient.
async fn book_nth(app: &TestApp, p: &Practice, who: &Signed, chart: &str, nth: usize) -> String {
    let day = days_ahead(p, 3);
    let open = starts(&slots(app, &who.access, &who.slug, p, day, day).await);
    booked_id(&book(app, &who.access, p, chart, open[nth]).await)
}

async fn messages(app: &TestApp, slug: &str) -> Vec<outbox_message::Model> {
    let tenant = portico_core::tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap();
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Read)
        .await
        .unwrap();
    let all = outbox::all(&tx).await.unwrap();
    tx.rollback().await.unwrap();
    all
}

/// Polls until `done` holds of the practice's outbox (up to 30 s).
async fn wait_outbox(
    app: &TestApp,
    slug: &str,
    what: &str,
    done: impl Fn(&[outbox_message::Model]) -> bool,
) -> Vec<outbox_message::Model> {
    wait_until(
        &format!("the outbox: {what}"),
        Duration::from_secs(30),
        async || {
            let all = messages(app, slug).await;
            done(&all).then_some(all)
        },
    )
    .await
}

/// Waits until the job queue is empty: every job queued so far has run.
async fn drain(app: &TestApp) {
    let queue = app.services().queue;
    wait_until(
        "the job queue to empty",
        Duration::from_secs(30),
        async || {
            let depth = queue.depth().await.unwrap();
            if depth == 0 { Ok(()) } else { Err(depth) }
        },
    )
    .await;
}

fn sms_config(provider: &SmsProvider) -> impl FnOnce(&mut portico_server::Config) {
    let url = provider.base_url.clone();
    move |c| {
        c.notify.sms_api_url = url;
        c.notify.sms_account_sid = Some(ACCOUNT_SID.to_owned());
        c.notify.sms_auth_token = Some(SecretString::from(AUTH_TOKEN));
        c.notify.sms_from = Some(FROM.to_owned());
    }
}

#[tokio::test]
async fn text_messages_reach_the_provider_and_a_refused_number_bounces() {
    let provider = SmsProvider::start().await;
    let app = spawn_app_with(sms_config(&provider)).await;
    let p = reminding(&app, "texting", ("00:00", "00:00")).await;

    let (patient, chart) = texting_patient(&app, "texting", "+1 (555) 010-4477").await;
    book_nth(&app, &p, &patient, &chart, 0).await;
    let text = provider.wait_for("+15550104477").await;
    assert_eq!(text.from, FROM);
    assert!(text.body.starts_with("texting practice: "), "{}", text.body);
    assert!(
        text.body.contains("/t/texting/visit#token=rem_"),
        "{}",
        text.body
    );
    for phi in ["Rivera", "Follow-up", "Main Street", "Tester"] {
        assert!(!text.body.contains(phi), "{phi} in {}", text.body);
    }
    // The same reminder by email, as text and branded HTML.
    let mail = app.wait_for_email_to(&patient.email).await;
    assert!(mail.contains("multipart/alternative"), "{mail}");
    assert!(mail.contains("Content-Type: text/html"), "{mail}");
    assert!(mail.contains("notification settings"), "{mail}");

    // A number the provider refuses for good: a bounce, recorded on the chart and listed
    // for the practice, without the number in the error.
    provider.refuse("+15550109999");
    let (refused, refused_chart) = texting_patient(&app, "texting", "+1 555 010 9999").await;
    book_nth(&app, &p, &refused, &refused_chart, 1).await;
    let all = wait_outbox(&app, "texting", "a bounce", |all| {
        all.iter().any(|m| {
            m.last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("bounced"))
        })
    })
    .await;
    let bounced = all
        .iter()
        .find(|m| {
            m.last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("bounced"))
        })
        .unwrap();
    assert_eq!(bounced.channel, "sms");
    assert!(bounced.delivered_at.is_none());
    let error = bounced.last_error.clone().unwrap();
    assert!(error.contains("21211"), "{error}");
    assert!(!error.contains("0109999"), "{error}");
    let (_, failed) = app
        .gql_as(
            "texting",
            &p.admin.access,
            "{ failedDeliveries { channel to lastError } }",
            json!({}),
        )
        .await;
    assert_eq!(
        failed["data"]["failedDeliveries"][0]["channel"], "sms",
        "{failed}"
    );
    let prefs = |who: Signed, chart: String| {
        let app = &app;
        async move {
            app.gql_as(
                "texting",
                &who.access,
                "query($p: ID!) { patient(id: $p) { notificationPreferences { smsBouncedAt } } }",
                json!({ "p": chart }),
            )
            .await
            .1["data"]["patient"]["notificationPreferences"]["smsBouncedAt"]
                .clone()
        }
    };
    assert!(
        prefs(refused.clone(), refused_chart.clone())
            .await
            .is_string()
    );
    assert!(provider.to("+15550109999").is_empty());
    // A new number starts afresh.
    app.gql_as(
        "texting",
        &refused.access,
        CONTACT,
        json!({ "p": refused_chart, "phone": "+1 555 010 2222" }),
    )
    .await;
    assert!(prefs(refused, refused_chart).await.is_null());
}

#[tokio::test]
async fn the_sms_adapter_reads_the_providers_answers() {
    use portico_core::ports::{Sms, SmsSender};
    let provider = SmsProvider::start().await;
    let sender =
        portico_notify::HttpSms::new(&provider.base_url, ACCOUNT_SID, AUTH_TOKEN, FROM).unwrap();
    let sms = |to: &str| Sms {
        to: to.to_owned(),
        text: "Lakeside: you have an upcoming appointment.".to_owned(),
        message_id: None,
    };
    sender.send(sms("+15550100001")).await.unwrap();
    assert_eq!(provider.to("+15550100001").len(), 1);

    provider.refuse("+15550100002");
    let refused = sender.send(sms("+15550100002")).await.unwrap_err();
    assert!(refused.permanent, "{refused}");
    assert!(!refused.to_string().contains("0100002"), "{refused}");

    provider.fail_once("+15550100003");
    let down = sender.send(sms("+15550100003")).await.unwrap_err();
    assert!(!down.permanent, "{down}");
    assert!(down.to_string().contains("503"), "{down}");
    sender.send(sms("+15550100003")).await.unwrap();
    assert_eq!(provider.to("+15550100003").len(), 1);

    let wrong =
        portico_notify::HttpSms::new(&provider.base_url, ACCOUNT_SID, "wrong", FROM).unwrap();
    let unauthorised = wrong.send(sms("+15550100004")).await.unwrap_err();
    // Our credentials are wrong, not the patient's number: no bounce.
    assert!(!unauthorised.permanent, "{unauthorised}");
    assert!(provider.to("+15550100004").is_empty());
}

#[tokio::test]
async fn preferences_are_checked_and_an_opted_out_patient_hears_nothing() {
    let app = spawn_app().await;
    let p = reminding(&app, "prefs", ("00:00", "00:00")).await;
    let (patient, chart) = app.add_user("prefs", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let (other, _) = app.add_user("prefs", Role::Patient).await;

    // The chart's number (555-0100) cannot take texts.
    for (input, code) in [
        (json!({ "sms": true }), "NO_MOBILE_NUMBER"),
        (json!({ "timeZone": "Mars/Olympus" }), "INVALID_TIME_ZONE"),
        (json!({ "email": true }), "NO_CHANGES"),
    ] {
        let refused = preferences(&app, "prefs", &patient, &chart, input.clone()).await;
        assert_eq!(
            user_error(&refused, "updateNotificationPreferences"),
            Some(code),
            "{input} {refused}"
        );
    }
    // Another patient cannot change them.
    let across = preferences(&app, "prefs", &other, &chart, json!({ "optedOut": true })).await;
    assert_eq!(
        portico_tests::error_code(&across),
        Some("NOT_FOUND"),
        "{across}"
    );

    let out = preferences(
        &app,
        "prefs",
        &patient,
        &chart,
        json!({ "optedOut": true, "timeZone": "Europe/Lisbon" }),
    )
    .await;
    assert_eq!(
        out["data"]["updateNotificationPreferences"]["patient"]["notificationPreferences"],
        json!({ "email": true, "sms": false, "optedOut": true,
            "timeZone": "Europe/Lisbon", "smsBouncedAt": null }),
        "{out}"
    );
    book_nth(&app, &p, &patient, &chart, 0).await;
    // The booking queued the reminder run; once the queue is empty it has run, and written
    // nothing.
    drain(&app).await;
    assert!(messages(&app, "prefs").await.is_empty());
    assert!(app.last_email_to(&patient.email).is_none());

    // Staff can opt the patient back in for them (asked by phone).
    let back = preferences(
        &app,
        "prefs",
        &p.admin,
        &chart,
        json!({ "optedOut": false }),
    )
    .await;
    assert_eq!(
        back["data"]["updateNotificationPreferences"]["patient"]["notificationPreferences"]["optedOut"],
        false,
        "{back}"
    );
}

#[tokio::test]
async fn quiet_hours_hold_text_messages_but_not_email() {
    let app = spawn_app().await;
    let p = practice(&app, "quiet").await;
    // Bad settings first: each refused with its code.
    for (input, code) in [
        (
            json!({ "quietHoursStart": "25:00", "quietHoursEnd": "08:00" }),
            "INVALID_TIME",
        ),
        (
            json!({ "quietHoursStart": "21:00" }),
            "INCOMPLETE_QUIET_HOURS",
        ),
        (json!({ "sendingLimitPerHour": 0 }), "INVALID_LIMIT"),
    ] {
        let refused = settings(&app, "quiet", &p.admin, input.clone()).await;
        assert_eq!(
            user_error(&refused, "updateNotificationSettings"),
            Some(code),
            "{input} {refused}"
        );
    }
    // Quiet hours from an hour ago to an hour from now, in the practice's zone.
    let local = Utc::now().with_timezone(&p.tz);
    let clock = |t: chrono::DateTime<chrono_tz::Tz>| t.format("%H:%M").to_string();
    let start = clock(local - chrono::Duration::hours(1));
    let end = clock(local + chrono::Duration::hours(1));
    let p = {
        app.gql_as(
            "quiet",
            &p.admin.access,
            "mutation { updateReminderSettings(input: { offsetsMinutes: [5760] }) { userErrors { code } } }",
            json!({}),
        )
        .await;
        let set = settings(
            &app,
            "quiet",
            &p.admin,
            json!({ "quietHoursStart": start, "quietHoursEnd": end }),
        )
        .await;
        assert_eq!(
            set["data"]["updateNotificationSettings"]["notificationSettings"]["quietHoursStart"],
            json!(start),
            "{set}"
        );
        p
    };
    let (_, read) = app
        .gql_as(
            "quiet",
            &p.admin.access,
            "{ notificationSettings { quietHoursEnd sendingLimitPerHour } }",
            json!({}),
        )
        .await;
    assert_eq!(
        read["data"]["notificationSettings"],
        json!({ "quietHoursEnd": end, "sendingLimitPerHour": 10000 })
    );

    let (patient, chart) = texting_patient(&app, "quiet", "+15550104477").await;
    let (_, forbidden) = app
        .gql_as(
            "quiet",
            &patient.access,
            "{ notificationSettings { quietHoursEnd } }",
            json!({}),
        )
        .await;
    assert_eq!(portico_tests::error_code(&forbidden), Some("FORBIDDEN"));

    book_nth(&app, &p, &patient, &chart, 0).await;
    // The email goes now...
    app.wait_for_email_to(&patient.email).await;
    // ...and the text waits for the end of quiet hours.
    let all = messages(&app, "quiet").await;
    let text = all.iter().find(|m| m.channel == "sms").expect("a text");
    assert!(text.delivered_at.is_none());
    let held: DateTime<Utc> = text.next_attempt_at.expect("held");
    let minutes = (held - Utc::now()).num_minutes();
    assert!((55..=61).contains(&minutes), "held for {minutes} min");
    assert!(app.texts().is_empty());
}

#[tokio::test]
async fn a_practice_sends_no_more_an_hour_than_its_limit() {
    let app = spawn_app().await;
    let p = reminding(&app, "limited", ("00:00", "00:00")).await;
    let set = settings(
        &app,
        "limited",
        &p.admin,
        json!({ "quietHoursStart": "00:00", "quietHoursEnd": "00:00", "sendingLimitPerHour": 2 }),
    )
    .await;
    assert_eq!(
        set["data"]["updateNotificationSettings"]["notificationSettings"]["sendingLimitPerHour"], 2,
        "{set}"
    );
    for _ in 0..4 {
        let (patient, chart) = app.add_user("limited", Role::Patient).await;
        book_nth(&app, &p, &patient, &gid("Patient", chart.unwrap()), 0).await;
    }
    wait_outbox(&app, "limited", "four reminders, two delivered", |all| {
        all.len() == 4 && all.iter().filter(|m| m.delivered_at.is_some()).count() == 2
    })
    .await;
    // Another relay hands out nothing more this hour.
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "limited")
        .await
        .unwrap()
        .unwrap();
    relay(&app, tenant.id()).await;
    drain(&app).await;
    let all = messages(&app, "limited").await;
    assert_eq!(all.iter().filter(|m| m.delivered_at.is_some()).count(), 2);
    assert_eq!(all.iter().filter(|m| m.relayed_at.is_none()).count(), 2);
    // A higher limit lets the rest go.
    settings(
        &app,
        "limited",
        &p.admin,
        json!({ "sendingLimitPerHour": 100 }),
    )
    .await;
    relay(&app, tenant.id()).await;
    wait_outbox(&app, "limited", "all four delivered", |all| {
        all.iter().all(|m| m.delivered_at.is_some())
    })
    .await;
}

#[tokio::test]
async fn no_message_carries_phi_from_a_full_chart() {
    let app = spawn_app().await;
    let p = reminding(&app, "private", ("00:00", "00:00")).await;
    let (patient, chart) = texting_patient(&app, "private", "+15550104477").await;
    small_chart(&app, &p.admin, &chart).await;
    let (_, names) = app
        .gql_as(
            "private",
            &patient.access,
            "query($p: ID!) { patient(id: $p) { givenName familyName mrn } }",
            json!({ "p": chart }),
        )
        .await;
    let names = &names["data"]["patient"];

    // A preventive-care recall the chart makes due (before any visit of the type is booked).
    let (_, rule) = app
        .gql_as(
            "private",
            &p.admin.access,
            "mutation($input: RecallRuleInput!) { createRecallRule(input: $input) { userErrors { code } } }",
            json!({ "input": { "name": "Diabetes follow-up screening", "appointmentTypeId": p.kind,
                "intervalMonths": 12, "minAge": 18 } }),
        )
        .await;
    assert_eq!(
        rule["data"]["createRecallRule"]["userErrors"],
        json!([]),
        "{rule}"
    );
    let (_, run) = app
        .gql_as(
            "private",
            &p.admin.access,
            "mutation { runRecallsNow { notified } }",
            json!({}),
        )
        .await;
    assert!(
        run["data"]["runRecallsNow"]["notified"].as_u64() >= Some(1),
        "{run}"
    );

    // A reminder of the patient's visit.
    book_nth(&app, &p, &patient, &chart, 0).await;
    // An earlier time opening for the patient on the waitlist: another patient's visit
    // earlier that day is cancelled.
    let (other, other_chart) = app.add_user("private", Role::Patient).await;
    let other_chart = gid("Patient", other_chart.unwrap());
    let day = days_ahead(&p, 2);
    let open = starts(&slots(&app, &other.access, "private", &p, day, day).await);
    let early = booked_id(&book(&app, &p.admin.access, &p, &other_chart, open[0]).await);
    let (_, joined) = app
        .gql_as(
            "private",
            &patient.access,
            "mutation($input: JoinWaitlistInput!) { joinWaitlist(input: $input) { userErrors { code } } }",
            json!({ "input": { "patientId": chart, "appointmentTypeId": p.kind,
                "wantedBefore": (open[0] + chrono::Duration::days(1)).to_rfc3339() } }),
        )
        .await;
    assert_eq!(
        joined["data"]["joinWaitlist"]["userErrors"],
        json!([]),
        "{joined}"
    );
    let (_, cancelled) = app
        .gql_as("private", &p.admin.access, CANCEL, json!({ "id": early }))
        .await;
    assert_eq!(
        cancelled["data"]["cancelAppointment"]["appointment"]["status"], "CANCELLED",
        "{cancelled}"
    );

    // Every notice, on both channels.
    // Generous: under the whole suite on two cores a delivery can take a while.
    let (texts, mails) = wait_until(
        "three notices on each channel",
        Duration::from_secs(60),
        async || {
            let texts = app.texts();
            let mails: Vec<String> = app
                .outbox()
                .into_iter()
                .filter(|m| m.starts_with(&format!("To: {}\r\n", patient.email)))
                .collect();
            let counts = format!("{} texts, {} emails", texts.len(), mails.len());
            (texts.len() >= 3 && mails.len() >= 3)
                .then_some((texts, mails))
                .ok_or(counts)
        },
    )
    .await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains("A reminder from private practice"))
    );
    assert!(
        mails
            .iter()
            .any(|m| m.contains("An earlier time is open at private practice")),
        "{mails:?}"
    );
    assert!(
        mails
            .iter()
            .any(|m| m.contains("Time to book a visit with private practice"))
    );
    assert_eq!(texts.len(), 3, "{texts:?}");
    let forbidden = [
        names["givenName"].as_str().unwrap(),
        names["familyName"].as_str().unwrap(),
        names["mrn"].as_str().unwrap(),
        // The chart: results, report, visit, medication, allergy, problem, immunization.
        "Glucose",
        "2345-7",
        "mg/dL",
        "metabolic",
        "Routine visit",
        "Metformin",
        "861007",
        "Dr. Lee",
        "Peanuts",
        "Anaphylaxis",
        "diabetes",
        "44054006",
        "Pneumococcal",
        // The visit: provider, type, place.
        "Rivera",
        "Follow-up",
        "Main Street",
        // The recall rule.
        "screening",
        // Contact details.
        "0104477",
    ];
    for message in mails.iter().chain(texts.iter()) {
        // The address line names the recipient; the content after it must not.
        let content = message.split_once("\r\n").map_or("", |(_, rest)| rest);
        for term in forbidden {
            assert!(!content.contains(term), "{term} in {content}");
        }
    }
}
