//! The workers: one apalis worker per [`Queue`] on the profile's storage, each with its own
//! concurrency, and the cron schedules that enqueue periodic work. A worker whose backend
//! fails (Redis restarted, the SQLite file busy past its timeout) is started again after a
//! pause; all stop together on the shutdown token.

use std::{str::FromStr, sync::Arc, time::Duration};

use apalis::prelude::*;
use apalis_core::backend::{
    BackendConfig, WireFormatBackend,
    ext::poll_strategy::{PollSnapshot, PollStrategy, PollWith},
    finalize::Durable,
    persistence::TaskPersistLayer,
};
use apalis_cron::{CronScheduler, Tick};
use apalis_sqlite::JsonCodec;
use portico_core::{
    Db,
    ehr::gateway::EhrConnector,
    ports::{AttachmentStore, Job, JobQueue, Mailer, Queue, SecretSealer, SmsSender},
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::{ApalisQueue, PerQueue, audit, outbox, recalls, refills, reminders};

/// How often an idle worker looks for new jobs on `queue` (apalis otherwise waits for its
/// heartbeat). Each look is a write on SQLite, so queues nobody waits on look less often.
fn poll_every(queue: Queue) -> Duration {
    match queue {
        Queue::Notifications | Queue::Reminders => Duration::from_millis(250),
        Queue::RefillRouting
        | Queue::EhrSync
        | Queue::Rollups
        | Queue::Webhooks
        | Queue::Exports => Duration::from_secs(1),
    }
}
/// Wakes an idle worker every `period` to look for jobs. apalis' own interval strategy does
/// not arm its next timer after one fires, so an idle worker slept until its heartbeat
/// (30 s); this one always leaves a timer armed.
struct Every {
    period: Duration,
    interval: Option<tokio::time::Interval>,
}

impl Every {
    fn new(period: Duration) -> Self {
        Self {
            period,
            interval: None,
        }
    }
}

impl Clone for Every {
    fn clone(&self) -> Self {
        Self::new(self.period)
    }
}

impl PollStrategy for Every {
    fn poll_drive(
        &mut self,
        cx: &mut std::task::Context<'_>,
        _: &PollSnapshot,
    ) -> std::task::Poll<Option<()>> {
        let period = self.period;
        let interval = self.interval.get_or_insert_with(|| {
            let mut interval = tokio::time::interval(period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval
        });
        // Take every tick that is due, so the next one is armed with this waker.
        let mut fired = false;
        while interval.poll_tick(cx).is_ready() {
            fired = true;
        }
        if fired {
            std::task::Poll::Ready(Some(()))
        } else {
            std::task::Poll::Pending
        }
    }
}

/// How long a failed worker waits before it starts again (its backend reconnects meanwhile).
const RESTART_AFTER: Duration = Duration::from_secs(1);

/// Jobs one process runs at once on `queue`. Deliveries wait on SMTP, so many run at once;
/// the rest are database-bound and kept few, so they leave connections to requests.
fn concurrency(queue: Queue) -> usize {
    match queue {
        // Each attempt may wait its whole time limit on a slow receiver.
        Queue::Notifications | Queue::Webhooks => 8,
        Queue::Reminders | Queue::RefillRouting | Queue::EhrSync => 4,
        Queue::Rollups => 2,
        // Each holds a reading snapshot and a file's worth of NDJSON in memory.
        Queue::Exports => 1,
    }
}

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
    /// Where message attachments are kept (unsent uploads are purged nightly).
    pub attachments: Arc<dyn AttachmentStore>,
    /// Opens practices' EHRs.
    pub ehr: Arc<dyn EhrConnector>,
    /// Opens the EHR credentials sealed in the database.
    pub sealer: Arc<dyn SecretSealer>,
    /// Billing through the payment provider; `None` when billing is off.
    pub billing: Option<portico_core::billing::Billing>,
    /// Posts webhooks to practices' endpoints.
    pub webhooks: Arc<dyn portico_core::ports::WebhookSender>,
}

impl JobContext {
    fn channels(&self) -> outbox::Channels<'_> {
        outbox::Channels {
            mailer: self.mailer.as_ref(),
            sms: self.sms.as_ref(),
        }
    }

    fn webhook_ports(&self) -> crate::webhooks::WebhookPorts<'_> {
        crate::webhooks::WebhookPorts {
            sender: self.webhooks.as_ref(),
            sealer: self.sealer.as_ref(),
            public_url: &self.public_url,
        }
    }

    fn ehr_ports(&self) -> crate::ehr::EhrPorts<'_> {
        crate::ehr::EhrPorts {
            connector: self.ehr.as_ref(),
            sealer: self.sealer.as_ref(),
        }
    }
}

