//! Adoption metrics: a practice's day rolled up from what happened (accounts, bookings
//! online and by staff, a no-show, portal use), the same figures when computed again, and
//! no practice seeing another's.

use chrono::{Datelike, Utc};
use portico_core::{adoption::rollup, identity::Role, tenants};
use portico_tests::{error_code, spawn_app};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::{
    adoption::RECOMPUTE,
    gid,
    scheduling::{book, booked_id, days_ahead, practice, slots, starts},
    uuid_of,
};

const METRICS: &str = "query($from: Date!, $to: Date!, $g: AdoptionGranularity) {
    adoptionMetrics(from: $from, to: $to, granularity: $g) {
    start days patients activated activationRate averageDailyActive monthlyActive bookings
    onlineBookings onlineShare completedVisits noShows noShowRate remindersSent messagesIn
    messagesOut medianFirstResponseMinutes refillsRequested refillsDecided } }";

#[tokio::test]
async fn a_day_rolls_up_to_the_same_figures_every_time_and_only_for_its_practice() {
    let app = spawn_app().await;
    let p = practice(&app, "adopt").await;
    let tenant = tenants::find_by_slug(&app.db(), "adopt")
        .await
        .unwrap()
        .unwrap();
    let (patient, chart) = app.add_user("adopt", Role::Patient).await;
    let walk_in = app.add_patient(&tenant, "Walkin").await;

    // One booking online by the patient, one by staff for a patient without an account.
    let day_ahead = days_ahead(&p, 3);
    let open = starts(&slots(&app, &patient.access, "adopt", &p, day_ahead, day_ahead).await);
    booked_id(
        &book(
            &app,
            &patient.access,
            &p,
            &gid("Patient", chart.unwrap()),
            open[0],
        )
        .await,
    );
    let by_staff = booked_id(
        &book(
            &app,
            &p.admin.access,
            &p,
            &gid("Patient", walk_in.id),
            open[1],
        )
        .await,
    );

    // The staff booking was in fact a visit earlier today that the patient missed.
    let today = Utc::now().with_timezone(&p.tz).date_naive();
    let (start_of_day, _) = rollup::bounds(today, p.tz);
    let visit = start_of_day + chrono::Duration::minutes(1);
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let backend = owner.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "UPDATE appointments SET starts_at = $1, ends_at = $2, status = 'no_show' WHERE id = $3"
        }
        _ => "UPDATE appointments SET starts_at = ?, ends_at = ?, status = 'no_show' WHERE id = ?",
    };
    owner
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                visit.into(),
                (visit + chrono::Duration::minutes(30)).into(),
                uuid_of(&by_staff).into(),
            ],
        ))
        .await
        .unwrap();

    let vars = json!({ "from": today, "to": today });
    let (_, done) = app
        .gql_as("adopt", &p.admin.access, RECOMPUTE, vars.clone())
        .await;
    assert_eq!(done["data"]["recomputeAdoption"]["days"], 1, "{done}");
    let (_, first) = app
        .gql_as("adopt", &p.admin.access, METRICS, vars.clone())
        .await;
    let day = &first["data"]["adoptionMetrics"][0];
    assert_eq!(day["start"], json!(today), "{first}");
    assert_eq!(day["patients"], 2);
    assert_eq!(day["activated"], 1);
    assert_eq!(day["activationRate"], 0.5);
    assert_eq!(day["bookings"], 2);
    assert_eq!(day["onlineBookings"], 1);
    assert_eq!(day["onlineShare"], 0.5);
    assert_eq!(day["noShows"], 1);
    assert_eq!(day["completedVisits"], 0);
    assert_eq!(day["noShowRate"], 1.0);
    // The patient used the portal today (their reads and booking are in the audit log).
    assert_eq!(day["averageDailyActive"], 1.0);
    assert_eq!(day["monthlyActive"], 1);
    assert_eq!(day["messagesIn"], 0);
    assert!(day["medianFirstResponseMinutes"].is_null());

    // Computed again from the same data: the same figures.
    app.gql_as("adopt", &p.admin.access, RECOMPUTE, vars.clone())
        .await;
    let (_, again) = app
        .gql_as("adopt", &p.admin.access, METRICS, vars.clone())
        .await;
    assert_eq!(again, first);

    // By week: one point, starting on Monday.
    let (_, weekly) = app
        .gql_as(
            "adopt",
            &p.admin.access,
            METRICS,
            json!({ "from": today, "to": today, "g": "WEEK" }),
        )
        .await;
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    assert_eq!(
        weekly["data"]["adoptionMetrics"][0]["start"],
        json!(monday),
        "{weekly}"
    );
    assert_eq!(weekly["data"]["adoptionMetrics"][0]["bookings"], 2);

    // Another practice sees only its own (none), and patients see none at all.
    let other = app.practice_admin("adopt-other").await;
    let (_, theirs) = app
        .gql_as("adopt-other", &other.access, METRICS, vars.clone())
        .await;
    assert_eq!(theirs["data"]["adoptionMetrics"], json!([]), "{theirs}");
    app.gql_as("adopt-other", &other.access, RECOMPUTE, vars.clone())
        .await;
    let (_, theirs) = app
        .gql_as("adopt-other", &other.access, METRICS, vars.clone())
        .await;
    assert_eq!(
        theirs["data"]["adoptionMetrics"][0]["patients"], 0,
        "{theirs}"
    );
    assert_eq!(theirs["data"]["adoptionMetrics"][0]["bookings"], 0);
    // Operators see every practice and the platform's totals; practices do not.
    const PLATFORM: &str =
        "query($from: Date!, $to: Date!) { platformAdoption(from: $from, to: $to) {
        totals { start patients activated bookings onlineBookings noShows }
        practices { name points { patients bookings } } } }";
    let operator = app.operator().await;
    let (_, platform) = app
        .gql_as(&operator.slug, &operator.access, PLATFORM, vars.clone())
        .await;
    let totals = &platform["data"]["platformAdoption"]["totals"][0];
    assert_eq!(totals["patients"], 2, "{platform}");
    assert_eq!(totals["activated"], 1);
    assert_eq!(totals["bookings"], 2);
    assert_eq!(totals["noShows"], 1);
    let practices = platform["data"]["platformAdoption"]["practices"]
        .as_array()
        .unwrap();
    assert!(practices.len() >= 2, "{platform}");
    let (_, forbidden) = app
        .gql_as("adopt", &p.admin.access, PLATFORM, vars.clone())
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"), "{forbidden}");
    let (_, refused) = app
        .gql_as("adopt", &patient.access, METRICS, vars.clone())
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");

    // A range too long is refused with a code.
    let (_, bad) = app
        .gql_as(
            "adopt",
            &p.admin.access,
            RECOMPUTE,
            json!({ "from": "2025-01-01", "to": today }),
        )
        .await;
    assert_eq!(
        bad["data"]["recomputeAdoption"]["userErrors"][0]["code"],
        "INVALID_RANGE"
    );
    let _: &Value = &bad;
}
