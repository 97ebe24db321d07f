//! Appointment reminders: sent at the practice's offsets with no PHI and a one-time link to
//! confirm or cancel; withdrawn when the visit is cancelled, even once written to the outbox.

use std::time::Duration;

use chrono::Utc;
use portico_core::{
    TenantTx, audit::Actor, identity::Role, outbox, scheduling::reminders, tenancy::Access,
};
use portico_tests::{TestApp, spawn_app, wait_until};
use serde_json::{Value, json};

use crate::support::{
    adoption::day_figures,
    gid,
    scheduling::{
        CANCEL, Practice, book, booked_id, days_ahead, practice, practice_in, slots, starts,
    },
    token_in, user_error,
};

const ANSWER: &str = "mutation($token: String!, $answer: ReminderAnswer!) {
    answerReminder(input: { token: $token, answer: $answer }) {
        confirmed cancelled userErrors { field code message } } }";

/// A practice that reminds four days ahead, so a visit booked three days ahead gets its
/// reminder at once; and a patient with a booked visit.
async fn reminded(
    app: &TestApp,
    slug: &str,
    days: i64,
) -> (Practice, portico_tests::Signed, String, String) {
    let p = practice(app, slug).await;
    remind_four_days_ahead(app, slug, &p).await;
    let (patient, chart) = app.add_user(slug, Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let day = days_ahead(&p, days);
    let open = starts(&slots(app, &patient.access, slug, &p, day, day).await);
    let id = booked_id(&book(app, &patient.access, &p, &chart, open[0]).await);
    (p, patient, chart, id)
}

async fn remind_four_days_ahead(app: &TestApp, slug: &str, p: &Practice) {
    let (_, set) = app
        .gql_as(
            slug,
            &p.admin.access,
            "mutation { updateReminderSettings(input: { offsetsMinutes: [5760] }) {
                reminderSettings { offsetsMinutes } userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        set["data"]["updateReminderSettings"]["reminderSettings"]["offsetsMinutes"],
        json!([5760]),
        "{set}"
    );
}

async fn answer(app: &TestApp, slug: &str, token: &str, answer: &str) -> Value {
    // No sign-in: the link is the credential.
    app.gql(
        Some(slug),
        ANSWER,
        json!({ "token": token, "answer": answer }),
    )
    .await
}

#[tokio::test]
async fn a_reminder_names_only_the_practice_and_its_link_confirms_once() {
    let app = spawn_app().await;
    let (p, patient, chart, _) = reminded(&app, "remind", 3).await;
    let mail = app.wait_for_email_to(&patient.email).await;
    assert!(mail.contains("remind practice"), "{mail}");
    for phi in ["Rivera", "Follow-up", "Main Street", "Tester"] {
        assert!(!mail.contains(phi), "{phi} in {mail}");
    }
    let token = token_in(&mail);

    let confirmed = answer(&app, "remind", &token, "CONFIRM").await;
    assert_eq!(
        confirmed["data"]["answerReminder"]["confirmed"], true,
        "{confirmed}"
    );
    let again = answer(&app, "remind", &token, "CANCEL").await;
    assert_eq!(user_error(&again, "answerReminder"), Some("INVALID_LINK"));
    let wrong = answer(&app, "remind", "rem_not-a-token", "CONFIRM").await;
    assert_eq!(user_error(&wrong, "answerReminder"), Some("INVALID_LINK"));
    // Another practice's host does not know the link either.
    let _other = practice(&app, "elsewhere").await;
    let across = answer(&app, "elsewhere", &token, "CONFIRM").await;
    assert_eq!(user_error(&across, "answerReminder"), Some("INVALID_LINK"));

    let (_, list) = app
        .gql_as(
            "remind",
            &patient.access,
            "query($p: ID!) { appointments(patientId: $p) { status confirmedAt } }",
            json!({ "p": chart }),
        )
        .await;
    assert!(
        list["data"]["appointments"][0]["confirmedAt"].is_string(),
        "{list}"
    );
    assert_eq!(list["data"]["appointments"][0]["status"], "BOOKED");

    // The day's adoption figures count the reminder sent and, once the mail server took
    // it, delivered (the delivery is noted just after the message is handed over).
    let today = chrono::Utc::now().with_timezone(&p.tz).date_naive();
    let figures = wait_until(
        "the reminder noted delivered",
        Duration::from_secs(10),
        async || {
            let figures = day_figures(&app, "remind", &p.admin.access, today).await;
            if figures["remindersDelivered"] == 1 {
                Ok(figures)
            } else {
                Err(figures)
            }
        },
    )
    .await;
    assert_eq!(figures["remindersSent"], 1, "{figures}");
    assert_eq!(figures["remindersDelivered"], 1, "{figures}");
}

#[tokio::test]
async fn a_link_cancels_outside_the_window_only() {
    let app = spawn_app().await;
    let (p, patient, chart, _) = reminded(&app, "linkcancel", 3).await;
    let token = token_in(&app.wait_for_email_to(&patient.email).await);
    // Inside a 96-hour window the link cannot cancel (and is not used up by trying).
    app.gql_as(
        "linkcancel",
        &p.admin.access,
        "mutation { updateSchedulingSettings(input: { cancellationWindowHours: 96 }) { userErrors { code } } }",
        json!({}),
    )
    .await;
    let refused = answer(&app, "linkcancel", &token, "CANCEL").await;
    assert_eq!(
        user_error(&refused, "answerReminder"),
        Some("INSIDE_CANCELLATION_WINDOW"),
        "{refused}"
    );
    app.gql_as(
        "linkcancel",
        &p.admin.access,
        "mutation { updateSchedulingSettings(input: { cancellationWindowHours: 1 }) { userErrors { code } } }",
        json!({}),
    )
    .await;
    let cancelled = answer(&app, "linkcancel", &token, "CANCEL").await;
    assert_eq!(
        cancelled["data"]["answerReminder"]["cancelled"], true,
        "{cancelled}"
    );
    let (_, list) = app
        .gql_as(
            "linkcancel",
            &patient.access,
            "query($p: ID!) { appointments(patientId: $p, upcoming: false) { status } }",
            json!({ "p": chart }),
        )
        .await;
    assert_eq!(list["data"]["appointments"][0]["status"], "CANCELLED");
}

#[tokio::test]
async fn a_reminder_already_in_the_outbox_is_not_sent_once_the_visit_is_cancelled() {
    // No workers in this process: the test plays the sweep itself, so nothing races it.
    let database = portico_tests::TestDatabase::create().await;
    let config = database.config();
    let app = portico_tests::start(config, database, false).await;
    app.ready().await;
    // Far enough ahead that nothing is due at booking: the test makes it due itself.
    let (p, _patient, _chart, id) = reminded(&app, "withdrawn", 6).await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "withdrawn")
        .await
        .unwrap()
        .unwrap();
    // The reminder falls due and is written to the outbox (queued for delivery)...
    let text = portico_core::notify::Portal::new("http://portal.test", "withdrawn");
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    let written = reminders::send_due(
        &tx,
        &Actor::system(),
        Utc::now() + chrono::Duration::days(3),
        &text,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(written, 1);
    // ... and the visit is cancelled before a worker delivers it.
    let (_, cancelled) = app
        .gql_as("withdrawn", &p.admin.access, CANCEL, json!({ "id": id }))
        .await;
    assert_eq!(
        cancelled["data"]["cancelAppointment"]["appointment"]["status"], "CANCELLED",
        "{cancelled}"
    );
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    let messages = outbox::all(&tx).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].cancelled_at.is_some(), "{messages:?}");
    // No worker can claim it: it will never be sent.
    assert!(
        outbox::claim(&tx, messages[0].id, Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(outbox::pending(&tx, 10).await.unwrap().is_empty());
    tx.rollback().await.unwrap();
    assert!(
        app.outbox()
            .iter()
            .all(|m| !m.contains("withdrawn practice")),
        "a withdrawn reminder went out"
    );
}

/// Writes the due reminders of a practice with `visits` patients booked six days ahead, one
/// of whom opted out of notifications, as the sweep would three days from now. Returns how
/// many were written, the statements the run sent, and the outbox.
async fn remind_a_practice(
    app: &TestApp,
    slug: &str,
    visits: usize,
) -> (
    usize,
    u32,
    Vec<portico_core::entities::outbox_message::Model>,
) {
    let p = practice_in(app, slug, "America/Chicago", "08:00", "17:00").await;
    remind_four_days_ahead(app, slug, &p).await;
    let day = days_ahead(&p, 6);
    let open = starts(&slots(app, &p.admin.access, slug, &p, day, day).await);
    assert!(open.len() >= visits, "{} slots", open.len());
    for (i, at) in open.iter().take(visits).enumerate() {
        let (patient, chart) = app.add_user(slug, Role::Patient).await;
        let chart = gid("Patient", chart.unwrap());
        booked_id(&book(app, &patient.access, &p, &chart, *at).await);
        if i == 0 {
            let (_, out) = app
                .gql_as(
                    slug,
                    &patient.access,
                    "mutation($p: ID!) { updateNotificationPreferences(input: {
                        patientId: $p, optedOut: true }) { userErrors { code } } }",
                    json!({ "p": chart }),
                )
                .await;
            assert_eq!(
                out["data"]["updateNotificationPreferences"]["userErrors"],
                json!([]),
                "{out}"
            );
        }
    }
    let tenant = portico_core::tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap();
    let portal = portico_core::notify::Portal::new("http://portal.test", slug);
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    let (written, counts) = portico_core::statements::counted(reminders::send_due(
        &tx,
        &Actor::system(),
        Utc::now() + chrono::Duration::days(3),
        &portal,
    ))
    .await;
    tx.commit().await.unwrap();
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Read)
        .await
        .unwrap();
    let messages = outbox::all(&tx).await.unwrap();
    tx.rollback().await.unwrap();
    (written.unwrap(), counts.statements, messages)
}

