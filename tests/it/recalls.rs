//! Preventive-care recalls: rules managed by practice admins with clear codes for bad input,
//! patients notified by age, sex and past visits, once per due period, with no PHI in the
//! email, and the booking that follows a notice counted in the campaign's figures.

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use portico_core::{
    TenantTx,
    audit::Actor,
    identity::Role,
    outbox,
    ports::Job,
    scheduling::{
        appointments::{self, PracticeClock},
        recalls,
    },
    tenancy::Access,
};
use portico_tests::{Signed, TestApp, error_code, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    adoption::day_figures,
    gid,
    scheduling::{Practice, book, booked_id, days_ahead, practice, slots, starts},
    uuid_of,
};

const RULES: &str = "query($all: Boolean!) { recallRules(includeInactive: $all) {
    id name intervalMonths minAge maxAge sex active appointmentType { id } } }";
const CREATE: &str = "mutation($input: RecallRuleInput!) { createRecallRule(input: $input) {
    recallRule { id name intervalMonths minAge maxAge sex active }
    userErrors { field code message } } }";
const UPDATE: &str = "mutation($input: UpdateRecallRuleInput!) { updateRecallRule(input: $input) {
    recallRule { id intervalMonths active } userErrors { field code message } } }";
const DELETE: &str = "mutation($id: ID!) { deleteRecallRule(input: { id: $id }) {
    deletedId userErrors { field code message } } }";
const RUN: &str = "mutation { runRecallsNow { notified unreachable more userErrors { code } } }";
const CAMPAIGNS: &str = "query($from: Date!, $to: Date!) { recallCampaigns(from: $from, to: $to) {
    rule { id name } sent booked conversion } }";
const CREATE_PATIENT: &str =
    "mutation($input: CreatePatientInput!) { createPatient(input: $input) {
    patient { id } userErrors { field code } } }";

fn screening(kind: &str) -> Value {
    json!({ "name": "Breast-cancer screening", "appointmentTypeId": kind, "intervalMonths": 24,
            "minAge": 40, "maxAge": 74, "sex": "female" })
}

async fn create_rule(app: &TestApp, admin: &Signed, input: Value) -> Value {
    let (_, body) = app
        .gql_as(
            &admin.slug,
            &admin.access,
            CREATE,
            json!({ "input": input }),
        )
        .await;
    body
}

