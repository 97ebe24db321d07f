//! Authorization: the role matrix over the guarded operations, and charts by global id
//! across tenants and across patients.

use portico_core::identity::Role;
use portico_tests::{error_code, spawn_app};
use serde_json::{Value, json};

fn patient_id(uuid: uuid::Uuid) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(format!("Patient:{uuid}"))
}

const CREATE: &str = "mutation { createPatient(input: { givenName: \"New\", familyName: \"Chart\",
    birthDate: \"1990-04-05\", gender: \"unknown\" }) { patient { id } userErrors { code } } }";

/// Whether the response ran (no error) or was refused with FORBIDDEN.
fn outcome(body: &Value) -> Result<(), String> {
    match error_code(body) {
        None => Ok(()),
        Some(code) => Err(code.to_owned()),
    }
}

#[tokio::test]
async fn each_role_may_do_exactly_what_the_policy_allows() {
    let app = spawn_app().await;
    let admin = app.practice_admin("matrix").await;
    let (_, chart_owner) = app.add_user("matrix", Role::Patient).await;
    let chart = patient_id(chart_owner.unwrap());
    let mut sessions = vec![(Role::PracticeAdmin, admin.access.clone())];
    for role in [Role::Provider, Role::Staff, Role::Patient] {
        sessions.push((role, app.add_user("matrix", role).await.0.access));
    }
    let operations: [(&str, String); 4] = [
        ("me", "{ me { role } }".to_owned()),
        (
            "list patients",
            "{ patients { edges { node { id } } } }".to_owned(),
        ),
        ("create patient", CREATE.to_owned()),
        (
            "open another's chart",
            format!("{{ patient(id: \"{chart}\") {{ givenName }} }}"),
        ),
    ];
    for (role, token) in &sessions {
        let staff = *role != Role::Patient;
        for (name, query) in &operations {
            let (_, body) = app.gql_as("matrix", token, query, json!({})).await;
            let expected: Result<(), String> = match *name {
                "me" => Ok(()),
                "open another's chart" if !staff => Err("NOT_FOUND".to_owned()),
                _ if staff => Ok(()),
                _ => Err("FORBIDDEN".to_owned()),
            };
            assert_eq!(outcome(&body), expected, "{role:?} {name}: {body}");
        }
    }
}

#[tokio::test]
async fn a_patient_opens_their_own_chart_and_no_other() {
    let app = spawn_app().await;
    app.practice_admin("clinic").await;
    let (ann, ann_chart) = app.add_user("clinic", Role::Patient).await;
    let (_, bob_chart) = app.add_user("clinic", Role::Patient).await;
    let own = format!(
        "{{ patient(id: \"{}\") {{ id }} }}",
        patient_id(ann_chart.unwrap())
    );
    let (_, body) = app.gql_as("clinic", &ann.access, &own, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");

    let other = format!(
        "{{ node(id: \"{}\") {{ id }} }}",
        patient_id(bob_chart.unwrap())
    );
    let (_, body) = app.gql_as("clinic", &ann.access, &other, json!({})).await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert_eq!(message, "not found", "nothing about the chart is revealed");
}

#[tokio::test]
async fn another_tenants_chart_is_not_found_by_global_id() {
    let app = spawn_app().await;
    let a = app.practice_admin("north").await;
    app.practice_admin("south").await;
    let (_, south_chart) = app.add_user("south", Role::Patient).await;
    let id = patient_id(south_chart.unwrap());
    for query in [
        format!("{{ patient(id: \"{id}\") {{ givenName }} }}"),
        format!("{{ node(id: \"{id}\") {{ id }} }}"),
    ] {
        let (_, body) = app.gql_as("north", &a.access, &query, json!({})).await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
        assert!(body["data"].is_null(), "{body}");
    }
    // A well-formed id naming nothing is just as unknown; a malformed one is bad input.
    for (bad, code) in [
        ("bm9wZQ", "BAD_USER_INPUT"),
        ("not an id", "BAD_USER_INPUT"),
        (&patient_id(uuid::Uuid::now_v7()), "NOT_FOUND"),
    ] {
        let (_, body) = app
            .gql_as(
                "north",
                &a.access,
                &format!("{{ node(id: \"{bad}\") {{ id }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), Some(code), "{bad}: {body}");
    }
}

#[tokio::test]
async fn staff_create_and_list_charts() {
    let app = spawn_app().await;
    let admin = app.practice_admin("ledger").await;
    let (_, created) = app.gql_as("ledger", &admin.access, CREATE, json!({})).await;
    let id = created["data"]["createPatient"]["patient"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let (_, bad) = app
        .gql_as(
            "ledger",
            &admin.access,
            "mutation { createPatient(input: { givenName: \" \", familyName: \"X\",
                birthDate: \"1990-01-01\", gender: \"unknown\" }) { patient { id } userErrors { field code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        bad["data"]["createPatient"]["userErrors"][0]["code"],
        "INVALID_NAME"
    );
    let (_, list) = app
        .gql_as(
            "ledger",
            &admin.access,
            "{ patients(first: 10) { edges { cursor node { id ... on Patient { givenName } } } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    let edges = list["data"]["patients"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "{list}");
    assert_eq!(edges[0]["node"]["id"], id);
    assert_eq!(list["data"]["patients"]["pageInfo"]["hasNextPage"], false);
}
