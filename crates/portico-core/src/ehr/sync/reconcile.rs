//! Finding deletions without history. Many EHRs offer no type-level `_history`, so a deleted
//! resource never shows up as a change. Instead the ids the EHR still has of a type are
//! listed in full (once a day, and on every run an admin starts) and compared with the id
//! map: a resource Portico pulled and the EHR no longer lists is read once more, and only a
//! read answered "gone" takes it out (a listing paged while the EHR changes can skip ids).

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

use super::{MAX_PAGES_PER_TYPE, Pass};
use crate::{
    CoreResult, TenantTx,
    ehr::{
        gateway::{EhrError, EhrGateway},
        ingest, links,
        model::{Change, ResourceKind},
    },
    tenancy::Access,
};

/// Deletions read from the type's history.
pub const HISTORY: &str = "history";
/// Deletions found by comparing ids with the EHR's.
pub const RECONCILIATION: &str = "reconciliation";

/// How often a scheduled run reconciles a type.
const RECONCILE_EVERY_HOURS: i64 = 24;

/// Resources read back per type and run to confirm they are gone; more wait for the next
/// reconciliation (the type is then not marked reconciled).
pub const MAX_CONFIRMATIONS: usize = 200;

/// Whether a type is reconciled in this run.
pub fn due(manual: bool, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    manual || last.is_none_or(|at| now - at >= Duration::hours(RECONCILE_EVERY_HOURS))
}

impl Pass<'_> {
    /// The types whose history the EHR offers, from its CapabilityStatement (read once per
    /// run). `None` when it cannot be read or lists no types: history is then tried, and a
    /// refusal falls back to reconciliation.
    pub(super) async fn history_types(&self) -> Option<Vec<String>> {
        match self.gateway.capabilities().await {
            Ok(c) if !c.resource_types.is_empty() => Some(c.history_types),
            Ok(_) => None,
            Err(e) => {
                tracing::info!(code = e.code, "EHR capabilities not read; trying history");
                None
            }
        }
    }

    /// Reconciles `kind`'s ids. `Ok(true)` when done in full; `Ok(false)` when the listing or
    /// the confirmations did not fit in this run (the rest follows in the next one).
    pub(super) async fn reconcile(
        &mut self,
        kind: ResourceKind,
    ) -> CoreResult<Result<bool, EhrError>> {
        let Some(listed) = (match listed_ids(self.gateway, kind).await {
            Ok(listed) => listed,
            Err(e) => return Ok(Err(e)),
        }) else {
            return Ok(Ok(false));
        };
        let tx = TenantTx::begin(self.db, &self.scope, Access::Read).await?;
        let pulled = links::fhir_ids(&tx, kind).await?;
        tx.rollback().await?;
        let missing: Vec<String> = pulled
            .into_iter()
            .filter(|id| !listed.contains(id))
            .collect();
        let mut gone = Vec::new();
        for fhir_id in missing.iter().take(MAX_CONFIRMATIONS) {
            match self.gateway.exists(kind, fhir_id).await {
                Ok(true) => {}
                Ok(false) => gone.push(Change::Deleted {
                    kind,
                    fhir_id: fhir_id.clone(),
                }),
                Err(e) => return Ok(Err(e)),
            }
        }
        if !gone.is_empty() {
            let tx = TenantTx::begin(self.db, &self.scope, Access::Write).await?;
            ingest::apply_page(
                &tx,
                self.run_id,
                kind,
                gone,
                &mut self.counts,
                &mut self.followups,
            )
            .await?;
            self.still_running(&tx).await?;
            tx.commit().await?;
        }
        Ok(Ok(missing.len() <= MAX_CONFIRMATIONS))
    }
}

/// Every id the EHR lists of `kind`, or `None` when the listing is longer than a run may read.
async fn listed_ids(
    gateway: &dyn EhrGateway,
    kind: ResourceKind,
) -> Result<Option<HashSet<String>>, EhrError> {
    let mut listed = HashSet::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES_PER_TYPE {
        let page = gateway.ids(kind, next.as_deref()).await?;
        listed.extend(page.ids);
        match page.next {
            Some(url) => next = Some(url),
            None => return Ok(Some(listed)),
        }
    }
    Ok(None)
}
