//! Start-up: bind, serve, then reach the database (with backoff), migrate, pick the profile's
//! adapters, load the demo practice if asked, and start the workers. API and workers stop
//! together through one cancellation token.

use std::{
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::Duration,
};

use anyhow::Context as _;
use portico_auth::{password::Argon2Hasher, rbac::CasbinAuthorizer, tokens::JwtService};
use portico_core::{
    Db,
    mail::{OutboxMailer, OutboxSms},
    ports::{JobQueue, Mailer, PubSub, RateLimiter, Revocations, SmsSender, Throttle},
    pubsub::LocalPubSub,
    throttle::{LocalRateLimiter, LocalRevocations, LocalThrottle},
};
use portico_graphql::{Services, build_schema};
use portico_jobs::{ApalisQueue, JobContext};
use portico_migrations::{Migrator, MigratorTrait};
use portico_notify::{HttpSms, SmtpMailer};
use secrecy::ExposeSecret;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    attachment_store::ObjectStoreAttachments,
    config::Config,
    http,
    redis_pubsub::RedisPubSub,
    redis_throttle::RedisThrottle,
    state::{AppState, Runtime},
    telemetry,
};

/// What this process runs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Serve `/graphql` (the health and metrics endpoints are always served).
    pub api: bool,
    pub workers: bool,
    pub migrate: bool,
    pub demo: bool,
}

/// A started Portico: the bound address and the handle to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until start-up has reached the database and the runtime is in place.
    pub async fn ready(&self) {
        let mut rx = self.state.ready.subscribe();
        // Err only if the sender is gone, which cannot happen while `self` holds the state.
        let _ = rx.wait_for(|ready| *ready).await;
    }

    /// Stops serving and working, and waits for both to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }

    /// Waits until the process is asked to stop (or a part fails), then until in-flight
    /// requests, running jobs and open graphql-ws sessions are done.
    pub async fn wait(self) -> anyhow::Result<()> {
        for task in self.tasks {
            task.await.context("task panicked")??;
        }
        self.state.sessions.close();
        self.state.sessions.wait().await;
        Ok(())
    }
}

/// Starts Portico on `listener`. Returns at once; the database is reached in the background.
pub async fn start(
    config: Config,
    listener: TcpListener,
    options: Options,
) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    // Checked before serving: a bad mail setting stops start-up instead of being retried.
    let mailer: Arc<dyn Mailer> = match &config.notify.smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(
            url.expose_secret(),
            &config.notify.mail_from,
        )?),
        None => Arc::new(OutboxMailer::new(&config.notify.outbox_dir)),
    };
    let sms: Arc<dyn SmsSender> = match config.notify.sms_provider() {
        Some(p) => Arc::new(HttpSms::new(
            p.api_url,
            p.account_sid,
            p.auth_token,
            p.from,
        )?),
        None => Arc::new(OutboxSms::new(&config.notify.outbox_dir)),
    };
    let senders = Senders { mailer, sms };
    let config = Arc::new(config);
    let limits = config.graphql_limits();
    let state = AppState {
        config: config.clone(),
        runtime: Arc::new(OnceLock::new()),
        metrics: telemetry::metrics_handle(),
        graphiql: http::graphiql::page(options.demo).into(),
        console: http::spa::SpaFiles::new(
            http::spa::App::Console,
            config.http.console_dir.as_deref(),
        ),
        portal: http::spa::SpaFiles::new(http::spa::App::Portal, config.http.portal_dir.as_deref()),
        ready: tokio::sync::watch::channel(false).0,
        demo_totp_secret: Arc::new(OnceLock::new()),
        stopping: CancellationToken::new(),
        sessions: tokio_util::task::TaskTracker::new(),
    };
    let shutdown = state.stopping.clone();
    let app = http::router(state.clone(), options.api);
    let serve_token = shutdown.clone();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(serve_token.cancelled_owned())
        .await
        .context("HTTP server failed")
    });
    let boot_state = state.clone();
    let boot_token = shutdown.clone();
    let booter = tokio::spawn(async move {
        let Some(ctx) = boot_with_retry(&boot_state, &limits, options, &boot_token, senders).await
        else {
            return Ok(());
        };
        if options.workers {
            tracing::info!(queue = ctx.queue.backend(), "workers started");
            let grace = Duration::from_secs(boot_state.config.runtime.shutdown_grace_secs);
            portico_jobs::run_workers(ctx, boot_token, grace)
                .await
                .context("workers failed")?;
        }
        Ok(())
    });
    Ok(Running {
        addr,
        state,
        shutdown,
        tasks: vec![server, booter],
    })
}

