//! Patient identity against the FHIR test server, over the generated corpus of varied
//! Patients: which name, address, phone, e-mail and MRN a chart takes; a second
//! registration of the same person goes to staff review instead of becoming a second chart;
//! a contact change written back changes only the entry it means.

use std::time::Duration;

use portico_tests::{
    patient_corpus::{self, Case, assert_only, diff},
    wait_until,
};
use serde_json::{Value, json};

use super::{app, fhir, fhir_get, fhir_put};
use crate::support::{
    ehr::{connect, counts, sync_now, tenant_id},
    gid,
    processes::relay,
};

const CHARTS: &str = "{ patients(first: 100) { nodes { id mrn givenName familyName birthDate
    phone email addressLine city postalCode allergies(first: 5) { nodes { substance } } } } }";

async fn charts(app: &portico_tests::TestApp, slug: &str, access: &str) -> Vec<Value> {
    let (_, body) = app.gql_as(slug, access, CHARTS, json!({})).await;
    body["data"]["patients"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

async fn reviews(app: &portico_tests::TestApp, slug: &str, access: &str) -> Vec<Value> {
    let (_, body) = app
        .gql_as(
            slug,
            access,
            "{ ehrReviews { id kind fhirId candidates } }",
            json!({}),
        )
        .await;
    body["data"]["ehrReviews"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

#[tokio::test]
async fn a_corpus_of_patients_syncs_with_the_current_name_contacts_and_typed_mrn() {
    let Some(server) = fhir().await else { return };
    let corpus = patient_corpus::patients(24, "i");
    let resources: Vec<Value> = corpus.iter().map(|c| c.resource.clone()).collect();
    assert_eq!(server.seed(&json!(resources)).await, 24);
    let app = app(10, 30).await;
    let admin = app.practice_admin("ehr-corpus").await;
    connect(&app, "ehr-corpus", &admin.access, &server.base_url).await;
    let run = sync_now(&app, "ehr-corpus").await;
    assert_eq!(counts(&run, "Patient").applied, 24, "{}", run.counts);

    let found = charts(&app, "ehr-corpus", &admin.access).await;
    assert_eq!(found.len(), 24);
    for Case { resource, expected } in &corpus {
        let chart = found
            .iter()
            .find(|c| {
                c["familyName"] == expected.family.as_str()
                    && c["birthDate"] == expected.birth_date.as_str()
            })
            .unwrap_or_else(|| panic!("no chart for {}", resource["id"]));
        let id = &resource["id"];
        assert_eq!(chart["givenName"], expected.given.as_str(), "{id}");
        assert_eq!(chart["mrn"], json!(expected.mrn), "{id}");
        assert_eq!(chart["phone"], json!(expected.phone), "{id}");
        assert_eq!(chart["email"], json!(expected.email), "{id}");
        assert_eq!(chart["addressLine"], json!(expected.address_line), "{id}");
        assert_eq!(chart["city"], json!(expected.city), "{id}");
        assert_eq!(chart["postalCode"], json!(expected.postal_code), "{id}");
    }
}

#[tokio::test]
async fn an_existing_chart_is_matched_by_the_typed_mrn_not_by_another_number() {
    let Some(server) = fhir().await else { return };
    // A Patient whose social security number is listed before its MRN.
    let Case { resource, expected } = patient_corpus::patients(60, "mm")
        .into_iter()
        .find(|c| {
            let ids = c.resource["identifier"].as_array().unwrap();
            let at = |code: &str| {
                ids.iter()
                    .position(|i| i["type"]["coding"][0]["code"] == code && i["use"] != "old")
            };
            matches!((at("SS"), at("MR")), (Some(ss), Some(mr)) if ss < mr)
        })
        .expect("the corpus has such a patient");
    let ssn = resource["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"]["coding"][0]["code"] == "SS")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    server.seed(&json!([resource])).await;
    let app = app(100, 30).await;
    let admin = app.practice_admin("ehr-mrn").await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "ehr-mrn")
        .await
        .unwrap()
        .unwrap();
    // Two charts born the same day: one whose MRN happens to equal the social security
    // number, one with the EHR's MRN (under a name the EHR has since corrected).
    let birth = chrono::NaiveDate::parse_from_str(&expected.birth_date, "%Y-%m-%d").ok();
    let tx = portico_core::TenantTx::begin(
        &app.db(),
        &tenant.scope(),
        portico_core::tenancy::Access::Write,
    )
    .await
    .unwrap();
    let mut ids = Vec::new();
    for (mrn, name) in [
        (ssn.clone(), "Colliding"),
        (expected.mrn.clone().unwrap(), "Before"),
    ] {
        let created = portico_core::patients::create(
            &tx,
            &portico_core::audit::Actor::system(),
            portico_core::patients::NewPatient {
                mrn: Some(mrn),
                birth_date: birth,
                ..portico_tests::new_patient(name)
            },
        )
        .await
        .unwrap();
        ids.push(gid("Patient", created.id));
    }
    tx.commit().await.unwrap();
    connect(&app, "ehr-mrn", &admin.access, &server.base_url).await;
    let run = sync_now(&app, "ehr-mrn").await;
    assert_eq!(counts(&run, "Patient").applied, 1, "{}", run.counts);
    assert!(reviews(&app, "ehr-mrn", &admin.access).await.is_empty());
    let found = charts(&app, "ehr-mrn", &admin.access).await;
    assert_eq!(found.len(), 2, "no new chart");
    let chart = |id: &str| found.iter().find(|c| c["id"] == id).unwrap().clone();
    assert_eq!(chart(&ids[1])["givenName"], expected.given.as_str());
    assert_eq!(chart(&ids[1])["familyName"], expected.family.as_str());
    assert_eq!(chart(&ids[0])["givenName"], "Colliding");
}

#[tokio::test]
async fn a_second_registration_of_the_same_person_is_reviewed_not_made_a_second_chart() {
    let Some(server) = fhir().await else { return };
    let registrations = patient_corpus::registrations(5, 3, "dup");
    let mut seeded: Vec<Value> = registrations.iter().map(|c| c.resource.clone()).collect();
    let second = registrations[1].resource["id"].as_str().unwrap().to_owned();
    let third = registrations[2].resource["id"].as_str().unwrap().to_owned();
    seeded.push(
        json!({ "resourceType": "AllergyIntolerance", "id": "dup-allergy",
        "clinicalStatus": { "coding": [{ "code": "active" }] }, "code": { "text": "Latex" },
        "patient": { "reference": format!("Patient/{second}") } }),
    );
    server.seed(&json!(seeded)).await;
    let app = app(100, 30).await;
    let admin = app.practice_admin("ehr-dup").await;
    connect(&app, "ehr-dup", &admin.access, &server.base_url).await;

    let run = sync_now(&app, "ehr-dup").await;
    assert_eq!(counts(&run, "Patient").applied, 1, "{}", run.counts);
    assert_eq!(counts(&run, "Patient").waiting, 2, "{}", run.counts);
    assert_eq!(counts(&run, "AllergyIntolerance").waiting, 1);
    let found = charts(&app, "ehr-dup", &admin.access).await;
    assert_eq!(found.len(), 1, "no second chart made silently");
    let first_chart = found[0]["id"].clone();
    assert_eq!(found[0]["mrn"], json!(registrations[0].expected.mrn));
    let open = reviews(&app, "ehr-dup", &admin.access).await;
    assert_eq!(open.len(), 2, "{open:?}");
    for review in &open {
        assert_eq!(review["kind"], "POSSIBLE_DUPLICATE");
        assert_eq!(review["candidates"], json!([first_chart]));
    }
    // Another pull opens nothing more and makes no chart.
    let again = sync_now(&app, "ehr-dup").await;
    assert_eq!(counts(&again, "Patient").applied, 0, "{}", again.counts);
    assert_eq!(reviews(&app, "ehr-dup", &admin.access).await.len(), 2);
    assert_eq!(charts(&app, "ehr-dup", &admin.access).await.len(), 1);

    // Staff say the second is another person: it gets a chart of its own, with its MRN and
    // its records.
    let review = open
        .iter()
        .find(|r| r["fhirId"] == second.as_str())
        .unwrap();
    let (_, resolved) = app
        .gql_as("ehr-dup", &admin.access,
            "mutation($input: ResolveEhrReviewInput!) { resolveEhrReview(input: $input) { review { status resolution } userErrors { code } } }",
            json!({ "input": { "id": review["id"], "resolution": "CREATE_PATIENT" } }))
        .await;
    assert_eq!(
        resolved["data"]["resolveEhrReview"]["review"]["status"], "resolved",
        "{resolved}"
    );
    wait_until(
        "the second registration's own chart",
        Duration::from_secs(20),
        async || {
            let found = charts(&app, "ehr-dup", &admin.access).await;
            found.len() == 2
                && found.iter().any(|c| {
                    c["mrn"] == json!(registrations[1].expected.mrn)
                        && c["allergies"]["nodes"][0]["substance"] == "Latex"
                })
        },
    )
    .await;
    // Linking a duplicate to the chart already linked is not offered.
    let other = reviews(&app, "ehr-dup", &admin.access).await;
    assert_eq!(other.len(), 1);
    let (_, refused) = app
        .gql_as("ehr-dup", &admin.access,
            "mutation($input: ResolveEhrReviewInput!) { resolveEhrReview(input: $input) { review { status } userErrors { code } } }",
            json!({ "input": { "id": other[0]["id"], "resolution": "LINK", "patientId": first_chart } }))
        .await;
    assert_eq!(
        refused["data"]["resolveEhrReview"]["userErrors"][0]["code"], "RESOLUTION_NOT_ALLOWED",
        "{refused}"
    );

    // The practice merges the third registration in the EHR (marked inactive): the review
    // closes on the next pull, and no chart is made for it.
    let mut merged = fhir_get(&server, &format!("Patient/{third}")).await;
    merged["active"] = json!(false);
    assert!(fhir_put(&server, &merged, None).await.is_success());
    let run = sync_now(&app, "ehr-dup").await;
    assert_eq!(counts(&run, "Patient").waiting, 0, "{}", run.counts);
    assert!(reviews(&app, "ehr-dup", &admin.access).await.is_empty());
    assert_eq!(charts(&app, "ehr-dup", &admin.access).await.len(), 2);
}

#[tokio::test]
async fn a_contact_change_is_written_to_the_entry_it_means_and_nothing_else() {
    let Some(server) = fhir().await else { return };
    // A patient whose mobile is listed after the home number and whose home address after
    // an old one: the entries a careless write-back would overwrite.
    let Case { resource, expected } = patient_corpus::patients(60, "wb")
        .into_iter()
        .find(|c| {
            let telecom = c.resource["telecom"].as_array().unwrap();
            let home_phone = telecom
                .iter()
                .position(|t| t["system"] == "phone" && t["use"] == "home");
            let addresses = c.resource["address"].as_array().unwrap();
            let old_address = addresses.iter().position(|a| a["use"] == "old");
            matches!((home_phone, c.expected.phone_at), (Some(h), Some(m)) if h < m)
                && c.resource["telecom"][c.expected.phone_at.unwrap()]["use"] == "mobile"
                && matches!((old_address, c.expected.address_at), (Some(o), Some(a))
                    if o < a && addresses[a]["use"] != "billing")
        })
        .expect("the corpus has such a patient");
    let fhir_id = resource["id"].as_str().unwrap().to_owned();
    server.seed(&json!([resource])).await;
    let before = fhir_get(&server, &format!("Patient/{fhir_id}")).await;

    let app = app(100, 30).await;
    let admin = app.practice_admin("ehr-entry").await;
    connect(&app, "ehr-entry", &admin.access, &server.base_url).await;
    let run = sync_now(&app, "ehr-entry").await;
    assert_eq!(counts(&run, "Patient").applied, 1, "{}", run.counts);
    let chart = charts(&app, "ehr-entry", &admin.access).await[0].clone();
    assert_eq!(chart["phone"], json!(expected.phone));

    let (_, changed) = app
        .gql_as("ehr-entry", &admin.access,
            "mutation($input: UpdateContactDetailsInput!) { updateContactDetails(input: $input) { patient { phone addressLine } userErrors { field code } } }",
            json!({ "input": { "patientId": chart["id"], "phone": "555-0999", "addressLine": "77 New Street" } }))
        .await;
    assert_eq!(
        changed["data"]["updateContactDetails"]["userErrors"],
        json!([]),
        "{changed}"
    );
    let tenant = tenant_id(&app, "ehr-entry").await;
    relay(&app, tenant).await;
    wait_until(
        "the change in the EHR",
        Duration::from_secs(20),
        async || {
            let now = fhir_get(&server, &format!("Patient/{fhir_id}")).await;
            now["meta"]["versionId"] != before["meta"]["versionId"]
        },
    )
    .await;
    let after = fhir_get(&server, &format!("Patient/{fhir_id}")).await;

    let phone_at = expected.phone_at.unwrap();
    let address_at = expected.address_at.unwrap();
    // Only the mobile's number and the home address's lines, and the version the server
    // stamps on every write.
    let intended = [
        format!("/address/{address_at}/line"),
        "/meta/lastUpdated".to_owned(),
        "/meta/versionId".to_owned(),
        format!("/telecom/{phone_at}/value"),
    ];
    assert_only(&diff(&before, &after), &intended, &after);
    assert_eq!(after["telecom"][phone_at]["value"], "555-0999");
    assert_eq!(
        after["address"][address_at]["line"],
        json!(["77 New Street"])
    );
    // Staff's change is the chart's, which the next pull keeps.
    let run = sync_now(&app, "ehr-entry").await;
    assert_eq!(run.status, portico_core::ehr::runs::SUCCEEDED);
    let chart = charts(&app, "ehr-entry", &admin.access).await[0].clone();
    assert_eq!(chart["phone"], "555-0999");
    assert_eq!(chart["addressLine"], "77 New Street");
}
