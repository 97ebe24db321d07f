//! Bulk seeding with set-based SQL (`bench/scale/seed.sql`, and `reminders.sql` for due
//! reminders): a hundred thousand charts take seconds, where the API would take an hour of
//! argon2 and audit writes.

use std::time::Instant;

use anyhow::Context;
use portico_core::ports::Credentials;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// The password of every seeded patient.
pub const PASSWORD: &str = "bench patient password";

#[derive(clap::Args)]
pub struct Args {
    /// The owner role's URL (it bypasses row-level security).
    #[arg(long, env = "PORTICO_BENCH_OWNER_URL")]
    database_url: String,
    #[arg(long, default_value_t = 1000)]
    tenants: u32,
    /// Patients per practice.
    #[arg(long, default_value_t = 100)]
    patients: u32,
    /// Also give every booked visit a pending reminder that is already due
    /// (`bench/scale/reminders.sql`, for `scripts/bench-reminders`).
    #[arg(long)]
    due_reminders: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let hasher = portico_auth::password::Argon2Hasher::new(
        portico_auth::password::Argon2Params::default(),
        12,
    )
    .context("argon2 parameters")?;
    let hash = hasher
        .hash(PASSWORD)
        .context("hashing the bench password")?;
    let sql = include_str!("../../../bench/scale/seed.sql")
        .replace("{tenants}", &args.tenants.to_string())
        .replace("{patients}", &args.patients.to_string())
        .replace("{hash}", &hash.replace('\'', "''"));
    let db = Database::connect(&args.database_url).await?;
    let started = Instant::now();
    execute_script(&db, &sql).await?;
    if args.due_reminders {
        execute_script(&db, include_str!("../../../bench/scale/reminders.sql")).await?;
    }
    let charts = u64::from(args.tenants) * u64::from(args.patients);
    println!(
        "seeded {} practices, {charts} patients with 2 appointments, 1 visit, 6 results, \
         2 prescriptions and 2 immunizations each ({} chart rows){} in {:.1}s",
        args.tenants,
        charts * 13,
        if args.due_reminders {
            ", and a due reminder per booked visit"
        } else {
            ""
        },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs a script of `;`-terminated statements (each ending a line), skipping comments.
async fn execute_script(db: &DatabaseConnection, sql: &str) -> anyhow::Result<()> {
    for statement in sql.split(";\n").map(str::trim).filter(|s| {
        s.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
    }) {
        db.execute_unprepared(statement)
            .await
            .with_context(|| format!("seeding: {}", statement.lines().next().unwrap_or("")))?;
    }
    Ok(())
}
