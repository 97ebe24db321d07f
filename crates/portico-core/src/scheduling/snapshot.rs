//! The practice's catalogue as one value: providers (inactive ones too) with their weekly
//! hours, locations and appointment types. Nearly every scheduling read points into it, and
//! it changes rarely, so each instance keeps it per practice ([`crate::caches`]): a request
//! that shows appointments or slots reads no catalogue table.

use std::{collections::HashMap, sync::Arc};

use uuid::Uuid;

use super::{availability, catalog};
use crate::{
    CoreResult, TenantTx,
    caches::Change,
    entities::{appointment_type, availability_window, location, provider},
};

#[derive(Debug, Default)]
pub struct Snapshot {
    pub providers: HashMap<Uuid, provider::Model>,
    pub locations: HashMap<Uuid, location::Model>,
    pub types: HashMap<Uuid, appointment_type::Model>,
    /// Each provider's weekly windows, by weekday and start.
    pub windows: HashMap<Uuid, Vec<availability_window::Model>>,
}

/// The catalogue of the transaction's practice: the instance's copy, or read now (and kept)
/// when it has none. A transaction that changed the catalogue reads its own changes.
pub async fn snapshot(tx: &TenantTx) -> CoreResult<Arc<Snapshot>> {
    let changing = tx.has_changed(Change::Catalog);
    if !changing && let Some(kept) = tx.caches().catalog(tx.tenant_id()) {
        return Ok(kept);
    }
    let generation = tx.caches().generation();
    let loaded = Arc::new(load(tx).await?);
    if !changing {
        tx.caches()
            .keep_catalog(generation, tx.tenant_id(), &loaded);
    }
    Ok(loaded)
}

async fn load(tx: &TenantTx) -> CoreResult<Snapshot> {
    let providers = catalog::providers(tx, true).await?;
    let ids: Vec<Uuid> = providers.iter().map(|p| p.id).collect();
    let mut windows: HashMap<Uuid, Vec<availability_window::Model>> = HashMap::new();
    for w in availability::for_providers(tx, &ids).await? {
        windows.entry(w.provider_id).or_default().push(w);
    }
    for list in windows.values_mut() {
        list.sort_by_key(|w| (w.weekday, w.start_minute));
    }
    Ok(Snapshot {
        providers: providers.into_iter().map(|p| (p.id, p)).collect(),
        locations: catalog::locations(tx, true)
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect(),
        types: catalog::types(tx, true, false)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect(),
        windows,
    })
}
