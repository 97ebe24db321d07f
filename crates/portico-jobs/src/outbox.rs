//! Relaying and delivering outbox messages. The relay hands a tenant's pending messages to
//! the queue, one `DeliverMessages` job per batch of up to 50, and marks them relayed; the
//! delivery job claims the batch in one statement (a delivered or claimed message is
//! skipped, so a duplicate job sends nothing), sends them side by side outside any
//! transaction, and marks them delivered as they complete, sixteen to a statement (so a worker
//! that dies mid-batch sends again only those not yet marked, not the whole batch). A failure puts the message back
//! for the relay, up to `outbox::MAX_ATTEMPTS`; a permanent refusal (a bounce) stops at once
//! and marks the patient's address. The relay hands out no more per hour than the
//! practice's sending limit; the rest waits for the next sweep.
//!
//! `job` rows are enqueued as the job they carry (not as a delivery), outside the sending
//! limit, and marked relayed and delivered at once; their jobs are idempotent, so a relay
//! that stops between enqueueing and marking costs a second, harmless run. `ehr` rows are
//! relayed as `WriteEhr` jobs.

use chrono::{Duration, Utc};
use futures::StreamExt;
use portico_core::{
    CoreError, Db, TenantId, TenantTx,
    entities::outbox_message,
    notify,
    outbox::{self, Outgoing},
    ports::{Job, JobQueue, Mailer, PortError, SmsSender},
    tenancy::Access,
    tenants,
};
use uuid::Uuid;

/// Messages relayed per transaction.
const BATCH: u64 = 200;
/// Messages per delivery job: enough that the queue and the transactions around the sends
/// cost little per message, few enough that a batch is sent well within a claim.
const DELIVERY_BATCH: usize = 50;
/// Messages of one batch being sent at once (the mailer bounds its own connections).
const SENDS_AT_ONCE: usize = 16;

pub async fn relay(
    db: &Db,
    queue: &dyn JobQueue,
    claim: chrono::Duration,
    tenant_id: TenantId,
) -> Result<u64, CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(0);
    };
    let limit = u64::try_from(notify::sending_limit_of(&tenant.tenant)).unwrap_or(0);
    let mut relayed = 0;
    loop {
        // Read, enqueue, then mark, each on its own: no transaction is held while the queue
        // is written (on SQLite the queue shares the database file and its write lock).
        let tx = TenantTx::begin(db, &tenant.scope(), Access::Read).await?;
        let sent_lately = outbox::relayed_since(&tx, Utc::now() - Duration::hours(1)).await?;
        let room = limit.saturating_sub(sent_lately).min(BATCH);
        let batch = if room == 0 {
            Vec::new()
        } else {
            outbox::pending_after(&tx, room, claim).await?
        };
        let job_rows = outbox::pending_jobs(&tx, BATCH, claim).await?;
        // Write-backs wait while the practice's EHR connection is off (or gone).
        let ehr_rows = if portico_core::ehr::connection::get(&tx)
            .await?
            .is_some_and(|c| c.enabled)
        {
            outbox::pending_ehr(&tx, BATCH, claim).await?
        } else {
            Vec::new()
        };
        tx.rollback().await?;
        if room == 0 {
            tracing::info!(%tenant_id, limit, "practice's hourly sending limit reached; the rest waits");
            metrics::counter!("portico_outbox_throttled_total").increment(1);
        }
        if batch.is_empty() && job_rows.is_empty() && ehr_rows.is_empty() {
            return Ok(relayed);
        }
        let mut jobs: Vec<Job> = batch
            .chunks(DELIVERY_BATCH)
            .map(|messages| Job::DeliverMessages {
                tenant_id,
                message_ids: messages.iter().map(|m| m.id).collect(),
            })
            .collect();
        // EHR write-backs run on the EHR queue, outside the sending limit (they reach the
        // practice's own system, not patients).
        jobs.extend(ehr_rows.iter().map(|message| Job::WriteEhr {
            tenant_id,
            message_id: message.id,
        }));
        let mut job_ids = Vec::with_capacity(job_rows.len());
        let mut unreadable = Vec::new();
        for row in &job_rows {
            match outbox::job_of(row) {
                // A job row of another tenant's would be a bug; it runs for this one only.
                Ok(job) if job_tenant(&job) == tenant_id => {
                    jobs.push(job);
                    job_ids.push(row.id);
                }
                _ => unreadable.push(row.clone()),
            }
        }
        // Enqueued before they are marked: a crash in between relays them again, and the
        // delivery job's claim makes the second job a no-op. One write for the batch: a
        // relay slower than a claim would see its own batch pending again.
        if !jobs.is_empty() {
            queue.enqueue_all(jobs).await.map_err(CoreError::adapter)?;
        }
        let ids: Vec<Uuid> = batch.iter().chain(&ehr_rows).map(|m| m.id).collect();
        let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
        outbox::mark_relayed(&tx, &ids).await?;
        outbox::mark_jobs_enqueued(&tx, &job_ids).await?;
        for row in &unreadable {
            tracing::error!(%tenant_id, message_id = %row.id, "outbox job row cannot be read; given up");
            outbox::mark_bounced(&tx, row, "unreadable job").await?;
        }
        tx.commit().await?;
        relayed += (ids.len() + job_ids.len()) as u64;
    }
}