/// Where notifications go: chosen once from the configuration.
#[derive(Clone)]
struct Senders {
    mailer: Arc<dyn Mailer>,
    sms: Arc<dyn SmsSender>,
}

/// Tries to boot until it succeeds or the process is stopped; returns `None` when stopped.
async fn boot_with_retry(
    state: &AppState,
    limits: &portico_graphql::Limits,
    options: Options,
    shutdown: &CancellationToken,
    senders: Senders,
) -> Option<JobContext> {
    let max = Duration::from_secs(state.config.database.database_retry_max_secs.max(1));
    let mut delay = Duration::from_millis(250);
    loop {
        match boot(state, limits, options, shutdown, senders.clone()).await {
            Ok(ctx) => return Some(ctx),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), retry_in_ms = delay.as_millis() as u64, "start-up incomplete; retrying");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return None,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(max);
    }
}

async fn boot(
    state: &AppState,
    limits: &portico_graphql::Limits,
    options: Options,
    shutdown: &CancellationToken,
    senders: Senders,
) -> anyhow::Result<JobContext> {
    let config = &state.config;
    if options.migrate {
        migrate(config).await?;
    }
    let db = Db::connect(
        config.database.database_url.expose_secret(),
        config.database.database_max_connections,
    )
    .await
    .context("cannot reach the database")?;
    if db.bypasses_row_security().await? {
        tracing::warn!(
            "the database role bypasses row-level security; connect as the application role \
             (portico_app) and run migrations with PORTICO_MIGRATION_DATABASE_URL"
        );
    }
    let profile = match &config.queue.redis_url {
        Some(url) => {
            let throttle = RedisThrottle::connect(url.expose_secret(), &config.queue.redis_prefix)
                .await
                .context("cannot reach Redis")?;
            Profile {
                queue: ApalisQueue::redis(url.expose_secret(), &config.queue.redis_prefix).await?,
                pubsub: Arc::new(
                    RedisPubSub::connect(url.expose_secret(), &config.queue.redis_prefix)
                        .await
                        .context("cannot reach Redis")?,
                ),
                throttle: Arc::new(throttle.clone()),
                revocations: Arc::new(throttle.clone()),
                rate_limiter: Arc::new(throttle),
            }
        }
        None => Profile {
            queue: ApalisQueue::sqlite(config.database.database_url.expose_secret()).await?,
            pubsub: Arc::new(LocalPubSub::default()),
            throttle: Arc::new(LocalThrottle::default()),
            revocations: Arc::new(LocalRevocations::default()),
            rate_limiter: Arc::new(LocalRateLimiter::default()),
        },
    };
    let queue = profile.queue.clone();
    let passwords =
        Argon2Hasher::new(config.auth.argon2_params(), config.auth.password_min_length)?;
    let sealer: Arc<dyn portico_core::ports::SecretSealer> = Arc::new(secrets_sealer(config)?);
    let tokens = JwtService::load(
        db.clone(),
        config.sessions.jwt_issuer.clone(),
        Duration::from_secs(config.sessions.access_token_ttl_secs),
        Arc::clone(&sealer),
    )
    .await?;
    if options.demo {
        let demo = portico_core::demo::load(&db, &passwords).await?;
        tracing::info!(slug = %demo.tenant.tenant.slug, "demo practice loaded");
        let _ = state.demo_totp_secret.set(demo.admin_totp_secret);
    }
    let tokens = Arc::new(tokens);
    spawn_key_reload(Arc::clone(&tokens), shutdown.clone());
    let authorizer = CasbinAuthorizer::new().await?;
    let attachments = attachment_store(config)?;
    let ehr: Arc<dyn portico_core::ehr::gateway::EhrConnector> = Arc::new(config.ehr.connector());
    let billing = billing(config)?;
    let webhooks: Arc<dyn portico_core::ports::WebhookSender> =
        Arc::new(portico_notify::HttpWebhooks::new(
            config.notify.webhooks_allow_loopback_http,
            Duration::from_secs(config.notify.webhook_timeout_secs),
        )?);
    let services = Services {
        webhooks: Arc::clone(&webhooks),
        billing: billing.clone(),
        ehr: Arc::clone(&ehr),
        sealer: Arc::clone(&sealer),
        db: db.clone(),
        queue: Arc::new(queue.clone()),
        pubsub: profile.pubsub,
        base_domain: config.http.base_domain.clone(),
        passwords: Arc::new(passwords),
        passkeys: Arc::new(portico_auth::passkeys::WebauthnCeremonies),
        tokens,
        throttle: profile.throttle,
        revocations: profile.revocations,
        authorizer: Arc::new(authorizer),
        sessions: config.sessions.settings(),
        mailer: Arc::clone(&senders.mailer),
        public_url: config.http.public_url.clone(),
        invitation_ttl: Duration::from_secs(config.auth.invitation_ttl_hours * 3600),
        activation_ttl: Duration::from_secs(config.auth.activation_ttl_hours * 3600),
        password_reset_ttl: Duration::from_secs(config.auth.password_reset_ttl_minutes * 60),
        rate_limiter: profile.rate_limiter,
        api_key_rate_per_minute: config.auth.api_key_rate_per_minute,
        activation_limits: config.auth.activation_limits(),
        break_glass_ttl: Duration::from_secs(config.auth.break_glass_minutes * 60),
        attachments: Arc::clone(&attachments),
        attachment_link_ttl: Duration::from_secs(config.attachments.attachment_link_secs),
    };
    spawn_policy_listener(&services, shutdown.clone()).await?;
    let stop = shutdown.clone();
    db.caches()
        .listen(Arc::clone(&services.pubsub), async move {
            stop.cancelled().await;
        });
    let schema = build_schema(Some(services.clone()), limits);
    // Only one boot ever succeeds, so the runtime is never set twice.
    let _ = state.runtime.set(Runtime { services, schema });
    state.ready.send_replace(true);
    tracing::info!(
        database = ?db.engine(),
        queue = queue.backend(),
        "ready"
    );
    Ok(JobContext {
        db,
        queue,
        mailer: senders.mailer,
        sms: senders.sms,
        public_url: config.http.public_url.clone(),
        attachments,
        ehr,
        sealer,
        billing,
        webhooks,
        claim: chrono::Duration::seconds(
            i64::try_from(config.queue.outbox_claim_secs.clamp(1, 3600)).unwrap_or(3600),
        ),
    })
}

