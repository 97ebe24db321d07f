//! The audit log: every patient access writes an event (inside a writing transaction, as a
//! reading one ends), the per-tenant hash chain shows tampering, and concurrent reads of one
//! practice are all recorded and chained.

use portico_core::{
    TenantTx,
    audit::{self, Actor},
    patients,
    tenancy::Access,
};
use portico_tests::{new_patient, spawn_app};
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn patient_access_is_audited_and_an_edited_event_breaks_the_chain() {
    let app = spawn_app().await;
    let db = app.db();
    let a = app.create_tenant("clinic-a").await;
    let b = app.create_tenant("clinic-b").await;
    let actor = Actor::system();

    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    let p = patients::create(&tx, &actor, new_patient("Ada"))
        .await
        .unwrap();
    patients::get(&tx, &actor, portico_core::PatientId::from_uuid(p.id))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // B's chain is separate and empty.
    let tx = TenantTx::begin(&db, &b.scope(), Access::Write)
        .await
        .unwrap();
    assert_eq!(audit::verify_chain(&tx).await.unwrap().events, 0);
    tx.commit().await.unwrap();

    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    let report = audit::verify_chain(&tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(report.events, 2, "create and read");
    assert_eq!(report.first_broken_seq, None);

    // Someone with the owner's access edits the first event.
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    owner
        .execute_unprepared("UPDATE audit_events SET action = 'patient.list' WHERE seq = 1")
        .await
        .unwrap();
    owner.close().await.unwrap();

    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    let report = audit::verify_chain(&tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(report.first_broken_seq, Some(1));
}

#[tokio::test]
async fn a_failed_write_leaves_no_audit_event_behind() {
    let app = spawn_app().await;
    let db = app.db();
    let a = app.create_tenant("clinic-a").await;
    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    let missing = portico_core::PatientId::new();
    assert!(patients::get(&tx, &Actor::system(), missing).await.is_err());
    tx.commit().await.unwrap();
    let tx = TenantTx::begin(&db, &a.scope(), Access::Write)
        .await
        .unwrap();
    assert_eq!(audit::verify_chain(&tx).await.unwrap().events, 0);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_patient_sees_who_opened_their_chart_and_admins_search_the_log() {
    use portico_core::identity::Role;
    use serde_json::json;
    let app = spawn_app().await;
    let admin = app.practice_admin("ledger").await;
    let (patient, chart) = app.add_user("ledger", Role::Patient).await;
    let (provider, _) = app.add_user("ledger", Role::Provider).await;
    let chart_id = {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        URL_SAFE_NO_PAD.encode(format!("Patient:{}", chart.unwrap()))
    };
    let (_, opened) = app
        .gql_as(
            "ledger",
            &provider.access,
            &format!("{{ patient(id: \"{chart_id}\") {{ givenName }} }}"),
            json!({}),
        )
        .await;
    assert!(opened["errors"].is_null(), "{opened}");

    let (_, log) = app
        .gql_as(
            "ledger",
            &patient.access,
            "{ chartAccessLog { who role action } }",
            json!({}),
        )
        .await;
    let entries = log["data"]["chartAccessLog"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        entries.iter().any(|e| e["who"] == "Test Person"
            && e["role"] == "provider"
            && e["action"] == "patient.read"),
        "{log}"
    );
    let (_, staff_view) = app
        .gql_as(
            "ledger",
            &provider.access,
            "{ chartAccessLog { who } }",
            json!({}),
        )
        .await;
    assert_eq!(portico_tests::error_code(&staff_view), Some("FORBIDDEN"));

    let (_, events) = app
        .gql_as(
            "ledger",
            &admin.access,
            "query($p: ID) { auditEvents(patientId: $p) { action actorRole clientIp patientId } }",
            json!({ "p": chart_id }),
        )
        .await;
    let events = events["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{events}"));
    let read = events
        .iter()
        .find(|e| e["action"] == "patient.read" && e["actorRole"] == "provider")
        .expect("the provider's read");
    assert_eq!(read["clientIp"], "127.0.0.1");
    assert!(events.iter().all(|e| e["patientId"] == chart_id.as_str()));
    let (_, denied) = app
        .gql_as(
            "ledger",
            &provider.access,
            "{ auditEvents { action } }",
            json!({}),
        )
        .await;
    assert_eq!(portico_tests::error_code(&denied), Some("FORBIDDEN"));

    // Reading the log is itself in the log, and the chain holds.
    let (_, again) = app
        .gql_as(
            "ledger",
            &admin.access,
            "{ auditEvents(first: 1) { action } }",
            json!({}),
        )
        .await;
    assert_eq!(again["data"]["auditEvents"][0]["action"], "audit.read");
    let op = app.operator().await;
    let (_, tenants) = app
        .gql_as("platform", &op.access, "{ tenants { id slug } }", json!({}))
        .await;
    let id = tenants["data"]["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "ledger")
        .unwrap()["id"]
        .clone();
    let (_, report) = app
        .gql_as(
            "platform",
            &op.access,
            "query($t: ID!) { verifyAuditChain(tenantId: $t) { events firstBrokenSeq } }",
            json!({ "t": id }),
        )
        .await;
    assert!(
        report["data"]["verifyAuditChain"]["events"]
            .as_u64()
            .unwrap()
            > 3,
        "{report}"
    );
    assert!(report["data"]["verifyAuditChain"]["firstBrokenSeq"].is_null());
}

#[tokio::test]
async fn practice_admins_export_a_range_of_the_log_as_csv_and_the_export_is_logged() {
    use portico_core::identity::Role;
    use serde_json::json;
    let app = portico_tests::spawn_app().await;
    let admin = app.practice_admin("export").await;
    let (patient, chart) = app.add_user("export", Role::Patient).await;
    let chart_id = {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        URL_SAFE_NO_PAD.encode(format!("Patient:{}", chart.unwrap()))
    };
    let (_, opened) = app
        .gql_as(
            "export",
            &admin.access,
            "query($id: ID!) { patient(id: $id) { id } }",
            json!({ "id": chart_id }),
        )
        .await;
    assert!(opened["errors"].is_null(), "{opened}");
    const EXPORT: &str = "query($from: DateTime!, $to: DateTime!, $p: ID) {
        auditExport(from: $from, to: $to, patientId: $p) { csv rows truncated } }";
    let now = chrono::Utc::now();
    let range = json!({ "from": (now - chrono::Duration::hours(1)).to_rfc3339(),
        "to": (now + chrono::Duration::hours(1)).to_rfc3339(), "p": chart_id });
    let (_, exported) = app
        .gql_as("export", &admin.access, EXPORT, range.clone())
        .await;
    let export = &exported["data"]["auditExport"];
    let csv = export["csv"]
        .as_str()
        .unwrap_or_else(|| panic!("{exported}"));
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("seq,occurred_at,actor_kind"), "{csv}");
    assert_eq!(
        export["rows"].as_i64(),
        Some(i64::try_from(lines.len() - 1).unwrap())
    );
    assert_eq!(export["truncated"], false);
    // Oldest first: the chart's creation, then the admin's read of it, by name and role.
    assert!(lines[1].contains("patient.create"), "{csv}");
    assert!(
        lines.iter().any(|l| l.contains("patient.read")
            && l.contains("Avery Admin")
            && l.contains("practice_admin")),
        "{csv}"
    );
    // Another chart's events are not in this export.
    assert!(lines[1..].iter().all(|l| l.contains(&chart_id)), "{csv}");

    // The export is logged; patients and staff without the right cannot export.
    let (_, again) = app
        .gql_as("export", &admin.access, EXPORT, range.clone())
        .await;
    assert!(
        again["data"]["auditExport"]["csv"]
            .as_str()
            .unwrap()
            .contains("audit.export")
    );
    let (_, refused) = app.gql_as("export", &patient.access, EXPORT, range).await;
    assert_eq!(portico_tests::error_code(&refused), Some("FORBIDDEN"));
    let (_, backwards) = app
        .gql_as("export", &admin.access, EXPORT, json!({ "from": now.to_rfc3339(), "to": (now - chrono::Duration::hours(1)).to_rfc3339() }))
        .await;
    assert_eq!(
        backwards["errors"][0]["extensions"]["reason"],
        "INVALID_RANGE"
    );
}
