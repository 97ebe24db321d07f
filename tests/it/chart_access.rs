//! Who reads a chart: the patient, a proxy exactly as the grant allows, staff of the
//! practice; another patient's or another practice's records are `NOT_FOUND` by any id.

use portico_core::identity::Role;
use portico_tests::{error_code, spawn_app};
use serde_json::json;

use crate::support::{gid, records::small_chart};

const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";
const CHART: &str = "query($p: ID!) { patient(id: $p) { results { edges { node { id } } }
    dashboard { newResults { id } } } }";

#[tokio::test]
async fn another_patients_records_are_not_found_by_any_id() {
    let app = spawn_app().await;
    let admin = app.practice_admin("walls").await;
    let (ann, ann_chart) = app.add_user("walls", Role::Patient).await;
    let (bob, bob_chart) = app.add_user("walls", Role::Patient).await;
    let ann_chart = gid("Patient", ann_chart.unwrap());
    let bob_chart = gid("Patient", bob_chart.unwrap());
    let bobs = small_chart(&app, &admin, &bob_chart).await;
    small_chart(&app, &admin, &ann_chart).await;

    // Bob reads his own records by id.
    let (_, own) = app
        .gql_as(
            "walls",
            &bob.access,
            NODE,
            json!({ "id": bobs["glucose_new"] }),
        )
        .await;
    assert_eq!(
        own["data"]["node"]["id"],
        bobs["glucose_new"].as_str(),
        "{own}"
    );

    // Ann gets NOT_FOUND for Bob's chart and every one of his records, by any path.
    let (_, chart) = app
        .gql_as("walls", &ann.access, CHART, json!({ "p": bob_chart }))
        .await;
    assert_eq!(error_code(&chart), Some("NOT_FOUND"), "{chart}");
    for (name, id) in &bobs {
        let (_, body) = app
            .gql_as("walls", &ann.access, NODE, json!({ "id": id }))
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{name}: {body}");
        assert!(body["data"]["node"].is_null());
    }
    for field in [
        "fhirBundle",
        "emergencySummary { allergies { id } }",
        "resultSeries { code }",
        "contactHistory { edges { node { id } } }",
    ] {
        let (_, body) = app
            .gql_as(
                "walls",
                &ann.access,
                &format!("query($p: ID!) {{ patient(id: $p) {{ {field} }} }}"),
                json!({ "p": bob_chart }),
            )
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{field}: {body}");
    }
    // Ann cannot write to Bob's chart either.
    let (_, write) = app
        .gql_as(
            "walls",
            &ann.access,
            "mutation($i: UpdateContactDetailsInput!) { updateContactDetails(input: $i) {
                patient { id } } }",
            json!({ "i": { "patientId": bob_chart, "phone": "555 0100 123" } }),
        )
        .await;
    assert_eq!(error_code(&write), Some("NOT_FOUND"), "{write}");
    // A record id presented as another type is bad input, naming the field.
    let (_, wrong_type) = app
        .gql_as(
            "walls",
            &bob.access,
            "query($p: ID!) { patient(id: $p) { id } }",
            json!({ "p": bobs["glucose_new"] }),
        )
        .await;
    assert_eq!(
        error_code(&wrong_type),
        Some("BAD_USER_INPUT"),
        "{wrong_type}"
    );
    assert_eq!(wrong_type["errors"][0]["extensions"]["field"], "id");

    // Another practice's staff see nothing of it.
    let other = app.practice_admin("elsewhere").await;
    let (_, foreign) = app
        .gql_as("elsewhere", &other.access, CHART, json!({ "p": bob_chart }))
        .await;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");
    for id in bobs.values() {
        let (_, body) = app
            .gql_as("elsewhere", &other.access, NODE, json!({ "id": id }))
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    }
    let (_, foreign_write) = app
        .gql_as(
            "elsewhere",
            &other.access,
            "mutation($i: RecordAllergyInput!) { recordAllergy(input: $i) { allergy { id } } }",
            json!({ "i": { "patientId": bob_chart, "status": "active", "substance": "Dust" } }),
        )
        .await;
    assert_eq!(error_code(&foreign_write), Some("NOT_FOUND"));
}

#[tokio::test]
async fn a_proxy_reads_exactly_what_the_grant_allows() {
    const GRANT: &str = "mutation($c: ID!, $e: String!, $s: [ProxyScope!]!) {
        grantProxyAccess(input: { patientId: $c, granteeEmail: $e, scopes: $s }) {
            grant { id } } }";
    let app = spawn_app().await;
    let admin = app.practice_admin("kin2").await;
    let (child, child_chart) = app.add_user("kin2", Role::Patient).await;
    let (parent, _) = app.add_user("kin2", Role::Patient).await;
    let (sitter, _) = app.add_user("kin2", Role::Patient).await;
    let child_chart = gid("Patient", child_chart.unwrap());
    let ids = small_chart(&app, &admin, &child_chart).await;
    for (who, scopes) in [
        (&parent, json!(["READ"])),
        (&sitter, json!(["MESSAGE", "BOOK"])),
    ] {
        let (_, granted) = app
            .gql_as(
                "kin2",
                &child.access,
                GRANT,
                json!({ "c": child_chart, "e": who.email, "s": scopes }),
            )
            .await;
        assert!(
            granted["data"]["grantProxyAccess"]["grant"]["id"].is_string(),
            "{granted}"
        );
    }

    // With `read`: the chart, its records by id, the export.
    let (_, read) = app
        .gql_as("kin2", &parent.access, CHART, json!({ "p": child_chart }))
        .await;
    assert!(read["errors"].is_null(), "{read}");
    assert_eq!(
        read["data"]["patient"]["results"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let (_, node) = app
        .gql_as(
            "kin2",
            &parent.access,
            NODE,
            json!({ "id": ids["medication"] }),
        )
        .await;
    assert_eq!(node["data"]["node"]["id"], ids["medication"].as_str());
    let (_, export) = app
        .gql_as(
            "kin2",
            &parent.access,
            "query($p: ID!) { patient(id: $p) { fhirBundle } }",
            json!({ "p": child_chart }),
        )
        .await;
    assert_eq!(
        export["data"]["patient"]["fhirBundle"]["type"],
        "transaction"
    );
    // ... but a proxy with `read` does not change the chart.
    let (_, write) = app
        .gql_as(
            "kin2",
            &parent.access,
            "mutation($i: UpdateContactDetailsInput!) { updateContactDetails(input: $i) {
                patient { id } } }",
            json!({ "i": { "patientId": child_chart, "city": "Elsewhere" } }),
        )
        .await;
    assert_eq!(error_code(&write), Some("NOT_FOUND"), "{write}");

    // Message and book only: nothing of the chart.
    let (_, none) = app
        .gql_as("kin2", &sitter.access, CHART, json!({ "p": child_chart }))
        .await;
    assert_eq!(error_code(&none), Some("NOT_FOUND"), "{none}");
    for id in ids.values() {
        let (_, body) = app
            .gql_as("kin2", &sitter.access, NODE, json!({ "id": id }))
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    }
}
