//! Purging uploads that were never sent with a message: a day after the upload, the bytes
//! leave the store and the row goes. The store is emptied first, so a crash in between
//! leaves a row whose file is gone (purged again next time), never a file nobody knows of.

use chrono::Utc;
use portico_core::{
    CoreError, Db, TenantId, TenantTx, messaging::attachments, ports::AttachmentStore,
    tenancy::Access, tenants,
};

/// How long an unsent upload is kept.
pub const KEEP_UNSENT: chrono::Duration = chrono::Duration::hours(24);

/// Uploads purged per tenant per run, at most.
const BATCH: u64 = 500;

pub async fn purge_unsent(
    db: &Db,
    store: &dyn AttachmentStore,
    tenant_id: TenantId,
) -> Result<usize, CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(0);
    };
    let tx = TenantTx::begin(db, &tenant.scope(), Access::Read).await?;
    let stale = attachments::unsent_before(&tx, Utc::now() - KEEP_UNSENT, BATCH).await?;
    tx.rollback().await?;
    let mut purged = 0;
    for upload in stale {
        store
            .delete(&upload.storage_key)
            .await
            .map_err(CoreError::adapter)?;
        let tx = TenantTx::begin(db, &tenant.scope(), Access::Write).await?;
        attachments::forget_unsent(&tx, upload.id).await?;
        tx.commit().await?;
        purged += 1;
    }
    if purged > 0 {
        tracing::info!(%tenant_id, purged, "unsent uploads purged");
    }
    Ok(purged)
}
