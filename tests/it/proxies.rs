//! Proxy (caregiver) access to a chart: granted, scoped, listed in `me`, revoked.

use portico_core::identity::Role;
use portico_tests::{error_code, spawn_app};
use serde_json::{Value, json};

use crate::support::messaging::{clinic, start};

const GRANT: &str = "mutation($chart: ID!, $email: String!, $scopes: [ProxyScope!]!, $ends: DateTime) {
    grantProxyAccess(input: { patientId: $chart, granteeEmail: $email, scopes: $scopes, endsAt: $ends }) {
        grant { id scopes } userErrors { field code } } }";
const ME_CHARTS: &str = "{ me { charts { relationship scopes patient { id } } } }";

fn chart_id(uuid: uuid::Uuid) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(format!("Patient:{uuid}"))
}

fn open(id: &str) -> String {
    format!("{{ patient(id: \"{id}\") {{ id }} }}")
}

fn grant_error(body: &Value) -> Option<&str> {
    body["data"]["grantProxyAccess"]["userErrors"][0]["code"].as_str()
}

#[tokio::test]
async fn a_patient_shares_their_chart_with_a_caregiver_until_revoked() {
    let app = spawn_app().await;
    let admin = app.practice_admin("kin").await;
    let (child, child_chart) = app.add_user("kin", Role::Patient).await;
    let (parent, parent_chart) = app.add_user("kin", Role::Patient).await;
    let child_chart = chart_id(child_chart.unwrap());

    let (_, before) = app
        .gql_as("kin", &parent.access, &open(&child_chart), json!({}))
        .await;
    assert_eq!(error_code(&before), Some("NOT_FOUND"));

    let (_, granted) = app
        .gql_as(
            "kin",
            &child.access,
            GRANT,
            json!({ "chart": child_chart, "email": parent.email, "scopes": ["READ", "BOOK"] }),
        )
        .await;
    let grant_id = granted["data"]["grantProxyAccess"]["grant"]["id"].clone();
    assert_eq!(
        granted["data"]["grantProxyAccess"]["grant"]["scopes"],
        json!(["READ", "BOOK"]),
        "{granted}"
    );

    let (_, opened) = app
        .gql_as("kin", &parent.access, &open(&child_chart), json!({}))
        .await;
    assert!(opened["errors"].is_null(), "{opened}");
    let (_, me) = app
        .gql_as("kin", &parent.access, ME_CHARTS, json!({}))
        .await;
    let charts = me["data"]["me"]["charts"].as_array().unwrap();
    assert_eq!(charts.len(), 2, "own and shared: {me}");
    assert!(
        charts.iter().any(|c| c["relationship"] == "self"
            && c["patient"]["id"] == chart_id(parent_chart.unwrap()))
    );
    assert!(
        charts
            .iter()
            .any(|c| c["relationship"] == "proxy" && c["patient"]["id"] == child_chart.as_str())
    );

    // The grantee cannot pass the access on, nor see the grants.
    let (_, list) = app
        .gql_as(
            "kin",
            &parent.access,
            "query($c: ID!) { proxyGrants(patientId: $c) { id } }",
            json!({ "c": child_chart }),
        )
        .await;
    assert_eq!(error_code(&list), Some("NOT_FOUND"));

    let (_, revoked) = app
        .gql_as(
            "kin",
            &child.access,
            "mutation($id: ID!) { revokeProxyAccess(input: { id: $id }) { grant { revokedAt } } }",
            json!({ "id": grant_id }),
        )
        .await;
    assert!(
        revoked["data"]["revokeProxyAccess"]["grant"]["revokedAt"].is_string(),
        "{revoked}"
    );
    let (_, after) = app
        .gql_as("kin", &parent.access, &open(&child_chart), json!({}))
        .await;
    assert_eq!(error_code(&after), Some("NOT_FOUND"));

    // Staff may grant on any chart of the practice.
    let (_, by_staff) = app
        .gql_as(
            "kin",
            &admin.access,
            GRANT,
            json!({ "chart": child_chart, "email": parent.email, "scopes": ["MESSAGE"] }),
        )
        .await;
    assert!(
        by_staff["data"]["grantProxyAccess"]["grant"].is_object(),
        "{by_staff}"
    );
    // A message-only grant does not open the chart.
    let (_, message_only) = app
        .gql_as("kin", &parent.access, &open(&child_chart), json!({}))
        .await;
    assert_eq!(error_code(&message_only), Some("NOT_FOUND"));
}

