//! The command line: `serve`, `worker`, `migrate`, `export-schema`, `demo`, and the
//! operator's commands (`operator`, `audit`, `keys`, `export tenant`, `import tenant`).

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::{Config, Options, boot, telemetry};

#[derive(Parser)]
#[command(
    name = "portico",
    version,
    about = "Portico: patient portals for medical practices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and run the workers in this process unless --no-workers).
    Serve {
        /// Address to listen on [env: PORTICO_LISTEN, default 127.0.0.1:8080]
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Do not run background workers in this process.
        #[arg(long)]
        no_workers: bool,
        /// Do not run pending migrations at start-up.
        #[arg(long)]
        no_migrate: bool,
        /// Load the demo practice (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Run the background workers only (health and metrics are still served).
    Worker {
        /// Address for /healthz, /readyz and /metrics [env: PORTICO_LISTEN]
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Run pending migrations (as PORTICO_MIGRATION_DATABASE_URL when set) and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    ExportSchema {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Migrate and load the demo practice, then exit.
    Demo,
    /// Manage platform operators (users of the platform tenant).
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Check the audit logs.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage the keys that sign access tokens.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Write a practice's whole data set to a folder (portability, off-boarding).
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Restore a practice from an export into this deployment.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

impl Command {
    fn runs_workers_or_api(&self) -> bool {
        matches!(self, Self::Serve { .. } | Self::Worker { .. })
    }
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create an operator; the password is read from standard input (one line). Prints the
    /// TOTP secret to add to an authenticator app: operators always use two-step sign-in.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk every practice's hash chain; exits with 1 naming the first broken link.
    Verify,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Every row of the practice's tables, its attachments, its charts as FHIR R4 NDJSON and
    /// its audit log, with a manifest of checksums. The folder holds PHI and credentials: it
    /// is made 0700, its files 0600.
    Tenant {
        /// The practice's slug.
        #[arg(long)]
        slug: String,
        /// A new or empty folder to write into.
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Restore an export made by `portico export tenant` at the same schema version, into a
    /// deployment without that practice; all or nothing, then the audit chain is verified.
    Tenant {
        /// The export's folder.
        #[arg(long)]
        input: PathBuf,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new signing key; older keys keep verifying until pruned.
    Rotate,
    /// Delete keys retired more than a day ago (every token they signed has expired).
    Prune,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::ExportSchema { output } = &cli.command {
        let sdl = portico_graphql::sdl();
        return match output {
            Some(path) => match std::fs::write(path, sdl) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    ExitCode::FAILURE
                }
            },
            None => {
                print!("{sdl}");
                ExitCode::SUCCESS
            }
        };
    }
    let mut config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Serve {
        listen: Some(l), ..
    }
    | Command::Worker { listen: Some(l) } = &cli.command
    {
        config.http.listen = *l;
    }
    // Only the API and the workers use the queue and pub/sub: the other commands work on
    // PostgreSQL without a Redis URL.
    let checked = if cli.command.runs_workers_or_api() {
        config.validate()
    } else {
        config.validate_without_queue()
    };
    if let Err(e) = checked {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    telemetry::init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config, cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            no_workers,
            no_migrate,
            demo,
            ..
        } => {
            let options = Options {
                api: true,
                workers: !no_workers,
                migrate: !no_migrate,
                demo,
            };
            serve(config, options).await
        }
        Command::Worker { .. } => {
            let options = Options {
                api: false,
                workers: true,
                migrate: false,
                demo: false,
            };
            serve(config, options).await
        }
        Command::Migrate => {
            boot::migrate(&config).await?;
            println!("migrations are up to date");
            Ok(())
        }
        Command::Demo => {
            boot::migrate(&config).await?;
            let db = portico_core::Db::connect(
                secrecy::ExposeSecret::expose_secret(&config.database.database_url),
                2,
            )
            .await
            .context("cannot reach the database")?;
            let passwords = portico_auth::password::Argon2Hasher::new(
                config.auth.argon2_params(),
                config.auth.password_min_length,
            )?;
            let demo = portico_core::demo::load(&db, &passwords).await?;
            println!("demo practice '{}' is loaded", demo.tenant.tenant.slug);
            Ok(())
        }
        Command::Operator {
            command: OperatorCommand::Create { email, name },
        } => {
            boot::migrate(&config).await?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let db = portico_core::Db::connect(
                secrecy::ExposeSecret::expose_secret(&config.database.database_url),
                2,
            )
            .await
            .context("cannot reach the database")?;
            let (secret, uri) = create_operator(&db, &config, &email, &name, password).await?;
            println!("operator {email} created at the platform tenant ('platform').");
            println!("TOTP secret: {secret}");
            println!("otpauth URI: {uri}");
            println!("Sign in with X-Portico-Tenant: platform.");
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = portico_core::Db::connect(
                secrecy::ExposeSecret::expose_secret(&config.database.database_url),
                2,
            )
            .await
            .context("cannot reach the database")?;
            let mut broken = 0;
            for id in portico_core::tenants::list_ids(&db).await? {
                let Some(tenant) = portico_core::tenants::find_by_id(&db, id).await? else {
                    continue;
                };
                let tx = portico_core::TenantTx::begin(
                    &db,
                    &tenant.scope(),
                    portico_core::tenancy::Access::Write,
                )
                .await?;
                let report = portico_core::audit::verify_chain(&tx).await?;
                tx.commit().await?;
                match report.first_broken_seq {
                    None => println!(
                        "{}: {} events, chain intact",
                        tenant.tenant.slug, report.events
                    ),
                    Some(seq) => {
                        broken += 1;
                        println!("{}: chain BROKEN at event {seq}", tenant.tenant.slug);
                    }
                }
            }
            if broken > 0 {
                anyhow::bail!("{broken} audit chain(s) broken");
            }
            Ok(())
        }
        Command::Keys { command } => {
            let db = portico_core::Db::connect(
                secrecy::ExposeSecret::expose_secret(&config.database.database_url),
                2,
            )
            .await
            .context("cannot reach the database")?;
            match command {
                KeysCommand::Rotate => {
                    let sealer = boot::secrets_sealer(&config)?;
                    let kid = portico_auth::tokens::JwtService::rotate(&db, &sealer).await?;
                    println!(
                        "new signing key {kid}; running instances sign with it within a minute"
                    );
                }
                KeysCommand::Prune => {
                    let cutoff = chrono::Utc::now() - chrono::Duration::days(1);
                    let n = portico_core::signing_keys::prune(&db, cutoff).await?;
                    println!("{n} retired key(s) deleted");
                }
            }
            Ok(())
        }
        Command::Export {
            command: ExportCommand::Tenant { slug, output },
        } => {
            let schema = schema_version(&config).await?;
            let db = portico_core::Db::connect(
                secrecy::ExposeSecret::expose_secret(&config.database.database_url),
                2,
            )
            .await
            .context("cannot reach the database")?;
            let store = boot::attachment_store(&config)?;
            let report =
                portico_core::portability::export(&db, store.as_ref(), &slug, &output, &schema)
                    .await?;
            let rows: u64 = report.tables.iter().map(|(_, n)| n).sum();
            let resources: u64 = report.fhir.iter().map(|(_, n)| n).sum();
            println!(
                "practice '{}' exported to {}: {rows} rows in {} tables, {} attachments, {resources} FHIR resources, {} audit events",
                report.practice.slug,
                output.display(),
                report.tables.len(),
                report.attachments,
                report.audit_events,
            );
            for (kind, n) in &report.fhir {
                println!("  fhir/{kind}.ndjson: {n}");
            }
            println!(
                "The folder holds PHI and sealed credentials: keep it like a database backup."
            );
            Ok(())
        }
        Command::Import {
            command: ImportCommand::Tenant { input },
        } => {
            // The export is checked before any database is reached.
            let export = portico_core::portability::open(&input, newest_migration())?;
            schema_version(&config).await?;
            let db = portico_core::Db::connect(
                secrecy::ExposeSecret::expose_secret(&config.database.database_url),
                2,
            )
            .await
            .context("cannot reach the database")?;
            let store = boot::attachment_store(&config)?;
            let report = portico_core::portability::import(&db, store.as_ref(), &export).await?;
            println!(
                "practice '{}' ({}) restored from {}:",
                report.practice.slug,
                report.practice.name,
                input.display()
            );
            for (table, n) in report.tables.iter().filter(|(_, n)| *n > 0) {
                println!("  {table}: {n}");
            }
            println!("  attachments: {}", report.attachments);
            println!("audit chain intact: {} events", report.audit_events);
            Ok(())
        }
        Command::ExportSchema { .. } => Ok(()),
    }
}

/// The name of this release's newest migration: the schema version an export records.
fn newest_migration() -> &'static str {
    use portico_migrations::MigratorTrait as _;
    static NEWEST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NEWEST.get_or_init(|| {
        portico_migrations::Migrator::migrations()
            .last()
            .map(|m| m.name().to_owned())
            .unwrap_or_default()
    })
}

/// The database's schema version, which must be this release's: refused when a migration is
/// pending (run `portico migrate`) or the database is newer than this binary. Read as the
/// migration role (PORTICO_MIGRATION_DATABASE_URL when set), which may read the migrations
/// table; nothing is written.
async fn schema_version(config: &Config) -> anyhow::Result<String> {
    use portico_migrations::MigratorTrait as _;
    let url = config.database.migration_url();
    let mut opts =
        sea_orm::ConnectOptions::new(secrecy::ExposeSecret::expose_secret(url).to_owned());
    opts.max_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    let conn = sea_orm::Database::connect(opts)
        .await
        .context("cannot reach the database to read its schema version")?;
    let pending = portico_migrations::Migrator::get_pending_migrations_read_only(&conn)
        .await
        .context("cannot read the database's schema version")?;
    conn.close().await?;
    anyhow::ensure!(
        pending.is_empty(),
        "the database is {} migration(s) behind this portico: run `portico migrate` first",
        pending.len()
    );
    Ok(newest_migration().to_owned())
}

/// Creates an operator at the platform tenant with TOTP enrolled; returns the TOTP secret
/// and its `otpauth://` URI.
pub async fn create_operator(
    db: &portico_core::Db,
    config: &Config,
    email: &str,
    name: &str,
    password: &str,
) -> anyhow::Result<(String, String)> {
    use portico_core::{accounts, identity::Role, ports::Credentials, tenancy::Access};
    let hasher = portico_auth::password::Argon2Hasher::new(
        config.auth.argon2_params(),
        config.auth.password_min_length,
    )?;
    let email = accounts::normalize_email(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    hasher
        .check_policy(password, &[&email, name])
        .map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let platform = portico_core::tenants::platform(db).await?;
    let tx = portico_core::TenantTx::begin(db, &platform.scope(), Access::Write).await?;
    let user = accounts::insert_user(
        &tx,
        &email,
        name,
        Role::Operator,
        Some(hasher.hash(password)?),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let secret = hasher.new_totp_secret();
    accounts::set_totp(&tx, &user, &secret).await?;
    portico_core::audit::record(
        &tx,
        &portico_core::audit::Actor::system(),
        portico_core::audit::Access {
            action: "operator.create",
            resource_type: "User",
            resource_id: Some(user.id),
            patient_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    let uri = hasher.totp_uri(&secret, &email).unwrap_or_default();
    Ok((secret, uri))
}

async fn serve(config: Config, options: Options) -> anyhow::Result<()> {
    let listen = config.http.listen;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (PORTICO_LISTEN)"))?;
    let running = boot::start(config, listener, options).await?;
    let addr = running.addr;
    let token = running.shutdown_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping");
        token.cancel();
    });
    println!("Portico is starting on http://{addr} (waiting for the database)...");
    let stopped = running.shutdown_token();
    tokio::select! {
        () = running.ready() => print_banner(
            addr,
            options,
            running.state.demo_totp_secret.get().map(String::as_str),
        ),
        () = stopped.cancelled() => {}
    }
    let grace = Duration::from_secs(running.state.config.runtime.shutdown_grace_secs);
    let drained = running.wait();
    tokio::pin!(drained);
    tokio::select! {
        result = &mut drained => result,
        () = async { stopped.cancelled().await; tokio::time::sleep(grace).await } => {
            // What is cut off here is not lost: a request without an answer was not
            // acknowledged, and jobs and outbox messages go back to the queue.
            tracing::warn!(grace_secs = grace.as_secs(), "stopping before everything finished");
            Ok(())
        }
    }
}

fn print_banner(addr: std::net::SocketAddr, options: Options, demo_totp: Option<&str>) {
    use portico_core::demo;
    let port = addr.port();
    println!();
    println!("Portico is ready.");
    println!("  API        http://{addr}/graphql");
    if options.api {
        println!("  GraphiQL   http://{addr}/graphiql");
        println!("  Console    http://localhost:{port}/console/");
    }
    println!("  Health     http://{addr}/healthz  http://{addr}/readyz  http://{addr}/metrics");
    if let Some(secret) = demo_totp.filter(|_| options.demo) {
        let slug = demo::DEMO_SLUG;
        let password = demo::DEMO_PASSWORD;
        println!();
        println!("Demo practice: Lakeside Family Medicine (slug '{slug}')");
        println!("  Patient portal   http://localhost:{port}/t/{slug}/");
        println!(
            "                   (or http://{slug}.localhost:{port}/, the practice's own host)"
        );
        println!("  GraphiQL for it  http://{slug}.localhost:{port}/graphiql");
        println!("                   (or the page above: it sends X-Portico-Tenant: {slug})");
        println!("  Patient          {} / {password}", demo::PATIENT_EMAIL);
        println!("  Practice admin   {} / {password}", demo::ADMIN_EMAIL);
        println!("                   two-step code: TOTP secret {secret}");
        println!(
            "                   (add it to an authenticator app, or: oathtool --totp -b {secret})"
        );
        println!(
            "  Sign in          mutation {{ signIn(input: {{ email: \"{}\",",
            demo::PATIENT_EMAIL
        );
        println!(
            "                     password: \"{password}\" }}) {{ session {{ accessToken }} }} }}"
        );
        println!(
            "                   then send Authorization: Bearer <accessToken> and try {{ me {{ charts {{ patient {{ givenName }} }} }} }}"
        );
        println!("  Emails           written to ./outbox/");
        println!();
        println!("Console logins: http://localhost:{port}/console/ (password {password})");
        println!(
            "  practice '{slug}'     {} (practice admin)",
            demo::ADMIN_EMAIL
        );
        println!(
            "  practice '{slug}'     {} (front desk)",
            demo::FRONT_DESK_EMAIL
        );
        println!(
            "  practice '{}'     {} (platform operator)",
            portico_core::tenants::PLATFORM_SLUG,
            demo::OPERATOR_EMAIL
        );
        println!("  two-step code for all three: TOTP secret {secret}");
    }
    println!();
    println!("Press Ctrl-C to stop.");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
