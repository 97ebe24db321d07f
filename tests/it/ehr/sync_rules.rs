//! The sync's own rules against the FHIR test server: a resource the chart cannot store is
//! refused alone (with a code, by id) while the rest of the page and the mark move on, both
//! profiles refuse the same over-long values, and an EHR without type-level history has its
//! deletions found by reconciling ids.

use portico_core::{ehr::columns, ehr::runs};
use portico_tests::{fhir_server::FhirServer, spawn_app};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

use super::{app, fhir_delete, results_of_everyone, status};
use crate::support::ehr::{TOKEN, connect, counts, sync_now, tenant_id};
use portico_tests::fhir_server::synthea;

async fn deletions_status(app: &portico_tests::TestApp, slug: &str, access: &str) -> Value {
    let (_, body) = app
        .gql_as(
            slug,
            access,
            "{ ehrSyncStatus { deletions { resourceType method reconciledAt } } }",
            json!({}),
        )
        .await;
    body["data"]["ehrSyncStatus"].clone()
}

/// A patient of the corpus: unique family name and birth date, so none matches another.
fn patient(id: &str, n: u32, change: impl FnOnce(&mut Value)) -> Value {
    let mut p = json!({ "resourceType": "Patient", "id": id, "gender": "female",
        "birthDate": format!("19{:02}-03-{:02}", 40 + n, 1 + n % 28),
        "name": [{ "use": "official", "family": format!("Corpus{n}"), "given": ["Odd"] }],
        "identifier": [{ "system": "urn:example:mrn", "value": format!("CORPUS-{n}") }],
        "address": [{ "use": "home", "line": ["1 Main St"], "city": "Springfield",
            "state": "IL", "postalCode": "62701", "country": "US" }] });
    change(&mut p);
    p
}

/// Puts a value into one field of a corpus patient.
type SetField = fn(&mut Value, String);

/// Generated odd patients: each with what must become of it, `Ok(country)` (it lands, with
/// that country) or `Err(code)` (refused with that code).
fn corpus() -> Vec<(Value, Result<Option<&'static str>, &'static str>)> {
    let mut out = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    // Countries as EHRs send them: alpha-3, lower case, numeric, by name, unknown.
    for (given, stored) in [
        ("USA", Some("US")),
        ("usa", Some("US")),
        ("840", Some("US")),
        ("United States", Some("US")),
        ("DEU", Some("DE")),
        ("Atlantis", None),
        ("XYZ", None),
    ] {
        let i = next();
        out.push((
            patient(&format!("country-{i}"), i, |p| {
                p["address"][0]["country"] = json!(given);
            }),
            Ok(stored),
        ));
    }
    // Each length-limited field at its column's limit (lands) and one past it (refused):
    // PostgreSQL would refuse the second where SQLite would store it.
    let fields: [(&str, usize, SetField); 8] = [
        ("city", 100, |p, v| p["address"][0]["city"] = json!(v)),
        ("state", 100, |p, v| p["address"][0]["state"] = json!(v)),
        ("postal", 20, |p, v| {
            p["address"][0]["postalCode"] = json!(v)
        }),
        ("line", 200, |p, v| p["address"][0]["line"] = json!([v])),
        ("phone", 32, |p, v| {
            p["telecom"] = json!([{ "system": "phone", "value": v }]);
        }),
        // The mapping takes at most 200 characters of any contact (the column holds 254).
        ("email", 200, |p, v| {
            let local = "e".repeat(v.len() - "@example.org".len());
            p["telecom"] = json!([{ "system": "email", "value": format!("{local}@example.org") }]);
        }),
        ("family", 100, |p, v| p["name"][0]["family"] = json!(v)),
        ("given", 100, |p, v| p["name"][0]["given"] = json!([v])),
    ];
    for (field, max, set) in fields {
        for (len, expected) in [
            (max, Ok(Some("US"))),
            (max + 1, Err(columns::VALUE_TOO_LONG)),
        ] {
            let i = next();
            // Digits: valid in every field (a phone, a postal code), unique per patient.
            let value = format!("{i}{}", "7".repeat(len - i.to_string().len()));
            out.push((
                patient(&format!("{field}-{len}"), i, |p| set(p, value)),
                expected,
            ));
        }
    }
    // An identifier too long to be an MRN: the patient lands without one.
    let i = next();
    out.push((
        patient("long-identifier", i, |p| {
            p["identifier"][0]["value"] = json!("9".repeat(100));
        }),
        Ok(Some("US")),
    ));
    out
}

