//! Secure messaging: who reads which thread (patient, proxy by grant, staff of the practice
//! only), internal notes that never reach a patient, the staff inbox with assignment, closing
//! and the response-time target, bad input refused with codes and nothing changed, and the
//! new-message notice with no PHI.

use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, error_code, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    gid,
    messaging::{START, clinic, post, start, thread_id, user_gid},
    records::GRANT_PROXY,
    scheduling::{book, booked_id, days_ahead, practice, slots, starts},
    user_error, uuid_of,
};

const THREAD: &str = "query($id: ID!) { messageThread(id: $id) {
    id status unread overdue replyDueAt awaitingReplySince assigneeId
    messages { body internal authorKind authorName attachments { fileName downloadUrl } } } }";
const THREADS: &str = "query($p: ID) { messageThreads(patientId: $p) { id subject unread } }";
const INBOX: &str = "query($pool: ID, $a: AssigneeFilter, $s: ThreadStatus, $o: Boolean) {
    inbox(poolId: $pool, assignee: $a, status: $s, overdue: $o) { id subject assigneeId overdue } }";
const ASSIGN: &str = "mutation($input: AssignThreadInput!) { assignThread(input: $input) {
    thread { id assigneeId } userErrors { field code } } }";
const CLOSE: &str = "mutation($id: ID!) { closeThread(input: { threadId: $id }) {
    thread { id status } userErrors { field code } } }";
const REOPEN: &str = "mutation($id: ID!) { reopenThread(input: { threadId: $id }) {
    thread { id status } userErrors { field code } } }";
const READ: &str = "mutation($id: ID!) { markThreadRead(input: { threadId: $id }) {
    thread { id unread } userErrors { code } } }";

async fn thread(app: &TestApp, who: &Signed, id: &str) -> Value {
    app.gql_as(&who.slug, &who.access, THREAD, json!({ "id": id }))
        .await
        .1
}

fn bodies(thread: &Value) -> Vec<String> {
    thread["data"]["messageThread"]["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages: {thread}"))
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_patient_reads_only_their_own_threads_and_never_an_internal_note() {
    let app = spawn_app().await;
    let c = clinic(&app, "msg-own").await;
    let (alice, alice_chart) = app.add_user("msg-own", Role::Patient).await;
    let (bob, _) = app.add_user("msg-own", Role::Patient).await;
    let started = start(
        &app,
        &alice,
        alice_chart.unwrap(),
        &c.pool,
        "Can I take it with food?",
    )
    .await;
    let id = thread_id(&started);
    assert_eq!(
        started["data"]["startThread"]["thread"]["pool"]["name"],
        "Nurse line"
    );
    assert_eq!(started["data"]["startThread"]["thread"]["unread"], false);

    let inbox = app
        .gql_as("msg-own", &c.nurse.access, INBOX, json!({ "pool": c.pool }))
        .await
        .1;
    assert_eq!(inbox["data"]["inbox"][0]["id"], id.as_str(), "{inbox}");
    let note = post(&app, &c.nurse, &id, "Check the renal panel first", true).await;
    assert_eq!(
        note["data"]["postMessage"]["message"]["internal"], true,
        "{note}"
    );
    let reply = post(&app, &c.nurse, &id, "Yes, with breakfast.", false).await;
    assert!(
        reply["data"]["postMessage"]["message"].is_object(),
        "{reply}"
    );

    // The patient: their message and the reply, not the note.
    let seen = thread(&app, &alice, &id).await;
    assert_eq!(
        bodies(&seen),
        ["Can I take it with food?", "Yes, with breakfast."],
        "{seen}"
    );
    assert_eq!(seen["data"]["messageThread"]["unread"], true);
    // Staff-only fields stay empty for the patient.
    assert_eq!(seen["data"]["messageThread"]["replyDueAt"], Value::Null);
    let read = app
        .gql_as("msg-own", &alice.access, READ, json!({ "id": id }))
        .await
        .1;
    assert_eq!(
        read["data"]["markThreadRead"]["thread"]["unread"], false,
        "{read}"
    );
    // Staff: everything, note included.
    let staff_view = thread(&app, &c.nurse, &id).await;
    assert_eq!(bodies(&staff_view).len(), 3, "{staff_view}");
    // Every look at the conversation is on the chart's audit trail.
    let (_, audit) = app
        .gql_as(
            "msg-own",
            &c.admin.access,
            "query($p: ID) { auditEvents(patientId: $p, first: 500) { action } }",
            json!({ "p": gid("Patient", alice_chart.unwrap()) }),
        )
        .await;
    let actions: Vec<&str> = audit["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{audit}"))
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "thread.start",
        "thread.note",
        "thread.message",
        "thread.list",
        "thread.read",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }

    // Another patient of the same practice: nothing, not even that it exists.
    let other = thread(&app, &bob, &id).await;
    assert_eq!(error_code(&other), Some("NOT_FOUND"), "{other}");
    let listed = app
        .gql_as("msg-own", &bob.access, THREADS, json!({}))
        .await
        .1;
    assert_eq!(listed["data"]["messageThreads"], json!([]), "{listed}");
    let intrude = post(&app, &bob, &id, "hello", false).await;
    assert_eq!(error_code(&intrude), Some("NOT_FOUND"), "{intrude}");
    // Nor can they start a thread on Alice's chart.
    let on_alice = start(&app, &bob, alice_chart.unwrap(), &c.pool, "hi").await;
    assert_eq!(error_code(&on_alice), Some("NOT_FOUND"), "{on_alice}");

    // Staff of another practice: not found with the same id, and an empty inbox.
    let elsewhere = clinic(&app, "msg-other").await;
    let foreign = thread(&app, &elsewhere.nurse, &id).await;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");
    let their_inbox = app
        .gql_as("msg-other", &elsewhere.nurse.access, INBOX, json!({}))
        .await
        .1;
    assert_eq!(their_inbox["data"]["inbox"], json!([]), "{their_inbox}");
    assert_eq!(bodies(&thread(&app, &c.nurse, &id).await).len(), 3);
}

