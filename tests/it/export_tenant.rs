//! `portico export tenant` and `portico import tenant`, run as the real command: a practice
//! with a chart, a booking and a conversation is exported (FHIR that parses, counts and
//! checksums that match the manifest, an audit log that chains, files only its owner can
//! read), restored into a fresh empty database where every table reads back the same, its
//! audit chain verifies and its patient signs in and reads their chart; and bad input
//! (an unknown slug, a folder in use, a changed file, another schema version, a practice
//! that exists, a broken audit chain) is refused with one line and changes nothing.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, TestDatabase, start};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{
    attachments::{path_of, pdf, upload},
    gid,
    messaging::{START, clinic_for, post, thread_id},
    records::small_chart,
    scheduling::{book, booked_id, days_ahead, practice, slots, starts},
};

/// The settings the command needs to reach `database`.
#[derive(Clone)]
struct Target {
    app_url: String,
    owner_url: String,
    secrets_key: String,
    dir: PathBuf,
}

impl Target {
    fn of(database: &TestDatabase) -> Self {
        Self {
            app_url: database.app_url.clone(),
            owner_url: database.owner_url.clone(),
            secrets_key: database.secrets_key.clone(),
            dir: database.dir.clone(),
        }
    }

    /// Runs `portico args...` against this database (as the application role, migrations
    /// and the schema version as the owner), with nothing else in its environment.
    fn portico(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_portico-under-test"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PORTICO_LOG", "off")
            .env("PORTICO_DATABASE_URL", &self.app_url)
            .env("PORTICO_MIGRATION_DATABASE_URL", &self.owner_url)
            .env("PORTICO_SECRETS_KEY", &self.secrets_key)
            .env("PORTICO_SECRETS_KEY_FILE", self.dir.join("secrets.key"))
            .env("PORTICO_ATTACHMENTS_DIR", self.dir.join("attachments"))
            .output()
            .expect("the command runs")
    }

    /// Whether the practice `slug` is in this database.
    async fn has_practice(&self, slug: &str) -> bool {
        let db = portico_core::Db::connect(&self.app_url, 1).await.unwrap();
        let found = portico_core::tenants::find_by_slug(&db, slug)
            .await
            .unwrap()
            .is_some();
        db.close().await.unwrap();
        found
    }
}

fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Refused with exit code 1 and one line on standard error that contains `says`.
fn refused(out: &Output, says: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(says), "expected '{says}' in: {stderr}");
}

/// A source deployment without background workers, so nothing changes the practice while it
/// is exported but what the test does.
async fn source() -> TestApp {
    let database = TestDatabase::create().await;
    let config = database.config();
    let app = start(config, database, false).await;
    app.ready().await;
    app
}

