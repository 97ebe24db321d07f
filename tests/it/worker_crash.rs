//! A worker process killed with SIGKILL in the middle of a batch of 1,000 reminders, then
//! started again: every reminder is delivered, and each exactly once (a message a dead worker
//! had claimed goes out again under the same message id, so it is the same email).

use std::{
    collections::HashSet,
    process::{Child, Command, Stdio},
    time::Duration,
};

use portico_core::{
    TenantTx, outbox,
    ports::{Email, Job},
    tenancy::Access,
};
use portico_server::config::Config;
use portico_tests::{TestDatabase, start};
use secrecy::ExposeSecret;

const MESSAGES: usize = 1000;

/// A `portico worker` process on the test's database, queue and outbox folder.
fn worker(config: &Config) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico-under-test"));
    cmd.arg("worker")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORTICO_LISTEN", "127.0.0.1:0")
        .env("PORTICO_DATABASE_URL", config.database_url.expose_secret())
        .env("PORTICO_OUTBOX_DIR", &config.outbox_dir)
        .env(
            "PORTICO_OUTBOX_CLAIM_SECS",
            config.outbox_claim_secs.to_string(),
        )
        .env("PORTICO_REDIS_PREFIX", &config.redis_prefix)
        .env(
            "PORTICO_LOG",
            std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .stdout(log())
        .stderr(Stdio::null());
    if let Some(url) = &config.migration_database_url {
        cmd.env("PORTICO_MIGRATION_DATABASE_URL", url.expose_secret());
    }
    if let Some(url) = &config.redis_url {
        cmd.env("PORTICO_REDIS_URL", url.expose_secret());
    }
    cmd.spawn().expect("the worker starts")
}

/// Where a worker's log goes: a file under the system's temp folder when `TEST_LOG` is set.
fn log() -> Stdio {
    if std::env::var("TEST_LOG").is_err() {
        return Stdio::null();
    }
    let path = std::env::temp_dir().join(format!("portico-worker-{}.log", uuid::Uuid::now_v7()));
    std::fs::File::create(path).map_or_else(|_| Stdio::null(), Stdio::from)
}

fn delivered_files(dir: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".eml"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_worker_killed_mid_batch_and_restarted_delivers_every_reminder_once() {
    let database = TestDatabase::create().await;
    let mut config = database.config();
    config.outbox_claim_secs = 2;
    // This process serves only; the workers are separate processes.
    let app = start(config.clone(), database, false).await;
    app.ready().await;
    let tenant = app.create_tenant("crash").await;
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    for i in 0..MESSAGES {
        let email = Email {
            to: format!("patient{i}@crash.example"),
            subject: "A reminder from Crash Clinic".to_owned(),
            text: "You have an upcoming appointment. Sign in for the details.".to_owned(),
            html: None,
            message_id: None,
        };
        outbox::email(&tx, &format!("reminder:{i}"), &email)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let queue = app.services().queue;
    let tenant_id = tenant.id();
    queue.enqueue(Job::RelayOutbox { tenant_id }).await.unwrap();

    // Kill the first worker once part of the batch is out.
    let mut first = worker(&config);
    let mut waited = 0;
    while delivered_files(&config.outbox_dir).len() < MESSAGES / 5 {
        assert!(waited < 600, "the first worker delivered nothing");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let at_kill = delivered_files(&config.outbox_dir).len();
    assert!(at_kill < MESSAGES, "killed too late to test anything");

    // A new worker finishes the batch; claims the dead worker held lapse and are relayed again.
    let mut second = worker(&config);
    let mut undelivered = usize::MAX;
    for _ in 0..600 {
        queue.enqueue(Job::RelayOutbox { tenant_id }).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Read)
            .await
            .unwrap();
        undelivered = outbox::all(&tx)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.delivered_at.is_none())
            .count();
        tx.rollback().await.unwrap();
        if undelivered == 0 {
            break;
        }
    }
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(undelivered, 0, "messages left undelivered");

    // Exactly one email per reminder: one file per message id, one message per recipient.
    let files = delivered_files(&config.outbox_dir);
    assert_eq!(files.len(), MESSAGES, "at kill: {at_kill}");
    let recipients: HashSet<String> = files
        .iter()
        .map(|f| {
            let text =
                std::fs::read_to_string(std::path::Path::new(&config.outbox_dir).join(f)).unwrap();
            text.lines().next().unwrap().to_owned()
        })
        .collect();
    assert_eq!(recipients.len(), MESSAGES);
}
