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
    let database = TestDatabase::create().await;
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