#[tokio::test]
async fn bad_or_foreign_grants_are_refused() {
    let app = spawn_app().await;
    app.practice_admin("clan").await;
    let (ann, ann_chart) = app.add_user("clan", Role::Patient).await;
    let (bob, bob_chart) = app.add_user("clan", Role::Patient).await;
    let ann_chart = chart_id(ann_chart.unwrap());

    let past = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let cases = [
        (
            json!({ "chart": ann_chart, "email": bob.email, "scopes": [] }),
            "INVALID_SCOPES",
        ),
        (
            json!({ "chart": ann_chart, "email": bob.email, "scopes": ["READ"], "ends": past }),
            "INVALID_DATE",
        ),
        (
            json!({ "chart": ann_chart, "email": ann.email, "scopes": ["READ"] }),
            "SELF_GRANT",
        ),
    ];
    for (vars, code) in cases {
        let (_, body) = app.gql_as("clan", &ann.access, GRANT, vars).await;
        assert_eq!(grant_error(&body), Some(code), "{body}");
    }
    // Ann cannot share Bob's chart.
    let (_, foreign) = app
        .gql_as(
            "clan",
            &ann.access,
            GRANT,
            json!({ "chart": chart_id(bob_chart.unwrap()), "email": ann.email, "scopes": ["READ"] }),
        )
        .await;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");
}

#[tokio::test]
async fn a_grant_to_an_address_without_an_account_waits_for_it_and_reveals_nothing() {
    let app = spawn_app().await;
    let admin = app.practice_admin("later").await;
    let (child, child_chart) = app.add_user("later", Role::Patient).await;
    let child_chart = chart_id(child_chart.unwrap());
    let (_, granted) = app
        .gql_as(
            "later",
            &child.access,
            GRANT,
            json!({ "chart": child_chart, "email": "Late.Parent@example.org", "scopes": ["READ"] }),
        )
        .await;
    assert!(
        granted["data"]["grantProxyAccess"]["grant"]["id"].is_string(),
        "{granted}"
    );
    assert!(
        granted["data"]["grantProxyAccess"]["userErrors"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The parent becomes a patient of the practice and activates with that address.
    let (_, created) = app
        .gql_as(
            "later",
            &admin.access,
            "mutation { createPatient(input: { givenName: \"Lee\", familyName: \"Parent\",
                birthDate: \"1970-02-03\", gender: \"unknown\" }) { patient { id } } }",
            json!({}),
        )
        .await;
    let parent_chart = created["data"]["createPatient"]["patient"]["id"].clone();
    let (_, issued) = app
        .gql_as(
            "later",
            &admin.access,
            "mutation($id: ID!) { issueActivationCode(input: { patientId: $id }) { code } }",
            json!({ "id": parent_chart }),
        )
        .await;
    let code = issued["data"]["issueActivationCode"]["code"]
        .as_str()
        .unwrap();
    let (_, activated) = app
        .gql_status(
            Some("later"),
            "mutation($c: String!) { activatePatientAccount(input: { code: $c, birthDate: \"1970-02-03\",
                email: \"late.parent@example.org\", password: \"copper kettle meadow\" }) {
                session { accessToken } } }",
            json!({ "c": code }),
        )
        .await;
    let token = activated["data"]["activatePatientAccount"]["session"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{activated}"))
        .to_owned();
    let (_, opened) = app
        .gql_as("later", &token, &open(&child_chart), json!({}))
        .await;
    assert!(
        opened["errors"].is_null(),
        "the waiting grant applies: {opened}"
    );
}

#[tokio::test]
async fn a_caregiver_whose_grant_lacks_messaging_is_told_so_and_a_stranger_sees_nothing() {
    let app = spawn_app().await;
    let clinic = clinic(&app, "kinmsg").await;
    let (child, child_chart) = app.add_user("kinmsg", Role::Patient).await;
    let child_chart = child_chart.unwrap();
    let (parent, _) = app.add_user("kinmsg", Role::Patient).await;
    let (stranger, _) = app.add_user("kinmsg", Role::Patient).await;
    let (_, granted) = app
        .gql_as(
            "kinmsg",
            &child.access,
            GRANT,
            json!({ "chart": chart_id(child_chart), "email": parent.email, "scopes": ["READ"] }),
        )
        .await;
    assert!(
        granted["data"]["grantProxyAccess"]["grant"].is_object(),
        "{granted}"
    );
    let by_parent = start(&app, &parent, child_chart, &clinic.pool, "Is this normal?").await;
    assert_eq!(
        error_code(&by_parent),
        Some("PROXY_SCOPE_DENIED"),
        "{by_parent}"
    );
    assert_eq!(by_parent["errors"][0]["extensions"]["scope"], "MESSAGE");
    assert!(
        by_parent["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("messaging") && !m.contains("normal")),
        "{by_parent}"
    );
    let by_stranger = start(&app, &stranger, child_chart, &clinic.pool, "Hello").await;
    assert_eq!(error_code(&by_stranger), Some("NOT_FOUND"), "{by_stranger}");
    // Nothing was written: the patient has no conversation.
    let (_, threads) = app
        .gql_as(
            "kinmsg",
            &child.access,
            "{ messageThreads { id } }",
            json!({}),
        )
        .await;
    assert_eq!(threads["data"]["messageThreads"], json!([]), "{threads}");
}