/// The tenant a job is for.
fn job_tenant(job: &Job) -> TenantId {
    match job {
        Job::VerifyAuditChain { tenant_id }
        | Job::SendReminders { tenant_id }
        | Job::SendRecalls { tenant_id }
        | Job::RelayOutbox { tenant_id }
        | Job::DeliverMessage { tenant_id, .. }
        | Job::DeliverMessages { tenant_id, .. }
        | Job::RouteRefill { tenant_id, .. }
        | Job::SyncEhr { tenant_id, .. }
        | Job::RollupAdoption { tenant_id, .. }
        | Job::WriteEhr { tenant_id, .. }
        | Job::ReportUsage { tenant_id, .. }
        | Job::SyncSeats { tenant_id }
        | Job::ImportPatients { tenant_id, .. }
        | Job::DeliverWebhook { tenant_id, .. }
        | Job::ExportBulk { tenant_id, .. } => *tenant_id,
    }
}

/// Where messages go, per channel.
#[derive(Clone, Copy)]
pub struct Channels<'a> {
    pub mailer: &'a dyn Mailer,
    pub sms: &'a dyn SmsSender,
}

/// Delivers the messages `message_ids` of `tenant_id` that are still to be sent (see the
/// module's account).
pub async fn deliver(
    db: &Db,
    channels: Channels<'_>,
    claim: chrono::Duration,
    tenant_id: TenantId,
    message_ids: &[Uuid],
) -> Result<(), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(());
    };
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let claimed = outbox::claim_many(&tx, message_ids, Utc::now(), claim).await?;
    tx.commit().await?;
    if claimed.is_empty() {
        return Ok(());
    }
    // Sends go out side by side while what has been sent is recorded, `SENDS_AT_ONCE` at a
    // time: a worker that dies mid-batch sends again at most those not yet recorded, not the
    // whole batch (a message sent twice carries the same Message-ID).
    let (done_tx, done_rx) = futures::channel::mpsc::channel::<(
        outbox_message::Model,
        Result<(), PortError>,
    )>(SENDS_AT_ONCE);
    let sending = futures::stream::iter(claimed)
        .map(|message| async move {
            let sent = send(channels, &message).await;
            (message, sent)
        })
        .buffer_unordered(SENDS_AT_ONCE)
        .map(Ok)
        .forward(done_tx);
    let recording = async {
        let mut done = done_rx.chunks(SENDS_AT_ONCE);
        while let Some(outcomes) = done.next().await {
            record(db, &tenant, tenant_id, outcomes).await?;
        }
        Ok::<(), CoreError>(())
    };
    let (sent, recorded) = futures::join!(sending, recording);
    // The sender ends only when every outcome is handed over (or recording stopped on an
    // error, which is the one to report).
    recorded?;
    sent.map_err(|_| CoreError::adapter("delivery outcomes were dropped"))?;
    Ok(())
}

/// Records the outcomes of some of a batch's sends in one transaction.
async fn record(
    db: &Db,
    tenant: &tenants::ResolvedTenant,
    tenant_id: TenantId,
    outcomes: Vec<(outbox_message::Model, Result<(), PortError>)>,
) -> Result<(), CoreError> {
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let (sent, failed): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(|(_, r)| r.is_ok());
    let sent: Vec<outbox_message::Model> = sent.into_iter().map(|(message, _)| message).collect();
    outbox::mark_delivered_many(&tx, &sent).await?;
    let mut counted = Vec::with_capacity(sent.len() + failed.len());
    counted.extend(sent.iter().map(|m| (m.channel.clone(), "sent")));
    for (message, result) in &failed {
        let Err(e) = result else { continue };
        let message_id = message.id;
        let outcome = if e.permanent {
            tracing::warn!(%tenant_id, %message_id, channel = %message.channel, error = %e, "outbox delivery bounced");
            outbox::mark_bounced(&tx, message, &e.to_string()).await?;
            "bounced"
        } else {
            tracing::warn!(%tenant_id, %message_id, channel = %message.channel, attempt = message.attempts, error = %e, "outbox delivery failed");
            outbox::mark_failed(&tx, message_id, message.attempts, &e.to_string()).await?;
            "failed"
        };
        counted.push((message.channel.clone(), outcome));
    }
    tx.commit().await?;
    for (channel, outcome) in counted {
        metrics::counter!("portico_outbox_deliveries_total", "channel" => channel, "outcome" => outcome)
            .increment(1);
    }
    Ok(())
}

/// Sends one claimed message on its channel, with its id as the message's own (so a
/// message sent twice reaches the recipient as one).
async fn send(channels: Channels<'_>, message: &outbox_message::Model) -> Result<(), PortError> {
    let id = Some(message.id.to_string());
    match outbox::outgoing_of(message) {
        Ok(Outgoing::Email(email)) => {
            let email = portico_core::ports::Email {
                message_id: id,
                ..email
            };
            channels.mailer.send(email).await
        }
        Ok(Outgoing::Sms(sms)) => {
            let sms = portico_core::ports::Sms {
                message_id: id,
                ..sms
            };
            channels.sms.send(sms).await
        }
        Err(e) => Err(PortError::new("outbox", e)),
    }
}
