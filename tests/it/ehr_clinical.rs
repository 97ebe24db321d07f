//! Clinical content synced from a real FHIR server (the generated corpus of
//! `portico_tests::clinical_corpus`) as FHIR means it, shown with its true statuses and
//! exported as received: verification statuses, every reaction, drugs named by reference,
//! vital signs with their series, coded values, units, given names and `primarySource`.

use std::collections::HashMap;

use portico_core::ehr::{runs, sync};
use portico_tests::{TestApp, clinical_corpus, fhir_server::FhirServer, spawn_app_with};
use serde_json::{Value, json};

use crate::support::ehr::not_due;

const TOKEN: &str = "portico-clinical-token";

async fn synced(
    slug: &str,
    patients: usize,
    seed: u64,
) -> Option<(FhirServer, TestApp, String, Value)> {
    let server = FhirServer::start(&[("FHIR_BEARER_TOKEN", TOKEN)]).await?;
    let corpus = clinical_corpus::generate(patients, seed, "c");
    assert!(server.seed(&corpus).await > patients * 30);
    let app = spawn_app_with(|c| c.ehr.ehr_page_size = 20).await;
    let admin = app.practice_admin(slug).await;
    let (_, body) = app
        .gql_as(
            slug,
            &admin.access,
            "mutation($input: UpdateEhrConnectionInput!) { updateEhrConnection(input: $input) {
                userErrors { code } } }",
            json!({ "input": { "baseUrl": server.base_url, "authKind": "BEARER", "token": TOKEN,
                "syncIntervalMinutes": 60 } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateEhrConnection"]["userErrors"],
        json!([]),
        "{body}"
    );
    not_due(&app, slug).await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), slug)
        .await
        .unwrap()
        .unwrap()
        .id();
    let services = app.services();
    let run = sync::run(
        &app.db(),
        services.ehr.as_ref(),
        services.sealer.as_ref(),
        tenant,
        runs::MANUAL,
        None,
    )
    .await
    .unwrap()
    .expect("a run");
    assert_eq!(run.status, runs::SUCCEEDED, "{}", run.counts);
    // Nothing in the corpus is refused.
    let rejected: u64 = runs::counts_of(&run).values().map(|c| c.rejected).sum();
    assert_eq!(rejected, 0, "{}", run.counts);
    Some((server, app, admin.access, corpus))
}

/// The corpus' resources of a type for a patient (`{prefix}pat-N`).
fn of(corpus: &Value, kind: &str, patient: &str) -> Vec<Value> {
    corpus["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .filter(|r| r["resourceType"] == kind)
        .filter(|r| {
            let subject = r.get("subject").or(r.get("patient"));
            subject.and_then(|s| s["reference"].as_str()) == Some(&format!("Patient/{patient}"))
        })
        .collect()
}

fn code_of(concept: &Value) -> &str {
    concept["coding"][0]["code"].as_str().unwrap_or_default()
}

const CHART: &str = "{ patients(first: 20) { nodes { id familyName
    problems(first: 50) { nodes { name status clinicalStatus verificationStatus } }
    allergies(first: 50) { nodes { substance status verificationStatus severity reaction
        reactions { severity manifestations { text codings { system code } } } } }
    medications(first: 50) { nodes { name rxnormCode } }
    immunizations(first: 50) { nodes { vaccineName primarySource } }
    emergencySummary { allergies { substance } problems { name } }
    resultSeries(category: \"vital-signs\") { code category
        points { value unit components { code value unit } } } } } }";

/// The chart of corpus patient `n` (the family name ends in `-n`).
fn chart(charts: &[Value], n: usize) -> &Value {
    charts
        .iter()
        .find(|c| {
            c["familyName"]
                .as_str()
                .unwrap()
                .ends_with(&format!("-{n}"))
        })
        .unwrap_or_else(|| panic!("no chart for patient {n}"))
}

