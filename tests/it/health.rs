use std::time::Duration;

use portico_tests::{TestDatabase, error_code, spawn_app, start};
use secrecy::SecretString;

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_is_reachable() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["queue"], "ok");
}

#[tokio::test]
async fn an_unreachable_database_at_start_up_keeps_the_process_up_and_readyz_at_503() {
    let database = TestDatabase::create_empty().await;
    let mut config = database.config();
    // Nothing listens on port 1: every connection attempt is refused and retried.
    config.database.database_url = SecretString::from("postgres://portico_app@127.0.0.1:1/portico");
    config.database.migration_database_url = None;
    config.queue.redis_url = Some(SecretString::from("redis://127.0.0.1:1"));
    let app = start(config, database, true).await;

    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the process is up");
    assert_eq!(app.readyz_status().await, 503);
    let (status, body) = app
        .gql_status(None, "{ __typename }", serde_json::json!({}))
        .await;
    assert_eq!(status, 503);
    assert_eq!(error_code(&body), Some("UNAVAILABLE"));

    // Still up after several retries: it does not crash-loop. A fixed pause on purpose: the
    // retries take real time, and nothing to poll says how many were made.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn readyz_turns_503_while_postgres_refuses_connections_and_recovers() {
    let app = spawn_app().await;
    let portico_tests::Profile::Postgres { admin_url, .. } = &app.database.profile else {
        return; // PostgreSQL only: a SQLite file cannot be taken away from an open pool.
    };
    let name = app.database.app_url.rsplit('/').next().unwrap().to_owned();
    let admin = sea_orm::Database::connect(admin_url.as_str())
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    let status = wait_for_ready_status(&app, 503).await;
    assert_eq!(status, 503);

    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    let status = wait_for_ready_status(&app, 200).await;
    assert_eq!(status, 200);
    admin.close().await.unwrap();
}

/// Polls `/readyz` until it answers `want` (for up to 10 s); returns that status.
async fn wait_for_ready_status(app: &portico_tests::TestApp, want: u16) -> u16 {
    portico_tests::wait_until(
        &format!("/readyz to answer {want}"),
        Duration::from_secs(10),
        async || {
            let status = app.readyz_status().await;
            if status == want {
                Ok(status)
            } else {
                Err(status)
            }
        },
    )
    .await
}
