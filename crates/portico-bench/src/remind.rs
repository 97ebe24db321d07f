//! Reminder throughput end to end: pushes one `SendReminders` job per seeded practice onto
//! the job queue in Redis (as the every-minute sweep would), then watches the database until
//! every due reminder has been written to the outbox and every outbox message delivered by
//! the running workers. Reports reminders per second from the first push to the last
//! delivery. See `scripts/bench-reminders`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use portico_core::{
    TenantId,
    ports::{Job, JobQueue},
};
use portico_jobs::ApalisQueue;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

#[derive(clap::Args)]
pub struct Args {
    /// The owner role's URL (it reads every practice's rows, bypassing row-level security).
    #[arg(long, env = "PORTICO_BENCH_OWNER_URL")]
    database_url: String,
    /// The workers' Redis and key prefix (`PORTICO_REDIS_URL`, `PORTICO_REDIS_PREFIX`).
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    #[arg(long, default_value = "portico")]
    redis_prefix: String,
    /// Give up after this long.
    #[arg(long, default_value_t = 900)]
    timeout_secs: u64,
}

async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .context("a count returns a row")?;
    Ok(row.try_get::<i64>("", "n")?)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let db = Database::connect(&args.database_url).await?;
    let due = count(
        &db,
        "SELECT count(*) AS n FROM appointment_reminders \
         WHERE status = 'pending' AND due_at <= now()",
    )
    .await?;
    if due == 0 {
        bail!("no due reminders: seed with `portico-bench seed --due-reminders` first");
    }
    // One job writes at most 500 of a practice's reminders; more would wait for the sweep.
    let most = count(
        &db,
        "SELECT coalesce(max(c), 0) AS n FROM (SELECT count(*) AS c FROM appointment_reminders \
         WHERE status = 'pending' GROUP BY tenant_id) AS per_practice",
    )
    .await?;
    if most > 500 {
        bail!("{most} reminders in one practice: use at most 500 per practice (more practices)");
    }
    let already = count(&db, "SELECT count(*) AS n FROM outbox_messages").await?;
    let tenants: Vec<TenantId> = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT DISTINCT tenant_id FROM appointment_reminders WHERE status = 'pending'",
        ))
        .await?
        .iter()
        .map(|row| {
            row.try_get::<uuid::Uuid>("", "tenant_id")
                .map(TenantId::from_uuid)
        })
        .collect::<Result<_, _>>()?;
    let practices = tenants.len();
    let queue = ApalisQueue::redis(&args.redis_url, &args.redis_prefix).await?;
    println!("{due} due reminders in {practices} practices; pushing one SendReminders job each");

    let started = Instant::now();
    for tenant_id in tenants {
        queue.enqueue(Job::SendReminders { tenant_id }).await?;
    }
    let pushed = started.elapsed();
    let expected = already + due;
    let mut written_at = None;
    let deadline = Duration::from_secs(args.timeout_secs);
    let (delivered, failed) = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if written_at.is_none()
            && count(
                &db,
                "SELECT count(*) AS n FROM appointment_reminders WHERE status = 'pending'",
            )
            .await?
                == 0
        {
            written_at = Some(started.elapsed());
        }
        let delivered = count(
            &db,
            "SELECT count(*) AS n FROM outbox_messages WHERE delivered_at IS NOT NULL",
        )
        .await?;
        let failed = count(
            &db,
            "SELECT count(*) AS n FROM outbox_messages \
             WHERE delivered_at IS NULL AND last_error IS NOT NULL",
        )
        .await?;
        if delivered >= expected || started.elapsed() > deadline {
            break (delivered, failed);
        }
    };
    let elapsed = started.elapsed();
    let sent = delivered - already;
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let rate = sent as f64 / elapsed.as_secs_f64();
    println!(
        "pushed {} jobs in {:.2}s; all reminders in the outbox after {}; \
         {sent} of {due} delivered after {:.2}s ({failed} failed deliveries waiting for retry)",
        practices,
        pushed.as_secs_f64(),
        written_at.map_or_else(|| "-".to_owned(), |t| format!("{:.2}s", t.as_secs_f64())),
        elapsed.as_secs_f64(),
    );
    println!(
        "reminders/s end to end (push -> written -> relayed -> delivered over SMTP): {rate:.0}"
    );
    if delivered < expected {
        bail!(
            "timed out after {}s with {} undelivered",
            args.timeout_secs,
            expected - delivered
        );
    }
    Ok(())
}