#[tokio::test]
async fn resources_that_cannot_be_stored_are_refused_alone_and_the_sync_moves_on() {
    let Some(server) = super::fhir().await else {
        return;
    };
    server.seed(&synthea(2, 5, "g")).await;
    let corpus = corpus();
    let resources: Vec<Value> = corpus.iter().map(|(r, _)| r.clone()).collect();
    server.seed(&Value::Array(resources)).await;
    // Other types with values longer than their columns, and a good patient seeded last.
    server
        .seed(&json!([
            { "resourceType": "Practitioner", "id": "long-practitioner",
              "name": [{ "family": "P".repeat(101) }] },
            { "resourceType": "Location", "id": "long-location", "name": "L".repeat(101) },
            { "resourceType": "Condition", "id": "long-condition",
              "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
              "code": { "text": "C".repeat(201) }, "subject": { "reference": "Patient/gpat-0001" } },
            patient("last-good", 30, |_| {}),
        ]))
        .await;
    let app = app(25, 30).await;
    let admin = app.practice_admin("ehr-corpus").await;
    connect(&app, "ehr-corpus", &admin.access, &server.base_url).await;

    let first = sync_now(&app, "ehr-corpus").await;
    // Refusals make the run partial, never failed: the rest of every page went in.
    assert_eq!(first.status, runs::PARTIAL, "{}", first.counts);
    let refused_patients = corpus.iter().filter(|(_, e)| e.is_err()).count() as u64;
    let landed = corpus.len() as u64 - refused_patients;
    let status = status(&app, "ehr-corpus", &admin.access).await;
    let rejections: Vec<(String, String)> = status["runs"][0]["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["fhirId"].as_str().unwrap_or("").to_owned(),
                r["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (resource, expected) in &corpus {
        let id = resource["id"].as_str().unwrap();
        let refusal = rejections.iter().find(|(f, _)| f == id);
        match expected {
            Err(code) => assert_eq!(
                refusal.map(|(_, c)| c.as_str()),
                Some(*code),
                "{id}: {rejections:?}"
            ),
            Ok(_) => assert!(refusal.is_none(), "{id} refused: {rejections:?}"),
        }
    }
    for (id, code) in [
        ("long-practitioner", "TOO_LONG"),
        ("long-location", "TOO_LONG"),
        ("long-condition", columns::VALUE_TOO_LONG),
    ] {
        assert!(
            rejections.iter().any(|(f, c)| f == id && c == code),
            "{id}: {rejections:?}"
        );
    }
    let patients = counts(&first, "Patient");
    assert_eq!(patients.rejected, refused_patients, "{rejections:?}");
    assert_eq!(patients.applied, 2 + landed + 1, "{}", first.counts);
    assert!(
        counts(&first, "Observation").applied > 4,
        "{}",
        first.counts
    );
    // Ids and codes only: no value of a refused resource reaches the status.
    assert!(
        !serde_json::to_string(&status)
            .unwrap()
            .contains("7777777777")
    );

    // What landed, with countries as alpha-2 (or none) and no MRN from an over-long id.
    let (_, body) = app
        .gql_as(
            "ehr-corpus",
            &admin.access,
            "{ patients(first: 100) { nodes { familyName mrn country } } }",
            json!({}),
        )
        .await;
    let charts = body["data"]["patients"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(charts.len() as u64, 2 + landed + 1, "{body}");
    for (resource, expected) in &corpus {
        let family = resource["name"][0]["family"].as_str().unwrap();
        let chart = charts.iter().find(|c| c["familyName"] == family);
        match expected {
            Ok(country) => {
                let chart = chart.unwrap_or_else(|| panic!("{} missing", resource["id"]));
                assert_eq!(chart["country"].as_str(), *country, "{}", resource["id"]);
            }
            Err(_) => assert!(chart.is_none(), "{} stored", resource["id"]),
        }
    }
    let long_id = corpus
        .iter()
        .find(|(r, _)| r["id"] == "long-identifier")
        .unwrap();
    let family = long_id.0["name"][0]["family"].as_str().unwrap();
    let chart = charts.iter().find(|c| c["familyName"] == family).unwrap();
    assert!(chart["mrn"].is_null(), "{chart}");

    // The mark moved past the refused resources: the next run reads only the boundary.
    let second = sync_now(&app, "ehr-corpus").await;
    assert_ne!(second.status, runs::FAILED, "{}", second.counts);
    assert!(counts(&second, "Patient").fetched <= 1, "{}", second.counts);
    assert_eq!(counts(&second, "Patient").rejected, 0, "{}", second.counts);

    // This server offers type history: the status says deletions come from it.
    let status = deletions_status(&app, "ehr-corpus", &admin.access).await;
    let deletions = status["deletions"].as_array().unwrap();
    assert_eq!(deletions.len(), 12, "{status}");
    assert!(
        deletions.iter().all(|d| d["method"] == "HISTORY"),
        "{status}"
    );
}

#[tokio::test]
async fn both_profiles_refuse_a_value_longer_than_its_column() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("column-rules").await;
    app.add_patient(&tenant, "Ann").await;
    let db = app.db();
    let conn = db.connection_for_adapters();
    let backend = conn.get_database_backend();
    let tx = conn.begin().await.unwrap();
    if backend == DbBackend::Postgres {
        tx.execute_unprepared(&format!(
            "SELECT set_config('app.tenant_id', '{}', true)",
            tenant.id().as_uuid()
        ))
        .await
        .unwrap();
    }
    // One savepoint per attempt, as the sync takes per resource.
    for (sql, refused) in [
        ("UPDATE patients SET country = 'USA'", true),
        (
            "UPDATE patients SET phone = '123456789012345678901234567890123'",
            true,
        ),
        ("UPDATE patients SET country = 'US'", false),
        ("UPDATE patients SET city = 'Springfield'", false),
    ] {
        let one = tx.begin().await.unwrap();
        let result = one.execute_unprepared(sql).await;
        match (refused, result) {
            (true, Err(e)) => {
                assert_eq!(
                    columns::unstorable(&e),
                    Some(columns::VALUE_TOO_LONG),
                    "{sql}"
                );
                one.rollback().await.unwrap();
            }
            (false, Ok(done)) => {
                assert!(done.rows_affected() >= 1, "{sql}");
                one.commit().await.unwrap();
            }
            (_, other) => panic!("{sql}: {other:?}"),
        }
    }
    tx.commit().await.unwrap();
    if backend != DbBackend::Sqlite {
        return;
    }
    // Every varchar column of every table has its guard on SQLite.
    let rows = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT m.name, p.name, p.type, \
               (SELECT sql FROM sqlite_master t WHERE t.type = 'trigger' \
                  AND t.name = 'portico_len_' || m.name || '_insert') \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND lower(p.type) LIKE '%char(%'",
        ))
        .await
        .unwrap();
    assert!(rows.len() > 100, "{} varchar columns", rows.len());
    for row in rows {
        let table: String = row.try_get_by_index(0).unwrap();
        let column: String = row.try_get_by_index(1).unwrap();
        let guard: Option<String> = row.try_get_by_index(3).unwrap();
        assert!(
            guard.is_some_and(|sql| sql.contains(&format!("NEW.\"{column}\""))),
            "{table}.{column} has no length guard"
        );
    }
}