async fn run_job(job: Job, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    let kind = job.kind();
    let result = match job {
        Job::VerifyAuditChain { tenant_id } => audit::verify_chain(&ctx.db, tenant_id).await,
        Job::SendReminders { tenant_id } => {
            reminders::send_due(&ctx.db, &ctx.queue, &ctx.public_url, ctx.claim, tenant_id).await
        }
        Job::SendRecalls { tenant_id } => {
            recalls::send_due(&ctx.db, &ctx.queue, &ctx.public_url, ctx.claim, tenant_id).await
        }
        Job::RelayOutbox { tenant_id } => {
            // Webhooks are relayed even when the messages' relay failed (and the other way).
            let messages = outbox::relay(&ctx.db, &ctx.queue, ctx.claim, tenant_id).await;
            let webhooks = crate::webhooks::relay(&ctx.db, &ctx.queue, ctx.claim, tenant_id).await;
            messages.and(webhooks).map(|_| ())
        }
        Job::DeliverMessage {
            tenant_id,
            message_id,
        } => outbox::deliver(&ctx.db, ctx.channels(), ctx.claim, tenant_id, &[message_id]).await,
        Job::DeliverMessages {
            tenant_id,
            message_ids,
        } => outbox::deliver(&ctx.db, ctx.channels(), ctx.claim, tenant_id, &message_ids).await,
        Job::RouteRefill {
            tenant_id,
            refill_id,
        } => {
            refills::route(
                &ctx.db,
                &ctx.queue,
                &ctx.public_url,
                ctx.claim,
                tenant_id,
                refill_id,
            )
            .await
        }
        Job::SyncEhr {
            tenant_id,
            review_id,
            manual,
        } => crate::ehr::sync(&ctx.db, ctx.ehr_ports(), tenant_id, review_id, manual).await,
        Job::RollupAdoption { tenant_id, day } => {
            crate::adoption::rollup(&ctx.db, tenant_id, day).await
        }
        Job::WriteEhr {
            tenant_id,
            message_id,
        } => crate::ehr::write(&ctx.db, ctx.ehr_ports(), ctx.claim, tenant_id, message_id).await,
        Job::ReportUsage { tenant_id, period } => match &ctx.billing {
            Some(billing) => {
                crate::billing::report_usage(&ctx.db, billing, tenant_id, period).await
            }
            None => Ok(()),
        },
        Job::SyncSeats { tenant_id } => match &ctx.billing {
            Some(billing) => crate::billing::sync_seats(&ctx.db, billing, tenant_id).await,
            None => Ok(()),
        },
        Job::ImportPatients {
            tenant_id,
            import_id,
        } => crate::patient_imports::import(&ctx.db, tenant_id, import_id).await,
        Job::DeliverWebhook {
            tenant_id,
            delivery_id,
        } => {
            crate::webhooks::deliver(
                &ctx.db,
                ctx.webhook_ports(),
                ctx.claim,
                tenant_id,
                delivery_id,
            )
            .await
        }
        Job::ExportBulk {
            tenant_id,
            export_id,
        } => {
            portico_core::fhir_api::bulk::export(
                &ctx.db,
                ctx.attachments.as_ref(),
                tenant_id,
                export_id,
            )
            .await
        }
    };
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::counter!("portico_jobs_total", "kind" => kind, "outcome" => outcome).increment(1);
    if let Err(e) = &result {
        // Logged once, here, with its causes; the queue retries the job.
        tracing::warn!(kind, error = %portico_core::error::chain(e), "job failed");
    }
    result.map_err(Into::into)
}

