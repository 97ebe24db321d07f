//! Restricted charts and break-glass access: refused without it, opened with a stated
//! reason for a limited time, every access flagged in the audit log, listed for practice
//! admins to review.

use portico_core::identity::Role;
use portico_tests::{error_code, spawn_app};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::support::{gid, records::small_chart};

const RESULTS: &str = "query($p: ID!) { patient(id: $p) { results { edges { node { id } } } } }";
const BREAK: &str =
    "mutation($p: ID!, $r: String!) { breakGlass(input: { patientId: $p, reason: $r }) {
    access { id reason active expiresAt } userErrors { field code } } }";
const RESTRICT: &str = "mutation($i: SetChartRestrictionInput!) { setChartRestriction(input: $i) {
    restriction { category careTeamUserIds } userErrors { field code } } }";
const LIST: &str = "query($r: Boolean) { breakGlassAccesses(reviewed: $r) { edges { node {
    id patientId userName reason active reviewedAt } } } }";

#[tokio::test]
async fn a_restricted_chart_opens_only_by_breaking_the_glass_which_is_flagged_and_reviewed() {
    let app = spawn_app().await;
    let admin = app.practice_admin("vip").await;
    let (patient, chart) = app.add_user("vip", Role::Patient).await;
    let (doctor, _) = app.add_user("vip", Role::Provider).await;
    let (nurse, _) = app.add_user("vip", Role::Staff).await;
    let chart = gid("Patient", chart.unwrap());
    small_chart(&app, &admin, &chart).await;
    let (_, me) = app
        .gql_as("vip", &doctor.access, "{ me { userId } }", json!({}))
        .await;
    // `me.userId` is the global user id the care team takes.
    let doctor_id = me["data"]["me"]["userId"].as_str().unwrap().to_owned();

    // Only practice admins restrict charts; a bad category changes nothing.
    let (_, by_nurse) = app
        .gql_as(
            "vip",
            &nurse.access,
            RESTRICT,
            json!({ "i": { "patientId": chart, "category": "vip" } }),
        )
        .await;
    assert_eq!(error_code(&by_nurse), Some("FORBIDDEN"));
    let (_, bad) = app
        .gql_as(
            "vip",
            &admin.access,
            RESTRICT,
            json!({ "i": { "patientId": chart, "category": "famous" } }),
        )
        .await;
    assert_eq!(
        bad["data"]["setChartRestriction"]["userErrors"][0]["code"],
        "INVALID_CATEGORY"
    );
    let (_, open) = app
        .gql_as("vip", &nurse.access, RESULTS, json!({ "p": chart }))
        .await;
    assert!(open["errors"].is_null(), "unrestricted still: {open}");

    let (_, restricted) = app
        .gql_as(
            "vip",
            &admin.access,
            RESTRICT,
            json!({ "i": { "patientId": chart, "category": "vip", "careTeamUserIds": [doctor_id] } }),
        )
        .await;
    assert_eq!(
        restricted["data"]["setChartRestriction"]["restriction"]["category"], "vip",
        "{restricted}"
    );

    // The care team, practice admins and the patient open it as before; the nurse may not.
    for who in [&doctor, &admin, &patient] {
        let (_, body) = app
            .gql_as("vip", &who.access, RESULTS, json!({ "p": chart }))
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let (_, refused) = app
        .gql_as("vip", &nurse.access, RESULTS, json!({ "p": chart }))
        .await;
    assert_eq!(
        error_code(&refused),
        Some("BREAK_GLASS_REQUIRED"),
        "{refused}"
    );
    let (_, refused_chart) = app
        .gql_as(
            "vip",
            &nurse.access,
            "query($p: ID!) { patient(id: $p) { id } }",
            json!({ "p": chart }),
        )
        .await;
    assert_eq!(error_code(&refused_chart), Some("BREAK_GLASS_REQUIRED"));
    let (_, refused_grants) = app
        .gql_as(
            "vip",
            &nurse.access,
            "query($p: ID!) { proxyGrants(patientId: $p) { id } }",
            json!({ "p": chart }),
        )
        .await;
    assert_eq!(error_code(&refused_grants), Some("BREAK_GLASS_REQUIRED"));

    // A reason is required, and a real one.
    for reason in ["", "because", "   short    "] {
        let (_, short) = app
            .gql_as(
                "vip",
                &nurse.access,
                BREAK,
                json!({ "p": chart, "r": reason }),
            )
            .await;
        assert_eq!(
            short["data"]["breakGlass"]["userErrors"][0]["code"], "REASON_TOO_SHORT",
            "{short}"
        );
    }
    let (_, not_needed) = app
        .gql_as(
            "vip",
            &doctor.access,
            BREAK,
            json!({ "p": chart, "r": "Covering the emergency department tonight" }),
        )
        .await;
    assert_eq!(
        not_needed["data"]["breakGlass"]["userErrors"][0]["code"],
        "BREAK_GLASS_NOT_NEEDED"
    );
    let (_, refused_again) = app
        .gql_as("vip", &nurse.access, RESULTS, json!({ "p": chart }))
        .await;
    assert_eq!(
        error_code(&refused_again),
        Some("BREAK_GLASS_REQUIRED"),
        "refusals opened nothing"
    );

    let reason = "Patient arrived unconscious in the emergency department";
    let (_, broke) = app
        .gql_as(
            "vip",
            &nurse.access,
            BREAK,
            json!({ "p": chart, "r": reason }),
        )
        .await;
    let access = &broke["data"]["breakGlass"]["access"];
    assert_eq!(access["active"], true, "{broke}");
    let expires: chrono::DateTime<chrono::Utc> =
        access["expiresAt"].as_str().unwrap().parse().unwrap();
    let minutes = (expires - chrono::Utc::now()).num_minutes();
    assert!(
        (55..=60).contains(&minutes),
        "the default window is an hour: {minutes}"
    );
    let access_id = access["id"].as_str().unwrap().to_owned();

    let (_, opened) = app
        .gql_as("vip", &nurse.access, RESULTS, json!({ "p": chart }))
        .await;
    assert!(opened["errors"].is_null(), "{opened}");
    assert_eq!(
        opened["data"]["patient"]["results"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // The opening and every access in the window are flagged in the log.
    let (_, events) = app
        .gql_as(
            "vip",
            &admin.access,
            "query($p: ID) { auditEvents(patientId: $p, first: 1000) { action actorRole breakGlassId } }",
            json!({ "p": chart }),
        )
        .await;
    let events = events["data"]["auditEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{events}"));
    let flagged: Vec<&str> = events
        .iter()
        .filter(|e| e["breakGlassId"] == access_id.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(flagged.contains(&"chart.break_glass"), "{flagged:?}");
    assert!(flagged.contains(&"observation.list"), "{flagged:?}");
    assert!(
        events
            .iter()
            .filter(|e| e["actorRole"] != "staff")
            .all(|e| e["breakGlassId"].is_null()),
        "only the nurse's events are flagged"
    );
    // The patient sees the flagged access in their log.
    let (_, log) = app
        .gql_as(
            "vip",
            &patient.access,
            "{ chartAccessLog(first: 500) { action breakGlass } }",
            json!({}),
        )
        .await;
    assert!(
        log["data"]["chartAccessLog"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "chart.break_glass" && e["breakGlass"] == true),
        "{log}"
    );

    // Practice admins list unreviewed accesses and mark them reviewed.
    let (_, denied) = app.gql_as("vip", &nurse.access, LIST, json!({})).await;
    assert_eq!(error_code(&denied), Some("FORBIDDEN"));
    let (_, unreviewed) = app
        .gql_as("vip", &admin.access, LIST, json!({ "r": false }))
        .await;
    let edges = unreviewed["data"]["breakGlassAccesses"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{unreviewed}"));
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["reason"], reason);
    assert_eq!(edges[0]["node"]["userName"], "Test Person");
    assert_eq!(edges[0]["node"]["patientId"], chart.as_str());
    let (_, reviewed) = app
        .gql_as(
            "vip",
            &admin.access,
            "mutation($id: ID!) { reviewBreakGlassAccess(input: { id: $id }) { access { reviewedAt } } }",
            json!({ "id": access_id }),
        )
        .await;
    assert!(
        reviewed["data"]["reviewBreakGlassAccess"]["access"]["reviewedAt"].is_string(),
        "{reviewed}"
    );
    let (_, none_left) = app
        .gql_as("vip", &admin.access, LIST, json!({ "r": false }))
        .await;
    assert_eq!(none_left["data"]["breakGlassAccesses"]["edges"], json!([]));
    let (_, done) = app
        .gql_as("vip", &admin.access, LIST, json!({ "r": true }))
        .await;
    assert_eq!(
        done["data"]["breakGlassAccesses"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The flagged events keep the practice's hash chain intact.
    {
        use portico_core::{TenantTx, audit, tenancy::Access, tenants};
        let db = app.db();
        let tenant = tenants::find_by_slug(&db, "vip").await.unwrap().unwrap();
        let tx = TenantTx::begin(&db, &tenant.scope(), Access::Write)
            .await
            .unwrap();
        let report = audit::verify_chain(&tx).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(report.first_broken_seq, None);
    }

    // When the window has passed (moved into the past here), the chart closes again.
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let past = if app.database.is_postgres() {
        "UPDATE break_glass_accesses SET expires_at = now() - interval '1 minute'"
    } else {
        "UPDATE break_glass_accesses SET expires_at = '2000-01-01T00:00:00+00:00'"
    };
    owner.execute_unprepared(past).await.unwrap();
    owner.close().await.unwrap();
    let (_, expired) = app
        .gql_as("vip", &nurse.access, RESULTS, json!({ "p": chart }))
        .await;
    assert_eq!(
        error_code(&expired),
        Some("BREAK_GLASS_REQUIRED"),
        "{expired}"
    );
    let (_, listed) = app.gql_as("vip", &admin.access, LIST, json!({})).await;
    assert_eq!(
        listed["data"]["breakGlassAccesses"]["edges"][0]["node"]["active"],
        false
    );

    // Lifting the restriction opens the chart to every member of staff again.
    let (_, lifted) = app
        .gql_as(
            "vip",
            &admin.access,
            RESTRICT,
            json!({ "i": { "patientId": chart, "category": null } }),
        )
        .await;
    assert!(
        lifted["data"]["setChartRestriction"]["restriction"].is_null(),
        "{lifted}"
    );
    let (_, reopened) = app
        .gql_as("vip", &nurse.access, RESULTS, json!({ "p": chart }))
        .await;
    assert!(reopened["errors"].is_null(), "{reopened}");

    // Unflagging an event afterwards breaks the chain.
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    owner
        .execute_unprepared(
            "UPDATE audit_events SET break_glass_id = NULL WHERE action = 'chart.break_glass'",
        )
        .await
        .unwrap();
    owner.close().await.unwrap();
    let db = app.db();
    let tenant = portico_core::tenants::find_by_slug(&db, "vip")
        .await
        .unwrap()
        .unwrap();
    let tx =
        portico_core::TenantTx::begin(&db, &tenant.scope(), portico_core::tenancy::Access::Write)
            .await
            .unwrap();
    let report = portico_core::audit::verify_chain(&tx).await.unwrap();
    tx.commit().await.unwrap();
    assert!(report.first_broken_seq.is_some(), "{report:?}");
}
