//! Patient feedback: a completed visit gets one survey, sent with no PHI; the link answers it
//! once, before it expires, with a 0-10 rating; practice admins read the scores by provider,
//! location and month and the comments, and no other practice or patient sees them.

use chrono::{DateTime, Duration, Utc};
use portico_core::{
    TenantTx,
    audit::Actor,
    entities::{feedback_response, outbox_message},
    feedback::{answers, invitations},
    identity::Role,
    notify::Portal,
    scheduling::appointments,
    tenancy::Access,
};
use portico_tests::{Signed, TestApp, error_code, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    gid,
    scheduling::{
        BOOK, Practice, SAVE_LOCATION, SAVE_PROVIDER, SET_WEEK, days_ahead, practice, saved, slots,
        starts,
    },
    token_in, user_error, uuid_of,
};

const ANSWER: &str = "mutation($token: String!, $rating: Int!, $comment: String) {
    answerFeedbackSurvey(input: { token: $token, rating: $rating, comment: $comment }) {
        answered userErrors { field code message } } }";
const SCORES: &str =
    "query($from: DateTime, $to: DateTime) { feedbackScores(from: $from, to: $to) {
    overall { count average promoters passives detractors nps }
    byProvider { id label score { count average promoters passives detractors } }
    byLocation { id label score { count average } }
    byMonth { label score { count average } }
    surveysSent surveysAnswered responseRate } }";
const COMMENTS: &str = "query($unhandled: Boolean) { feedbackComments(unhandled: $unhandled) {
    id patientId rating comment source handledAt handledBy } }";
const HANDLE: &str = "mutation($id: ID!) { markFeedbackHandled(input: { id: $id }) {
    feedback { id handledAt handledBy } userErrors { field code } } }";
const SUBMIT: &str = "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) {
    feedbackId userErrors { field code message } } }";

/// A visit of a new patient with `provider` at `location`, booked `days` ahead.
struct Visit {
    patient: Signed,
    chart: String,
    id: uuid::Uuid,
    starts: DateTime<Utc>,
}

