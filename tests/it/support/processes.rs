//! Real processes a test runs and kills: `portico worker` and `portico serve` replicas, a
//! Redis of the test's own and an SMTP server; and a batch of outbox emails with the check
//! that each was delivered exactly once.

use std::{
    collections::HashSet,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use portico_core::{
    TenantId, TenantTx, outbox,
    ports::{Email, Job},
    tenancy::Access,
    tenants::ResolvedTenant,
};
use portico_server::config::Config;
use portico_tests::{TestApp, wait_until};
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
        wait_until("the process to exit", Duration::from_secs(60), async || {
            self.0.try_wait().expect("the process can be waited on")
        })
        .await
    }
}

/// A free loopback port (for a server the test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A free loopback address to listen on.
pub fn free_listen() -> String {
    format!("127.0.0.1:{}", free_port())
}

/// Waits for a server process to answer `/readyz`.
pub async fn wait_ready(listen: &str) {
    let client = reqwest::Client::new();
    wait_until(
        &format!("the server process on {listen} to be ready"),
        Duration::from_secs(60),
        async || {
            let res = client.get(format!("http://{listen}/readyz")).send().await?;
            res.error_for_status().map(drop)
        },
    )
    .await;
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
    relay(app, tenant.id()).await;
    tenant
}

/// Queues a relay of `tenant`'s outbox (as the every-minute sweep does).
pub async fn relay(app: &TestApp, tenant: TenantId) {
    app.services()
        .queue
        .enqueue(Job::RelayOutbox { tenant_id: tenant })
        .await
        .unwrap();
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

/// Waits until at least `count` emails are in the outbox folder, looking every 20 ms:
/// callers inject a fault once delivery is under way, and a batch can finish within a
/// longer pause.
pub async fn wait_for_files(dir: &str, count: usize) {
    portico_tests::wait_until_closely(
        &format!("{count} emails delivered"),
        Duration::from_secs(60),
        Duration::from_millis(20),
        async || {
            let delivered = delivered_files(dir).len();
            if delivered >= count {
                Ok(())
            } else {
                Err(delivered)
            }
        },
    )
    .await;
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
/// message is delivered (failing after five minutes); returns how many are left (none). A
/// relay that cannot be enqueued (the queue's backend is down) is tried again on the next
/// round.
pub async fn relay_until_delivered(app: &TestApp, tenant: &ResolvedTenant) -> usize {
    let queue = app.services().queue;
    let tenant_id = tenant.id();
    wait_until(
        "every message delivered",
        Duration::from_secs(300),
        async || {
            let _ = queue.enqueue(Job::RelayOutbox { tenant_id }).await;
            let left = undelivered(app, tenant).await;
            if left == 0 { Ok(left) } else { Err(left) }
        },
    )
    .await
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

/// Starts `redis-server` on `port` with nothing kept on disk, and waits until it answers.
pub async fn redis_server(port: u16) -> Process {
    let process = Process(
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts"),
    );
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    wait_until(
        &format!("redis-server to answer on port {port}"),
        Duration::from_secs(10),
        async || {
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await
        },
    )
    .await;
    process
}

/// An SMTP server in a child process, killed when dropped.
pub struct SmtpServer {
    child: std::process::Child,
    pub port: u16,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts aiosmtpd, or returns `None` when it is not installed here (CI installs it and
/// then requires it).
pub async fn smtp_server(maildir: &Path) -> Option<SmtpServer> {
    if !portico_tests::tool_installed(
        "aiosmtpd",
        "python3",
        &["-c", "import aiosmtpd"],
        "python3 -m pip install aiosmtpd",
    ) {
        return None;
    }
    let port = free_port();
    let child = std::process::Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
            &maildir.display().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = SmtpServer { child, port };
    wait_until("aiosmtpd to listen", Duration::from_secs(10), async || {
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await
    })
    .await;
    Some(server)
}