/// A fresh database, migrated by `portico migrate` (as an empty deployment is).
async fn empty_deployment() -> (TestDatabase, Target) {
    let database = TestDatabase::create_empty().await;
    let target = Target::of(&database);
    succeeded(&target.portico(&["migrate"]));
    (database, target)
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

fn sha256(path: &Path) -> String {
    let digest = Sha256::digest(std::fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Files (not folders) under `dir`.
fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                if e.path().is_dir() {
                    files_under(&e.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

/// A copy of the export in `from` at `to`, for a test to spoil.
fn copy(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Rewrites `file` of the export in `dir` with `change`, and its manifest entry to match (as
/// someone who knows the format would).
fn rewrite(dir: &Path, file: &str, change: impl FnOnce(&mut Vec<Value>)) {
    let path = dir.join(file);
    let mut rows = lines(&path);
    change(&mut rows);
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let mut m = manifest(dir);
    m["files"][file] = json!({ "rows": rows.len(),
        "bytes": std::fs::metadata(&path).unwrap().len(), "sha256": sha256(&path) });
    std::fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
}

/// A practice with varied data: a scheduling catalogue and a booked visit, a chart with
/// records, a conversation with an attachment, a reply and an internal note, and the
/// patient's own reads.
async fn varied_practice(app: &TestApp, slug: &str) -> Signed {
    let p = practice(app, slug).await;
    let (patient, chart) = app.add_user(slug, Role::Patient).await;
    let chart = chart.unwrap();
    let chart_gid = gid("Patient", chart);
    small_chart(app, &p.admin, &chart_gid).await;

    let day = days_ahead(&p, 3);
    let open = starts(&slots(app, &patient.access, slug, &p, day, day).await);
    booked_id(&book(app, &patient.access, &p, &chart_gid, open[0]).await);

    let clinic = clinic_for(app, p.admin.clone()).await;
    let (_, uploaded) = upload(app, &patient, "insurance card.pdf", pdf()).await;
    let attachment = uploaded["data"]["uploadAttachment"]["attachment"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{uploaded}"))
        .to_owned();
    let (_, started) = app
        .gql_as(
            slug,
            &patient.access,
            START,
            json!({ "input": { "patientId": chart_gid, "poolId": clinic.pool,
                "category": "BILLING", "subject": "New card", "body": "Can I take it with food?",
                "attachmentIds": [attachment] } }),
        )
        .await;
    let thread = thread_id(&started);
    let reply = post(app, &clinic.nurse, &thread, "Yes, with breakfast.", false).await;
    assert!(reply["errors"].is_null(), "{reply}");
    let note = post(app, &clinic.nurse, &thread, "Check the renal panel.", true).await;
    assert!(note["errors"].is_null(), "{note}");
    let (_, read) = app
        .gql_as(slug, &patient.access, CHART, json!({ "p": chart_gid }))
        .await;
    assert!(read["errors"].is_null(), "{read}");
    patient
}

const CHART: &str = "query($p: ID!) { patient(id: $p) { givenName
    results { edges { node { display value } } }
    medications { edges { node { name refillsLeft } } } } }";

#[tokio::test]
async fn a_practice_exported_and_restored_into_an_empty_deployment_reads_the_same() {
    let slug = "portable";
    let app = source().await;
    let patient = varied_practice(&app, slug).await;
    let from = Target::of(&app.database);
    let export = from.dir.join("export");
    let out = succeeded(&from.portico(&[
        "export",
        "tenant",
        "--slug",
        slug,
        "--output",
        export.to_str().unwrap(),
    ]));
    assert!(
        out.contains(&format!("practice '{slug}' exported")),
        "{out}"
    );

    // Owner-only: the folder holds PHI and credentials.
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&export), 0o700);
    assert_eq!(mode(&export.join("tables")), 0o700);
    assert_eq!(mode(&export.join("tables/patients.ndjson")), 0o600);
    assert_eq!(mode(&export.join("manifest.json")), 0o600);

    // The manifest: the practice, the schema version, and every file's rows and checksum.
    let m = manifest(&export);
    assert_eq!(m["practice"]["slug"], slug);
    assert_eq!(
        m["schema_version"].as_str().unwrap(),
        {
            use portico_migrations::MigratorTrait as _;
            portico_migrations::Migrator::migrations()
                .last()
                .unwrap()
                .name()
                .to_owned()
        }
        .as_str()
    );
    let files = m["files"].as_object().unwrap();
    for (name, entry) in files {
        let path = export.join(name);
        assert_eq!(entry["sha256"], sha256(&path), "{name}");
        assert_eq!(
            entry["bytes"],
            std::fs::metadata(&path).unwrap().len(),
            "{name}"
        );
        if name.ends_with(".ndjson") {
            assert_eq!(entry["rows"], lines(&path).len(), "{name}");
        }
    }
    for table in [
        "tenants",
        "users",
        "patients",
        "observations",
        "appointments",
        "thread_messages",
        "audit_events",
        "billing_accounts",
    ] {
        assert!(
            files.contains_key(&format!("tables/{table}.ndjson")),
            "{table}"
        );
    }
    assert_eq!(files["tables/tenants.ndjson"]["rows"], 1);
    assert_eq!(files["tables/appointments.ndjson"]["rows"], 1);
    assert_eq!(files["tables/thread_messages.ndjson"]["rows"], 3);
    assert_eq!(files["tables/message_attachments.ndjson"]["rows"], 1);
    let attachments: Vec<&String> = files
        .keys()
        .filter(|n| n.starts_with("attachments/"))
        .collect();
    assert_eq!(attachments.len(), 1);
    assert_eq!(std::fs::read(export.join(attachments[0])).unwrap(), pdf());

    // FHIR: every line a resource of its file's type, with an id, once; every reference
    // resolves inside the export.
    let mut fhir: HashMap<String, usize> = HashMap::new();
    let mut ids = HashSet::new();
    let mut references = Vec::new();
    for name in files.keys().filter(|n| n.starts_with("fhir/")) {
        let kind = name.trim_start_matches("fhir/").trim_end_matches(".ndjson");
        for resource in lines(&export.join(name)) {
            serde_json::from_value::<fhir_model::r4b::resources::Resource>(resource.clone())
                .unwrap_or_else(|e| panic!("{name}: not FHIR R4: {e}"));
            assert_eq!(resource["resourceType"], kind);
            let id = resource["id"].as_str().unwrap();
            assert!(ids.insert(format!("{kind}/{id}")), "{kind}/{id} twice");
            collect_references(&resource, &mut references);
            *fhir.entry(kind.to_owned()).or_default() += 1;
        }
    }
    for reference in &references {
        assert!(ids.contains(reference), "{reference} resolves");
    }
    let expected: HashMap<String, usize> = [
        ("Patient", 1),
        ("Encounter", 1),
        ("DocumentReference", 1),
        ("DiagnosticReport", 1),
        ("Observation", 3),
        ("MedicationRequest", 1),
        ("AllergyIntolerance", 1),
        ("Condition", 1),
        ("Immunization", 1),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_owned(), n))
    .collect();
    assert_eq!(fhir, expected);

    // The audit log in chain order, linked hash to hash.
    let audit = lines(&export.join("audit.ndjson"));
    assert!(audit.len() > 10, "{}", audit.len());
    for (i, event) in audit.iter().enumerate() {
        assert_eq!(event["seq"], i + 1);
        if i > 0 {
            assert_eq!(event["prev_hash"], audit[i - 1]["hash"]);
        }
    }

    // Restored into a fresh, empty deployment.
    let (target_db, target) = empty_deployment().await;
    let restored =
        succeeded(&target.portico(&["import", "tenant", "--input", export.to_str().unwrap()]));
    assert!(
        restored.contains(&format!("practice '{slug}'")),
        "{restored}"
    );
    assert!(
        restored.contains(&format!("audit chain intact: {} events", audit.len())),
        "{restored}"
    );
    let verified = succeeded(&target.portico(&["audit", "verify"]));
    assert!(
        verified.contains(&format!("{slug}: {} events, chain intact", audit.len())),
        "{verified}"
    );

    // Exported again from there, every table and the audit log are the same, byte for byte.
    let again = target.dir.join("export-again");
    succeeded(&target.portico(&[
        "export",
        "tenant",
        "--slug",
        slug,
        "--output",
        again.to_str().unwrap(),
    ]));
    let m2 = manifest(&again);
    let tables = |m: &Value| -> BTreeMap<String, Value> {
        m["files"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with("tables/") || k.as_str() == "audit.ndjson")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    assert_eq!(tables(&m), tables(&m2));
    for name in tables(&m).keys() {
        assert_eq!(
            std::fs::read(export.join(name)).unwrap(),
            std::fs::read(again.join(name)).unwrap(),
            "{name}"
        );
    }

    // The restored deployment serves the practice: the patient signs in and reads the chart.
    let restored_app = start(target_db.config(), target_db, true).await;
    restored_app.ready().await;
    let body = restored_app
        .sign_in(slug, &patient.email, &patient.password, None)
        .await;
    let access = body["data"]["signIn"]["session"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("sign-in on the restored deployment: {body}"))
        .to_owned();
    let (_, me) = restored_app
        .gql_as(
            slug,
            &access,
            "{ me { charts { patient { id } } } }",
            json!({}),
        )
        .await;
    let chart = me["data"]["me"]["charts"][0]["patient"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{me}"))
        .to_owned();
    let (_, read) = restored_app
        .gql_as(slug, &access, CHART, json!({ "p": chart }))
        .await;
    assert!(read["errors"].is_null(), "{read}");
    assert_eq!(
        read["data"]["patient"]["results"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "{read}"
    );
    assert_eq!(
        read["data"]["patient"]["medications"]["edges"][0]["node"]["name"],
        "Metformin 500 mg tablet"
    );
    // And their conversation, with the attachment's bytes.
    let (_, threads) = restored_app
        .gql_as(
            slug,
            &access,
            "{ messageThreads { messages { body attachments { downloadUrl } } } }",
            json!({}),
        )
        .await;
    let messages = &threads["data"]["messageThreads"][0]["messages"];
    assert_eq!(messages[0]["body"], "Can I take it with food?", "{threads}");
    let url = messages[0]["attachments"][0]["downloadUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{threads}"));
    let res = restored_app
        .client
        .get(restored_app.url(&path_of(url)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf());
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("reference", Some(r)) => out.push(r.to_owned()),
                    _ => collect_references(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn bad_exports_and_existing_practices_are_refused_and_change_nothing() {
    let slug = "refusals";
    let app = source().await;
    let admin = app.practice_admin(slug).await;
    let (patient, chart) = app.add_user(slug, Role::Patient).await;
    small_chart(&app, &admin, &gid("Patient", chart.unwrap())).await;
    let (status, _) = upload(&app, &patient, "card.pdf", pdf()).await;
    assert_eq!(status, 200);
    let from = Target::of(&app.database);
    let export = from.dir.join("export");
    let export_arg = export.to_str().unwrap();

    // An unknown practice: nothing is written, not even the folder.
    refused(
        &from.portico(&[
            "export", "tenant", "--slug", "nowhere", "--output", export_arg,
        ]),
        "no practice has the slug 'nowhere'",
    );
    assert!(!export.exists());
    succeeded(&from.portico(&["export", "tenant", "--slug", slug, "--output", export_arg]));
    // A folder with something in it.
    refused(
        &from.portico(&["export", "tenant", "--slug", slug, "--output", export_arg]),
        "is not empty",
    );

    // The practice exists where it came from.
    refused(
        &from.portico(&["import", "tenant", "--input", export_arg]),
        &format!("a practice with the slug '{slug}' already exists here"),
    );

    let (_target_db, target) = empty_deployment().await;
    let spoiled = |name: &str| {
        let dir = target.dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        copy(&export, &dir);
        dir
    };

    // A file changed after the export.
    let tampered = spoiled("tampered");
    let patients = tampered.join("tables/patients.ndjson");
    let text = std::fs::read_to_string(&patients).unwrap();
    assert!(text.contains("\"MRN-"));
    std::fs::write(&patients, text.replacen("\"MRN-", "\"MRX-", 1)).unwrap();
    refused(
        &target.portico(&["import", "tenant", "--input", tampered.to_str().unwrap()]),
        "tables/patients.ndjson: its checksum does not match the manifest",
    );

    // Another schema version.
    let older = spoiled("older");
    let mut m = manifest(&older);
    m["schema_version"] = json!("m20261125_000001_foundation");
    std::fs::write(older.join("manifest.json"), m.to_string()).unwrap();
    refused(
        &target.portico(&["import", "tenant", "--input", older.to_str().unwrap()]),
        "the export is at schema version m20261125_000001_foundation",
    );

    // Consistent checksums but an audit event rewritten: every table loads, then the chain
    // check fails and the one transaction leaves nothing behind.
    let forged = spoiled("forged");
    rewrite(&forged, "tables/audit_events.ndjson", |rows| {
        rows[0]["action"] = json!("chart.nothing_to_see");
    });
    refused(
        &target.portico(&["import", "tenant", "--input", forged.to_str().unwrap()]),
        "the restored audit chain is broken at event",
    );
    // The attachment's bytes it had put in the store are gone again.
    assert_eq!(
        files_under(&target.dir.join("attachments")),
        0,
        "a refused restore left attachments behind"
    );

    // A row of another practice slipped in.
    let foreign = spoiled("foreign");
    rewrite(&foreign, "tables/patients.ndjson", |rows| {
        rows[0]["tenant_id"] = json!(uuid::Uuid::now_v7().to_string());
    });
    refused(
        &target.portico(&["import", "tenant", "--input", foreign.to_str().unwrap()]),
        "tables/patients.ndjson line 1: the row belongs to another practice",
    );

    assert!(
        !target.has_practice(slug).await,
        "a refused restore left the practice"
    );
    let verified = succeeded(&target.portico(&["audit", "verify"]));
    assert!(!verified.contains(slug), "{verified}");

    // The export itself is still good.
    succeeded(&target.portico(&["import", "tenant", "--input", export_arg]));
    assert!(target.has_practice(slug).await);
    assert_eq!(files_under(&target.dir.join("attachments")), 1);
}