#[tokio::test]
async fn a_proxy_takes_part_only_with_the_message_scope() {
    let app = spawn_app().await;
    let c = clinic(&app, "msg-proxy").await;
    let (child, child_chart) = app.add_user("msg-proxy", Role::Patient).await;
    let child_chart = child_chart.unwrap();
    let (parent, _) = app.add_user("msg-proxy", Role::Patient).await;
    let (reader, _) = app.add_user("msg-proxy", Role::Patient).await;
    for (who, scopes) in [(&parent, json!(["MESSAGE"])), (&reader, json!(["READ"]))] {
        let (_, granted) = app
            .gql_as(
                "msg-proxy",
                &child.access,
                GRANT_PROXY,
                json!({ "chart": gid("Patient", child_chart), "email": who.email, "scopes": scopes }),
            )
            .await;
        assert!(
            granted["data"]["grantProxyAccess"]["grant"].is_object(),
            "{granted}"
        );
    }
    let id = thread_id(
        &start(
            &app,
            &parent,
            child_chart,
            &c.pool,
            "Fever since last night",
        )
        .await,
    );
    let listed = app
        .gql_as("msg-proxy", &parent.access, THREADS, json!({}))
        .await
        .1;
    assert_eq!(
        listed["data"]["messageThreads"][0]["id"],
        id.as_str(),
        "{listed}"
    );
    let seen = thread(&app, &parent, &id).await;
    assert_eq!(
        seen["data"]["messageThread"]["messages"][0]["authorKind"],
        "PROXY"
    );
    // The patient sees what their proxy wrote.
    assert_eq!(
        bodies(&thread(&app, &child, &id).await),
        ["Fever since last night"]
    );
    // The dashboard counts conversations with news for those who take part: the patient
    // has not read what the proxy wrote; a proxy who reads the chart but not its
    // conversations hears of none.
    let unread = |who: &Signed| {
        let who = who.clone();
        let app = &app;
        async move {
            app.gql_as(
                "msg-proxy",
                &who.access,
                "query($id: ID!) { patient(id: $id) { dashboard { unreadThreads } } }",
                json!({ "id": gid("Patient", child_chart) }),
            )
            .await
            .1["data"]["patient"]["dashboard"]["unreadThreads"]
                .clone()
        }
    };
    assert_eq!(unread(&child).await, 1);
    // A proxy with `message` only does not read the chart, dashboard included.
    assert_eq!(unread(&parent).await, Value::Null);
    assert_eq!(unread(&reader).await, 0);
    // A grant to read the chart is not a grant to its conversations, and the reader is
    // told so.
    let refused = thread(&app, &reader, &id).await;
    assert_eq!(
        error_code(&refused),
        Some("PROXY_SCOPE_DENIED"),
        "{refused}"
    );
    let refused = start(&app, &reader, child_chart, &c.pool, "hi").await;
    assert_eq!(
        error_code(&refused),
        Some("PROXY_SCOPE_DENIED"),
        "{refused}"
    );
}

