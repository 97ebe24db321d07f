//! Helpers for tests that run `portico worker` as a real process (and kill it, or the Redis
//! it works on): starting one, writing a batch of outbox emails, and checking that each was
//! delivered exactly once.

use std::{
    collections::HashSet,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use portico_core::{
    TenantTx, outbox,
    ports::{Email, Job},
    tenancy::Access,
    tenants::ResolvedTenant,
};
use portico_server::config::Config;
use portico_tests::TestApp;
use secrecy::ExposeSecret;

/// A child process, killed (SIGKILL) when dropped, so a failing test leaves none behind.
pub struct Process(pub Child);

impl Process {
    /// SIGKILL, and wait for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(None))
    }

    /// SIGTERM: what an orchestrator sends to stop a process gracefully.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM was delivered");
    }

    /// Waits for the process to exit, up to a minute; its exit status.
    pub async fn exited(&mut self) -> std::process::ExitStatus {
        for _ in 0..600 {
            if let Some(status) = self.0.try_wait().expect("the process can be waited on") {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the process did not exit within a minute of being asked to");
    }
}

/// A free loopback address to listen on.
pub fn free_listen() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    format!("127.0.0.1:{port}")
}

/// Waits for a server process to answer `/readyz`.
pub async fn wait_ready(listen: &str) {
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(res) = client.get(format!("http://{listen}/readyz")).send().await
            && res.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server process never became ready");
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `portico worker` process on `config`'s database, queue and outbox folder.
pub fn worker(config: &Config) -> Process {
    worker_on(config, "127.0.0.1:0")
}

/// A `portico worker` process whose `/readyz` answers on `listen`.
pub fn worker_on(config: &Config, listen: &str) -> Process {
    process(config, &["worker"], listen)
}

/// A `portico serve --no-workers` process (another replica of the API) on `config`'s
/// database and Redis, listening on `listen`.
pub fn server(config: &Config, listen: &str) -> Process {
    process(config, &["serve", "--no-workers", "--no-migrate"], listen)
}

fn process(config: &Config, args: &[&str], listen: &str) -> Process {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico-under-test"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORTICO_LISTEN", listen)
        .env(
            "PORTICO_DATABASE_URL",
            config.database.database_url.expose_secret(),
        )
        .env("PORTICO_OUTBOX_DIR", &config.notify.outbox_dir)
        .env(
            "PORTICO_ATTACHMENTS_DIR",
            &config.attachments.attachments_dir,
        )
        .env("PORTICO_SECRETS_KEY_FILE", &config.secrets.secrets_key_file)
        .env(
            "PORTICO_OUTBOX_CLAIM_SECS",
            config.queue.outbox_claim_secs.to_string(),
        )
        .env("PORTICO_REDIS_PREFIX", &config.queue.redis_prefix)
        .env(
            "PORTICO_LOG",
            std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .stdout(log())
        .stderr(Stdio::null());
    if let Some(key) = &config.secrets.secrets_key {
        cmd.env("PORTICO_SECRETS_KEY", key.expose_secret());
    }
    if let Some(url) = &config.database.migration_database_url {
        cmd.env("PORTICO_MIGRATION_DATABASE_URL", url.expose_secret());
    }
    if let Some(url) = &config.queue.redis_url {
        cmd.env("PORTICO_REDIS_URL", url.expose_secret());
    }
    if let Some(url) = &config.notify.smtp_url {
        cmd.env("PORTICO_SMTP_URL", url.expose_secret());
    }
    if config.ehr.ehr_allow_loopback_http {
        cmd.env("PORTICO_EHR_ALLOW_LOOPBACK_HTTP", "true");
    }
    Process(cmd.spawn().expect("the process starts"))
}

/// Where a worker's log goes: a file under the system's temp folder when `TEST_LOG` is set.
fn log() -> Stdio {
    if std::env::var("TEST_LOG").is_err() {
        return Stdio::null();
    }
    let path = std::env::temp_dir().join(format!("portico-worker-{}.log", uuid::Uuid::now_v7()));
    std::fs::File::create(path).map_or_else(|_| Stdio::null(), Stdio::from)
}

/// A new practice `slug` with `count` reminder-like emails in its outbox (written in one
/// transaction, each to its own address) and a relay of them queued.
pub async fn batch_of_emails(app: &TestApp, slug: &str, count: usize) -> ResolvedTenant {
    let tenant = app.create_tenant(slug).await;
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Write)
        .await
        .unwrap();
    for i in 0..count {
        let email = Email {
            to: format!("patient{i}@{}.example", tenant.tenant.slug),
            subject: "A reminder from your practice".to_owned(),
            text: "You have an upcoming appointment. Sign in for the details.".to_owned(),
            html: None,
            message_id: None,
        };
        outbox::email(&tx, &format!("reminder:{i}"), &email)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    app.services()
        .queue
        .enqueue(Job::RelayOutbox {
            tenant_id: tenant.id(),
        })
        .await
        .unwrap();
    tenant
}

/// The `.eml` files in the outbox folder.
pub fn delivered_files(dir: &str) -> Vec<String> {
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

/// Waits until at least `count` emails are in the outbox folder.
pub async fn wait_for_files(dir: &str, count: usize) {
    for _ in 0..1200 {
        if delivered_files(dir).len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} emails were delivered within a minute");
}

/// `tenant`'s outbox messages not yet delivered.
pub async fn undelivered(app: &TestApp, tenant: &ResolvedTenant) -> usize {
    let tx = TenantTx::begin(&app.db(), &tenant.scope(), Access::Read)
        .await
        .unwrap();
    let count = outbox::all(&tx)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.delivered_at.is_none())
        .count();
    tx.rollback().await.unwrap();
    count
}

/// Relays `tenant`'s outbox again and again, as the every-minute sweep would, until every
/// message is delivered (or five minutes pass); returns how many are left. A relay that
/// cannot be enqueued (the queue's backend is down) is tried again on the next round.
pub async fn relay_until_delivered(app: &TestApp, tenant: &ResolvedTenant) -> usize {
    let queue = app.services().queue;
    let tenant_id = tenant.id();
    let mut left = usize::MAX;
    for _ in 0..1500 {
        let _ = queue.enqueue(Job::RelayOutbox { tenant_id }).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        left = undelivered(app, tenant).await;
        if left == 0 {
            break;
        }
    }
    left
}

/// Exactly one email per message: one file per message id, one message per recipient.
pub fn assert_each_delivered_once(dir: &str, count: usize) {
    let files = delivered_files(dir);
    assert_eq!(files.len(), count, "one file per message");
    let recipients: HashSet<String> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(Path::new(dir).join(f)).unwrap();
            text.lines().next().unwrap().to_owned()
        })
        .collect();
    assert_eq!(recipients.len(), count, "one message per recipient");
}