/// Every minute: seal the audit events requests appended, end the trials and grace periods that ran out, start the EHR syncs that are due, write the reminders that fell due, relay what no request relayed (a process that stopped between its commit
/// and its relay job, a delivery that failed and went back to the outbox), and route again refill requests left unrouted.
async fn sweep_outbox(_tick: Tick, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    crate::cron_lease::exclusive(&ctx.db, "outbox-sweep", || sweep_outbox_now(&ctx))
        .await
        .map(|_| ())
}

async fn sweep_outbox_now(ctx: &JobContext) -> Result<(), BoxDynError> {
    if let Some(billing) = &ctx.billing {
        crate::billing::sweep(&ctx.db, billing).await?;
    }
    for tenant_id in portico_core::tenants::list_ids(&ctx.db).await? {
        // Requests append audit events without a lock; they join the chain here.
        if let Err(e) = portico_core::audit::seal_tenant(&ctx.db, tenant_id).await {
            tracing::warn!(%tenant_id, error = %e, "audit events not sealed");
        }
        ctx.queue.enqueue(Job::SendReminders { tenant_id }).await?;
        ctx.queue.enqueue(Job::RelayOutbox { tenant_id }).await?;
        crate::refills::reroute_stale(&ctx.db, &ctx.queue, tenant_id).await?;
        // One practice's failure does not hold up the others' syncs.
        if let Err(e) = crate::ehr::schedule_due(&ctx.db, &ctx.queue, tenant_id).await {
            tracing::warn!(%tenant_id, error = %e, "EHR sync not scheduled");
        }
    }
    Ok(())
}

/// Nightly: check every tenant's audit chain, roll up its adoption figures for its
/// yesterday, report last month's active patients (once; the nights after retry a report
/// that failed), bring seats in step with active providers, and purge uploads never sent.
async fn nightly_audit(_tick: Tick, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    crate::cron_lease::exclusive(&ctx.db, "nightly", || nightly_audit_now(&ctx))
        .await
        .map(|_| ())
}

async fn nightly_audit_now(ctx: &JobContext) -> Result<(), BoxDynError> {
    for tenant_id in portico_core::tenants::list_ids(&ctx.db).await? {
        crate::attachments::purge_unsent(&ctx.db, ctx.attachments.as_ref(), tenant_id).await?;
        crate::webhooks::purge(&ctx.db, tenant_id).await?;
        crate::smart::purge(&ctx.db, ctx.attachments.as_ref(), tenant_id).await?;
        ctx.queue
            .enqueue(Job::VerifyAuditChain { tenant_id })
            .await?;
        ctx.queue
            .enqueue(Job::RollupAdoption {
                tenant_id,
                day: None,
            })
            .await?;
        if ctx.billing.is_some() {
            ctx.queue
                .enqueue(Job::ReportUsage {
                    tenant_id,
                    period: None,
                })
                .await?;
            ctx.queue.enqueue(Job::SyncSeats { tenant_id }).await?;
        }
    }
    Ok(())
}

/// How long a finished job stays in Redis, for inspection, before the hourly vacuum.
pub const KEEP_FINISHED_JOBS: Duration = Duration::from_secs(24 * 3600);

/// Hourly: finished jobs older than [`KEEP_FINISHED_JOBS`] leave Redis.
async fn vacuum_queues(_tick: Tick, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    crate::cron_lease::exclusive(&ctx.db, "queue-vacuum", || vacuum_queues_now(&ctx))
        .await
        .map(|_| ())
}