#[tokio::test]
async fn bad_input_gets_its_code_and_changes_nothing() {
    let app = spawn_app().await;
    let c = clinic(&app, "msg-bad").await;
    let other = clinic(&app, "msg-bad-other").await;
    let (patient, chart) = app.add_user("msg-bad", Role::Patient).await;
    let chart = chart.unwrap();

    // Another practice's pool: as if it did not exist.
    let foreign = start(&app, &patient, chart, &other.pool, "hello").await;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");
    let empty = start(&app, &patient, chart, &c.pool, "   ").await;
    assert_eq!(user_error(&empty, "startThread"), Some("MESSAGE_EMPTY"));
    let long = start(&app, &patient, chart, &c.pool, &"x".repeat(10_001)).await;
    assert_eq!(user_error(&long, "startThread"), Some("MESSAGE_TOO_LONG"));
    let (_, both) = app
        .gql_as(
            "msg-bad",
            &patient.access,
            START,
            json!({ "input": { "patientId": gid("Patient", chart), "category": "OTHER",
                "subject": "s", "body": "b" } }),
        )
        .await;
    assert_eq!(user_error(&both, "startThread"), Some("RECIPIENT_REQUIRED"));
    let listed = app
        .gql_as("msg-bad", &patient.access, THREADS, json!({}))
        .await
        .1;
    assert_eq!(
        listed["data"]["messageThreads"],
        json!([]),
        "nothing was started: {listed}"
    );

    let id = thread_id(&start(&app, &patient, chart, &c.pool, "First").await);
    let note = post(&app, &patient, &id, "sneaky", true).await;
    assert_eq!(
        user_error(&note, "postMessage"),
        Some("INTERNAL_NOTE_STAFF_ONLY")
    );
    let closed = app
        .gql_as("msg-bad", &c.nurse.access, CLOSE, json!({ "id": id }))
        .await
        .1;
    assert_eq!(
        closed["data"]["closeThread"]["thread"]["status"], "CLOSED",
        "{closed}"
    );
    let late = post(&app, &patient, &id, "one more thing", false).await;
    assert_eq!(user_error(&late, "postMessage"), Some("THREAD_CLOSED"));
    let staff_late = post(&app, &c.nurse, &id, "and another", false).await;
    assert_eq!(
        user_error(&staff_late, "postMessage"),
        Some("THREAD_CLOSED")
    );
    assert_eq!(bodies(&thread(&app, &c.nurse, &id).await), ["First"]);
    let again = app
        .gql_as("msg-bad", &c.nurse.access, CLOSE, json!({ "id": id }))
        .await
        .1;
    assert_eq!(user_error(&again, "closeThread"), Some("THREAD_CLOSED"));
    // A patient does not run the inbox or close threads.
    let (status, inbox) = app
        .gql_as("msg-bad", &patient.access, INBOX, json!({}))
        .await;
    assert_eq!(
        (status, error_code(&inbox)),
        (200, Some("FORBIDDEN")),
        "{inbox}"
    );
    let reopened = app
        .gql_as("msg-bad", &c.nurse.access, REOPEN, json!({ "id": id }))
        .await
        .1;
    assert_eq!(reopened["data"]["reopenThread"]["thread"]["status"], "OPEN");
    let after = post(&app, &patient, &id, "Thanks", false).await;
    assert!(
        after["data"]["postMessage"]["message"].is_object(),
        "{after}"
    );
    // Assigning to a patient is refused; another practice's staff member is not found.
    let patient_user = user_gid(&app, "msg-bad", &patient).await;
    let assign = |assignee: String| {
        let (app, nurse, id) = (&app, &c.nurse, &id);
        async move {
            app.gql_as(
                "msg-bad",
                &nurse.access,
                ASSIGN,
                json!({ "input": { "threadId": id, "assigneeId": assignee } }),
            )
            .await
            .1
        }
    };
    let to_patient = assign(patient_user).await;
    assert_eq!(user_error(&to_patient, "assignThread"), Some("NOT_STAFF"));
    let to_foreign = assign(other.nurse_id.clone()).await;
    assert_eq!(error_code(&to_foreign), Some("NOT_FOUND"), "{to_foreign}");
}

