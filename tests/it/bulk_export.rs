//! FHIR Bulk Data export for SMART Backend Services, over HTTP as a service does it: the
//! practice admin registers the service's public key; the service signs an assertion
//! (RS384) for a token; kicks off `$export`; polls the status; downloads the NDJSON files;
//! and the files import into the project's FHIR test server (Medplum). Restricted charts are
//! left out and counted; every chart exported is audited; every refusal is the standard's.

use std::time::Duration;

use fhir_model::r4b::resources::Resource;
use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, fhir_server::FhirServer, spawn_app, wait_until};
use serde_json::{Value, json};

use crate::support::{gid, records::small_chart};

const SLUG: &str = "bulkdoc";

fn test_key() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/portico-fhir/tests/fixtures/test-only-rsa-private.pem"
    ))
    .unwrap()
}

/// Runs `script` in Node.js with the test key read from stdin as `s` and `crypto` as `c`:
/// what it prints. Node signs and exports keys here, not Portico's code.
fn node_with_key(script: &str, args: &[&str]) -> String {
    let output = std::process::Command::new("node")
        .arg("-e")
        .arg(format!(
            "const c=require('crypto');let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{{{script}}})"
        ))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(test_key().as_bytes())?;
            child.wait_with_output()
        })
        .expect("node runs");
    assert!(output.status.success(), "node failed");
    String::from_utf8(output.stdout).unwrap()
}

/// The key's public half as a JWK Set with `kid`.
fn public_jwks(kid: &str) -> String {
    let exported = node_with_key(
        "process.stdout.write(JSON.stringify(c.createPublicKey(s).export({format:'jwk'})))",
        &[],
    );
    let mut jwk: Value = serde_json::from_str(&exported).unwrap();
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!("RS384");
    json!({ "keys": [jwk] }).to_string()
}

fn base(app: &TestApp) -> String {
    app.url(&format!("/t/{SLUG}/fhir/r4"))
}

fn token_url(app: &TestApp) -> String {
    app.url(&format!("/t/{SLUG}/oauth/token"))
}

/// A signed assertion with `claims` over the defaults (iss and sub the client, aud the token
/// endpoint, five minutes at most, a fresh jti).
fn assertion(app: &TestApp, client_id: &str, kid: &str, claims: Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut body = json!({
        "iss": client_id, "sub": client_id, "aud": token_url(app),
        "exp": now + 240, "jti": uuid::Uuid::new_v4().to_string(),
    });
    for (k, v) in claims.as_object().unwrap() {
        body[k] = v.clone();
    }
    let header = json!({ "alg": "RS384", "typ": "JWT", "kid": kid });
    node_with_key(
        "const [h,p]=process.argv.slice(1);const b=x=>Buffer.from(x).toString('base64url');\
         const input=b(h)+'.'+b(p);\
         process.stdout.write(input+'.'+c.sign('sha384',Buffer.from(input),s).toString('base64url'))",
        &[&header.to_string(), &body.to_string()],
    )
}

async fn token(app: &TestApp, assertion: &str, scope: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(token_url(app))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn register(app: &TestApp, admin: &Signed, name: &str, jwks: &str) -> Value {
    let (_, body) = app
        .gql_as(
            SLUG,
            &admin.access,
            "mutation($i: RegisterBackendServiceInput!) { registerBackendService(input: $i) {
                app { id clientId backendService keyIds redirectUris } userErrors { field code } } }",
            json!({ "i": { "name": name, "jwks": jwks } }),
        )
        .await;
    body["data"]["registerBackendService"].clone()
}

/// A request with the service's token: status, headers, body.
async fn call(
    method: reqwest::Method,
    url: &str,
    access: Option<&str>,
    prefer: bool,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("accept", "application/fhir+json");
    if let Some(access) = access {
        request = request.bearer_auth(access);
    }
    if prefer {
        request = request.header("prefer", "respond-async");
    }
    let r = request.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.text().await.unwrap())
}

