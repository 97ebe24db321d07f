//! EHR jobs: a practice's sync run (scheduled by the every-minute sweep, or asked for by an
//! admin or a settled patient match), and the write-back of one `ehr` outbox message. A
//! write-back is claimed, prepared from what Portico holds now, sent outside any
//! transaction, then recorded: written (ids and versions kept), a conflict (staff review),
//! retried with the outbox's backoff when the EHR is down, or given up with a stable code
//! when the EHR refuses it for good.

use chrono::Utc;
use portico_core::{
    CoreError, Db, TenantId, TenantTx,
    ehr::{
        connection,
        gateway::{EhrConnector, WriteOutcome},
        runs, sync,
        writeback::{self, Prepared},
    },
    outbox,
    ports::{Job, JobQueue, SecretSealer},
    tenancy::Access,
    tenants,
};
use uuid::Uuid;

/// What the EHR jobs reach.
#[derive(Clone, Copy)]
pub struct EhrPorts<'a> {
    pub connector: &'a dyn EhrConnector,
    pub sealer: &'a dyn SecretSealer,
}

pub async fn sync(
    db: &Db,
    ports: EhrPorts<'_>,
    tenant_id: TenantId,
    review_id: Option<Uuid>,
    manual: bool,
) -> Result<(), CoreError> {
    let trigger = match (review_id, manual) {
        (Some(_), _) => runs::REVIEW,
        (None, true) => runs::MANUAL,
        (None, false) => runs::SCHEDULE,
    };
    sync::run(
        db,
        ports.connector,
        ports.sealer,
        tenant_id,
        trigger,
        review_id,
    )
    .await?;
    Ok(())
}

/// Enqueues a sync for a tenant whose connection is due.
pub async fn schedule_due(
    db: &Db,
    queue: &dyn JobQueue,
    tenant_id: TenantId,
) -> Result<(), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(());
    };
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
    let due = sync::claim_due(&tx, Utc::now()).await?;
    tx.commit().await?;
    if due {
        queue
            .enqueue(Job::SyncEhr {
                tenant_id,
                review_id: None,
                manual: false,
            })
            .await
            .map_err(CoreError::adapter)?;
    }
    Ok(())
}

pub async fn write(
    db: &Db,
    ports: EhrPorts<'_>,
    claim: chrono::Duration,
    tenant_id: TenantId,
    message_id: Uuid,
) -> Result<(), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(());
    };
    let scope = tenant.scope();
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    let Some(message) = outbox::claim_for(&tx, message_id, Utc::now(), claim).await? else {
        tx.rollback().await?;
        return Ok(());
    };
    let found = connection::get(&tx).await?.filter(|c| c.enabled);
    let Some(found) = found else {
        // Off or removed since it was relayed: back to wait, no attempt used.
        outbox::release(&tx, message.id).await?;
        return tx.commit().await;
    };
    // What cannot be read or prepared is given up with a code (a bug or a record gone);
    // the claim and its attempt are kept, so it is not relayed again and again.
    let prepared = match writeback::payload_of(&message) {
        Ok(payload) => match writeback::prepare(&tx, &payload).await {
            Ok(prepared) => connection::endpoint(&tx, ports.sealer, &found)
                .map(|endpoint| (payload, prepared, endpoint)),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let (payload, write, endpoint) = match prepared {
        Ok((payload, Prepared::Write(write), endpoint)) => (payload, write, endpoint),
        Ok((_, Prepared::Skip(code), _)) => {
            outbox::give_up(&tx, message.id, code).await?;
            return tx.commit().await;
        }
        Ok((_, Prepared::Later(code), _)) => {
            outbox::mark_failed(&tx, message.id, message.attempts, code).await?;
            return tx.commit().await;
        }
        Err(e) => {
            tracing::error!(%tenant_id, %message_id, error = %e, "EHR write-back could not be prepared");
            outbox::give_up(&tx, message.id, "EHR_WRITE_UNPREPARED").await?;
            return tx.commit().await;
        }
    };
    tx.commit().await?;
    // Within the claim: past it the relay would hand the message out again while this
    // write may still land.
    let budget = (claim - chrono::Duration::seconds(10))
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(1));
    let answer = match ports.connector.connect(&endpoint) {
        Ok(gateway) => match tokio::time::timeout(budget, gateway.write(&write)).await {
            Ok(answer) => answer,
            Err(_) => Err(portico_core::ehr::gateway::EhrError::new(
                "EHR_TIMEOUT",
                "the write-back took longer than its claim",
                true,
            )),
        },
        Err(e) => Err(e),
    };
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    let outcome = match answer {
        Ok(WriteOutcome::Written {
            fhir_id,
            version_id,
        }) => {
            writeback::written(&tx, &message, &payload, &fhir_id, version_id.as_deref()).await?;
            "written"
        }
        Ok(WriteOutcome::Conflict { .. }) => {
            writeback::conflicted(&tx, &message, &payload).await?;
            "conflict"
        }
        Err(e) if e.retryable => {
            tracing::warn!(%tenant_id, %message_id, code = e.code, attempt = message.attempts, "EHR write-back failed; retried later");
            outbox::mark_failed(&tx, message.id, message.attempts, e.code).await?;
            "failed"
        }
        Err(e) => {
            tracing::warn!(%tenant_id, %message_id, code = e.code, error = %e.message, "EHR refused a write-back");
            outbox::give_up(&tx, message.id, e.code).await?;
            "refused"
        }
    };
    tx.commit().await?;
    metrics::counter!("portico_ehr_writes_total", "outcome" => outcome).increment(1);
    Ok(())
}