#[tokio::test]
async fn statuses_reactions_medications_and_vital_signs_arrive_as_the_ehr_meant_them() {
    let Some((server, app, admin, corpus)) = synced("ehr-clinical", 3, 42).await else {
        return;
    };
    let (_, body) = app.gql_as("ehr-clinical", &admin, CHART, json!({})).await;
    let charts = body["data"]["patients"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone();
    assert_eq!(charts.len(), 3);
    for n in 1..=3 {
        let pid = format!("cpat-{n:04}");
        let chart = chart(&charts, n);

        // Conditions: each keeps its statuses; refuted ones are refuted, never active.
        let conditions: HashMap<&str, &Value> = chart["problems"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap(), c))
            .collect();
        for sent in of(&corpus, "Condition", &pid) {
            let got = conditions[sent["code"]["text"].as_str().unwrap()];
            let verification = code_of(&sent["verificationStatus"]);
            let clinical = sent.get("clinicalStatus").map(code_of);
            let expected = match verification {
                "refuted" | "entered-in-error" => verification,
                _ => clinical.unwrap(),
            };
            assert_eq!(got["status"], expected, "{got}");
            assert_eq!(got["verificationStatus"], verification);
            assert_eq!(got["clinicalStatus"].as_str(), clinical);
        }
        let problems: Vec<&str> = chart["emergencySummary"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for sent in of(&corpus, "Condition", &pid) {
            let name = sent["code"]["text"].as_str().unwrap();
            let active = ["active", "recurrence", "relapse"]
                .contains(&sent.get("clinicalStatus").map(code_of).unwrap_or(""))
                && !["refuted", "entered-in-error"].contains(&code_of(&sent["verificationStatus"]));
            assert_eq!(problems.contains(&name), active, "{name} in {problems:?}");
        }

        // Allergies: every reaction kept, the severe anaphylaxis heads the allergy.
        let allergies: HashMap<&str, &Value> = chart["allergies"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["substance"].as_str().unwrap(), a))
            .collect();
        for sent in of(&corpus, "AllergyIntolerance", &pid) {
            let got = allergies[sent["code"]["text"].as_str().unwrap()];
            let verification = code_of(&sent["verificationStatus"]);
            assert_eq!(got["verificationStatus"], verification);
            if ["refuted", "entered-in-error"].contains(&verification) {
                assert_eq!(got["status"], verification);
            }
            let sent_reactions = sent["reaction"].as_array().cloned().unwrap_or_default();
            let got_reactions = got["reactions"].as_array().unwrap();
            assert_eq!(got_reactions.len(), sent_reactions.len(), "{got}");
            for (g, s) in got_reactions.iter().zip(&sent_reactions) {
                assert_eq!(g["severity"], s["severity"]);
                let codes = |list: &Value, pointer: &str| -> Vec<String> {
                    list.as_array()
                        .unwrap()
                        .iter()
                        .map(|m| m.pointer(pointer).unwrap().as_str().unwrap().to_owned())
                        .collect()
                };
                assert_eq!(
                    codes(&g["manifestations"], "/codings/0/code"),
                    codes(&s["manifestation"], "/coding/0/code")
                );
            }
            if sent_reactions.len() > 1 {
                assert_eq!(got["severity"], "severe");
                assert_eq!(got["reaction"], "Anaphylaxis, Dyspnea");
            }
        }
        let active_allergies = chart["emergencySummary"]["allergies"].as_array().unwrap();
        let expected_active = of(&corpus, "AllergyIntolerance", &pid)
            .iter()
            .filter(|a| {
                code_of(&a["verificationStatus"]) == "confirmed"
                    || code_of(&a["verificationStatus"]) == "unconfirmed"
            })
            .count();
        assert_eq!(active_allergies.len(), expected_active);

        // Prescriptions by code, by a contained Medication and by a separate one.
        let mut names: Vec<&str> = chart["medications"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        let mut sent_names: Vec<String> = of(&corpus, "MedicationRequest", &pid)
            .iter()
            .map(|rx| {
                if let Some(c) = rx.get("medicationCodeableConcept") {
                    return c["text"].as_str().unwrap().to_owned();
                }
                let reference = rx["medicationReference"]["reference"].as_str().unwrap();
                let medication = match reference.strip_prefix('#') {
                    Some(local) => rx["contained"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|m| m["id"] == local)
                        .unwrap()
                        .clone(),
                    None => corpus["entry"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["resource"].clone())
                        .find(|r| format!("Medication/{}", r["id"].as_str().unwrap()) == reference)
                        .unwrap(),
                };
                medication["code"]["text"].as_str().unwrap().to_owned()
            })
            .collect();
        sent_names.sort_unstable();
        assert_eq!(names, sent_names);
        assert_eq!(names.len(), 3);

        // Immunizations keep primarySource.
        let mut primary: Vec<Option<bool>> = chart["immunizations"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["primarySource"].as_bool())
            .collect();
        primary.sort_unstable();
        assert_eq!(primary, vec![Some(false), Some(true)]);

        // Vital signs, each with its series over the visits; blood pressure one reading of
        // two components.
        let series = chart["resultSeries"].as_array().unwrap();
        let codes: Vec<&str> = series.iter().map(|s| s["code"].as_str().unwrap()).collect();
        for code in [
            "85354-9", "8867-4", "9279-1", "8310-5", "29463-7", "8302-2", "39156-5", "59408-5",
        ] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
        assert_eq!(series.len(), 8, "{codes:?}");
        for s in series {
            assert_eq!(s["category"], "vital-signs");
            assert_eq!(
                s["points"].as_array().unwrap().len(),
                clinical_corpus::VISITS,
                "{s}"
            );
        }
        let bp = series.iter().find(|s| s["code"] == "85354-9").unwrap();
        for point in bp["points"].as_array().unwrap() {
            assert!(point["value"].is_null());
            let parts: Vec<&str> = point["components"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["code"].as_str().unwrap())
                .collect();
            assert_eq!(parts, ["8480-6", "8462-4"]);
            assert!(point["components"][0]["value"].as_f64().unwrap() > 90.0);
            assert_eq!(point["components"][0]["unit"], "mm[Hg]");
        }
    }

    // The separate Medications were read in one search per page, by id.
    let requests = server.requests().await;
    let reads: Vec<&str> = requests
        .iter()
        .filter_map(|r| r["path"].as_str())
        .filter(|p| p.starts_with("/fhir/R4/Medication?"))
        .collect();
    assert!(
        !reads.is_empty() && reads.iter().all(|p| p.contains("_id=")),
        "{reads:?}"
    );
    assert!(
        !requests.iter().any(|r| r["path"]
            .as_str()
            .unwrap_or("")
            .starts_with("/fhir/R4/Medication/")),
        "no Medication was read one by one"
    );
}

/// The entries of `kind` in an exported bundle.
fn exported<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

#[tokio::test]
async fn the_export_writes_true_statuses_codings_units_names_and_primary_source() {
    let Some((_server, app, admin, corpus)) = synced("ehr-export", 2, 7).await else {
        return;
    };
    let (_, body) = app.gql_as("ehr-export", &admin, CHART, json!({})).await;
    let charts = body["data"]["patients"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let n = 2;
    let pid = format!("cpat-{n:04}");
    let id = chart(&charts, n)["id"].clone();
    let (_, body) = app
        .gql_as(
            "ehr-export",
            &admin,
            "query($p: ID!) { patient(id: $p) { fhirBundle } }",
            json!({ "p": id }),
        )
        .await;
    let bundle = &body["data"]["patient"]["fhirBundle"];
    assert!(bundle.is_object(), "{body}");
    // It still parses as FHIR.
    let _: fhir_model::r4b::resources::Bundle =
        serde_json::from_value(bundle.clone()).expect("the bundle parses as FHIR");

    // Given names one by one.
    let sent_patient = corpus["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"]["id"] == pid.as_str())
        .unwrap();
    let patient = exported(bundle, "Patient")[0];
    assert_eq!(
        patient["name"][0]["given"],
        sent_patient["resource"]["name"][0]["given"]
    );
    assert!(patient["name"][0]["given"].as_array().unwrap().len() >= 2);

    // Conditions: true statuses and the codings as sent. Entered-in-error ones are left out.
    let conditions = exported(bundle, "Condition");
    let sent = of(&corpus, "Condition", &pid);
    assert_eq!(conditions.len(), sent.len() - 1);
    for c in &conditions {
        let original = sent
            .iter()
            .find(|s| s["code"]["text"] == c["code"]["text"])
            .unwrap();
        assert_eq!(
            c["verificationStatus"]["coding"][0]["code"],
            original["verificationStatus"]["coding"][0]["code"]
        );
        assert_eq!(
            c["clinicalStatus"]["coding"][0]["code"],
            original["clinicalStatus"]["coding"][0]["code"]
        );
        assert_eq!(
            c["code"]["coding"], original["code"]["coding"],
            "coded as received"
        );
    }
    assert!(
        conditions
            .iter()
            .any(|c| c["verificationStatus"]["coding"][0]["code"] == "refuted")
    );

    // Allergies: every reaction, coded.
    for a in exported(bundle, "AllergyIntolerance") {
        let original = of(&corpus, "AllergyIntolerance", &pid)
            .into_iter()
            .find(|s| s["code"]["text"] == a["code"]["text"])
            .unwrap();
        assert_eq!(a["code"]["coding"], original["code"]["coding"]);
        assert_eq!(
            a["verificationStatus"]["coding"][0]["code"],
            original["verificationStatus"]["coding"][0]["code"]
        );
        assert_eq!(
            a["reaction"].as_array().map(Vec::len),
            original["reaction"].as_array().map(Vec::len)
        );
        if let Some(reactions) = original["reaction"].as_array() {
            for (got, sent) in a["reaction"].as_array().unwrap().iter().zip(reactions) {
                assert_eq!(got["manifestation"], sent["manifestation"]);
                assert_eq!(got["severity"], sent["severity"]);
            }
        }
    }

    // Immunizations keep primarySource.
    let mut primary: Vec<bool> = exported(bundle, "Immunization")
        .iter()
        .map(|i| i["primarySource"].as_bool().unwrap())
        .collect();
    primary.sort_unstable();
    assert_eq!(primary, vec![false, true]);

    // Vital signs: categorised, coded as sent, blood pressure with its components.
    let observations = exported(bundle, "Observation");
    assert_eq!(observations.len(), 8 * clinical_corpus::VISITS + 2);
    for o in &observations {
        let original = corpus["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["resource"])
            .find(|r| {
                r["resourceType"] == "Observation"
                    && r["effectiveDateTime"]
                        .as_str()
                        .map(|t| t.replace(".000", ""))
                        == o["effectiveDateTime"].as_str().map(str::to_owned)
                    && r["code"]["text"] == o["code"]["text"]
                    && r["subject"]["reference"] == format!("Patient/{pid}").as_str()
            })
            .unwrap_or_else(|| panic!("{o}"));
        assert_eq!(o["code"]["coding"], original["code"]["coding"]);
        assert_eq!(
            o["category"][0]["coding"][0]["code"],
            original["category"][0]["coding"][0]["code"]
        );
        // Reference ranges in their units; coded results coded.
        if let Some(range) = original["referenceRange"].as_array() {
            assert_eq!(o["referenceRange"][0]["low"], range[0]["low"]);
            assert_eq!(o["referenceRange"][0]["high"], range[0]["high"]);
        }
        if original.get("valueCodeableConcept").is_some() {
            assert_eq!(o["valueCodeableConcept"], original["valueCodeableConcept"]);
            assert!(o.get("valueString").is_none());
        }
        if let Some(components) = original["component"].as_array() {
            let got = o["component"].as_array().unwrap();
            assert_eq!(got.len(), components.len());
            for (g, s) in got.iter().zip(components) {
                assert_eq!(g["code"]["coding"], s["code"]["coding"]);
                assert_eq!(g["valueQuantity"], s["valueQuantity"]);
            }
        } else {
            assert_eq!(o["valueQuantity"], original["valueQuantity"]);
        }
    }
}