async fn book_visit(
    app: &TestApp,
    p: &Practice,
    provider: &str,
    location: &str,
    days: i64,
) -> Visit {
    let slug = p.admin.slug.as_str();
    let (patient, chart) = app.add_user(slug, Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let day = days_ahead(p, days);
    let start = starts(&slots(app, &p.admin.access, slug, p, day, day).await)[0];
    let (_, body) = app
        .gql_as(
            slug,
            &p.admin.access,
            BOOK,
            json!({ "input": {
                "patientId": chart, "appointmentTypeId": p.kind, "providerId": provider,
                "locationId": location, "start": start.to_rfc3339() } }),
        )
        .await;
    let id = body["data"]["bookAppointment"]["appointment"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("not booked: {body}"));
    Visit {
        patient,
        chart,
        id: uuid_of(id),
        starts: start,
    }
}

async fn write_tx(app: &TestApp, slug: &str) -> TenantTx {
    let tenant = portico_core::tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap();
    TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap()
}

/// Records the visit completed, as staff would after it.
async fn complete(app: &TestApp, slug: &str, visit: &Visit) {
    let tx = write_tx(app, slug).await;
    let now = visit.starts + Duration::hours(1);
    appointments::set_outcome(
        &tx,
        &Actor::system(),
        visit.id,
        appointments::COMPLETED,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Plays the sweep at `at`: writes the surveys due then to the outbox.
async fn send_surveys(app: &TestApp, slug: &str, at: DateTime<Utc>) -> usize {
    let tx = write_tx(app, slug).await;
    let portal = Portal::new("http://portal.test", slug);
    let sent = invitations::send_due(&tx, &Actor::system(), at, &portal)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sent
}

/// The survey messages in the practice's outbox.
async fn survey_messages(app: &TestApp, slug: &str) -> Vec<outbox_message::Model> {
    let tx = write_tx(app, slug).await;
    let all = portico_core::outbox::all(&tx).await.unwrap();
    tx.rollback().await.unwrap();
    all.into_iter()
        .filter(|m| m.idempotency_key.starts_with("feedback:"))
        .collect()
}

async fn responses(app: &TestApp, slug: &str) -> Vec<feedback_response::Model> {
    let tx = write_tx(app, slug).await;
    let all = answers::all(&tx).await.unwrap();
    tx.rollback().await.unwrap();
    all
}

/// A practice with one completed visit whose survey was sent; returns its link's token.
async fn surveyed(app: &TestApp, slug: &str) -> (Practice, Visit, String) {
    let p = practice(app, slug).await;
    let visit = book_visit(app, &p, &p.provider, &p.location, 1).await;
    complete(app, slug, &visit).await;
    assert_eq!(
        send_surveys(app, slug, visit.starts + Duration::days(1)).await,
        1
    );
    let messages = survey_messages(app, slug).await;
    let token = token_in(&messages[0].payload);
    (p, visit, token)
}

async fn answer(app: &TestApp, slug: &str, token: &str, rating: i64, comment: &str) -> Value {
    // No sign-in: the link is the credential.
    app.gql(
        Some(slug),
        ANSWER,
        json!({ "token": token, "rating": rating, "comment": comment }),
    )
    .await
}

#[tokio::test]
async fn a_completed_visit_gets_one_survey_without_phi_answered_once() {
    let app = spawn_app().await;
    let p = practice(&app, "fbonce").await;
    let visit = book_visit(&app, &p, &p.provider, &p.location, 1).await;
    complete(&app, "fbonce", &visit).await;
    // Recording the outcome again plans nothing more.
    complete(&app, "fbonce", &visit).await;
    let tx = write_tx(&app, "fbonce").await;
    let planned = invitations::all(&tx).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].appointment_id, visit.id);

    // Not before its delay; then once.
    assert_eq!(send_surveys(&app, "fbonce", Utc::now()).await, 0);
    let later = visit.starts + Duration::days(1);
    assert_eq!(send_surveys(&app, "fbonce", later).await, 1);
    assert_eq!(send_surveys(&app, "fbonce", later).await, 0);
    let messages = survey_messages(&app, "fbonce").await;
    let emails: Vec<_> = messages.iter().filter(|m| m.channel == "email").collect();
    assert_eq!(emails.len(), 1, "{messages:?}");
    for message in &messages {
        assert_eq!(message.patient_id, Some(uuid_of(&visit.chart)));
    }
    let body = &emails[0].payload;
    assert!(body.contains("would like your feedback"), "{body}");
    let local = visit.starts.with_timezone(&p.tz);
    for phi in [
        "Rivera".to_owned(),
        "Follow-up".to_owned(),
        "Main Street".to_owned(),
        local.format("%Y-%m-%d").to_string(),
        local.format("%B %-d").to_string(),
        local.format("%b %-d").to_string(),
        local.format("%-m/%-d").to_string(),
    ] {
        for message in &messages {
            let text = &message.payload;
            assert!(!text.contains(&phi), "{phi} in {text}");
        }
    }
    let token = token_in(body);
    assert!(body.contains("/t/fbonce/feedback#token="), "{body}");

    let first = answer(&app, "fbonce", &token, 9, "Kind front desk").await;
    assert_eq!(
        first["data"]["answerFeedbackSurvey"]["answered"], true,
        "{first}"
    );
    let again = answer(&app, "fbonce", &token, 2, "Changed my mind").await;
    assert_eq!(
        user_error(&again, "answerFeedbackSurvey"),
        Some("SURVEY_ALREADY_ANSWERED"),
        "{again}"
    );
    let saved = responses(&app, "fbonce").await;
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].rating, Some(9));
    assert_eq!(saved[0].comment.as_deref(), Some("Kind front desk"));
    assert_eq!(saved[0].appointment_id, Some(visit.id));
    assert_eq!(saved[0].patient_id, uuid_of(&visit.chart));
}

#[tokio::test]
async fn a_no_show_gets_no_survey() {
    let app = spawn_app().await;
    let p = practice(&app, "fbnoshow").await;
    let visit = book_visit(&app, &p, &p.provider, &p.location, 1).await;
    let tx = write_tx(&app, "fbnoshow").await;
    let now = visit.starts + Duration::hours(1);
    appointments::set_outcome(&tx, &Actor::system(), visit.id, appointments::NO_SHOW, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        send_surveys(&app, "fbnoshow", visit.starts + Duration::days(1)).await,
        0
    );
    assert!(survey_messages(&app, "fbnoshow").await.is_empty());
}

