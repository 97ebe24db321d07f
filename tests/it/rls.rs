//! Row-level security on PostgreSQL, checked with raw SQL as the application role: even a
//! query that forgets the tenant filter sees and changes only its own tenant's rows.

use portico_tests::{TestApp, spawn_app};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

/// Patients in two tenants; returns (app, A's id, B's id).
async fn two_tenants_with_patients() -> (TestApp, uuid::Uuid, uuid::Uuid) {
    let app = spawn_app().await;
    let a = app.create_tenant("clinic-a").await;
    let b = app.create_tenant("clinic-b").await;
    for (tenant, name) in [(&a, "Ann"), (&a, "Amy"), (&b, "Bob")] {
        app.add_patient(tenant, name).await;
    }
    (app, a.id().as_uuid(), b.id().as_uuid())
}

async fn scalar(conn: &impl ConnectionTrait, sql: &str) -> i64 {
    conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

async fn app_role(app: &TestApp) -> DatabaseConnection {
    sea_orm::Database::connect(app.database.app_url.as_str())
        .await
        .unwrap()
}

#[tokio::test]
async fn raw_sql_in_tenant_a_sees_and_changes_no_row_of_tenant_b() {
    let (app, a, b) = two_tenants_with_patients().await;
    if !app.database.is_postgres() {
        return; // Row-level security exists on PostgreSQL only.
    }
    let conn = app_role(&app).await;
    let tx = conn.begin().await.unwrap();
    tx.execute_unprepared(&format!("SELECT set_config('app.tenant_id', '{a}', true)"))
        .await
        .unwrap();
    assert_eq!(scalar(&tx, "SELECT count(*) FROM patients").await, 2);
    assert_eq!(
        scalar(
            &tx,
            &format!("SELECT count(*) FROM patients WHERE tenant_id = '{b}'")
        )
        .await,
        0
    );
    let updated = tx
        .execute_unprepared("UPDATE patients SET phone = '555-0199'")
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 2, "only A's two rows");
    let deleted = tx
        .execute_unprepared(&format!("DELETE FROM patients WHERE tenant_id = '{b}'"))
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    tx.commit().await.unwrap();

    // B's row is unchanged, seen from B.
    let tx = conn.begin().await.unwrap();
    tx.execute_unprepared(&format!("SELECT set_config('app.tenant_id', '{b}', true)"))
        .await
        .unwrap();
    assert_eq!(
        scalar(
            &tx,
            "SELECT count(*) FROM patients WHERE phone = '555-0100'"
        )
        .await,
        1
    );
    tx.rollback().await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn inserting_a_row_for_another_tenant_is_refused() {
    let (app, a, b) = two_tenants_with_patients().await;
    if !app.database.is_postgres() {
        return;
    }
    let conn = app_role(&app).await;
    let tx = conn.begin().await.unwrap();
    tx.execute_unprepared(&format!("SELECT set_config('app.tenant_id', '{a}', true)"))
        .await
        .unwrap();
    let insert = tx
        .execute_unprepared(&format!(
            "INSERT INTO patients (tenant_id, id, given_name, family_name, birth_date, gender, \
             created_at, updated_at) VALUES ('{b}', '{}', 'Eve', 'Intruder', '1990-01-01', \
             'unknown', now(), now())",
            uuid::Uuid::now_v7()
        ))
        .await;
    let err = insert
        .expect_err("WITH CHECK refuses another tenant's id")
        .to_string();
    assert!(err.contains("row-level security"), "{err}");
    tx.rollback().await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn without_a_tenant_setting_the_application_role_sees_nothing() {
    let (app, _a, _b) = two_tenants_with_patients().await;
    if !app.database.is_postgres() {
        return;
    }
    let conn = app_role(&app).await;
    assert_eq!(scalar(&conn, "SELECT count(*) FROM patients").await, 0);
    assert_eq!(scalar(&conn, "SELECT count(*) FROM audit_events").await, 0);
    // The audit log is append-only for the application.
    let err = conn
        .execute_unprepared("DELETE FROM audit_events")
        .await
        .expect_err("no DELETE grant on audit_events")
        .to_string();
    assert!(err.contains("permission denied"), "{err}");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn every_tenant_table_has_forced_rls_and_the_app_role_owns_none() {
    let app = spawn_app().await;
    if !app.database.is_postgres() {
        return;
    }
    let owner = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let rows = owner
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, \
                    pg_get_userbyid(c.relowner) AS owner, \
                    EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') \
               AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid \
                           AND a.attname = 'tenant_id' AND NOT a.attisdropped)",
        ))
        .await
        .unwrap();
    assert!(rows.len() >= 3, "users, patients, audit_events at least");
    // Billing's tables name a practice but are part of the directory, like `tenants`: a
    // payment provider's webhook finds its practice through them before any tenant is
    // known. They hold no patient data. Every other table with a `tenant_id` is the
    // practice's own.
    const DIRECTORY: &[&str] = &["billing_accounts", "billing_events", "usage_reports"];
    for row in rows {
        let table: String = row.try_get("", "relname").unwrap();
        if DIRECTORY.contains(&table.as_str()) {
            continue;
        }
        assert!(
            row.try_get::<bool>("", "relrowsecurity").unwrap(),
            "{table}: RLS enabled"
        );
        assert!(
            row.try_get::<bool>("", "relforcerowsecurity").unwrap(),
            "{table}: RLS forced"
        );
        assert!(
            row.try_get::<bool>("", "has_policy").unwrap(),
            "{table}: has a policy"
        );
        let table_owner: String = row.try_get("", "owner").unwrap();
        assert_ne!(
            table_owner, "portico_app",
            "{table}: the app role owns no table"
        );
    }
    let role = owner
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'portico_app'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(!role.try_get::<bool>("", "rolsuper").unwrap());
    assert!(!role.try_get::<bool>("", "rolbypassrls").unwrap());
    assert!(!app.db().bypasses_row_security().await.unwrap());
    owner.close().await.unwrap();
}
