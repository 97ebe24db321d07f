//! Scheduling over GraphQL: the catalogue, open slots (across daylight-saving changes),
//! booking that never double-books under concurrency, atomic reschedule, the cancellation
//! window, proxies, blocks and the waitlist.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use portico_core::identity::Role;
use portico_tests::{TestApp, error_code, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    gid,
    scheduling::{
        BOOK, CANCEL, Practice, SAVE_LOCATION, SAVE_TYPE, SET_WEEK, SLOTS, book, booked_id,
        days_ahead, practice, practice_in, saved, slots, starts,
    },
    user_error,
};

const RESCHEDULE: &str =
    "mutation($input: RescheduleAppointmentInput!) { rescheduleAppointment(input: $input) {
    appointment { id start status rescheduledFromId } userErrors { field code } } }";
const APPOINTMENTS: &str = "query($patient: ID!, $upcoming: Boolean) {
    appointments(patientId: $patient, upcoming: $upcoming) { id start status } }";

/// The stable reason of a `BAD_USER_INPUT` error of a query.
fn reason(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["reason"].as_str()
}

#[tokio::test]
async fn patients_see_open_slots_in_local_time_and_book_one() {
    let app = spawn_app().await;
    let p = practice(&app, "slots").await;
    let (patient, chart) = app.add_user("slots", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let day = days_ahead(&p, 3);

    let open = slots(&app, &patient.access, "slots", &p, day, day).await;
    let local: Vec<String> = starts(&open)
        .iter()
        .map(|s| s.with_timezone(&p.tz).format("%H:%M").to_string())
        .collect();
    assert_eq!(
        local,
        ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    );
    assert_eq!(open[0]["provider"]["id"], json!(p.provider));

    let first = starts(&open)[0];
    let booked = book(&app, &patient.access, &p, &chart, first).await;
    let appointment = &booked["data"]["bookAppointment"]["appointment"];
    assert_eq!(appointment["status"], "BOOKED", "{booked}");
    assert_eq!(appointment["bookedVia"], "portal");
    assert_eq!(appointment["changeableOnline"], true);
    assert_eq!(appointment["provider"]["displayName"], "Dr. Rivera");

    // The booked time is gone from the search, for everyone.
    let after = starts(&slots(&app, &p.admin.access, "slots", &p, day, day).await);
    assert_eq!(after.len(), 5);
    assert!(!after.contains(&first));

    // The patient's list shows it; a second booking of the same time is refused.
    let (_, mine) = app
        .gql_as(
            "slots",
            &patient.access,
            APPOINTMENTS,
            json!({ "patient": chart }),
        )
        .await;
    assert_eq!(
        mine["data"]["appointments"][0]["id"],
        json!(booked_id(&booked))
    );
    // The dashboard shows it as the next visit.
    let (_, dashboard) = app
        .gql_as(
            "slots",
            &patient.access,
            "query($id: ID!) { patient(id: $id) { dashboard { nextAppointments { id provider { displayName } } } } }",
            json!({ "id": chart }),
        )
        .await;
    assert_eq!(
        dashboard["data"]["patient"]["dashboard"]["nextAppointments"][0]["id"],
        json!(booked_id(&booked)),
        "{dashboard}"
    );
    let again = book(&app, &patient.access, &p, &chart, first).await;
    assert_eq!(
        user_error(&again, "bookAppointment"),
        Some("SLOT_UNAVAILABLE")
    );
    // A time that is not a slot (off the grid) is refused the same way.
    let off_grid = book(
        &app,
        &patient.access,
        &p,
        &chart,
        first + Duration::minutes(7),
    )
    .await;
    assert_eq!(
        user_error(&off_grid, "bookAppointment"),
        Some("SLOT_UNAVAILABLE")
    );
}

async fn count(app: &TestApp, p: &Practice, day: NaiveDate) -> usize {
    slots(app, &p.admin.access, &p.admin.slug, p, day, day)
        .await
        .len()
}

#[tokio::test]
async fn slots_follow_daylight_saving_changes_and_zones_without_them() {
    let app = spawn_app().await;
    // A night window, 01:00–04:00 local: three hours on most days.
    let chicago = practice_in(&app, "night-chi", "America/Chicago", "01:00", "04:00").await;
    let phoenix = practice_in(&app, "night-phx", "America/Phoenix", "01:00", "04:00").await;
    let spring = NaiveDate::from_ymd_opt(2027, 3, 14).unwrap();
    let fall = NaiveDate::from_ymd_opt(2027, 11, 7).unwrap();
    let plain = NaiveDate::from_ymd_opt(2027, 3, 21).unwrap();

    // Spring forward: 02:00–03:00 does not exist, two real hours; fall back: 01:00–02:00
    // happens twice, four real hours. Phoenix keeps standard time all year.
    assert_eq!(count(&app, &chicago, plain).await, 6);
    assert_eq!(count(&app, &chicago, spring).await, 4);
    assert_eq!(count(&app, &chicago, fall).await, 8);
    for day in [plain, spring, fall] {
        assert_eq!(count(&app, &phoenix, day).await, 6, "{day}");
    }
    // Every slot on the fall-back day is a distinct instant, 30 minutes apart.
    let fall_slots = starts(
        &slots(
            &app,
            &chicago.admin.access,
            "night-chi",
            &chicago,
            fall,
            fall,
        )
        .await,
    );
    assert!(
        fall_slots
            .windows(2)
            .all(|w| w[1] - w[0] == Duration::minutes(30))
    );
}

#[tokio::test]
async fn fifty_concurrent_bookings_of_one_slot_make_exactly_one_appointment() {
    let app = spawn_app().await;
    let p = practice(&app, "rush").await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "rush")
        .await
        .unwrap()
        .unwrap();
    let mut charts = Vec::new();
    for i in 0..50 {
        charts.push(gid(
            "Patient",
            app.add_patient(&tenant, &format!("rush{i}")).await.id,
        ));
    }
    let day = days_ahead(&p, 4);
    let slot = starts(&slots(&app, &p.admin.access, "rush", &p, day, day).await)[2];

    let attempts = charts
        .iter()
        .map(|chart| book(&app, &p.admin.access, &p, chart, slot));
    let results = futures::future::join_all(attempts).await;
    let won = results
        .iter()
        .filter(|b| b["data"]["bookAppointment"]["appointment"].is_object())
        .count();
    let lost: Vec<Option<&str>> = results
        .iter()
        .filter(|b| b["data"]["bookAppointment"]["appointment"].is_null())
        .map(|b| user_error(b, "bookAppointment"))
        .collect();
    assert_eq!(won, 1, "{results:?}");
    assert_eq!(lost.len(), 49);
    assert!(
        lost.iter().all(|c| *c == Some("SLOT_UNAVAILABLE")),
        "{lost:?}"
    );

    let (_, schedule) = app
        .gql_as(
            "rush",
            &p.admin.access,
            "query($from: DateTime!, $to: DateTime!) { schedule(from: $from, to: $to) { start status } }",
            json!({ "from": (slot - Duration::hours(1)).to_rfc3339(), "to": (slot + Duration::hours(1)).to_rfc3339() }),
        )
        .await;
    assert_eq!(
        schedule["data"]["schedule"].as_array().map(Vec::len),
        Some(1),
        "{schedule}"
    );
}

