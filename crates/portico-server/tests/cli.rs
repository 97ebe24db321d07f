//! The `portico` command line: bad settings stop start-up with one line naming the setting.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers unwrap outside #[test] functions"
)]

use std::process::{Command, Output};

fn portico(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = std::env::temp_dir().join(format!("portico-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico"));
    cmd.args(args).current_dir(&dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    out
}

fn assert_refused(out: &Output, setting: &str) {
    assert_eq!(out.status.code(), Some(2), "exit code 2 for a bad setting");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(setting), "names {setting}: {stderr}");
}

#[test]
fn an_invalid_listen_address_stops_start_up_naming_the_setting() {
    let out = portico(&["serve"], &[("PORTICO_LISTEN", "not-an-address")]);
    assert_refused(&out, "PORTICO_LISTEN");
}

#[test]
fn an_unknown_setting_is_named() {
    let out = portico(&["serve"], &[("PORTICO_LISTN", "127.0.0.1:9")]);
    assert_refused(&out, "PORTICO_LISTN");
}

#[test]
fn postgres_without_redis_is_refused_naming_the_redis_setting() {
    let out = portico(
        &["serve"],
        &[(
            "PORTICO_DATABASE_URL",
            "postgres://portico_app@127.0.0.1/portico",
        )],
    );
    assert_refused(&out, "PORTICO_REDIS_URL");
}

#[test]
fn an_unsupported_database_is_refused() {
    let out = portico(&["migrate"], &[("PORTICO_DATABASE_URL", "mysql://x@y/z")]);
    assert_refused(&out, "PORTICO_DATABASE_URL");
}

#[test]
fn export_schema_prints_the_sdl() {
    let out = portico(&["export-schema"], &[]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        portico_graphql::sdl()
    );
}

#[test]
fn migrate_then_demo_load_a_practice_on_a_fresh_sqlite_file() {
    let dir = std::env::temp_dir().join(format!("portico-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_portico"))
            .args(args)
            .current_dir(&dir)
            .env("PORTICO_LOG", "off")
            .output()
            .unwrap()
    };
    let migrate = run(&["migrate"]);
    assert!(migrate.status.success(), "{migrate:?}");
    let demo = run(&["demo"]);
    assert!(demo.status.success(), "{demo:?}");
    assert!(String::from_utf8_lossy(&demo.stdout).contains("lakeside"));
    // Loading twice changes nothing and succeeds.
    assert!(run(&["demo"]).status.success());
    assert!(
        dir.join("portico.db").is_file(),
        "the default database file"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn operator_create_reads_the_password_from_stdin_and_prints_a_totp_secret() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("portico-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portico"))
            .args([
                "operator",
                "create",
                "--email",
                "ops@example.com",
                "--name",
                "Olive",
            ])
            .current_dir(&dir)
            .env("PORTICO_LOG", "off")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = run("short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
    let ok = run("harbour lantern keeper");
    assert!(ok.status.success(), "{ok:?}");
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(out.contains("TOTP secret: "), "{out}");
    assert!(out.contains("otpauth://totp/"), "{out}");
    let again = run("harbour lantern keeper");
    assert!(!again.status.success(), "the email is taken");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn audit_verify_reports_intact_chains_and_the_first_broken_link() {
    let dir = std::env::temp_dir().join(format!("portico-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_portico"))
            .args(args)
            .current_dir(&dir)
            .env("PORTICO_LOG", "off")
            .output()
            .unwrap()
    };
    assert!(run(&["demo"]).status.success());
    let ok = run(&["audit", "verify"]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("lakeside: "));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("chain intact"));

    // Edit one stored event behind Portico's back.
    let url = format!("sqlite://{}", dir.join("portico.db").display());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            use sea_orm::ConnectionTrait;
            let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
            db.execute_unprepared("UPDATE audit_events SET action = 'patient.list' WHERE seq = 2")
                .await
                .unwrap();
            db.close().await.unwrap();
        });
    let broken = run(&["audit", "verify"]);
    assert!(!broken.status.success());
    assert!(
        String::from_utf8_lossy(&broken.stdout).contains("lakeside: chain BROKEN at event 2"),
        "{broken:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