fn code_of(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{body}"));
    v["issue"][0]["details"]["coding"][0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// Polls the status URL until the export is complete: the manifest.
async fn manifest(status_url: &str, access: &str) -> Value {
    let mut done = None;
    wait_until(
        "the export completes",
        Duration::from_secs(60),
        async || {
            let (status, headers, body) =
                call(reqwest::Method::GET, status_url, Some(access), false).await;
            if status == 202 {
                assert!(headers.get("retry-after").is_some());
                assert!(headers.get("x-progress").is_some());
                return false;
            }
            assert_eq!(status, 200, "{body}");
            done = Some(serde_json::from_str(&body).unwrap());
            true
        },
    )
    .await;
    done.unwrap()
}

#[tokio::test]
async fn a_backend_service_exports_the_practice_in_ndjson_that_imports_into_a_fhir_server() {
    let app = spawn_app().await;
    let admin = app.practice_admin(SLUG).await;
    let (patient, chart) = app.add_user(SLUG, Role::Patient).await;
    let chart = gid("Patient", chart.unwrap());
    small_chart(&app, &admin, &chart).await;
    let (_, second) = app.add_user(SLUG, Role::Patient).await;
    let second_id = second.unwrap();
    small_chart(&app, &admin, &gid("Patient", second_id)).await;
    let (_, vip) = app.add_user(SLUG, Role::Patient).await;
    let vip_id = vip.unwrap();
    let vip = gid("Patient", vip_id);
    small_chart(&app, &admin, &vip).await;
    let (_, restricted) = app
        .gql_as(
            SLUG,
            &admin.access,
            "mutation($i: SetChartRestrictionInput!) { setChartRestriction(input: $i) {
                restriction { category } userErrors { code } } }",
            json!({ "i": { "patientId": vip, "category": "vip", "careTeamUserIds": [] } }),
        )
        .await;
    assert_eq!(
        restricted["data"]["setChartRestriction"]["restriction"]["category"], "vip",
        "{restricted}"
    );

    // Registering: the key set must hold public keys with kids.
    let jwks = public_jwks("warehouse-1");
    let refused = register(&app, &admin, "Warehouse", r#"{"keys":[]}"#).await;
    assert_eq!(
        refused["userErrors"][0]["code"], "INVALID_JWKS",
        "{refused}"
    );
    let with_private = key_with_private_part(&jwks);
    let refused = register(&app, &admin, "Warehouse", &with_private).await;
    assert_eq!(
        refused["userErrors"][0]["code"], "INVALID_JWKS",
        "{refused}"
    );
    let registered = register(&app, &admin, "Warehouse", &jwks).await;
    assert_eq!(registered["userErrors"], json!([]), "{registered}");
    assert_eq!(registered["app"]["backendService"], true);
    assert_eq!(registered["app"]["keyIds"], json!(["warehouse-1"]));
    let client_id = registered["app"]["clientId"].as_str().unwrap().to_owned();

    // Discovery says how.
    let config: Value = reqwest::get(format!("{}/.well-known/smart-configuration", base(&app)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        config["grant_types_supported"]
            .to_string()
            .contains("client_credentials")
    );
    assert!(
        config["token_endpoint_auth_methods_supported"]
            .to_string()
            .contains("private_key_jwt")
    );

    // The token: a signed assertion, used once.
    let signed = assertion(&app, &client_id, "warehouse-1", json!({}));
    let (status, issued) = token(&app, &signed, "system/*.rs").await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["scope"], "system/*.rs");
    assert!(issued["expires_in"].as_i64().unwrap() <= 300);
    assert!(issued.get("refresh_token").is_none());
    let access = issued["access_token"].as_str().unwrap().to_owned();
    let (status, again) = token(&app, &signed, "system/*.rs").await;
    assert_eq!(
        (status, again["error"].as_str()),
        (401, Some("invalid_client")),
        "{again}"
    );
    for (claims, kid) in [
        (
            json!({ "aud": "https://elsewhere.example/token" }),
            "warehouse-1",
        ),
        (
            json!({ "exp": chrono::Utc::now().timestamp() + 3600 }),
            "warehouse-1",
        ),
        (json!({ "sub": "someone-else" }), "warehouse-1"),
        (
            json!({ "exp": chrono::Utc::now().timestamp() - 120 }),
            "warehouse-1",
        ),
        (json!({}), "another-kid"),
        (
            json!({ "iss": "svc_unknown", "sub": "svc_unknown" }),
            "warehouse-1",
        ),
    ] {
        let (status, body) = token(
            &app,
            &assertion(&app, &client_id, kid, claims.clone()),
            "system/*.rs",
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{claims} {body}"
        );
    }
    let (status, body) = token(
        &app,
        &assertion(&app, &client_id, "warehouse-1", json!({})),
        "patient/*.rs",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope")),
        "{body}"
    );

    // The token exports, and does nothing else.
    let (status, _, body) = call(
        reqwest::Method::GET,
        &format!("{}/Patient/{}", base(&app), second_id),
        Some(&access),
        false,
    )
    .await;
    assert_eq!(
        (status, code_of(&body).as_str()),
        (403, "FORBIDDEN"),
        "{body}"
    );
    let (_, graphql) = app.gql_as(SLUG, &access, "{ me { id } }", json!({})).await;
    assert_eq!(
        graphql["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{graphql}"
    );
    // Other tokens do not export.
    let (status, _, body) = call(
        reqwest::Method::GET,
        &format!("{}/$export", base(&app)),
        Some(&patient.access),
        true,
    )
    .await;
    assert_eq!(
        (status, code_of(&body).as_str()),
        (403, "FORBIDDEN"),
        "{body}"
    );
    let (status, _, _) = call(
        reqwest::Method::GET,
        &format!("{}/$export", base(&app)),
        None,
        true,
    )
    .await;
    assert_eq!(status, 401);

    // Bad kick-offs are refused and start nothing.
    let export = format!("{}/$export", base(&app));
    let (status, _, body) = call(reqwest::Method::GET, &export, Some(&access), false).await;
    assert_eq!(
        (status, code_of(&body).as_str()),
        (400, "PREFER_ASYNC_REQUIRED"),
        "{body}"
    );
    for (query, code) in [
        ("_type=Nope", "UNKNOWN_RESOURCE_TYPE"),
        ("_since=yesterday", "INVALID_VALUE"),
        ("_outputFormat=text/csv", "INVALID_VALUE"),
        (
            "_typeFilter=Observation%3Fcategory%3Dlaboratory",
            "UNSUPPORTED_PARAMETER",
        ),
        ("patient=Patient/1", "UNSUPPORTED_PARAMETER"),
        ("_type=Provenance", "INVALID_VALUE"),
    ] {
        let (status, _, body) = call(
            reqwest::Method::GET,
            &format!("{export}?{query}"),
            Some(&access),
            true,
        )
        .await;
        assert_eq!(
            (status, code_of(&body).as_str()),
            (400, code),
            "{query} {body}"
        );
    }

    // The export.
    let (status, headers, body) = call(
        reqwest::Method::GET,
        &format!(
            "{}/Patient/$export?_type=Patient,AllergyIntolerance,Condition,Observation,DiagnosticReport,MedicationRequest,Immunization,Encounter,DocumentReference,Provenance",
            base(&app)
        ),
        Some(&access),
        true,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let status_url = headers["content-location"].to_str().unwrap().to_owned();
    assert!(
        status_url.starts_with(&format!("{}/$export-status/", base(&app))),
        "{status_url}"
    );
    let listed = manifest(&status_url, &access).await;
    assert_eq!(listed["requiresAccessToken"], true);
    assert!(
        listed["request"]
            .as_str()
            .unwrap()
            .ends_with("Patient/$export?_type=Patient,AllergyIntolerance,Condition,Observation,DiagnosticReport,MedicationRequest,Immunization,Encounter,DocumentReference,Provenance")
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(listed["transactionTime"].as_str().unwrap()).is_ok()
    );
    let outputs = listed["output"].as_array().unwrap();
    let types: std::collections::BTreeSet<&str> = outputs
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    // Every type the charts hold, and only those asked for.
    for ty in [
        "Patient",
        "AllergyIntolerance",
        "Condition",
        "Observation",
        "DiagnosticReport",
        "MedicationRequest",
        "Immunization",
        "Encounter",
        "Provenance",
    ] {
        assert!(types.contains(ty), "{ty} missing: {listed}");
    }
    assert!(!types.contains("Appointment"), "{listed}");

    // Each file, with the token only; every line a FHIR resource of its type; the restricted
    // chart nowhere.
    let mut resources = Vec::new();
    for output in outputs {
        let url = output["url"].as_str().unwrap();
        let (status, _, _) = call(reqwest::Method::GET, url, None, false).await;
        assert_eq!(status, 401);
        let (status, headers, body) = call(reqwest::Method::GET, url, Some(&access), false).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers["content-type"], "application/fhir+ndjson");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len() as u64, output["count"].as_u64().unwrap());
        for line in lines {
            let resource: Value = serde_json::from_str(line).unwrap();
            assert_eq!(resource["resourceType"], output["type"]);
            let _: Resource = serde_json::from_value(resource.clone())
                .unwrap_or_else(|e| panic!("{e}: {resource}"));
            assert!(
                !line.contains(&vip_id.to_string()),
                "a restricted chart was exported: {line}"
            );
            resources.push(resource);
        }
    }
    let patients: Vec<&Value> = resources
        .iter()
        .filter(|r| r["resourceType"] == "Patient")
        .collect();
    assert!(
        patients
            .iter()
            .any(|p| p["id"] == json!(second_id.to_string()))
    );
    let admins_charts = patients.len();
    assert!(admins_charts >= 2, "{patients:?}");
    let observations = resources
        .iter()
        .filter(|r| r["resourceType"] == "Observation")
        .count();
    assert!(observations >= 2);

    // Every resource validates with Medplum's validator against R4, and against the US Core
    // profiles it ships (Patient, MedicationRequest, blood pressure).
    let report = validated(&resources);
    let problems: Vec<&Value> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| matches!(i["severity"].as_str(), Some("error" | "fatal")))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(report["checked"].as_u64(), Some(resources.len() as u64));
    let us_core = |name: &str| {
        report["profiled"][format!("http://hl7.org/fhir/us/core/StructureDefinition/{name}")]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(us_core("us-core-patient"), admins_charts as u64, "{report}");
    assert!(us_core("us-core-medicationrequest") >= 2, "{report}");

    // The restricted chart is counted in the error file, by number only.
    let errors = listed["error"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{listed}");
    let (status, _, body) = call(
        reqwest::Method::GET,
        errors[0]["url"].as_str().unwrap(),
        Some(&access),
        false,
    )
    .await;
    assert_eq!(status, 200);
    let outcome: Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert!(
        outcome["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .starts_with("1 restricted")
    );

    // Every chart exported is audited, with the service as actor; the restricted one is not.
    let exported = async |chart: &str| {
        let (_, events) = app
            .gql_as(SLUG, &admin.access,
                "query($p: ID) { auditEvents(patientId: $p, first: 1000) { action actorKind actorName } }",
                json!({ "p": chart }))
            .await;
        events["data"]["auditEvents"]
            .as_array()
            .unwrap_or_else(|| panic!("{events}"))
            .iter()
            .filter(|e| e["action"] == "chart.export")
            .map(|e| {
                (
                    e["actorKind"].as_str().unwrap().to_owned(),
                    e["actorName"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        exported(&chart).await,
        [("smart_app".to_owned(), json!("Warehouse"))]
    );
    assert!(exported(&vip).await.is_empty());

    // The files import into a FHIR server no one here wrote (Medplum), through its API.
    if let Some(server) = FhirServer::start(&[("FHIR_BEARER_TOKEN", "bulk-import")]).await {
        let entries: Vec<Value> = resources
            .iter()
            .map(|r| {
                json!({ "resource": r, "request": { "method": "PUT",
                    "url": format!("{}/{}", r["resourceType"].as_str().unwrap(), r["id"].as_str().unwrap()) } })
            })
            .collect();
        let response = reqwest::Client::new()
            .post(&server.base_url)
            .bearer_auth("bulk-import")
            .header("content-type", "application/fhir+json")
            .json(&json!({ "resourceType": "Bundle", "type": "batch", "entry": entries }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{answer}");
        for entry in answer["entry"].as_array().unwrap() {
            let status = entry["response"]["status"].as_str().unwrap_or_default();
            assert!(
                status.starts_with("200") || status.starts_with("201"),
                "{entry}"
            );
        }
        // What it holds now answers searches by the exported references.
        let search: Value = reqwest::Client::new()
            .get(format!(
                "{}/Observation?subject=Patient/{second_id}",
                server.base_url
            ))
            .bearer_auth("bulk-import")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let expected = resources
            .iter()
            .filter(|r| {
                r["resourceType"] == "Observation"
                    && r["subject"]["reference"] == json!(format!("Patient/{second_id}"))
            })
            .count();
        assert!(expected > 0);
        assert_eq!(
            search["entry"].as_array().map_or(0, Vec::len),
            expected,
            "{search}"
        );
    }

    // `_since` after everything: complete, and empty.
    let (status, headers, body) = call(
        reqwest::Method::GET,
        &format!("{export}?_since=2999-01-01T00:00:00Z"),
        Some(&access),
        true,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let later = headers["content-location"].to_str().unwrap().to_owned();
    let empty = manifest(&later, &access).await;
    assert_eq!(empty["output"], json!([]), "{empty}");

    // Another service sees neither export.
    let other = register(&app, &admin, "Other", &public_jwks("other-1")).await;
    let other_id = other["app"]["clientId"].as_str().unwrap();
    let (_, other_token) = token(
        &app,
        &assertion(&app, other_id, "other-1", json!({})),
        "system/*.rs",
    )
    .await;
    let other_access = other_token["access_token"].as_str().unwrap();
    let (status, _, _) = call(reqwest::Method::GET, &status_url, Some(other_access), false).await;
    assert_eq!(status, 404);
    let first_file = outputs[0]["url"].as_str().unwrap();
    let (status, _, _) = call(reqwest::Method::GET, first_file, Some(other_access), false).await;
    assert_eq!(status, 404);

    // Cancelled (here: deleted once complete), it is gone, files too.
    let (status, _, _) = call(reqwest::Method::DELETE, &status_url, Some(&access), false).await;
    assert_eq!(status, 202);
    let (status, _, _) = call(reqwest::Method::GET, &status_url, Some(&access), false).await;
    assert_eq!(status, 404);
    let (status, _, _) = call(reqwest::Method::GET, first_file, Some(&access), false).await;
    assert_eq!(status, 404);

    // Turned off, the service's token stops working.
    let (_, disabled) = app
        .gql_as(
            SLUG,
            &admin.access,
            "mutation($id: ID!) { disableSmartApp(id: $id) { app { disabledAt } } }",
            json!({ "id": registered["app"]["id"] }),
        )
        .await;
    assert!(
        disabled["data"]["disableSmartApp"]["app"]["disabledAt"].is_string(),
        "{disabled}"
    );
    let (status, _, _) = call(reqwest::Method::GET, &later, Some(&access), false).await;
    assert_eq!(status, 401);
    let (status, body) = token(
        &app,
        &assertion(&app, &client_id, "warehouse-1", json!({})),
        "system/*.rs",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
}

/// What Medplum's validator (`tests/fhir-server/validate.mjs`) says of `resources`.
fn validated(resources: &[Value]) -> Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fhir-server");
    let output = std::process::Command::new("node")
        .arg("validate.mjs")
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let input = serde_json::to_vec(resources).unwrap();
            child.stdin.take().unwrap().write_all(&input)?;
            child.wait_with_output()
        })
        .expect("node runs the validator (npm ci --prefix tests/fhir-server)");
    assert!(output.status.success(), "the validator failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `jwks` with a private exponent added to its key.
fn key_with_private_part(jwks: &str) -> String {
    let mut set: Value = serde_json::from_str(jwks).unwrap();
    set["keys"][0]["d"] = json!("AQAB");
    set.to_string()
}

#[tokio::test]
async fn every_chart_of_a_larger_practice_is_exported_past_its_progress_notes() {
    let app = spawn_app().await;
    let admin = app.practice_admin(SLUG).await;
    let tenant = portico_core::tenants::find_by_slug(&app.db(), SLUG)
        .await
        .unwrap()
        .unwrap();
    let mut created = Vec::new();
    // More than the 25 charts between two progress notes.
    for i in 0..40 {
        created.push(app.add_patient(&tenant, &format!("Many{i}")).await.id);
    }
    let registered = register(&app, &admin, "Warehouse", &public_jwks("w-1")).await;
    let client_id = registered["app"]["clientId"].as_str().unwrap().to_owned();
    let (_, issued) = token(
        &app,
        &assertion(&app, &client_id, "w-1", json!({})),
        "system/Patient.rs",
    )
    .await;
    let access = issued["access_token"].as_str().unwrap().to_owned();
    // Only what the scopes grant.
    let (status, _, body) = call(
        reqwest::Method::GET,
        &format!("{}/$export?_type=Observation", base(&app)),
        Some(&access),
        true,
    )
    .await;
    assert_eq!(
        (status, code_of(&body).as_str()),
        (403, "INSUFFICIENT_SCOPE"),
        "{body}"
    );
    let (status, headers, body) = call(
        reqwest::Method::GET,
        &format!("{}/$export", base(&app)),
        Some(&access),
        true,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let listed = manifest(headers["content-location"].to_str().unwrap(), &access).await;
    let outputs = listed["output"].as_array().unwrap();
    assert!(outputs.iter().all(|o| o["type"] == "Patient"), "{listed}");
    let mut ids = std::collections::HashSet::new();
    for output in outputs {
        let (status, _, body) = call(
            reqwest::Method::GET,
            output["url"].as_str().unwrap(),
            Some(&access),
            false,
        )
        .await;
        assert_eq!(status, 200);
        for line in body.lines() {
            let patient: Value = serde_json::from_str(line).unwrap();
            ids.insert(patient["id"].as_str().unwrap().to_owned());
        }
    }
    for id in created {
        assert!(
            ids.contains(&id.to_string()),
            "chart {id} missing from the export"
        );
    }

    // Another practice knows neither the service nor its token.
    app.practice_admin("bulkother").await;
    let (status, _, _) = call(
        reqwest::Method::GET,
        &app.url("/t/bulkother/fhir/r4/$export"),
        Some(&access),
        true,
    )
    .await;
    assert_eq!(status, 401);
    let elsewhere = assertion(
        &app,
        &client_id,
        "w-1",
        json!({ "aud": app.url("/t/bulkother/oauth/token") }),
    );
    let refused = reqwest::Client::new()
        .post(app.url("/t/bulkother/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", elsewhere.as_str()),
            ("scope", "system/*.rs"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
}