#[tokio::test]
async fn reschedule_is_one_step_and_leaves_no_orphan_under_contention() {
    let app = spawn_app().await;
    let p = practice(&app, "moves").await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "moves")
        .await
        .unwrap()
        .unwrap();
    let mover = gid("Patient", app.add_patient(&tenant, "mover").await.id);
    let day = days_ahead(&p, 5);
    let open = starts(&slots(&app, &p.admin.access, "moves", &p, day, day).await);
    let (from, to, taken) = (open[0], open[3], open[5]);
    let original = booked_id(&book(&app, &p.admin.access, &p, &mover, from).await);
    let other = gid("Patient", app.add_patient(&tenant, "other").await.id);
    booked_id(&book(&app, &p.admin.access, &p, &other, taken).await);

    // To a taken time: refused, and the original stays booked where it was.
    let (_, refused) = app
        .gql_as(
            "moves",
            &p.admin.access,
            RESCHEDULE,
            json!({ "input": { "appointmentId": original, "start": taken.to_rfc3339() } }),
        )
        .await;
    assert_eq!(
        user_error(&refused, "rescheduleAppointment"),
        Some("SLOT_UNAVAILABLE")
    );
    let (_, list) = app
        .gql_as(
            "moves",
            &p.admin.access,
            APPOINTMENTS,
            json!({ "patient": mover }),
        )
        .await;
    assert_eq!(
        list["data"]["appointments"],
        json!([{ "id": original, "start": from.to_rfc3339(), "status": "BOOKED" }])
    );

    // Ten concurrent moves of the same appointment and ten bookings of the target time by
    // others: one move at most, and the mover always holds exactly one booked appointment.
    let mut rivals = Vec::new();
    for i in 0..10 {
        rivals.push(gid(
            "Patient",
            app.add_patient(&tenant, &format!("rival{i}")).await.id,
        ));
    }
    let moves = (0..10).map(|_| {
        app.gql_as(
            "moves",
            &p.admin.access,
            RESCHEDULE,
            json!({ "input": { "appointmentId": original, "start": to.to_rfc3339() } }),
        )
    });
    let bookings = rivals
        .iter()
        .map(|r| book(&app, &p.admin.access, &p, r, to));
    let (moved, booked) = tokio::join!(
        futures::future::join_all(moves),
        futures::future::join_all(bookings)
    );
    let moved_ok = moved
        .iter()
        .filter(|(_, b)| b["data"]["rescheduleAppointment"]["appointment"].is_object())
        .count();
    let booked_ok = booked
        .iter()
        .filter(|b| b["data"]["bookAppointment"]["appointment"].is_object())
        .count();
    assert!(moved_ok <= 1, "{moved:?}");
    // Every loser is told why, with a code (never INTERNAL).
    for (_, body) in &moved {
        if body["data"]["rescheduleAppointment"]["appointment"].is_null() {
            let code = user_error(body, "rescheduleAppointment");
            assert!(
                matches!(code, Some("SLOT_UNAVAILABLE" | "APPOINTMENT_NOT_ACTIVE")),
                "{body}"
            );
        }
    }
    for body in &booked {
        if body["data"]["bookAppointment"]["appointment"].is_null() {
            assert_eq!(
                user_error(body, "bookAppointment"),
                Some("SLOT_UNAVAILABLE"),
                "{body}"
            );
        }
    }
    assert_eq!(
        moved_ok + booked_ok,
        1,
        "exactly one holder of the target time"
    );

    let (_, list) = app
        .gql_as(
            "moves",
            &p.admin.access,
            APPOINTMENTS,
            json!({ "patient": mover }),
        )
        .await;
    let held: Vec<&Value> = list["data"]["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(held.len(), 1, "{list}");
    let expected = if moved_ok == 1 { to } else { from };
    let start: DateTime<Utc> = held[0]["start"].as_str().unwrap().parse().unwrap();
    assert_eq!(start, expected);
    let (_, all) = app
        .gql_as(
            "moves",
            &p.admin.access,
            APPOINTMENTS,
            json!({ "patient": mover, "upcoming": false }),
        )
        .await;
    let statuses: Vec<&str> = all["data"]["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    if moved_ok == 1 {
        assert_eq!(
            statuses.iter().filter(|s| **s == "RESCHEDULED").count(),
            1,
            "{all}"
        );
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == "BOOKED").count(),
        1,
        "{all}"
    );
}

