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
            .map_err(|e| CoreError::Adapter(e.to_string()))?;
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
    let payload = writeback::payload_of(&message);
    let found = connection::get(&tx).await?;
    let prepared = match (&payload, &found) {
        (Ok(payload), Some(found)) if found.enabled => Some((
            writeback::prepare(&tx, payload).await?,
            connection::endpoint(&tx, ports.sealer, found)?,
        )),
        _ => None,
    };
    tx.commit().await?;
    let (Ok(payload), Some((prepared, endpoint))) = (payload, prepared) else {
        let tx = TenantTx::begin(db, &scope, Access::Write).await?;
        outbox::give_up(&tx, message.id, "EHR_NOT_CONNECTED").await?;
        return tx.commit().await;
    };
    let write = match prepared {
        Prepared::Write(write) => write,
        Prepared::Skip(code) => {
            let tx = TenantTx::begin(db, &scope, Access::Write).await?;
            outbox::give_up(&tx, message.id, code).await?;
            return tx.commit().await;
        }
    };
    let answer = match ports.connector.connect(&endpoint) {
        Ok(gateway) => gateway.write(&write).await,
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