/// Billing through Stripe when a key is set.
fn billing(config: &Config) -> anyhow::Result<Option<portico_core::billing::Billing>> {
    let Some(key) = &config.billing.stripe_secret_key else {
        return Ok(None);
    };
    let settings = config.billing.settings();
    let gateway = portico_billing::StripeBilling::new(&portico_billing::StripeSettings {
        secret_key: key.expose_secret().to_owned(),
        api_base: Some(config.billing.stripe_api_base.clone()),
        meter_event_name: settings.meter_event_name.clone(),
    })?;
    Ok(Some(portico_core::billing::Billing {
        gateway: Arc::new(gateway),
        settings,
    }))
}

/// The sealer of secrets at rest: the configured key, or in development a key kept in a
/// file made on first start (so `make run` needs no setup and restarts keep the secrets).
pub fn secrets_sealer(config: &Config) -> anyhow::Result<portico_auth::sealing::Sealer> {
    use portico_auth::sealing::Sealer;
    use secrecy::ExposeSecret;
    if let Some(key) = &config.secrets.secrets_key {
        return Sealer::from_base64(key.expose_secret()).map_err(anyhow::Error::msg);
    }
    let path = std::path::Path::new(&config.secrets.secrets_key_file);
    let key = match std::fs::read_to_string(path) {
        Ok(key) => key,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Sealer::generate_key();
            match write_private(path, &key) {
                Ok(()) => {
                    tracing::info!(file = %path.display(), "made a development secrets key");
                    key
                }
                // Another process started at the same moment made it first.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    std::fs::read_to_string(path)?
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => return Err(e.into()),
    };
    Sealer::from_base64(&key).map_err(anyhow::Error::msg)
}

/// Writes a file only its owner may read.
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

/// Picks up signing keys rotated elsewhere, so every instance signs with the newest key.
fn spawn_key_reload(tokens: Arc<JwtService>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        every.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = every.tick() => {
                    if let Err(e) = tokens.reload().await {
                        tracing::warn!(error = %portico_core::error::chain(&e), "reloading signing keys failed");
                    }
                }
            }
        }
    });
}

