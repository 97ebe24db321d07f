//! Ids over the API: every id it returns is a global id (`me.userId` included, so a user can
//! pass their own id wherever a user is wanted), and every id it takes is read one way: a
//! malformed id or one of another type is `BAD_USER_INPUT` naming the field, and a
//! well-formed id naming nothing the caller may see (unknown, or another practice's) is
//! `NOT_FOUND`.

use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, error_code, spawn_app};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    gid,
    scheduling::{days_ahead, practice},
};

/// The type inside a global id, or `None` when it is not one.
fn type_of(id: &str) -> Option<String> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let (ty, uuid) = raw.split_once(':')?;
    uuid.parse::<Uuid>().ok().map(|_| ty.to_owned())
}

async fn gql(app: &TestApp, who: &Signed, query: &str, vars: Value) -> Value {
    app.gql_as(&who.slug, &who.access, query, vars).await.1
}

async fn me(app: &TestApp, who: &Signed) -> String {
    let body = gql(app, who, "{ me { userId } }", json!({})).await;
    body["data"]["me"]["userId"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

#[tokio::test]
async fn me_user_id_is_the_global_user_id_inputs_take_and_audit_events_name_global_ids() {
    let app = spawn_app().await;
    let admin = app.practice_admin("idsme").await;
    let (doctor, _) = app.add_user("idsme", Role::Provider).await;
    let doctor_id = me(&app, &doctor).await;
    assert_eq!(type_of(&doctor_id).as_deref(), Some("User"), "{doctor_id}");
    // The id `me` gives is the one an admin passes to link the provider's account.
    let saved = gql(
        &app,
        &admin,
        "mutation($input: ProviderInput!) { saveProvider(input: $input) {
            provider { id userId } userErrors { field code } } }",
        json!({ "input": { "displayName": "Dr. Okafor", "userId": doctor_id } }),
    )
    .await;
    assert_eq!(
        saved["data"]["saveProvider"]["provider"]["userId"],
        json!(doctor_id),
        "{saved}"
    );
    // Audit events name actors and resources by global ids, and filter by them.
    let admin_id = me(&app, &admin).await;
    let body = gql(
        &app,
        &admin,
        "query($user: ID) { auditEvents(userId: $user) {
            actorKind actorId resourceType resourceId patientId } }",
        json!({ "user": admin_id }),
    )
    .await;
    let events = body["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(
        events.iter().any(|e| e["resourceType"] == "Provider"),
        "{body}"
    );
    for event in events {
        assert_eq!(event["actorId"], json!(admin_id), "{event}");
        if let Some(resource) = event["resourceId"].as_str() {
            assert_eq!(
                type_of(resource),
                event["resourceType"].as_str().map(str::to_owned),
                "{event}"
            );
        }
    }
}

/// One resolver taking an id: the query, the variables around `$id`, the id's field, its
/// type, and an id of that type from another practice.
struct Case {
    query: &'static str,
    vars: Value,
    field: &'static str,
    ty: &'static str,
    foreign: Option<String>,
}

