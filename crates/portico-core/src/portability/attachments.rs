//! Message attachments' bytes, which live in the attachment store rather than the database:
//! exported as `attachments/<id>` beside their rows, and put back into the target's store by
//! a restore (checked against the SHA-256 recorded with each).

use std::path::Path;

use sea_orm::QueryOrder;
use sha2::{Digest, Sha256};

use super::{
    PortabilityError,
    manifest::{FileEntry, OutputDir},
};
use crate::{TenantTx, entities::message_attachment, ports::AttachmentStore};

fn file_name(id: uuid::Uuid) -> String {
    format!("attachments/{id}")
}

async fn rows(tx: &TenantTx) -> Result<Vec<message_attachment::Model>, PortabilityError> {
    Ok(tx
        .find::<message_attachment::Entity>()
        .order_by_asc(message_attachment::Column::Id)
        .all(tx.conn())
        .await?)
}

/// Writes the bytes of every attachment of the practice; returns the files written.
pub async fn export(
    tx: &TenantTx,
    store: &dyn AttachmentStore,
    dir: &mut OutputDir,
) -> Result<Vec<(String, FileEntry)>, PortabilityError> {
    let mut files = Vec::new();
    for row in rows(tx).await? {
        let bytes =
            store
                .get(&row.storage_key)
                .await
                .map_err(|e| PortabilityError::Attachment {
                    id: row.id,
                    reason: e.to_string(),
                })?;
        let name = file_name(row.id);
        let entry = dir.blob(&name, &bytes)?;
        files.push((name, entry));
    }
    Ok(files)
}

/// Puts the bytes of every attachment restored in `tx` into `store` from the export in
/// `root`, noting each key in `put` (for the caller to delete if the restore does not
/// commit); returns how many.
pub async fn import(
    tx: &TenantTx,
    store: &dyn AttachmentStore,
    root: &Path,
    files: &super::Files,
    put: &mut Vec<String>,
) -> Result<u64, PortabilityError> {
    let mut count = 0;
    for row in rows(tx).await? {
        let name = file_name(row.id);
        let failed = |reason: String| PortabilityError::Attachment { id: row.id, reason };
        if !files.contains_key(&name) {
            return Err(failed(format!("{name} is not in the export")));
        }
        let path = root.join(&name);
        let bytes = std::fs::read(&path).map_err(|source| PortabilityError::Io {
            path: path.clone(),
            source,
        })?;
        if hex::encode(Sha256::digest(&bytes)) != row.sha256 {
            return Err(failed(format!(
                "{name} does not match the checksum recorded with it"
            )));
        }
        store
            .put(&row.storage_key, bytes)
            .await
            .map_err(|e| failed(e.to_string()))?;
        put.push(row.storage_key);
        count += 1;
    }
    Ok(count)
}
