//! A practice ready to book: one provider at one location open every day, a bookable
//! appointment type, and the open slots and bookings the scheduling tests and others need.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use portico_tests::{Signed, TestApp};
use serde_json::{Value, json};

pub const SAVE_LOCATION: &str = "mutation($input: LocationInput!) { saveLocation(input: $input) {
    location { id } userErrors { field code } } }";
pub const SAVE_PROVIDER: &str = "mutation($input: ProviderInput!) { saveProvider(input: $input) {
    provider { id } userErrors { field code } } }";
pub const SAVE_TYPE: &str =
    "mutation($input: AppointmentTypeInput!) { saveAppointmentType(input: $input) {
    appointmentType { id } userErrors { field code } } }";
pub const SET_WEEK: &str =
    "mutation($input: SetWeeklyAvailabilityInput!) { setWeeklyAvailability(input: $input) {
    provider { weeklyAvailability { weekday start end } } userErrors { field code } } }";
pub const SLOTS: &str = "query($type: ID!, $from: Date!, $to: Date!, $provider: ID) {
    availableSlots(appointmentTypeId: $type, from: $from, to: $to, providerId: $provider) {
        start end provider { id displayName } location { id } } }";
pub const BOOK: &str = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) {
    appointment { id start end status bookedVia changeableOnline provider { displayName } }
    userErrors { field code message } } }";
pub const CANCEL: &str = "mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id }) {
    appointment { id status } userErrors { field code message } } }";

/// One provider at one location, open 09:00–12:00 local every day, and a 30-minute type
/// bookable online with no lead time.
pub struct Practice {
    pub admin: Signed,
    pub provider: String,
    pub location: String,
    pub kind: String,
    pub tz: Tz,
}

pub async fn saved(
    app: &TestApp,
    admin: &Signed,
    query: &str,
    field: &str,
    object: &str,
    input: Value,
) -> String {
    let (_, body) = app
        .gql_as(&admin.slug, &admin.access, query, json!({ "input": input }))
        .await;
    body["data"][field][object]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} failed: {body}"))
        .to_owned()
}

pub async fn practice_in(
    app: &TestApp,
    slug: &str,
    zone: &str,
    start: &str,
    end: &str,
) -> Practice {
    let admin = app.sign_up_in(slug, zone).await;
    let admin = app.enrol_totp(&admin).await;
    let location = saved(
        app,
        &admin,
        SAVE_LOCATION,
        "saveLocation",
        "location",
        json!({ "name": "Main Street" }),
    )
    .await;
    let provider = saved(
        app,
        &admin,
        SAVE_PROVIDER,
        "saveProvider",
        "provider",
        json!({ "displayName": "Dr. Rivera" }),
    )
    .await;
    let kind = saved(
        app,
        &admin,
        SAVE_TYPE,
        "saveAppointmentType",
        "appointmentType",
        json!({ "name": "Follow-up", "durationMinutes": 30, "minLeadMinutes": 0, "horizonDays": 730 }),
    )
    .await;
    let windows: Vec<Value> = (1..=7)
        .map(|d| json!({ "weekday": d, "start": start, "end": end }))
        .collect();
    let (_, week) = app
        .gql_as(
            slug,
            &admin.access,
            SET_WEEK,
            json!({ "input": { "providerId": provider, "locationId": location, "windows": windows } }),
        )
        .await;
    assert_eq!(
        week["data"]["setWeeklyAvailability"]["provider"]["weeklyAvailability"]
            .as_array()
            .map(Vec::len),
        Some(7),
        "{week}"
    );
    Practice {
        admin,
        provider,
        location,
        kind,
        tz: zone.parse().unwrap(),
    }
}

pub async fn practice(app: &TestApp, slug: &str) -> Practice {
    practice_in(app, slug, "America/Chicago", "09:00", "12:00").await
}

/// A local date a few days ahead: far from lead times and the cancellation window.
pub fn days_ahead(p: &Practice, days: i64) -> NaiveDate {
    Utc::now().with_timezone(&p.tz).date_naive() + Duration::days(days)
}

pub async fn slots(
    app: &TestApp,
    token: &str,
    slug: &str,
    p: &Practice,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Value> {
    let (_, body) = app
        .gql_as(
            slug,
            token,
            SLOTS,
            json!({ "type": p.kind, "from": from.to_string(), "to": to.to_string() }),
        )
        .await;
    body["data"]["availableSlots"]
        .as_array()
        .unwrap_or_else(|| panic!("no slots: {body}"))
        .clone()
}

pub fn starts(slots: &[Value]) -> Vec<DateTime<Utc>> {
    slots
        .iter()
        .map(|s| s["start"].as_str().unwrap().parse().unwrap())
        .collect()
}

pub async fn book(
    app: &TestApp,
    token: &str,
    p: &Practice,
    patient: &str,
    start: DateTime<Utc>,
) -> Value {
    let (_, body) = app
        .gql_as(
            &p.admin.slug,
            token,
            BOOK,
            json!({ "input": {
                "patientId": patient, "appointmentTypeId": p.kind, "providerId": p.provider,
                "locationId": p.location, "start": start.to_rfc3339() } }),
        )
        .await;
    body
}

pub fn booked_id(body: &Value) -> String {
    body["data"]["bookAppointment"]["appointment"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("not booked: {body}"))
        .to_owned()
}
