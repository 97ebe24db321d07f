//! The workers: one apalis worker on the profile's storage running every [`Job`], and the
//! cron schedules that enqueue periodic work. All stop together on the shutdown token.

use std::{str::FromStr, sync::Arc, time::Duration};

use apalis::prelude::*;
use apalis_core::backend::{
    BackendConfig, WireFormatBackend, finalize::Durable, persistence::TaskPersistLayer,
};
use apalis_cron::{CronScheduler, Tick};
use apalis_sqlite::JsonCodec;
use portico_core::{
    Db,
    ports::{Job, JobQueue, Mailer, SmsSender},
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::{ApalisQueue, audit, outbox, recalls, reminders};

/// An idle worker looks for new jobs this often (apalis otherwise waits for its heartbeat).
const POLL_EVERY: Duration = Duration::from_millis(250);

/// What jobs can reach.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
    pub queue: ApalisQueue,
    pub mailer: Arc<dyn Mailer>,
    pub sms: Arc<dyn SmsSender>,
    /// Where links in messages point (`https://portal.example`).
    pub public_url: String,
    /// How long a delivering worker holds an outbox message.
    pub claim: chrono::Duration,
}

async fn run_job(job: Job, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    let kind = match &job {
        Job::VerifyAuditChain { .. } => "verify_audit_chain",
        Job::RelayOutbox { .. } => "relay_outbox",
        Job::SendReminders { .. } => "send_reminders",
        Job::SendRecalls { .. } => "send_recalls",
        Job::DeliverMessage { .. } => "deliver_message",
    };
    let result = match job {
        Job::VerifyAuditChain { tenant_id } => audit::verify_chain(&ctx.db, tenant_id).await,
        Job::SendReminders { tenant_id } => {
            reminders::send_due(&ctx.db, &ctx.queue, &ctx.public_url, ctx.claim, tenant_id).await
        }
        Job::SendRecalls { tenant_id } => {
            recalls::send_due(&ctx.db, &ctx.queue, &ctx.public_url, ctx.claim, tenant_id).await
        }
        Job::RelayOutbox { tenant_id } => outbox::relay(&ctx.db, &ctx.queue, ctx.claim, tenant_id)
            .await
            .map(|_| ()),
        Job::DeliverMessage {
            tenant_id,
            message_id,
        } => {
            let channels = outbox::Channels {
                mailer: ctx.mailer.as_ref(),
                sms: ctx.sms.as_ref(),
            };
            outbox::deliver(&ctx.db, channels, ctx.claim, tenant_id, message_id).await
        }
    };
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::counter!("portico_jobs_total", "kind" => kind, "outcome" => outcome).increment(1);
    result.map_err(Into::into)
}

/// Every minute: write the reminders that fell due, and relay what no request relayed (a process that stopped between its commit
/// and its relay job, a delivery that failed and went back to the outbox).
async fn sweep_outbox(_tick: Tick, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    for tenant_id in portico_core::tenants::list_ids(&ctx.db).await? {
        ctx.queue.enqueue(Job::SendReminders { tenant_id }).await?;
        ctx.queue.enqueue(Job::RelayOutbox { tenant_id }).await?;
    }
    Ok(())
}

/// Nightly: check every tenant's audit chain.
async fn nightly_audit(_tick: Tick, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    for tenant_id in portico_core::tenants::list_ids(&ctx.db).await? {
        ctx.queue
            .enqueue(Job::VerifyAuditChain { tenant_id })
            .await?;
    }
    Ok(())
}

/// Daily: preventive-care recalls for every tenant.
async fn daily_recalls(_tick: Tick, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    for tenant_id in portico_core::tenants::list_ids(&ctx.db).await? {
        ctx.queue.enqueue(Job::SendRecalls { tenant_id }).await?;
    }
    Ok(())
}

fn register<B>(monitor: Monitor, backend: B, ctx: JobContext) -> Monitor
where
    B: Backend<Task = Task<Vec<u8>>>
        + BackendConfig<Args = Job, Kind = Durable, Layer = TaskPersistLayer<JsonCodec<Value>, Value>>
        + WireFormatBackend<Codec = JsonCodec<Vec<u8>>, Compact = Vec<u8>>
        + Clone
        + Send
        + Sync
        + Unpin
        + 'static,
{
    // A name of its own per process: the storage registers workers by name, and a second
    // process (or one restarted after a crash, while the dead one's registration lingers)
    // would otherwise be refused.
    let name = format!("portico-jobs-{}", uuid::Uuid::now_v7().simple());
    monitor.register(move |_restarts| {
        WorkerBuilder::new(name.clone())
            .backend(backend.clone().poll_with_interval(POLL_EVERY))
            .data(ctx.clone())
            .concurrency(4)
            .build(run_job)
    })
}

/// Runs the workers until `shutdown` is cancelled.
pub async fn run_workers(ctx: JobContext, shutdown: CancellationToken) -> std::io::Result<()> {
    let mut monitor = Monitor::new().shutdown_timeout(Duration::from_secs(10));
    monitor = match ctx.queue.clone() {
        ApalisQueue::Sqlite(s) => register(monitor, s, ctx.clone()),
        ApalisQueue::Redis(s) => register(monitor, s, ctx.clone()),
    };
    // Seconds field first: 03:00:00 UTC every day.
    let nightly = cron::Schedule::from_str("0 0 3 * * *")
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let cron_ctx = ctx.clone();
    monitor = monitor.register(move |_| {
        WorkerBuilder::new("portico-cron-nightly-audit")
            .backend(CronScheduler::new(nightly.clone()))
            .data(cron_ctx.clone())
            .build(nightly_audit)
    });
    // 14:00:00 UTC: morning in the Americas, afternoon in Europe.
    let recall_time = cron::Schedule::from_str("0 0 14 * * *")
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let recall_ctx = ctx.clone();
    monitor = monitor.register(move |_| {
        WorkerBuilder::new("portico-cron-daily-recalls")
            .backend(CronScheduler::new(recall_time.clone()))
            .data(recall_ctx.clone())
            .build(daily_recalls)
    });
    let every_minute = cron::Schedule::from_str("0 * * * * *")
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let sweep_ctx = ctx.clone();
    monitor = monitor.register(move |_| {
        WorkerBuilder::new("portico-cron-outbox-sweep")
            .backend(CronScheduler::new(every_minute.clone()))
            .data(sweep_ctx.clone())
            .build(sweep_outbox)
    });
    monitor
        .run_with_signal(async move {
            shutdown.cancelled().await;
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)
}