/// Forgets a tenant's cached policies when any instance changes them. If the subscription
/// drops (Redis restarted), every cached tenant is forgotten, since notices may have been
/// missed, and the subscription is made again with backoff.
async fn spawn_policy_listener(
    services: &Services,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    use futures::StreamExt;
    let pubsub = Arc::clone(&services.pubsub);
    let mut changes = pubsub
        .subscribe(portico_graphql::POLICY_CHANGED_TOPIC)
        .await?;
    let authorizer = Arc::clone(&services.authorizer);
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(250);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                next = changes.next() => match next {
                    Some(payload) => {
                        let tenant = std::str::from_utf8(&payload)
                            .ok()
                            .and_then(|s| s.parse::<portico_core::TenantId>().ok());
                        if let Some(tenant) = tenant {
                            authorizer.forget_tenant(tenant).await;
                        }
                    }
                    None => {
                        tracing::warn!("policy change subscription ended; resubscribing");
                        authorizer.forget_all().await;
                        loop {
                            tokio::select! {
                                () = shutdown.cancelled() => return,
                                () = tokio::time::sleep(delay) => {}
                            }
                            match pubsub.subscribe(portico_graphql::POLICY_CHANGED_TOPIC).await {
                                Ok(stream) => {
                                    changes = stream;
                                    authorizer.forget_all().await;
                                    delay = Duration::from_millis(250);
                                    break;
                                }
                                Err(e) => {
                                    tracing::warn!(error = %portico_core::error::chain(&e), "resubscribing failed");
                                    delay = (delay * 2).min(Duration::from_secs(30));
                                }
                            }
                        }
                    }
                },
            }
        }
    });
    Ok(())
}

/// The adapters that differ between the embedded and the production profile.
struct Profile {
    queue: ApalisQueue,
    pubsub: Arc<dyn PubSub>,
    throttle: Arc<dyn Throttle>,
    revocations: Arc<dyn Revocations>,
    rate_limiter: Arc<dyn RateLimiter>,
}

/// Runs pending migrations as the owner role.
/// The attachment store the configuration names: an S3-compatible bucket, else a folder.
pub fn attachment_store(
    config: &Config,
) -> anyhow::Result<Arc<dyn portico_core::ports::AttachmentStore>> {
    Ok(match config.attachments.s3() {
        Some(s3) => Arc::new(ObjectStoreAttachments::s3(&s3)?),
        None => Arc::new(ObjectStoreAttachments::local(
            &config.attachments.attachments_dir,
        )?),
    })
}

pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    use sea_orm::ConnectionTrait as _;
    let url = config.database.migration_url().expose_secret();
    let mut opts = sea_orm::ConnectOptions::new(url.to_owned());
    opts.max_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // WAL (as the server runs it) with `synchronous = NORMAL` for the migrations only: a
        // migration is still all or nothing, and one lost to a power cut is simply run again
        // (it is not recorded as applied); with `FULL` every DDL statement waited on the disk
        // and a fresh database took seconds to make.
        opts.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
        });
    }
    // Instances that start together (replicas, a rollout's Jobs) migrate one at a time: the
    // others wait, then find nothing pending. Without this, two would create the same table.
    let _file_lock = match sqlite_file(url) {
        Some(path) => Some(lock_file(path).await?),
        None => None,
    };
    let conn = sea_orm::Database::connect(opts)
        .await
        .context("cannot reach the database to migrate")?;
    let postgres = conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    if postgres {
        // A session lock on the pool's one connection, which the migrations also use.
        conn.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .await
            .context("cannot take the migration lock")?;
    }
    let migrated = Migrator::up(&conn, None).await.context("migration failed");
    if postgres && migrated.is_ok() {
        conn.execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .await
            .context("cannot release the migration lock")?;
    }
    // Closing the connection releases the lock in any case.
    conn.close().await?;
    migrated
}

/// The advisory-lock key migrations hold on PostgreSQL ("portico" in ASCII).
const MIGRATION_LOCK: i64 = 0x0070_6f72_7469_636f;

/// The database file of a SQLite URL (`sqlite://FILE?options`); `None` for PostgreSQL and an
/// in-memory database.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(':')).then(|| path.into())
}

/// An exclusive lock on `{database}.migrate-lock`, held until the returned file is dropped.
async fn lock_file(database: std::path::PathBuf) -> anyhow::Result<std::fs::File> {
    let mut name = database.into_os_string();
    name.push(".migrate-lock");
    let path = std::path::PathBuf::from(name);
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(file)
    })
    .await
    .context("the migration lock task failed")?
}