#[tokio::test]
async fn malformed_or_mistyped_ids_are_bad_input_and_unknown_or_foreign_ones_not_found() {
    let app = spawn_app().await;
    let p = practice(&app, "idsa").await;
    let q = practice(&app, "idsb").await;
    let (_, foreign_chart) = app.add_user("idsb", Role::Patient).await;
    let foreign_chart = gid("Patient", foreign_chart.unwrap());
    let day = days_ahead(&p, 3).to_string();
    let (from, to) = (
        chrono::Utc::now().to_rfc3339(),
        (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
    );
    let cases = [
        Case {
            query: "query($id: ID!, $from: DateTime!, $to: DateTime!) {
                schedule(from: $from, to: $to, providerId: $id) { id } }",
            vars: json!({ "from": from, "to": to }),
            field: "providerId",
            ty: "Provider",
            foreign: Some(q.provider.clone()),
        },
        Case {
            query: "query($id: ID!, $from: DateTime!, $to: DateTime!) {
                scheduleBlocks(from: $from, to: $to, providerId: $id) { id } }",
            vars: json!({ "from": from, "to": to }),
            field: "providerId",
            ty: "Provider",
            foreign: Some(q.provider.clone()),
        },
        Case {
            query: "query($id: ID!) { inbox(poolId: $id) { id } }",
            vars: json!({}),
            field: "poolId",
            ty: "CareTeamPool",
            foreign: None,
        },
        Case {
            query: "query($id: ID!) { inbox(assigneeId: $id) { id } }",
            vars: json!({}),
            field: "assigneeId",
            ty: "User",
            foreign: Some(me(&app, &q.admin).await),
        },
        Case {
            query: "query($id: ID!, $from: Date!, $to: Date!) {
                availableSlots(appointmentTypeId: $id, from: $from, to: $to) { start } }",
            vars: json!({ "from": day, "to": day }),
            field: "appointmentTypeId",
            ty: "AppointmentType",
            foreign: Some(q.kind.clone()),
        },
        Case {
            query: "query($id: ID!, $from: Date!, $to: Date!, $type: ID!) {
                availableSlots(appointmentTypeId: $type, from: $from, to: $to, locationId: $id) {
                start } }",
            vars: json!({ "from": day, "to": day, "type": p.kind }),
            field: "locationId",
            ty: "Location",
            foreign: Some(q.location.clone()),
        },
        Case {
            query: "query($id: ID!) { patient(id: $id) { id } }",
            vars: json!({}),
            field: "id",
            ty: "Patient",
            foreign: Some(foreign_chart.clone()),
        },
        Case {
            query: "query($id: ID!) { appointments(patientId: $id) { id } }",
            vars: json!({}),
            field: "patientId",
            ty: "Patient",
            foreign: Some(foreign_chart.clone()),
        },
        Case {
            query: "query($id: ID!) { refillRequests(patientId: $id) { id } }",
            vars: json!({}),
            field: "patientId",
            ty: "Patient",
            foreign: Some(foreign_chart.clone()),
        },
        Case {
            query: "query($id: ID!) { refillQueue(poolId: $id) { id } }",
            vars: json!({}),
            field: "poolId",
            ty: "CareTeamPool",
            foreign: None,
        },
        Case {
            query: "query($id: ID!) { messageThread(id: $id) { id } }",
            vars: json!({}),
            field: "id",
            ty: "MessageThread",
            foreign: None,
        },
        Case {
            query: "mutation($id: ID!) { updateRefillSettings(input: { poolId: $id }) {
                poolId userErrors { code } } }",
            vars: json!({}),
            field: "poolId",
            ty: "CareTeamPool",
            foreign: None,
        },
        Case {
            query: "mutation($id: ID!, $provider: ID!) { setCoveringProvider(input: {
                providerId: $provider, coveringProviderId: $id }) {
                coveringProviderId userErrors { code } } }",
            vars: json!({ "provider": p.provider }),
            field: "coveringProviderId",
            ty: "Provider",
            foreign: Some(q.provider.clone()),
        },
    ];
    for case in cases {
        let run = |id: String| {
            let mut vars = case.vars.clone();
            vars["id"] = json!(id);
            let (app, admin, query) = (&app, &p.admin, case.query);
            async move { gql(app, admin, query, vars).await }
        };
        let wrong_type = gid(
            if case.ty == "User" { "Patient" } else { "User" },
            Uuid::now_v7(),
        );
        for bad in ["nope".to_owned(), Uuid::now_v7().to_string(), wrong_type] {
            let body = run(bad.clone()).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{bad}: {body}");
            let extensions = &body["errors"][0]["extensions"];
            assert_eq!(extensions["field"], case.field, "{body}");
            assert_eq!(extensions["reason"], "INVALID_ID", "{body}");
        }
        let unknown = gid(case.ty, Uuid::now_v7());
        for id in [Some(unknown), case.foreign.clone()].into_iter().flatten() {
            let body = run(id.clone()).await;
            assert_eq!(
                error_code(&body),
                Some("NOT_FOUND"),
                "{}: {body}",
                case.query
            );
        }
    }
    // None of it changed a setting.
    let settings = gql(
        &app,
        &p.admin,
        "{ refillSettings { poolId } providers { coveringProviderId } }",
        json!({}),
    )
    .await;
    assert_eq!(settings["data"]["refillSettings"]["poolId"], Value::Null);
    assert_eq!(
        settings["data"]["providers"][0]["coveringProviderId"],
        Value::Null,
        "{settings}"
    );
}