async fn vacuum_queues_now(ctx: &JobContext) -> Result<(), BoxDynError> {
    let deleted = ctx.queue.vacuum(KEEP_FINISHED_JOBS).await?;
    tracing::info!(deleted, "finished jobs vacuumed");
    Ok(())
}

/// Daily: preventive-care recalls for every tenant.
async fn daily_recalls(_tick: Tick, ctx: Data<JobContext>) -> Result<(), BoxDynError> {
    crate::cron_lease::exclusive(&ctx.db, "daily-recalls", || daily_recalls_now(&ctx))
        .await
        .map(|_| ())
}

async fn daily_recalls_now(ctx: &JobContext) -> Result<(), BoxDynError> {
    for tenant_id in portico_core::tenants::list_ids(&ctx.db).await? {
        ctx.queue.enqueue(Job::SendRecalls { tenant_id }).await?;
    }
    Ok(())
}

/// Registers one worker per queue on `storages` (SQLite or Redis).
fn register_all<B>(mut monitor: Monitor, storages: &PerQueue<B>, ctx: &JobContext) -> Monitor
where
    B: Backend<Task = Task<Vec<u8>>, Error: Send + Sync + 'static>
        + BackendConfig<Args = Job, Kind = Durable, Layer = TaskPersistLayer<JsonCodec<Value>, Value>>
        + WireFormatBackend<Codec = JsonCodec<Vec<u8>>, Compact = Vec<u8>>
        + Clone
        + Send
        + Sync
        + Unpin
        + 'static,
{
    for (queue, storage) in storages.iter() {
        let storage = storage.clone();
        let ctx = ctx.clone();
        monitor = monitor.register(move |restarts| {
            // A name of its own per process and per start: the storage registers workers by
            // name, and a second process, one restarted after a crash, or this worker
            // started again after a backend failure (while its last registration lingers)
            // would otherwise be refused.
            let name = format!("portico-{queue}-{}", uuid::Uuid::now_v7().simple());
            let pause = if restarts == 0 {
                Duration::ZERO
            } else {
                RESTART_AFTER
            };
            let backend = storage.clone().before_start(move |_| async move {
                tokio::time::sleep(pause).await;
                Ok(())
            });
            WorkerBuilder::new(name)
                .backend(PollWith::new(backend, Every::new(poll_every(queue))))
                .data(ctx.clone())
                .concurrency(concurrency(queue))
                .build(run_job)
        });
    }
    monitor
}