#[tokio::test]
async fn the_portal_refuses_to_cancel_inside_the_window_and_staff_can() {
    let app = spawn_app().await;
    let p = practice(&app, "window").await;
    let (patient, chart) = app.add_user("window", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let (_, set) = app
        .gql_as(
            "window",
            &p.admin.access,
            "mutation { updateSchedulingSettings(input: { cancellationWindowHours: 96 }) {
                schedulingSettings { cancellationWindowHours } userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        set["data"]["updateSchedulingSettings"]["schedulingSettings"]["cancellationWindowHours"],
        96
    );
    let (_, bad) = app
        .gql_as("window", &p.admin.access,
            "mutation { updateSchedulingSettings(input: { cancellationWindowHours: -1 }) { userErrors { code } } }", json!({}))
        .await;
    assert_eq!(
        bad["data"]["updateSchedulingSettings"]["userErrors"][0]["code"],
        "OUT_OF_RANGE"
    );

    let soon_day = days_ahead(&p, 2);
    let later_day = days_ahead(&p, 8);
    let soon = starts(&slots(&app, &patient.access, "window", &p, soon_day, soon_day).await)[0];
    let later = starts(&slots(&app, &patient.access, "window", &p, later_day, later_day).await)[0];
    let soon_id = booked_id(&book(&app, &patient.access, &p, &chart, soon).await);
    let later_id = booked_id(&book(&app, &patient.access, &p, &chart, later).await);

    let (_, refused) = app
        .gql_as("window", &patient.access, CANCEL, json!({ "id": soon_id }))
        .await;
    assert_eq!(
        user_error(&refused, "cancelAppointment"),
        Some("INSIDE_CANCELLATION_WINDOW")
    );
    assert!(
        refused["data"]["cancelAppointment"]["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("call the office")
    );
    let (_, moved) = app
        .gql_as(
            "window",
            &patient.access,
            RESCHEDULE,
            json!({ "input": { "appointmentId": soon_id, "start": later.to_rfc3339() } }),
        )
        .await;
    assert_eq!(
        user_error(&moved, "rescheduleAppointment"),
        Some("INSIDE_CANCELLATION_WINDOW")
    );

    let (_, by_patient) = app
        .gql_as("window", &patient.access, CANCEL, json!({ "id": later_id }))
        .await;
    assert_eq!(
        by_patient["data"]["cancelAppointment"]["appointment"]["status"], "CANCELLED",
        "{by_patient}"
    );
    let (_, by_staff) = app
        .gql_as("window", &p.admin.access, CANCEL, json!({ "id": soon_id }))
        .await;
    assert_eq!(
        by_staff["data"]["cancelAppointment"]["appointment"]["status"], "CANCELLED",
        "{by_staff}"
    );
    let (_, twice) = app
        .gql_as("window", &p.admin.access, CANCEL, json!({ "id": soon_id }))
        .await;
    assert_eq!(
        user_error(&twice, "cancelAppointment"),
        Some("APPOINTMENT_NOT_ACTIVE")
    );
}

#[tokio::test]
async fn proxies_book_only_with_the_book_scope_and_nobody_books_for_a_stranger() {
    let app = spawn_app().await;
    let p = practice(&app, "kinbook").await;
    let (child, child_chart) = app.add_user("kinbook", Role::Patient).await;
    let child_chart = gid("Patient", child_chart.unwrap());
    let (parent, _) = app.add_user("kinbook", Role::Patient).await;
    let (reader, _) = app.add_user("kinbook", Role::Patient).await;
    let (stranger, _) = app.add_user("kinbook", Role::Patient).await;
    for (who, scopes) in [(&parent, json!(["BOOK"])), (&reader, json!(["READ"]))] {
        let (_, granted) = app
            .gql_as("kinbook", &child.access,
                "mutation($chart: ID!, $email: String!, $scopes: [ProxyScope!]!) {
                    grantProxyAccess(input: { patientId: $chart, granteeEmail: $email, scopes: $scopes }) { grant { id } } }",
                json!({ "chart": child_chart, "email": who.email, "scopes": scopes }))
            .await;
        assert!(
            granted["data"]["grantProxyAccess"]["grant"].is_object(),
            "{granted}"
        );
    }
    let day = days_ahead(&p, 3);
    let open = starts(&slots(&app, &parent.access, "kinbook", &p, day, day).await);

    let by_parent = book(&app, &parent.access, &p, &child_chart, open[0]).await;
    booked_id(&by_parent);
    // A reader's grant does not include booking, and they are told so.
    let by_reader = book(&app, &reader.access, &p, &child_chart, open[1]).await;
    assert_eq!(
        error_code(&by_reader),
        Some("PROXY_SCOPE_DENIED"),
        "{by_reader}"
    );
    assert_eq!(by_reader["errors"][0]["extensions"]["scope"], "BOOK");
    assert!(
        by_reader["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("booking")),
        "{by_reader}"
    );
    let by_stranger = book(&app, &stranger.access, &p, &child_chart, open[1]).await;
    assert_eq!(error_code(&by_stranger), Some("NOT_FOUND"));
    // A reader sees the appointments; a stranger does not.
    let (_, seen) = app
        .gql_as(
            "kinbook",
            &reader.access,
            APPOINTMENTS,
            json!({ "patient": child_chart }),
        )
        .await;
    assert_eq!(
        seen["data"]["appointments"].as_array().map(Vec::len),
        Some(1),
        "{seen}"
    );
    let (_, hidden) = app
        .gql_as(
            "kinbook",
            &stranger.access,
            APPOINTMENTS,
            json!({ "patient": child_chart }),
        )
        .await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"));
    // Nor can a stranger cancel it.
    let id = booked_id(&by_parent);
    let (_, cancel) = app
        .gql_as("kinbook", &stranger.access, CANCEL, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&cancel), Some("NOT_FOUND"));

    // Another practice's staff cannot see or book this practice's patient.
    let other = practice(&app, "elsewhere").await;
    let across = book(&app, &other.admin.access, &other, &child_chart, open[2]).await;
    assert_eq!(error_code(&across), Some("NOT_FOUND"), "{across}");
}

#[tokio::test]
async fn the_portal_books_only_online_types_for_eligible_patients() {
    let app = spawn_app().await;
    let p = practice(&app, "rules").await;
    let (patient, chart) = app.add_user("rules", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let phone_only = saved(&app, &p.admin, SAVE_TYPE, "saveAppointmentType", "appointmentType",
        json!({ "name": "Procedure", "durationMinutes": 60, "bookableOnline": false, "minLeadMinutes": 0 })).await;
    let established = saved(&app, &p.admin, SAVE_TYPE, "saveAppointmentType", "appointmentType",
        json!({ "name": "Check-in", "durationMinutes": 30, "eligibility": "ESTABLISHED", "minLeadMinutes": 0 })).await;
    let day = days_ahead(&p, 3);
    let (_, listed) = app
        .gql_as(
            "rules",
            &patient.access,
            "{ appointmentTypes { id } }",
            json!({}),
        )
        .await;
    let ids: Vec<&str> = listed["data"]["appointmentTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&phone_only.as_str()), "{listed}");

    let (_, search) = app
        .gql_as(
            "rules",
            &patient.access,
            SLOTS,
            json!({ "type": phone_only, "from": day.to_string(), "to": day.to_string() }),
        )
        .await;
    assert_eq!(reason(&search), Some("NOT_BOOKABLE_ONLINE"), "{search}");
    let (_, staff_search) = app
        .gql_as(
            "rules",
            &p.admin.access,
            SLOTS,
            json!({ "type": phone_only, "from": day.to_string(), "to": day.to_string() }),
        )
        .await;
    assert_eq!(
        staff_search["data"]["availableSlots"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "{staff_search}"
    );

    let open = starts(&slots(&app, &patient.access, "rules", &p, day, day).await);
    let (_, not_yet) = app
        .gql_as(
            "rules",
            &patient.access,
            BOOK,
            json!({ "input": {
            "patientId": chart, "appointmentTypeId": established, "providerId": p.provider,
            "locationId": p.location, "start": open[0].to_rfc3339() } }),
        )
        .await;
    assert_eq!(
        user_error(&not_yet, "bookAppointment"),
        Some("NOT_ELIGIBLE")
    );

    // Bad catalogue input is refused with codes and saves nothing.
    for (input, code) in [
        (
            json!({ "name": "Zero", "durationMinutes": 0 }),
            "OUT_OF_RANGE",
        ),
        (
            json!({ "name": " ", "durationMinutes": 30 }),
            "INVALID_NAME",
        ),
        (
            json!({ "name": "Far", "durationMinutes": 30, "horizonDays": 0 }),
            "OUT_OF_RANGE",
        ),
    ] {
        let (_, body) = app
            .gql_as(
                "rules",
                &p.admin.access,
                SAVE_TYPE,
                json!({ "input": input }),
            )
            .await;
        assert_eq!(
            user_error(&body, "saveAppointmentType"),
            Some(code),
            "{body}"
        );
    }
    let (_, types) = app
        .gql_as(
            "rules",
            &p.admin.access,
            "{ appointmentTypes(includeInactive: true) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        types["data"]["appointmentTypes"].as_array().map(Vec::len),
        Some(3)
    );
    let (_, overlap) = app
        .gql_as("rules", &p.admin.access, SET_WEEK, json!({ "input": {
            "providerId": p.provider, "locationId": p.location,
            "windows": [{ "weekday": 1, "start": "09:00", "end": "12:00" }, { "weekday": 1, "start": "11:00", "end": "13:00" }] } }))
        .await;
    assert_eq!(
        user_error(&overlap, "setWeeklyAvailability"),
        Some("OVERLAPPING_WINDOWS")
    );
    let (_, bad_time) = app
        .gql_as(
            "rules",
            &p.admin.access,
            SET_WEEK,
            json!({ "input": {
            "providerId": p.provider, "locationId": p.location,
            "windows": [{ "weekday": 1, "start": "9am", "end": "12:00" }] } }),
        )
        .await;
    assert_eq!(
        user_error(&bad_time, "setWeeklyAvailability"),
        Some("INVALID_TIME")
    );
    // The week is as it was.
    assert_eq!(
        slots(&app, &patient.access, "rules", &p, day, day)
            .await
            .len(),
        6
    );
    let (_, too_long) = app
        .gql_as("rules", &patient.access, SLOTS, json!({ "type": p.kind, "from": day.to_string(), "to": (day + Duration::days(90)).to_string() }))
        .await;
    assert_eq!(reason(&too_long), Some("RANGE_TOO_LONG"));
    // Patients cannot change the catalogue.
    let (_, forbidden) = app
        .gql_as(
            "rules",
            &patient.access,
            SAVE_LOCATION,
            json!({ "input": { "name": "Mine" } }),
        )
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
}

#[tokio::test]
async fn blocks_and_holidays_take_time_out_of_the_search() {
    let app = spawn_app().await;
    let p = practice(&app, "blocks").await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "blocks")
        .await
        .unwrap()
        .unwrap();
    let (staff, _) = app.add_user("blocks", Role::Staff).await;
    let day = days_ahead(&p, 3);
    let holiday = days_ahead(&p, 4);
    let open = starts(&slots(&app, &staff.access, "blocks", &p, day, day).await);
    const ADD: &str = "mutation($input: AddScheduleBlockInput!) { addScheduleBlock(input: $input) {
        scheduleBlock { id kind } userErrors { field code } } }";

    let (_, blocked) = app
        .gql_as(
            "blocks",
            &staff.access,
            ADD,
            json!({ "input": {
            "providerId": p.provider, "kind": "BLOCK", "note": "team meeting",
            "startsAt": open[0].to_rfc3339(), "endsAt": open[2].to_rfc3339() } }),
        )
        .await;
    let block_id = blocked["data"]["addScheduleBlock"]["scheduleBlock"]["id"].clone();
    assert!(block_id.is_string(), "{blocked}");
    assert_eq!(
        starts(&slots(&app, &staff.access, "blocks", &p, day, day).await),
        open[2..].to_vec()
    );

    // Not over a booked appointment.
    let chart = gid("Patient", app.add_patient(&tenant, "blocked").await.id);
    booked_id(&book(&app, &staff.access, &p, &chart, open[4]).await);
    let (_, over) = app
        .gql_as(
            "blocks",
            &staff.access,
            ADD,
            json!({ "input": {
            "providerId": p.provider, "kind": "TIME_OFF",
            "startsAt": open[3].to_rfc3339(), "endsAt": open[5].to_rfc3339() } }),
        )
        .await;
    assert_eq!(
        user_error(&over, "addScheduleBlock"),
        Some("APPOINTMENTS_IN_BLOCK")
    );

    // A holiday (practice admins) closes the whole local day.
    let (_, staff_holiday) = app
        .gql_as(
            "blocks",
            &staff.access,
            ADD,
            json!({ "input": { "kind": "HOLIDAY", "date": holiday.to_string() } }),
        )
        .await;
    assert_eq!(error_code(&staff_holiday), Some("FORBIDDEN"));
    let (_, closed) = app
        .gql_as(
            "blocks",
            &p.admin.access,
            ADD,
            json!({ "input": { "kind": "HOLIDAY", "date": holiday.to_string() } }),
        )
        .await;
    assert_eq!(
        closed["data"]["addScheduleBlock"]["scheduleBlock"]["kind"], "HOLIDAY",
        "{closed}"
    );
    assert!(
        slots(&app, &staff.access, "blocks", &p, holiday, holiday)
            .await
            .is_empty()
    );
    // Only practice admins lift a holiday either.
    let (_, lift) = app
        .gql_as(
            "blocks",
            &staff.access,
            "mutation($id: ID!) { removeScheduleBlock(input: { scheduleBlockId: $id }) { scheduleBlock { id } } }",
            json!({ "id": closed["data"]["addScheduleBlock"]["scheduleBlock"]["id"] }),
        )
        .await;
    assert_eq!(error_code(&lift), Some("FORBIDDEN"), "{lift}");
    assert!(
        slots(&app, &staff.access, "blocks", &p, holiday, holiday)
            .await
            .is_empty()
    );

    let (_, removed) = app
        .gql_as("blocks", &staff.access,
            "mutation($id: ID!) { removeScheduleBlock(input: { scheduleBlockId: $id }) { scheduleBlock { id } } }",
            json!({ "id": block_id }))
        .await;
    assert_eq!(
        removed["data"]["removeScheduleBlock"]["scheduleBlock"]["id"],
        block_id
    );
    assert_eq!(
        slots(&app, &staff.access, "blocks", &p, day, day)
            .await
            .len(),
        5
    );
}

#[tokio::test]
async fn waitlisted_patients_hear_of_an_opening_in_the_order_they_joined() {
    let app = spawn_app().await;
    let p = practice(&app, "waits").await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "waits")
        .await
        .unwrap()
        .unwrap();
    let day = days_ahead(&p, 3);
    let open = starts(&slots(&app, &p.admin.access, "waits", &p, day, day).await);
    // The day is full.
    let mut booked = Vec::new();
    for (i, start) in open.iter().enumerate() {
        let chart = gid(
            "Patient",
            app.add_patient(&tenant, &format!("full{i}")).await.id,
        );
        booked.push(booked_id(
            &book(&app, &p.admin.access, &p, &chart, *start).await,
        ));
    }
    let (first, first_chart) = app.add_user("waits", Role::Patient).await;
    let (second, second_chart) = app.add_user("waits", Role::Patient).await;
    const JOIN: &str = "mutation($input: JoinWaitlistInput!) { joinWaitlist(input: $input) {
        waitlistEntry { id status } userErrors { field code } } }";
    for (who, chart) in [(&first, first_chart), (&second, second_chart)] {
        let (_, joined) = app
            .gql_as(
                "waits",
                &who.access,
                JOIN,
                json!({ "input": {
                "patientId": gid("Patient", chart.unwrap()), "appointmentTypeId": p.kind,
                "wantedBefore": (open[0] + Duration::days(2)).to_rfc3339() } }),
            )
            .await;
        assert_eq!(
            joined["data"]["joinWaitlist"]["waitlistEntry"]["status"], "WAITING",
            "{joined}"
        );
    }
    let (_, twice) = app
        .gql_as(
            "waits",
            &first.access,
            JOIN,
            json!({ "input": {
            "patientId": gid("Patient", first_chart.unwrap()), "appointmentTypeId": p.kind,
            "wantedBefore": (open[0] + Duration::days(2)).to_rfc3339() } }),
        )
        .await;
    assert_eq!(
        user_error(&twice, "joinWaitlist"),
        Some("ALREADY_WAITLISTED")
    );
    assert!(app.last_email_to(&first.email).is_none());

    let (_, cancelled) = app
        .gql_as("waits", &p.admin.access, CANCEL, json!({ "id": booked[2] }))
        .await;
    assert_eq!(
        cancelled["data"]["cancelAppointment"]["appointment"]["status"],
        "CANCELLED"
    );
    let to_first = app.wait_for_email_to(&first.email).await;
    let to_second = app.wait_for_email_to(&second.email).await;
    for mail in [&to_first, &to_second] {
        assert!(
            mail.contains("An earlier appointment time has opened"),
            "{mail}"
        );
        // No PHI: not the provider, the type or the time.
        assert!(
            !mail.contains("Rivera") && !mail.contains("Follow-up"),
            "{mail}"
        );
    }
    // Told in the order they joined (the notices are written in that order; delivery then
    // runs on parallel workers).
    let mut notified = Vec::new();
    for (who, chart) in [(&first, first_chart), (&second, second_chart)] {
        let (_, entries) = app
            .gql_as(
                "waits",
                &who.access,
                "query($p: ID!) { waitlist(patientId: $p) { status notifiedAt } }",
                json!({ "p": gid("Patient", chart.unwrap()) }),
            )
            .await;
        assert_eq!(
            entries["data"]["waitlist"][0]["status"], "NOTIFIED",
            "{entries}"
        );
        let at: DateTime<Utc> = entries["data"]["waitlist"][0]["notifiedAt"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        notified.push(at);
    }
    assert!(notified[0] < notified[1], "{notified:?}");
}

