//! In-process caches of what nearly every request reads and few requests change: the tenant
//! directory (a practice by slug, custom domain or id) and each practice's scheduling
//! catalogue (providers with their weekly hours, locations, appointment types).
//!
//! A change invalidates the entry here at once and on every other instance through pub/sub
//! ([`CACHE_TOPIC`]): the transaction that changed a tenant row or a catalogue marks itself,
//! and its commit announces the change ([`crate::TenantTx::commit`]). Entries also expire
//! after [`TIME_TO_LIVE`], which bounds staleness should an announcement be lost (a Redis
//! outage: the listener also clears everything when its subscription ends). A load that
//! raced with an invalidation is not kept (the generation check below).

use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures::StreamExt;
use moka::sync::Cache;
use uuid::Uuid;

use crate::{TenantId, ports::PubSub, scheduling::snapshot::Snapshot, tenants::ResolvedTenant};

/// Where instances announce changes: a tenant id and what changed.
pub const CACHE_TOPIC: &str = "cache-invalidation";
pub const TIME_TO_LIVE: Duration = Duration::from_secs(60);
const CAPACITY: u64 = 20_000;

/// What changed about a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Its directory row (status, branding, settings, domain).
    Tenant,
    /// Its scheduling catalogue.
    Catalog,
}

impl Change {
    const fn tag(self) -> u8 {
        match self {
            Self::Tenant => b't',
            Self::Catalog => b'c',
        }
    }
}

pub struct Caches {
    /// `slug:{slug}`, `domain:{host}`, `id:{uuid}`.
    tenants: Cache<String, ResolvedTenant>,
    catalogs: Cache<Uuid, Arc<Snapshot>>,
    /// Bumped by every invalidation; a load only keeps its result if it did not move.
    generation: AtomicU64,
    announcer: OnceLock<Arc<dyn PubSub>>,
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            tenants: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TIME_TO_LIVE)
                .build(),
            catalogs: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TIME_TO_LIVE)
                .build(),
            generation: AtomicU64::new(0),
            announcer: OnceLock::new(),
        }
    }
}

impl Caches {
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn tenant(&self, key: &str) -> Option<ResolvedTenant> {
        self.tenants.get(key)
    }

    /// Keeps `tenant` under `key`, unless something was invalidated since `generation`.
    pub(crate) fn keep_tenant(&self, generation: u64, key: String, tenant: &ResolvedTenant) {
        if self.generation() == generation {
            self.tenants.insert(key, tenant.clone());
        }
    }

    pub(crate) fn catalog(&self, tenant: TenantId) -> Option<Arc<Snapshot>> {
        self.catalogs.get(&tenant.as_uuid())
    }

    pub(crate) fn keep_catalog(&self, generation: u64, tenant: TenantId, catalog: &Arc<Snapshot>) {
        if self.generation() == generation {
            self.catalogs.insert(tenant.as_uuid(), Arc::clone(catalog));
        }
    }

    /// Forgets what `change` made stale, here and (announced) on every other instance.
    pub fn changed(&self, tenant: TenantId, change: Change) {
        self.forget(tenant.as_uuid(), change);
        if let Some(pubsub) = self.announcer.get() {
            let pubsub = Arc::clone(pubsub);
            let mut payload = vec![change.tag()];
            payload.extend_from_slice(tenant.as_uuid().as_bytes());
            tokio::spawn(async move {
                if let Err(e) = pubsub.publish(CACHE_TOPIC, payload).await {
                    // The other instances' entries expire on their own (`TIME_TO_LIVE`).
                    tracing::warn!(error = %e, "cache invalidation not announced");
                }
            });
        }
    }

    fn forget(&self, tenant: Uuid, change: Change) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        match change {
            // A row is cached under several keys; tenant changes are rare, so all go.
            Change::Tenant => {
                self.tenants.invalidate_all();
                self.catalogs.invalidate(&tenant);
            }
            Change::Catalog => self.catalogs.invalidate(&tenant),
        }
    }

    fn forget_everything(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.tenants.invalidate_all();
        self.catalogs.invalidate_all();
    }

    /// Announces this instance's changes on `pubsub` and applies the others', until `stop`
    /// completes. When the subscription ends, everything is forgotten (announcements may
    /// have been missed) and it subscribes again.
    pub fn listen(
        self: &Arc<Self>,
        pubsub: Arc<dyn PubSub>,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        if self.announcer.set(Arc::clone(&pubsub)).is_err() {
            return;
        }
        let caches = Arc::downgrade(self);
        let listening = async move {
            loop {
                match pubsub.subscribe(CACHE_TOPIC).await {
                    Ok(mut announcements) => {
                        while let Some(payload) = announcements.next().await {
                            let Some(caches) = caches.upgrade() else {
                                return;
                            };
                            match decode(&payload) {
                                Some((tenant, change)) => caches.forget(tenant, change),
                                None => caches.forget_everything(),
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cache invalidations not received"),
                }
                // The subscription ended: announcements may have been missed.
                let Some(live) = caches.upgrade() else {
                    return;
                };
                live.forget_everything();
                drop(live);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        };
        tokio::spawn(async move {
            tokio::select! {
                () = listening => {}
                () = stop => {}
            }
        });
    }
}

fn decode(payload: &[u8]) -> Option<(Uuid, Change)> {
    let (tag, id) = payload.split_first()?;
    let change = match tag {
        b't' => Change::Tenant,
        b'c' => Change::Catalog,
        _ => return None,
    };
    Some((Uuid::from_slice(id).ok()?, change))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_names_the_tenant_and_the_change() {
        let id = Uuid::now_v7();
        for change in [Change::Tenant, Change::Catalog] {
            let mut payload = vec![change.tag()];
            payload.extend_from_slice(id.as_bytes());
            assert_eq!(decode(&payload), Some((id, change)));
        }
        assert_eq!(decode(b"x"), None);
        assert_eq!(decode(&[]), None);
    }
}