/// Runs the workers until `shutdown` is cancelled, then lets running jobs finish for up to
/// `grace`. A job cut off after that is not lost: the storage re-enqueues what a stopped
/// worker had fetched, and an outbox message is relayed again once its claim lapses.
pub async fn run_workers(
    ctx: JobContext,
    shutdown: CancellationToken,
    grace: Duration,
) -> std::io::Result<()> {
    let mut monitor = Monitor::new()
        .shutdown_timeout(grace)
        // A worker stops on a backend error (a poll, a heartbeat or an acknowledgement that
        // failed, as while Redis restarts); start it again unless the process is stopping.
        // Jobs it had fetched are re-enqueued by the storage as orphans, and outbox messages
        // are relayed again once their claim lapses.
        .should_restart(|worker, error| {
            let restart = !worker.is_shutting_down();
            tracing::warn!(worker = worker.name(), %error, restart, "worker stopped on an error");
            restart
        });
    monitor = match &ctx.queue {
        ApalisQueue::Sqlite(s) => register_all(monitor, s, &ctx),
        ApalisQueue::Redis(s) => register_all(monitor, s, &ctx),
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
    // Minute 17 of every hour: finished jobs older than a day leave Redis.
    let hourly = cron::Schedule::from_str("0 17 * * * *")
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let vacuum_ctx = ctx.clone();
    monitor = monitor.register(move |_| {
        WorkerBuilder::new("portico-cron-queue-vacuum")
            .backend(CronScheduler::new(hourly.clone()))
            .data(vacuum_ctx.clone())
            .build(vacuum_queues)
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

#[cfg(test)]
mod queue_table {
    //! docs/operations.md's table of queues must name every kind of job, on its queue, with the
    //! queue's concurrency: a new job kind fails here until the table says where it runs.

    use portico_core::{TenantId, ports::Job};

    use super::concurrency;

    /// One job of every kind. The match below has no wildcard, so a new kind does not
    /// compile until it is added here too.
    fn every_kind() -> Vec<Job> {
        let tenant_id = TenantId::from_uuid(uuid::Uuid::nil());
        let id = uuid::Uuid::nil();
        let jobs = vec![
            Job::VerifyAuditChain { tenant_id },
            Job::SendReminders { tenant_id },
            Job::SendRecalls { tenant_id },
            Job::RelayOutbox { tenant_id },
            Job::DeliverMessage {
                tenant_id,
                message_id: id,
            },
            Job::DeliverMessages {
                tenant_id,
                message_ids: vec![id],
            },
            Job::RouteRefill {
                tenant_id,
                refill_id: id,
            },
            Job::SyncEhr {
                tenant_id,
                review_id: None,
                manual: false,
            },
            Job::RollupAdoption {
                tenant_id,
                day: None,
            },
            Job::WriteEhr {
                tenant_id,
                message_id: id,
            },
            Job::ReportUsage {
                tenant_id,
                period: None,
            },
            Job::SyncSeats { tenant_id },
            Job::ImportPatients {
                tenant_id,
                import_id: id,
            },
            Job::DeliverWebhook {
                tenant_id,
                delivery_id: id,
            },
            Job::ExportBulk {
                tenant_id,
                export_id: id,
            },
        ];
        for job in &jobs {
            match job {
                Job::VerifyAuditChain { .. }
                | Job::SendReminders { .. }
                | Job::SendRecalls { .. }
                | Job::RelayOutbox { .. }
                | Job::DeliverMessage { .. }
                | Job::DeliverMessages { .. }
                | Job::RouteRefill { .. }
                | Job::SyncEhr { .. }
                | Job::RollupAdoption { .. }
                | Job::WriteEhr { .. }
                | Job::ReportUsage { .. }
                | Job::SyncSeats { .. }
                | Job::ImportPatients { .. }
                | Job::DeliverWebhook { .. }
                | Job::ExportBulk { .. } => {}
            }
        }
        jobs
    }

    /// The rows of docs/operations.md's queue table: queue name, the jobs cell, concurrency.
    fn table() -> Vec<(String, String, String)> {
        // Read when the test runs (not compiled in): the docs are no input of the build.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/operations.md");
        let readme = std::fs::read_to_string(path).expect("docs/operations.md is readable");
        let section = readme
            .split("## Workers and queues")
            .nth(1)
            .expect("docs/operations.md has a Workers and queues section");
        section
            .lines()
            .skip_while(|l| !l.starts_with("| queue |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|row| {
                let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
                (
                    cells[0].trim_matches('`').to_owned(),
                    cells[1].to_owned(),
                    cells[2].to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn the_operations_docs_name_every_job_on_its_queue() {
        let rows = table();
        assert_eq!(
            rows.len(),
            portico_core::ports::Queue::ALL.len(),
            "{rows:?}"
        );
        for job in every_kind() {
            let variant = format!("{job:?}");
            let variant = variant.split([' ', '{']).next().unwrap_or_default();
            let queue = job.queue();
            let row = rows
                .iter()
                .find(|(name, ..)| name == queue.name())
                .unwrap_or_else(|| {
                    panic!("no row in docs/operations.md for queue {}", queue.name())
                });
            assert!(
                row.1.contains(&format!("`{variant}`")),
                "docs/operations.md's `{}` row does not name `{variant}`",
                queue.name()
            );
            assert_eq!(
                row.2,
                concurrency(queue).to_string(),
                "docs/operations.md's concurrency of `{}`",
                queue.name()
            );
        }
    }
}
