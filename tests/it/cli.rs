//! The `portico` command itself: which settings each command needs.

use std::process::{Command, Output};

use portico_tests::TestDatabase;

/// Runs `portico args...` with only these settings in its environment.
fn portico(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico-under-test"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORTICO_LOG", "off");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the command runs")
}

#[tokio::test]
async fn migrate_needs_no_redis_url_even_on_postgres() {
    let database = TestDatabase::create_empty().await;
    // The owner runs migrations; on PostgreSQL no PORTICO_REDIS_URL is given.
    let env = [("PORTICO_DATABASE_URL", database.owner_url.as_str())];
    let first = portico(&["migrate"], &env);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("migrations are up to date"));
    // Idempotent: a second run has nothing to do and succeeds too.
    let again = portico(&["migrate"], &env);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn serving_on_postgres_still_requires_a_redis_url() {
    // Refused by validation before any connection is tried, so no server is needed.
    let out = portico(
        &["serve"],
        &[(
            "PORTICO_DATABASE_URL",
            "postgres://portico_app@127.0.0.1:1/nowhere",
        )],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PORTICO_REDIS_URL"), "{stderr}");
}

/// Three `portico migrate` at once on a fresh database (as when several instances or a
/// rollout's Jobs start together): every one succeeds, and each migration is applied once.
#[tokio::test]
async fn migrations_started_at_once_by_three_processes_apply_once() {
    let database = TestDatabase::create_empty().await;
    let url = database.owner_url.clone();
    let runs: Vec<std::thread::JoinHandle<Output>> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || portico(&["migrate"], &[("PORTICO_DATABASE_URL", &url)]))
        })
        .collect();
    for run in runs {
        let out = run.join().unwrap();
        assert!(
            out.status.success(),
            "a concurrent migrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    use sea_orm::{ConnectionTrait, Statement};
    let owner = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let row = owner
        .query_one_raw(Statement::from_string(
            owner.get_database_backend(),
            "SELECT count(*) AS n, count(DISTINCT version) AS d FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap();
    let (n, d): (i64, i64) = (row.try_get("", "n").unwrap(), row.try_get("", "d").unwrap());
    assert_eq!(n, d, "a migration was recorded twice");
    assert_eq!(
        usize::try_from(n).unwrap(),
        <portico_migrations::Migrator as portico_migrations::MigratorTrait>::migrations().len(),
        "every migration is applied"
    );
}