#[tokio::test]
async fn due_reminders_are_written_in_sets_so_twelve_cost_what_two_do() {
    // No workers: the test plays the sweep itself.
    let database = portico_tests::TestDatabase::create().await;
    let config = database.config();
    let app = portico_tests::start(config, database, false).await;
    app.ready().await;

    let (few, few_statements, few_messages) = remind_a_practice(&app, "fewreminders", 2).await;
    let (many, many_statements, many_messages) = remind_a_practice(&app, "manyreminders", 12).await;
    // Everyone but the patient who opted out, one email each, each with its own link.
    assert_eq!((few, many), (1, 11));
    assert_eq!((few_messages.len(), many_messages.len()), (1, 11));
    let keys: std::collections::BTreeSet<&str> = many_messages
        .iter()
        .map(|m| m.idempotency_key.as_str())
        .collect();
    assert_eq!(keys.len(), 11, "{keys:?}");
    let links: std::collections::BTreeSet<String> = many_messages
        .iter()
        .map(|m| token_in(&outbox::email_of(m).unwrap().text))
        .collect();
    assert_eq!(links.len(), 11);
    // The run's statements do not grow with the number of reminders.
    assert_eq!(
        few_statements, many_statements,
        "2 reminders took {few_statements} statements, 12 took {many_statements}"
    );

    // Nothing is left to write: the one skipped is not tried again.
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "manyreminders")
        .await
        .unwrap()
        .unwrap();
    let portal = portico_core::notify::Portal::new("http://portal.test", "manyreminders");
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    let again = reminders::send_due(
        &tx,
        &Actor::system(),
        Utc::now() + chrono::Duration::days(3),
        &portal,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(again, 0);
}