#[tokio::test]
async fn a_bad_rating_an_expired_link_and_an_unknown_one_are_refused_and_save_nothing() {
    let app = spawn_app().await;
    let (_, _, token) = surveyed(&app, "fbrefuse").await;
    for rating in [11, -1] {
        let body = answer(&app, "fbrefuse", &token, rating, "").await;
        assert_eq!(
            user_error(&body, "answerFeedbackSurvey"),
            Some("INVALID_RATING"),
            "{body}"
        );
        assert_eq!(
            body["data"]["answerFeedbackSurvey"]["userErrors"][0]["field"], "rating",
            "{body}"
        );
    }
    let long = "x".repeat(2001);
    let body = answer(&app, "fbrefuse", &token, 5, &long).await;
    assert_eq!(
        user_error(&body, "answerFeedbackSurvey"),
        Some("COMMENT_TOO_LONG"),
        "{body}"
    );
    let body = answer(&app, "fbrefuse", "fbk_not_a_real_token", 5, "").await;
    assert_eq!(
        user_error(&body, "answerFeedbackSurvey"),
        Some("INVALID_LINK"),
        "{body}"
    );

    // Fourteen days after it was sent the link has expired.
    let tx = write_tx(&app, "fbrefuse").await;
    let invitation = invitations::all(&tx).await.unwrap().remove(0);
    tx.rollback().await.unwrap();
    app.backdate(
        "feedback_invitations",
        "expires_at",
        invitation.id,
        Utc::now() - Duration::minutes(1),
    )
    .await;
    let body = answer(&app, "fbrefuse", &token, 9, "Late").await;
    assert_eq!(
        user_error(&body, "answerFeedbackSurvey"),
        Some("SURVEY_EXPIRED"),
        "{body}"
    );
    assert!(responses(&app, "fbrefuse").await.is_empty());
}

/// Another provider at another location, open the same hours.
async fn second_provider(app: &TestApp, p: &Practice) -> (String, String) {
    let location = saved(
        app,
        &p.admin,
        SAVE_LOCATION,
        "saveLocation",
        "location",
        json!({ "name": "Lake Road" }),
    )
    .await;
    let provider = saved(
        app,
        &p.admin,
        SAVE_PROVIDER,
        "saveProvider",
        "provider",
        json!({ "displayName": "Dr. Okafor" }),
    )
    .await;
    let windows: Vec<Value> = (1..=7)
        .map(|d| json!({ "weekday": d, "start": "09:00", "end": "12:00" }))
        .collect();
    let (_, week) = app
        .gql_as(
            &p.admin.slug,
            &p.admin.access,
            SET_WEEK,
            json!({ "input": { "providerId": provider, "locationId": location, "windows": windows } }),
        )
        .await;
    assert!(week["errors"].is_null(), "{week}");
    (provider, location)
}