#[tokio::test]
async fn deletions_are_found_by_reconciling_ids_when_the_ehr_offers_no_history() {
    let Some(server) =
        FhirServer::start(&[("FHIR_BEARER_TOKEN", TOKEN), ("FHIR_TYPE_HISTORY", "off")]).await
    else {
        return;
    };
    let bundle = synthea(2, 9, "r");
    server.seed(&bundle).await;
    let app = app(10, 30).await;
    let admin = app.practice_admin("ehr-reconcile").await;
    connect(&app, "ehr-reconcile", &admin.access, &server.base_url).await;
    let first = sync_now(&app, "ehr-reconcile").await;
    assert_eq!(first.status, runs::SUCCEEDED, "{}", first.counts);
    let observations = counts(&first, "Observation").applied;
    let status = deletions_status(&app, "ehr-reconcile", &admin.access).await;
    let deletions = status["deletions"].as_array().unwrap();
    assert_eq!(deletions.len(), 12, "{status}");
    assert!(
        deletions
            .iter()
            .all(|d| d["method"] == "RECONCILIATION" && d["reconciledAt"].is_string()),
        "{status}"
    );

    let ids_of = |kind: &str| -> Vec<String> {
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["resource"])
            .filter(|r| r["resourceType"] == kind)
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let deleted_observation = ids_of("Observation")[0].clone();
    fhir_delete(&server, &format!("Observation/{deleted_observation}")).await;
    fhir_delete(
        &server,
        &format!("AllergyIntolerance/{}", ids_of("AllergyIntolerance")[0]),
    )
    .await;

    // A scheduled run within the day does not list ids again.
    server.clear_requests().await;
    let scheduled = portico_core::ehr::sync::run(
        &app.db(),
        app.services().ehr.as_ref(),
        app.services().sealer.as_ref(),
        tenant_id(&app, "ehr-reconcile").await,
        runs::SCHEDULE,
        None,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(scheduled.status, runs::SUCCEEDED, "{}", scheduled.counts);
    assert_eq!(counts(&scheduled, "Observation").removed, 0);
    let paths = |requests: Vec<Value>| -> Vec<String> {
        requests
            .iter()
            .map(|r| r["path"].as_str().unwrap().to_owned())
            .collect()
    };
    let asked = paths(server.requests().await);
    assert!(
        !asked.iter().any(|p| p.contains("_elements=id")),
        "{asked:?}"
    );

    // A run an admin starts reconciles: the two deletions are found and confirmed by a
    // read, and type history is never asked for.
    server.clear_requests().await;
    let second = sync_now(&app, "ehr-reconcile").await;
    assert_eq!(second.status, runs::SUCCEEDED, "{}", second.counts);
    assert_eq!(
        counts(&second, "Observation").removed,
        1,
        "{}",
        second.counts
    );
    assert_eq!(counts(&second, "AllergyIntolerance").removed, 1);
    assert_eq!(counts(&second, "Patient").removed, 0);
    let asked = paths(server.requests().await);
    assert!(
        asked.iter().any(|p| p.contains("_elements=id")),
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .any(|p| p.ends_with(&format!("/Observation/{deleted_observation}"))),
        "{asked:?}"
    );
    assert!(!asked.iter().any(|p| p.contains("_history")), "{asked:?}");

    let charts = results_of_everyone(&app, "ehr-reconcile", &admin.access).await;
    let visible = charts
        .iter()
        .flat_map(|c| c["results"]["nodes"].as_array().unwrap())
        .filter(|v| v["status"] != "entered-in-error")
        .count() as u64;
    assert_eq!(visible, observations - 1);
    // Nothing else was taken out: a third run finds nothing missing.
    let third = sync_now(&app, "ehr-reconcile").await;
    let removed: u64 = runs::counts_of(&third).values().map(|c| c.removed).sum();
    assert_eq!(removed, 0, "{}", third.counts);
}