fn rule_id(body: &Value) -> String {
    body["data"]["createRecallRule"]["recallRule"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no rule: {body}"))
        .to_owned()
}

async fn rules(app: &TestApp, who: &Signed, all: bool) -> Value {
    let (_, body) = app
        .gql_as(&who.slug, &who.access, RULES, json!({ "all": all }))
        .await;
    body
}

fn code(body: &Value, field: &str) -> Option<String> {
    body["data"][field]["userErrors"][0]["code"]
        .as_str()
        .map(str::to_owned)
}

/// The practice's today.
fn today(p: &Practice) -> NaiveDate {
    Utc::now().with_timezone(&p.tz).date_naive()
}

fn years_before(day: NaiveDate, years: u32) -> NaiveDate {
    day.checked_sub_months(Months::new(12 * years)).unwrap()
}

/// Opens a chart through GraphQL as the practice admin; returns its global id.
async fn chart(
    app: &TestApp,
    p: &Practice,
    given: &str,
    birth: NaiveDate,
    gender: &str,
    email: Option<&str>,
) -> String {
    let (_, body) = app
        .gql_as(
            &p.admin.slug,
            &p.admin.access,
            CREATE_PATIENT,
            json!({ "input": { "givenName": given, "familyName": "Tester",
                "birthDate": birth.to_string(), "gender": gender, "email": email } }),
        )
        .await;
    body["data"]["createPatient"]["patient"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no chart: {body}"))
        .to_owned()
}

async fn run(app: &TestApp, admin: &Signed) -> Value {
    let (_, body) = app.gql_as(&admin.slug, &admin.access, RUN, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["runRecallsNow"].clone()
}

async fn campaigns(app: &TestApp, who: &Signed, from: NaiveDate, to: NaiveDate) -> Value {
    let (_, body) = app
        .gql_as(
            &who.slug,
            &who.access,
            CAMPAIGNS,
            json!({ "from": from.to_string(), "to": to.to_string() }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["recallCampaigns"].clone()
}

#[tokio::test]
async fn practice_admins_manage_recall_rules_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let p = practice(&app, "recallrules").await;
    let created = create_rule(&app, &p.admin, screening(&p.kind)).await;
    let id = rule_id(&created);
    assert_eq!(
        created["data"]["createRecallRule"]["recallRule"]["sex"],
        "female"
    );

    let unknown_type = gid("AppointmentType", uuid::Uuid::now_v7());
    for (change, expected) in [
        (json!({ "intervalMonths": 0 }), "INVALID_INTERVAL"),
        (json!({ "intervalMonths": 121 }), "INVALID_INTERVAL"),
        (json!({ "minAge": 50, "maxAge": 40 }), "INVALID_AGE_RANGE"),
        (json!({ "minAge": -1 }), "INVALID_AGE_RANGE"),
        (json!({ "sex": "woman" }), "INVALID_SEX"),
        // An id naming no type is not found; one that is no type's id is bad input.
        (json!({ "appointmentTypeId": unknown_type }), "NOT_FOUND"),
        (
            json!({ "appointmentTypeId": "not-an-id" }),
            "BAD_USER_INPUT",
        ),
        (json!({ "name": "  " }), "INVALID_NAME"),
    ] {
        let mut input = screening(&p.kind);
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let refused = create_rule(&app, &p.admin, input.clone()).await;
        let either =
            |body: &Value, field| code(body, field).or_else(|| error_code(body).map(str::to_owned));
        assert_eq!(
            either(&refused, "createRecallRule").as_deref(),
            Some(expected),
            "{refused}"
        );
        let (_, not_updated) = app
            .gql_as(
                "recallrules",
                &p.admin.access,
                UPDATE,
                json!({ "input": { "id": id, "rule": input } }),
            )
            .await;
        assert_eq!(
            either(&not_updated, "updateRecallRule").as_deref(),
            Some(expected),
            "{not_updated}"
        );
    }
    // Nothing was added or changed.
    let listed = rules(&app, &p.admin, true).await;
    let list = listed["data"]["recallRules"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{listed}");
    assert_eq!(list[0]["intervalMonths"], 24);
    assert_eq!(list[0]["maxAge"], 74);
    assert_eq!(list[0]["appointmentType"]["id"], json!(p.kind));

    // Paused: kept, but not among the active ones.
    let mut paused = screening(&p.kind);
    paused["active"] = json!(false);
    paused["intervalMonths"] = json!(12);
    let (_, updated) = app
        .gql_as(
            "recallrules",
            &p.admin.access,
            UPDATE,
            json!({ "input": { "id": id, "rule": paused } }),
        )
        .await;
    assert_eq!(
        updated["data"]["updateRecallRule"]["recallRule"]["active"], false,
        "{updated}"
    );
    assert_eq!(
        rules(&app, &p.admin, false).await["data"]["recallRules"],
        json!([])
    );

    // Staff read the rules but do not change them; patients do neither.
    let (staff, _) = app.add_user("recallrules", Role::Staff).await;
    assert_eq!(
        rules(&app, &staff, true).await["data"]["recallRules"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let forbidden = create_rule(&app, &staff, screening(&p.kind)).await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"), "{forbidden}");
    let (patient, _) = app.add_user("recallrules", Role::Patient).await;
    assert_eq!(
        error_code(&rules(&app, &patient, true).await),
        Some("FORBIDDEN")
    );
    let (_, run_as_staff) = app
        .gql_as("recallrules", &staff.access, RUN, json!({}))
        .await;
    assert_eq!(error_code(&run_as_staff), Some("FORBIDDEN"));

    // Another practice's admin sees none of it and cannot reach it.
    let other = practice(&app, "recallother").await;
    assert_eq!(
        rules(&app, &other.admin, true).await["data"]["recallRules"],
        json!([])
    );
    let (_, across) = app
        .gql_as(
            "recallother",
            &other.admin.access,
            UPDATE,
            json!({ "input": { "id": id, "rule": screening(&other.kind) } }),
        )
        .await;
    assert_eq!(error_code(&across), Some("NOT_FOUND"), "{across}");
    let (_, across) = app
        .gql_as(
            "recallother",
            &other.admin.access,
            DELETE,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&across), Some("NOT_FOUND"), "{across}");

    // A rule that never sent anything can be deleted.
    let (_, deleted) = app
        .gql_as("recallrules", &p.admin.access, DELETE, json!({ "id": id }))
        .await;
    assert_eq!(
        deleted["data"]["deleteRecallRule"]["deletedId"],
        json!(id),
        "{deleted}"
    );
    assert_eq!(
        rules(&app, &p.admin, true).await["data"]["recallRules"],
        json!([])
    );
}

#[tokio::test]
async fn patients_whose_age_and_sex_match_are_told_once_with_no_phi() {
    let app = spawn_app().await;
    let p = practice(&app, "recallage").await;
    let rule = rule_id(&create_rule(&app, &p.admin, screening(&p.kind)).await);
    let today = today(&p);
    let fiona = "fiona@recallage.example.com";
    chart(
        &app,
        &p,
        "Fiona",
        years_before(today, 45),
        "female",
        Some(fiona),
    )
    .await;
    chart(
        &app,
        &p,
        "Marco",
        years_before(today, 45),
        "male",
        Some("marco@recallage.example.com"),
    )
    .await;
    chart(
        &app,
        &p,
        "Edith",
        years_before(today, 80),
        "female",
        Some("edith@recallage.example.com"),
    )
    .await;
    // Turns 40 tomorrow: not yet.
    chart(
        &app,
        &p,
        "Tess",
        years_before(today, 40) + Duration::days(1),
        "female",
        Some("tess@recallage.example.com"),
    )
    .await;
    // Due, but with no address to write to: counted, not sent.
    chart(&app, &p, "Nadia", years_before(today, 50), "female", None).await;

    let first = run(&app, &p.admin).await;
    assert_eq!(
        first,
        json!({ "notified": 1, "unreachable": 1, "more": false, "userErrors": [] })
    );
    let again = run(&app, &p.admin).await;
    assert_eq!(again["notified"], 0, "{again}");

    let mail = app.wait_for_email_to(fiona).await;
    assert!(
        mail.contains("It is time to book a visit with recallage practice."),
        "{mail}"
    );
    assert!(
        mail.contains("http://localhost:8080/t/recallage/book?recall="),
        "{mail}"
    );
    for phi in [
        "Breast",
        "screening",
        "Fiona",
        "Tester",
        "Follow-up",
        "Rivera",
    ] {
        assert!(!mail.contains(phi), "{phi} in {mail}");
    }
    // The link carries the notice's id and nothing about the patient.
    let at = mail.find("?recall=").unwrap() + "?recall=".len();
    let notice: String = mail[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect();
    assert!(notice.parse::<uuid::Uuid>().is_ok(), "{mail}");

    for other in ["marco", "edith", "tess"] {
        let address = format!("{other}@recallage.example.com");
        assert!(app.last_email_to(&address).is_none(), "{address} was told");
    }

    let figures = campaigns(&app, &p.admin, today, today).await;
    assert_eq!(
        figures,
        json!([{ "rule": { "id": rule, "name": "Breast-cancer screening" },
                 "sent": 1, "booked": 0, "conversion": 0.0 }])
    );
    // A rule with notices is kept for its figures: deactivate it instead.
    let (_, in_use) = app
        .gql_as("recallage", &p.admin.access, DELETE, json!({ "id": rule }))
        .await;
    assert_eq!(
        code(&in_use, "deleteRecallRule").as_deref(),
        Some("RULE_IN_USE")
    );
}

#[tokio::test]
async fn a_visit_of_the_type_within_the_interval_satisfies_the_rule() {
    let app = spawn_app().await;
    let p = practice(&app, "recallvisit").await;
    let annual = json!({ "name": "Annual wellness visit", "appointmentTypeId": p.kind,
                         "intervalMonths": 12, "minAge": 18 });
    rule_id(&create_rule(&app, &p.admin, annual).await);
    let born = years_before(today(&p), 46);
    let (recent, earlier, never) = (
        "recent@recallvisit.example.com",
        "earlier@recallvisit.example.com",
        "never@recallvisit.example.com",
    );
    let recent_chart = chart(&app, &p, "Rhea", born, "female", Some(recent)).await;
    let earlier_chart = chart(&app, &p, "Ezra", born, "male", Some(earlier)).await;
    chart(&app, &p, "Nell", born, "female", Some(never)).await;

    // Ezra's visit in three days, Rhea's seven months later.
    let first_open = |days: i64| {
        let (app, p) = (&app, &p);
        async move {
            let day = days_ahead(p, days);
            starts(&slots(app, &p.admin.access, "recallvisit", p, day, day).await)[0]
        }
    };
    let earlier_start = first_open(3).await;
    let earlier_visit =
        booked_id(&book(&app, &p.admin.access, &p, &earlier_chart, earlier_start).await);
    let recent_start = first_open(3 + 215).await;
    let recent_visit =
        booked_id(&book(&app, &p.admin.access, &p, &recent_chart, recent_start).await);

    // Today: both have a visit booked ahead; only Nell is due.
    let today_run = run(&app, &p.admin).await;
    assert_eq!(today_run["notified"], 1, "{today_run}");

    // Thirteen months after Ezra's visit, six after Rhea's (both completed): Ezra is due
    // again, Rhea is not, and Nell, told more than a year before, is told again.
    let later: DateTime<Utc> = recent_start + Duration::days(185);
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "recallvisit")
        .await
        .unwrap()
        .unwrap();
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    for visit in [&earlier_visit, &recent_visit] {
        appointments::set_outcome(
            &tx,
            &Actor::system(),
            uuid_of(visit),
            appointments::COMPLETED,
            later,
        )
        .await
        .unwrap();
    }
    let text = portico_core::notify::Portal::new("http://portal.test", "recallvisit");
    let before = outbox::all(&tx).await.unwrap().len();
    let summary = recalls::evaluate_due(
        &tx,
        &Actor::system(),
        PracticeClock::of(&tenant.tenant, later),
        &text,
    )
    .await
    .unwrap();
    assert_eq!(summary.notified, 2, "{summary:?}");
    let mut told: Vec<String> = outbox::all(&tx).await.unwrap()[before..]
        .iter()
        .map(|m| outbox::email_of(m).unwrap().to)
        .collect();
    told.sort();
    assert_eq!(told, [earlier, never]);
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn a_booking_after_a_notice_counts_for_the_campaign() {
    let app = spawn_app().await;
    let p = practice(&app, "recallbook").await;
    let annual = json!({ "name": "Annual wellness visit", "appointmentTypeId": p.kind,
                         "intervalMonths": 12 });
    let rule = rule_id(&create_rule(&app, &p.admin, annual).await);
    // A portal user: the notice goes to the account's address.
    let (patient, own_chart) = app.add_user("recallbook", Role::Patient).await;
    let own_chart = gid("Patient", own_chart.unwrap());

    // The daily job's path: the worker writes the notice and relays it.
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "recallbook")
        .await
        .unwrap()
        .unwrap();
    app.services()
        .queue
        .enqueue(Job::SendRecalls {
            tenant_id: tenant.id(),
        })
        .await
        .unwrap();
    let mail = app.wait_for_email_to(&patient.email).await;
    assert!(mail.contains("/t/recallbook/book?recall="), "{mail}");

    let day = days_ahead(&p, 3);
    let open = starts(&slots(&app, &patient.access, "recallbook", &p, day, day).await);
    booked_id(&book(&app, &patient.access, &p, &own_chart, open[0]).await);

    let today = today(&p);
    let figures = campaigns(&app, &p.admin, today, today).await;
    assert_eq!(
        figures,
        json!([{ "rule": { "id": rule, "name": "Annual wellness visit" },
                 "sent": 1, "booked": 1, "conversion": 1.0 }])
    );
    // The day's adoption figures count the notice and the booking that followed it.
    let figures = day_figures(&app, "recallbook", &p.admin.access, today).await;
    assert_eq!(
        (&figures["recallsSent"], &figures["recallBookings"]),
        (&json!(1), &json!(1)),
        "{figures}"
    );
    // Staff see the figures too; another practice sees none of them.
    let (staff, _) = app.add_user("recallbook", Role::Staff).await;
    assert_eq!(campaigns(&app, &staff, today, today).await[0]["booked"], 1);
    let other = practice(&app, "recallbookother").await;
    assert_eq!(campaigns(&app, &other.admin, today, today).await, json!([]));
    // A period before the notice counts nothing.
    let last_year = years_before(today, 1);
    assert_eq!(
        campaigns(&app, &p.admin, last_year, last_year).await[0]["sent"],
        0
    );
}