#[tokio::test]
async fn scores_by_provider_location_and_month_come_from_the_answers() {
    let app = spawn_app().await;
    let slug = "fbscores";
    let p = practice(&app, slug).await;
    let (okafor, lake) = second_provider(&app, &p).await;
    let rivera_a = book_visit(&app, &p, &p.provider, &p.location, 1).await;
    let rivera_b = book_visit(&app, &p, &p.provider, &p.location, 2).await;
    let okafor_c = book_visit(&app, &p, &okafor, &lake, 1).await;
    let unanswered = book_visit(&app, &p, &okafor, &lake, 2).await;
    for visit in [&rivera_a, &rivera_b, &okafor_c, &unanswered] {
        complete(&app, slug, visit).await;
    }
    let sent_at = Utc::now() + Duration::days(5);
    assert_eq!(send_surveys(&app, slug, sent_at).await, 4);
    let tx = write_tx(&app, slug).await;
    let invitations = invitations::all(&tx).await.unwrap();
    tx.rollback().await.unwrap();
    let messages = survey_messages(&app, slug).await;
    let token_of = |visit: &Visit| {
        let invitation = invitations
            .iter()
            .find(|i| i.appointment_id == visit.id)
            .unwrap();
        let message = messages
            .iter()
            .find(|m| m.idempotency_key == format!("feedback:{}", invitation.id))
            .unwrap();
        token_in(&message.payload)
    };
    for (visit, rating) in [(&rivera_a, 10), (&rivera_b, 6)] {
        let body = answer(&app, slug, &token_of(visit), rating, "").await;
        assert_eq!(
            body["data"]["answerFeedbackSurvey"]["answered"], true,
            "{body}"
        );
    }
    // Okafor's patient answered forty days ago: another month.
    let earlier = Utc::now() - Duration::days(40);
    let tx = write_tx(&app, slug).await;
    answers::answer_survey(
        &tx,
        &Actor::system(),
        &token_of(&okafor_c),
        &answers::Answer {
            rating: Some(8),
            comment: None,
        },
        earlier,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let (_, body) = app
        .gql_as(
            slug,
            &p.admin.access,
            SCORES,
            json!({ "from": (Utc::now() - Duration::days(100)).to_rfc3339(),
                    "to": (Utc::now() + Duration::days(30)).to_rfc3339() }),
        )
        .await;
    let scores = &body["data"]["feedbackScores"];
    assert_eq!(
        scores["overall"],
        json!({ "count": 3, "average": 8.0, "promoters": 1, "passives": 1,
                "detractors": 1, "nps": 0.0 }),
        "{body}"
    );
    assert_eq!(
        scores["byProvider"],
        json!([
            // The same average: by name.
            { "id": okafor, "label": "Dr. Okafor", "score": { "count": 1, "average": 8.0,
              "promoters": 0, "passives": 1, "detractors": 0 } },
            { "id": p.provider, "label": "Dr. Rivera", "score": { "count": 2, "average": 8.0,
              "promoters": 1, "passives": 0, "detractors": 1 } },
        ]),
        "{body}"
    );
    assert_eq!(
        scores["byLocation"],
        json!([
            { "id": lake, "label": "Lake Road", "score": { "count": 1, "average": 8.0 } },
            { "id": p.location, "label": "Main Street", "score": { "count": 2, "average": 8.0 } },
        ]),
        "{body}"
    );
    let month = |at: DateTime<Utc>| at.with_timezone(&p.tz).format("%Y-%m").to_string();
    assert_eq!(
        scores["byMonth"],
        json!([
            { "label": month(earlier), "score": { "count": 1, "average": 8.0 } },
            { "label": month(Utc::now()), "score": { "count": 2, "average": 8.0 } },
        ]),
        "{body}"
    );
    assert_eq!(scores["surveysSent"], 4, "{body}");
    assert_eq!(scores["surveysAnswered"], 3, "{body}");
    assert_eq!(scores["responseRate"], 0.75, "{body}");
}

#[tokio::test]
async fn comments_are_read_newest_first_audited_and_marked_handled() {
    let app = spawn_app().await;
    let slug = "fbcomments";
    let (p, visit, token) = surveyed(&app, slug).await;
    let body = answer(&app, slug, &token, 4, "The wait was long").await;
    assert_eq!(
        body["data"]["answerFeedbackSurvey"]["answered"], true,
        "{body}"
    );
    // The same patient writes from the portal later.
    let (_, sent) = app
        .gql_as(
            slug,
            &visit.patient.access,
            SUBMIT,
            json!({ "input": { "patientId": visit.chart, "comment": "Parking is hard",
                    "appointmentId": gid("Appointment", visit.id) } }),
        )
        .await;
    assert!(
        sent["data"]["submitFeedback"]["feedbackId"].is_string(),
        "{sent}"
    );

    let (_, listed) = app
        .gql_as(
            slug,
            &p.admin.access,
            COMMENTS,
            json!({ "unhandled": true }),
        )
        .await;
    let comments = listed["data"]["feedbackComments"].as_array().unwrap();
    let texts: Vec<&str> = comments
        .iter()
        .map(|c| c["comment"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Parking is hard", "The wait was long"], "{listed}");
    assert_eq!(comments[0]["source"], "portal");
    assert_eq!(comments[1]["source"], "survey");
    assert_eq!(comments[1]["rating"], 4);

    let (_, handled) = app
        .gql_as(
            slug,
            &p.admin.access,
            HANDLE,
            json!({ "id": comments[1]["id"] }),
        )
        .await;
    let feedback = &handled["data"]["markFeedbackHandled"]["feedback"];
    assert!(feedback["handledAt"].is_string(), "{handled}");
    assert!(feedback["handledBy"].is_string(), "{handled}");
    let (_, open) = app
        .gql_as(
            slug,
            &p.admin.access,
            COMMENTS,
            json!({ "unhandled": true }),
        )
        .await;
    assert_eq!(
        open["data"]["feedbackComments"].as_array().unwrap().len(),
        1,
        "{open}"
    );

    // Reading them was audited as reads of the chart.
    let (_, events) = app
        .gql_as(
            slug,
            &p.admin.access,
            "query($p: ID) { auditEvents(patientId: $p, first: 1000) { action } }",
            json!({ "p": visit.chart }),
        )
        .await;
    let actions: Vec<&str> = events["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{events}"))
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "feedback.answer",
        "feedback.submit",
        "feedback.read",
        "feedback.handle",
    ] {
        assert!(actions.contains(&action), "no {action} in {actions:?}");
    }
}

#[tokio::test]
async fn another_practice_and_patients_see_no_figures_or_comments() {
    let app = spawn_app().await;
    let (p, visit, token) = surveyed(&app, "fbownpractice").await;
    let body = answer(&app, "fbownpractice", &token, 9, "Great care").await;
    assert_eq!(
        body["data"]["answerFeedbackSurvey"]["answered"], true,
        "{body}"
    );
    let other = practice(&app, "fbotherpractice").await;

    // The other practice's console sees nothing, and its host does not know the link.
    let (_, scores) = app
        .gql_as("fbotherpractice", &other.admin.access, SCORES, json!({}))
        .await;
    assert_eq!(
        scores["data"]["feedbackScores"]["overall"]["count"], 0,
        "{scores}"
    );
    let (_, comments) = app
        .gql_as("fbotherpractice", &other.admin.access, COMMENTS, json!({}))
        .await;
    assert_eq!(
        comments["data"]["feedbackComments"],
        json!([]),
        "{comments}"
    );
    let (_, own) = app
        .gql_as("fbownpractice", &p.admin.access, COMMENTS, json!({}))
        .await;
    let id = own["data"]["feedbackComments"][0]["id"].clone();
    let (_, handled) = app
        .gql_as(
            "fbotherpractice",
            &other.admin.access,
            HANDLE,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&handled), Some("NOT_FOUND"), "{handled}");
    let reused = answer(&app, "fbotherpractice", &token, 9, "").await;
    assert_eq!(
        user_error(&reused, "answerFeedbackSurvey"),
        Some("INVALID_LINK"),
        "{reused}"
    );

    // A patient reads neither the figures nor the comments.
    let (_, scores) = app
        .gql_as("fbownpractice", &visit.patient.access, SCORES, json!({}))
        .await;
    assert_eq!(error_code(&scores), Some("FORBIDDEN"), "{scores}");
    let (_, comments) = app
        .gql_as("fbownpractice", &visit.patient.access, COMMENTS, json!({}))
        .await;
    assert_eq!(error_code(&comments), Some("FORBIDDEN"), "{comments}");

    // A patient gives feedback on their own chart only.
    let (stranger, stranger_chart) = app.add_user("fbownpractice", Role::Patient).await;
    let (_, refused) = app
        .gql_as(
            "fbownpractice",
            &stranger.access,
            SUBMIT,
            json!({ "input": { "patientId": visit.chart, "comment": "Not mine" } }),
        )
        .await;
    assert_eq!(error_code(&refused), Some("NOT_FOUND"), "{refused}");
    let (_, not_their_visit) = app
        .gql_as(
            "fbownpractice",
            &stranger.access,
            SUBMIT,
            json!({ "input": { "patientId": gid("Patient", stranger_chart.unwrap()),
                    "comment": "About a visit", "appointmentId": gid("Appointment", visit.id) } }),
        )
        .await;
    assert_eq!(
        user_error(&not_their_visit, "submitFeedback"),
        Some("APPOINTMENT_NOT_FOUND"),
        "{not_their_visit}"
    );
    assert_eq!(responses(&app, "fbownpractice").await.len(), 1);
    assert!(responses(&app, "fbotherpractice").await.is_empty());
}