#[tokio::test]
async fn every_appointment_read_and_change_is_in_the_audit_log() {
    let app = spawn_app().await;
    let p = practice(&app, "audited").await;
    let (patient, chart_uuid) = app.add_user("audited", Role::Patient).await;
    let chart = gid("Patient", chart_uuid.unwrap());
    let day = days_ahead(&p, 3);
    let open = starts(&slots(&app, &patient.access, "audited", &p, day, day).await);
    let id = booked_id(&book(&app, &patient.access, &p, &chart, open[0]).await);
    app.gql_as(
        "audited",
        &patient.access,
        APPOINTMENTS,
        json!({ "patient": chart }),
    )
    .await;
    app.gql_as(
        "audited",
        &p.admin.access,
        RESCHEDULE,
        json!({ "input": { "appointmentId": id, "start": open[1].to_rfc3339() } }),
    )
    .await;
    app.gql_as(
        "audited",
        &p.admin.access,
        "query($from: DateTime!, $to: DateTime!) { schedule(from: $from, to: $to) { id } }",
        json!({ "from": open[0].to_rfc3339(), "to": (open[0] + Duration::hours(4)).to_rfc3339() }),
    )
    .await;

    let (_, events) = app
        .gql_as(
            "audited",
            &p.admin.access,
            "query($p: ID!) { auditEvents(patientId: $p, first: 100) { action } }",
            json!({ "p": chart }),
        )
        .await;
    let actions: Vec<&str> = events["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{events}"))
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "appointment.create",
        "appointment.list",
        "appointment.reschedule",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn postgresql_itself_refuses_an_overlapping_booking() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = spawn_app().await;
    if !app.database.is_postgres() {
        return; // SQLite serialises writing transactions instead; the tests above cover it.
    }
    let p = practice(&app, "constraint").await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "constraint")
        .await
        .unwrap()
        .unwrap();
    let chart = gid("Patient", app.add_patient(&tenant, "first").await.id);
    let day = days_ahead(&p, 3);
    let open = starts(&slots(&app, &p.admin.access, "constraint", &p, day, day).await);
    booked_id(&book(&app, &p.admin.access, &p, &chart, open[0]).await);

    // A copy of the row ten minutes later, as if a buggy path skipped every check.
    let conn = sea_orm::Database::connect(app.database.app_url.as_str())
        .await
        .unwrap();
    let copy = |status: &str| {
        format!(
            "INSERT INTO appointments SELECT tenant_id, gen_random_uuid(), patient_id, provider_id, \
             location_id, appointment_type_id, starts_at + interval '10 minutes', \
             ends_at + interval '10 minutes', '{status}', booked_by, booked_via, rescheduled_from, \
             cancelled_at, cancelled_by, created_at, updated_at FROM appointments"
        )
    };
    let tenant_id = tenant.id().as_uuid();
    let tx = conn.begin().await.unwrap();
    tx.execute_unprepared(&format!(
        "SELECT set_config('app.tenant_id', '{tenant_id}', true)"
    ))
    .await
    .unwrap();
    let refused = tx.execute_unprepared(&copy("booked")).await.unwrap_err();
    assert!(
        refused.to_string().contains("appointments_no_overlap"),
        "{refused}"
    );
    tx.rollback().await.unwrap();
    // A cancelled appointment holds no time.
    let tx = conn.begin().await.unwrap();
    tx.execute_unprepared(&format!(
        "SELECT set_config('app.tenant_id', '{tenant_id}', true)"
    ))
    .await
    .unwrap();
    assert_eq!(
        tx.execute_unprepared(&copy("cancelled"))
            .await
            .unwrap()
            .rows_affected(),
        1
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn staff_reach_a_restricted_charts_appointments_only_by_breaking_the_glass() {
    let app = spawn_app().await;
    let p = practice(&app, "vipbook").await;
    let (_, chart) = app.add_user("vipbook", Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    let (nurse, _) = app.add_user("vipbook", Role::Staff).await;
    let day = days_ahead(&p, 3);
    let open = starts(&slots(&app, &p.admin.access, "vipbook", &p, day, day).await);
    booked_id(&book(&app, &p.admin.access, &p, &chart, open[0]).await);
    let (_, restricted) = app
        .gql_as(
            "vipbook",
            &p.admin.access,
            "mutation($i: SetChartRestrictionInput!) { setChartRestriction(input: $i) { userErrors { code } } }",
            json!({ "i": { "patientId": chart, "category": "vip" } }),
        )
        .await;
    assert_eq!(
        restricted["data"]["setChartRestriction"]["userErrors"],
        json!([]),
        "{restricted}"
    );
    const LIST: &str = "{ patients(first: 50) { edges { node { id } } } }";
    let listed = |body: &Value| {
        body["data"]["patients"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["id"] == json!(chart))
    };

    // Without breaking the glass: no appointments, no booking, not in the list.
    let (_, seen) = app
        .gql_as(
            "vipbook",
            &nurse.access,
            APPOINTMENTS,
            json!({ "patient": chart }),
        )
        .await;
    assert_eq!(error_code(&seen), Some("BREAK_GLASS_REQUIRED"), "{seen}");
    let booked = book(&app, &nurse.access, &p, &chart, open[1]).await;
    assert_eq!(error_code(&booked), Some("BREAK_GLASS_REQUIRED"));
    let (_, list) = app.gql_as("vipbook", &nurse.access, LIST, json!({})).await;
    assert!(!listed(&list), "{list}");
    let (_, admin_list) = app
        .gql_as("vipbook", &p.admin.access, LIST, json!({}))
        .await;
    assert!(listed(&admin_list), "{admin_list}");

    // With a break-glass access: all of it, and the audit events carry the access.
    let (_, broke) = app
        .gql_as(
            "vipbook",
            &nurse.access,
            "mutation($p: ID!) { breakGlass(input: { patientId: $p, reason: \"patient at the front desk asking to rebook\" }) { access { id } userErrors { code } } }",
            json!({ "p": chart }),
        )
        .await;
    let access = broke["data"]["breakGlass"]["access"]["id"].clone();
    assert!(access.is_string(), "{broke}");
    let (_, seen) = app
        .gql_as(
            "vipbook",
            &nurse.access,
            APPOINTMENTS,
            json!({ "patient": chart }),
        )
        .await;
    assert_eq!(
        seen["data"]["appointments"].as_array().map(Vec::len),
        Some(1),
        "{seen}"
    );
    booked_id(&book(&app, &nurse.access, &p, &chart, open[1]).await);
    let (_, list) = app.gql_as("vipbook", &nurse.access, LIST, json!({})).await;
    assert!(listed(&list), "{list}");
    let (_, events) = app
        .gql_as(
            "vipbook",
            &p.admin.access,
            "query($p: ID!) { auditEvents(patientId: $p, first: 100) { action breakGlassId } }",
            json!({ "p": chart }),
        )
        .await;
    let flagged: Vec<&str> = events["data"]["auditEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["breakGlassId"].is_null())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(flagged.contains(&"appointment.list"), "{events}");
    assert!(flagged.contains(&"appointment.create"), "{events}");
}