#[tokio::test]
async fn the_inbox_filters_by_assignee_status_and_the_response_target() {
    let app = spawn_app().await;
    let c = clinic(&app, "msg-inbox").await;
    let (patient, chart) = app.add_user("msg-inbox", Role::Patient).await;
    let chart = chart.unwrap();
    let first = thread_id(&start(&app, &patient, chart, &c.pool, "One").await);
    let second = thread_id(&start(&app, &patient, chart, &c.pool, "Two").await);
    let (_, assigned) = app
        .gql_as(
            "msg-inbox",
            &c.nurse.access,
            ASSIGN,
            json!({ "input": { "threadId": first, "assigneeId": c.nurse_id } }),
        )
        .await;
    assert_eq!(
        assigned["data"]["assignThread"]["thread"]["assigneeId"],
        c.nurse_id.as_str()
    );
    let ids = |body: &Value| -> Vec<String> {
        body["data"]["inbox"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mine = app
        .gql_as("msg-inbox", &c.nurse.access, INBOX, json!({ "a": "ME" }))
        .await
        .1;
    assert_eq!(ids(&mine), [first.as_str()]);
    let unassigned = app
        .gql_as(
            "msg-inbox",
            &c.nurse.access,
            INBOX,
            json!({ "a": "UNASSIGNED" }),
        )
        .await
        .1;
    assert_eq!(ids(&unassigned), [second.as_str()]);

    // Waiting on the practice: due by the default target (24 hours), not overdue yet.
    let seen = thread(&app, &c.nurse, &first).await;
    let since: chrono::DateTime<chrono::Utc> = seen["data"]["messageThread"]["awaitingReplySince"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let due: chrono::DateTime<chrono::Utc> = seen["data"]["messageThread"]["replyDueAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(due - since, chrono::Duration::hours(24));
    assert_eq!(seen["data"]["messageThread"]["overdue"], false);
    let overdue = app
        .gql_as("msg-inbox", &c.nurse.access, INBOX, json!({ "o": true }))
        .await
        .1;
    assert_eq!(ids(&overdue), Vec::<String>::new());
    // The first patient message waited two days: past any target of a day.
    backdate_waiting(&app, &first, chrono::Duration::days(2)).await;
    let overdue = app
        .gql_as("msg-inbox", &c.nurse.access, INBOX, json!({ "o": true }))
        .await
        .1;
    assert_eq!(ids(&overdue), [first.as_str()], "{overdue}");
    assert_eq!(overdue["data"]["inbox"][0]["overdue"], true);
    // A reply stops the clock.
    post(&app, &c.nurse, &first, "On it", false).await;
    let overdue = app
        .gql_as("msg-inbox", &c.nurse.access, INBOX, json!({ "o": true }))
        .await
        .1;
    assert_eq!(ids(&overdue), Vec::<String>::new());
    let (_, target) = app
        .gql_as(
            "msg-inbox",
            &c.admin.access,
            "mutation { updateMessagingSettings(input: { responseTargetHours: 0 }) {
                messagingSettings { responseTargetHours } userErrors { field code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        user_error(&target, "updateMessagingSettings"),
        Some("INVALID_RESPONSE_TARGET")
    );
    let closed = app
        .gql_as("msg-inbox", &c.nurse.access, CLOSE, json!({ "id": second }))
        .await
        .1;
    assert_eq!(closed["data"]["closeThread"]["thread"]["status"], "CLOSED");
    let open = app
        .gql_as("msg-inbox", &c.nurse.access, INBOX, json!({ "s": "OPEN" }))
        .await
        .1;
    assert_eq!(ids(&open), [first]);
}

/// Moves a thread's waiting message into the past.
async fn backdate_waiting(app: &TestApp, thread: &str, by: chrono::Duration) {
    let uuid = uuid_of(thread);
    app.backdate(
        "message_threads",
        "awaiting_reply_since",
        uuid,
        chrono::Utc::now() - by,
    )
    .await;
}

#[tokio::test]
async fn the_patient_hears_of_a_reply_without_its_words() {
    let app = spawn_app().await;
    let c = clinic(&app, "msg-notice").await;
    let (patient, chart) = app.add_user("msg-notice", Role::Patient).await;
    let id = thread_id(&start(&app, &patient, chart.unwrap(), &c.pool, "Rash on my arm").await);
    post(
        &app,
        &c.nurse,
        &id,
        "Internal: looks like contact dermatitis",
        true,
    )
    .await;
    post(
        &app,
        &c.nurse,
        &id,
        "Please send a photo of the rash",
        false,
    )
    .await;
    let mail = app.wait_for_email_to(&patient.email).await;
    assert!(mail.contains("A new message from"), "{mail}");
    for secret in [
        "Rash",
        "rash",
        "photo",
        "dermatitis",
        "dose",
        "Question about",
    ] {
        assert!(
            !mail.contains(secret),
            "the notice carries {secret:?}: {mail}"
        );
    }
    assert!(mail.contains("/messages/"), "{mail}");
    // One notice: the internal note sent nothing.
    let to_patient = app
        .outbox()
        .iter()
        .filter(|m| m.starts_with(&format!("To: {}\r\n", patient.email)))
        .count();
    assert_eq!(to_patient, 1);
}

#[tokio::test]
async fn staff_start_a_conversation_with_a_patient() {
    let app = spawn_app().await;
    let c = clinic(&app, "msg-outreach").await;
    let (patient, chart) = app.add_user("msg-outreach", Role::Patient).await;
    let started = start(
        &app,
        &c.nurse,
        chart.unwrap(),
        &c.pool,
        "Your results are in",
    )
    .await;
    let id = thread_id(&started);
    assert_eq!(
        started["data"]["startThread"]["message"]["authorKind"],
        "STAFF"
    );
    let listed = app
        .gql_as("msg-outreach", &patient.access, THREADS, json!({}))
        .await
        .1;
    assert_eq!(
        listed["data"]["messageThreads"][0]["id"],
        id.as_str(),
        "{listed}"
    );
    assert_eq!(listed["data"]["messageThreads"][0]["unread"], true);
    // Nobody waits on the practice: the patient has not written yet.
    let seen = thread(&app, &c.nurse, &id).await;
    assert_eq!(
        seen["data"]["messageThread"]["awaitingReplySince"],
        Value::Null
    );
    let mail = app.wait_for_email_to(&patient.email).await;
    assert!(!mail.contains("results"), "{mail}");
    let reply = post(&app, &patient, &id, "Thank you", false).await;
    // The patient's answer starts the practice's clock, which only staff see.
    assert_eq!(
        reply["data"]["postMessage"]["thread"]["awaitingReplySince"],
        Value::Null
    );
    let seen = thread(&app, &c.nurse, &id).await;
    assert!(
        seen["data"]["messageThread"]["awaitingReplySince"].is_string(),
        "{seen}"
    );
}

#[tokio::test]
async fn a_restricted_chart_stays_closed_in_the_inbox_and_patients_write_only_to_their_providers() {
    let app = spawn_app().await;
    let c = clinic(&app, "msg-vip").await;
    let (patient, chart) = app.add_user("msg-vip", Role::Patient).await;
    let chart = chart.unwrap();
    let id = thread_id(&start(&app, &patient, chart, &c.pool, "Private matter").await);
    let (_, restricted) = app
        .gql_as(
            "msg-vip",
            &c.admin.access,
            "mutation($chart: ID!) { setChartRestriction(input: { patientId: $chart, category: \"vip\" }) {
                userErrors { code } } }",
            json!({ "chart": gid("Patient", chart) }),
        )
        .await;
    assert_eq!(
        restricted["data"]["setChartRestriction"]["userErrors"],
        json!([]),
        "{restricted}"
    );
    const LISTED: &str = "{ inbox { id subject restricted } }";
    let nurse_view = app
        .gql_as("msg-vip", &c.nurse.access, LISTED, json!({}))
        .await
        .1;
    assert_eq!(
        nurse_view["data"]["inbox"][0],
        json!({ "id": id, "subject": null, "restricted": true }),
        "{nurse_view}"
    );
    let opened = thread(&app, &c.nurse, &id).await;
    assert_eq!(
        portico_tests::error_code(&opened),
        Some("BREAK_GLASS_REQUIRED"),
        "{opened}"
    );
    let admin_view = app
        .gql_as("msg-vip", &c.admin.access, LISTED, json!({}))
        .await
        .1;
    assert_eq!(
        admin_view["data"]["inbox"][0]["subject"],
        "Question about my dose"
    );
    assert_eq!(admin_view["data"]["inbox"][0]["restricted"], false);

    // A provider the patient has never seen is not theirs to write to.
    let p = practice(&app, "msg-doc").await;
    let (other, other_chart) = app.add_user("msg-doc", Role::Patient).await;
    let (_, to_doctor) = app
        .gql_as(
            "msg-doc",
            &other.access,
            START,
            json!({ "input": { "patientId": gid("Patient", other_chart.unwrap()),
                "providerId": p.provider, "category": "OTHER", "subject": "Hi", "body": "Hello" } }),
        )
        .await;
    assert_eq!(
        user_error(&to_doctor, "startThread"),
        Some("UNKNOWN_PROVIDER"),
        "{to_doctor}"
    );
    // With a visit booked, the patient writes to the provider's own team, made on first
    // use; two first messages at once share it.
    let other_chart = gid("Patient", other_chart.unwrap());
    let day = days_ahead(&p, 3);
    let open = slots(&app, &p.admin.access, "msg-doc", &p, day, day).await;
    let at = starts(&open)[0];
    let booked = book(&app, &p.admin.access, &p, &other_chart, at).await;
    booked_id(&booked);
    let write = || {
        let (app, other, chart, provider) = (&app, &other, other_chart.clone(), p.provider.clone());
        async move {
            app.gql_as(
                "msg-doc",
                &other.access,
                START,
                json!({ "input": { "patientId": chart, "providerId": provider,
                    "category": "OTHER", "subject": "Hi", "body": "Hello" } }),
            )
            .await
            .1
        }
    };
    let (first, second) = tokio::join!(write(), write());
    let pool = |body: &Value| body["data"]["startThread"]["thread"]["pool"]["name"].clone();
    assert_eq!(pool(&first), "Dr. Rivera's team", "{first}");
    assert_eq!(pool(&second), "Dr. Rivera's team", "{second}");
    let (_, pools) = app
        .gql_as(
            "msg-doc",
            &p.admin.access,
            "{ careTeamPools { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        pools["data"]["careTeamPools"],
        json!([{ "name": "Dr. Rivera's team" }])
    );
}
