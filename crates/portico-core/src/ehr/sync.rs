//! One sync run for a practice: for each enabled resource type, oldest change first, pages
//! of changes since the type's mark are fetched (no transaction waits on the EHR; the next
//! page is fetched while the one before it is applied) and applied each in its own
//! transaction together with the mark, so a run that fails half-way has
//! written whole pages only and the next run resumes where it stopped. Deletions are read
//! from the type's history where the EHR's CapabilityStatement offers it, and otherwise
//! found by reconciling ids (`reconcile`). A run holds the connection (`running_since`, refreshed by every
//! page), so two workers never pull one practice at once. Records that waited for their
//! patient, and the records of patients first linked by an incremental run, are pulled by
//! patient at the end of the run (their `_lastUpdated` may be older than the marks). A
//! failed run backs off (1, 2, 4 ... 60 minutes) and says why in the status; a run that
//! succeeds waits the practice's interval.

pub mod reconcile;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, QueryFilter, Set, sea_query::Expr};
use uuid::Uuid;

use super::{
    connection,
    gateway::{EhrConnector, EhrError, EhrGateway, PageRequest},
    ingest::{self, Followups},
    links, marks,
    model::{Change, ResourceKind},
    reviews,
    runs::{self, Counts},
};
use crate::{
    CoreError, CoreResult, Db, TenantId, TenantScope, TenantTx,
    entities::{ehr_connection, ehr_sync_run},
    ports::SecretSealer,
    tenancy::Access,
    tenants,
};

/// Pages one type may take in a run; the rest follows in the next run.
pub const MAX_PAGES_PER_TYPE: usize = 2_000;

/// Patients pulled one by one at the end of a run; more wait for the next run's list.
pub const MAX_FOLLOWUPS: usize = 500;

/// A run whose connection mark is older than this died with its worker (each page
/// refreshes it; one page takes at most a few requests' timeouts).
const STALE_RUN_MINUTES: i64 = 10;

/// How far ahead of our clock an EHR's `lastUpdated` may be before the mark stops at our
/// clock (a resource stamped in the future would otherwise stop the type's pull).
const CLOCK_SKEW_MINUTES: i64 = 5;

/// How long to wait after the `failures`-th failed run in a row.
pub fn backoff(failures: i32) -> Duration {
    let doublings = u32::try_from(failures.clamp(1, 7) - 1).unwrap_or(0);
    (Duration::minutes(1) * 2_i32.pow(doublings)).min(Duration::hours(1))
}

/// Whether the sweep should start a run now; if so, the next run is pushed back by the
/// interval, so one sweep enqueues it once.
pub async fn claim_due(tx: &TenantTx, now: DateTime<Utc>) -> CoreResult<bool> {
    let Some(found) = connection::get(tx).await? else {
        return Ok(false);
    };
    if !found.enabled || found.next_run_at.is_some_and(|at| at > now) {
        return Ok(false);
    }
    let claimed = tx
        .update::<ehr_connection::Entity>()
        .col_expr(
            ehr_connection::Column::NextRunAt,
            Expr::value(Some(
                now + Duration::minutes(i64::from(found.sync_interval_minutes)),
            )),
        )
        .filter(ehr_connection::Column::Id.eq(found.id))
        // Claimed only if no other sweep (another worker process) moved it first.
        .filter(match found.next_run_at {
            Some(at) => ehr_connection::Column::NextRunAt.eq(at),
            None => ehr_connection::Column::NextRunAt.is_null(),
        })
        .exec(tx.conn())
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// What a run works with.
struct Pass<'a> {
    db: &'a Db,
    scope: TenantScope,
    gateway: &'a dyn EhrGateway,
    run_id: Uuid,
    counts: Counts,
    followups: Followups,
    /// A run started by an admin reconciles ids whenever history is not offered, not only
    /// once a day: someone asked for the EHR's picture as it is now.
    manual: bool,
}

/// Runs a sync for `tenant_id`. With `review_id`, pulls everything of that review's EHR
/// patient (after staff matched it) without moving the marks. Returns the run, or `None`
/// when there is no enabled connection or another run holds it (a review's pull then fails,
/// to be retried by the queue).
pub async fn run(
    db: &Db,
    connector: &dyn EhrConnector,
    sealer: &dyn SecretSealer,
    tenant_id: TenantId,
    trigger: &str,
    review_id: Option<Uuid>,
) -> CoreResult<Option<ehr_sync_run::Model>> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(None);
    };
    let scope = tenant.scope();
    let now = Utc::now();
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    let Some(found) = connection::get(&tx).await?.filter(|c| c.enabled) else {
        tx.rollback().await?;
        return Ok(None);
    };
    let patient = match review_id {
        Some(id) => Some(reviews::find(&tx, id).await?.fhir_id),
        None => None,
    };
    let run_id = Uuid::now_v7();
    let claimed = tx
        .update::<ehr_connection::Entity>()
        .col_expr(ehr_connection::Column::RunningSince, Expr::value(Some(now)))
        .col_expr(
            ehr_connection::Column::RunningRunId,
            Expr::value(Some(run_id)),
        )
        .filter(ehr_connection::Column::Id.eq(found.id))
        .filter(
            Condition::any()
                .add(ehr_connection::Column::RunningSince.is_null())
                .add(
                    ehr_connection::Column::RunningSince
                        .lt(now - Duration::minutes(STALE_RUN_MINUTES)),
                ),
        )
        .exec(tx.conn())
        .await?;
    if claimed.rows_affected == 0 {
        tx.rollback().await?;
        return match patient {
            Some(_) => Err(CoreError::adapter(
                "the practice's EHR sync is running; the patient's pull is retried",
            )),
            None => Ok(None),
        };
    }
    // A run that died holding the connection is closed as failed.
    if let Some(dead) = found.running_run_id {
        runs::abandon(&tx, dead, now).await?;
    }
    let endpoint = connection::endpoint(&tx, sealer, &found)?;
    let kinds = connection::kinds(&found);
    let incremental = marks::get(&tx, ResourceKind::Patient)
        .await?
        .is_some_and(|m| m.last_updated.is_some());
    let run = runs::start(&tx, run_id, trigger, now).await?;
    tx.commit().await?;

    let mut counts = Counts::new();
    let result = match connector.connect(&endpoint) {
        Ok(gateway) => {
            let mut pass = Pass {
                db,
                scope,
                gateway: gateway.as_ref(),
                run_id: run.id,
                counts: Counts::new(),
                followups: Followups::default(),
                manual: trigger == runs::MANUAL,
            };
            let pulled = match &patient {
                Some(p) => pass.patient(&kinds, p).await,
                None => pass.all(&kinds, now, incremental).await,
            };
            counts = pass.counts;
            pulled
        }
        Err(e) => Ok(Err(e)),
    };
    let failure = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(e) => {
            // The detail goes to the log; the status shows a code.
            tracing::error!(%tenant_id, error = %e, "EHR sync stopped on a database error");
            Some(EhrError::new(
                "EHR_SYNC_FAILED",
                "Portico could not save what it read; the next run resumes",
                true,
            ))
        }
    };
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    let finished = runs::finish(
        &tx,
        run.id,
        &counts,
        failure.as_ref().map(|e| (e.code, e.message.as_str())),
        Utc::now(),
    )
    .await?;
    if let Some(found) = connection::get(&tx).await? {
        let mut active: ehr_connection::ActiveModel = found.clone().into();
        if found.running_run_id == Some(run.id) {
            active.running_since = Set(None);
            active.running_run_id = Set(None);
        }
        if patient.is_none() {
            let failures = if failure.is_some() {
                found.failures + 1
            } else {
                0
            };
            active.failures = Set(failures);
            active.next_run_at = Set(Some(match &failure {
                Some(_) => Utc::now() + backoff(failures),
                None => now + Duration::minutes(i64::from(found.sync_interval_minutes)),
            }));
        }
        active.update(tx.conn()).await?;
    }
    tx.commit().await?;
    if let Some(e) = &failure {
        tracing::warn!(%tenant_id, code = e.code, error = %e.message, "EHR sync failed");
    }
    Ok(Some(finished))
}

/// The outer error is the database's, the inner the EHR's.
type Pulled = CoreResult<Result<(), EhrError>>;

impl Pass<'_> {
    /// Every type in order since its mark, deletions, then the follow-up patients.
    async fn all(
        &mut self,
        kinds: &[ResourceKind],
        started: DateTime<Utc>,
        incremental: bool,
    ) -> Pulled {
        let history = self.history_types().await;
        for &kind in kinds {
            let tx = TenantTx::begin(self.db, &self.scope, Access::Read).await?;
            let mark = marks::get(&tx, kind).await?;
            tx.rollback().await?;
            let first = PageRequest::Updated {
                kind,
                since: mark.as_ref().and_then(|m| m.last_updated),
                patient: None,
            };
            if let Err(e) = self.pages(kind, first, true).await? {
                return Ok(Err(e));
            }
            let offered = history
                .as_ref()
                .is_none_or(|types| types.iter().any(|t| t == kind.as_str()));
            let mut method = if offered {
                reconcile::HISTORY
            } else {
                reconcile::RECONCILIATION
            };
            // Deletions since the last run; the first run has nothing to take out, and is
            // itself a full reconciliation.
            let mut reconciled = Some(started);
            if let Some(mark) = mark.filter(|m| m.deleted_since.is_some()) {
                reconciled = None;
                if let (true, Some(since)) = (offered, mark.deleted_since) {
                    let request = PageRequest::Deleted { kind, since };
                    match self.pages(kind, request, false).await? {
                        Ok(()) => {}
                        // History refused although not ruled out: ids are reconciled.
                        Err(e) if e.code == "EHR_REFUSED" => {
                            tracing::info!(
                                resource_type = kind.as_str(),
                                "EHR has no history for this type; reconciling ids"
                            );
                            method = reconcile::RECONCILIATION;
                        }
                        Err(e) => return Ok(Err(e)),
                    }
                }
                if method == reconcile::RECONCILIATION
                    && reconcile::due(self.manual, mark.reconciled_at, started)
                {
                    match self.reconcile(kind).await? {
                        Ok(true) => reconciled = Some(started),
                        Ok(false) => {}
                        Err(e) => return Ok(Err(e)),
                    }
                }
            }
            // From a little before this run began: our clock and the EHR's may differ.
            let tx = TenantTx::begin(self.db, &self.scope, Access::Write).await?;
            marks::set_deletions(
                &tx,
                kind,
                started - Duration::minutes(CLOCK_SKEW_MINUTES),
                method,
                reconciled,
            )
            .await?;
            tx.commit().await?;
        }
        // Records that waited for their patient, and (after the first run) patients linked
        // now whose older records the marks have passed.
        let mut wanted: BTreeSet<String> = std::mem::take(&mut self.followups.waiting);
        if incremental {
            wanted.extend(std::mem::take(&mut self.followups.linked));
        }
        for patient in wanted.into_iter().take(MAX_FOLLOWUPS) {
            let tx = TenantTx::begin(self.db, &self.scope, Access::Read).await?;
            let linked = links::by_fhir(&tx, ResourceKind::Patient, &patient)
                .await?
                .is_some();
            tx.rollback().await?;
            if linked && let Err(e) = self.patient(kinds, &patient).await? {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }

    /// Everything of one EHR patient, marks left alone.
    async fn patient(&mut self, kinds: &[ResourceKind], patient: &str) -> Pulled {
        for &kind in kinds {
            let request = PageRequest::Updated {
                kind,
                since: None,
                patient: Some(patient.to_owned()),
            };
            if let Err(e) = self.pages(kind, request, false).await? {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }

    /// Follows one request's pages to the end, applying each. The next page is fetched
    /// while the one before it is applied (no transaction waits on the EHR), so the run
    /// waits on the EHR and the database at once rather than in turn; pages are still
    /// applied in order, each after the one before it committed.
    async fn pages(&mut self, kind: ResourceKind, first: PageRequest, move_mark: bool) -> Pulled {
        let gateway = self.gateway;
        let mut fetched = gateway.changes(&first).await;
        for n in 1..=MAX_PAGES_PER_TYPE {
            let page = match fetched {
                Ok(page) => page,
                Err(e) => return Ok(Err(e)),
            };
            let next = page
                .next
                .filter(|_| n < MAX_PAGES_PER_TYPE)
                .map(|url| PageRequest::Next { kind, url });
            let apply = self.apply(kind, page.changes, move_mark);
            let Some(next) = next else {
                apply.await?;
                return Ok(Ok(()));
            };
            let (applied, prefetched) = futures::join!(apply, gateway.changes(&next));
            applied?;
            fetched = prefetched;
        }
        Ok(Ok(()))
    }

    /// One page in its own transaction, with the type's mark when `move_mark`.
    async fn apply(
        &mut self,
        kind: ResourceKind,
        changes: Vec<Change>,
        move_mark: bool,
    ) -> CoreResult<()> {
        let tx = TenantTx::begin(self.db, &self.scope, Access::Write).await?;
        let newest = ingest::apply_page(
            &tx,
            self.run_id,
            kind,
            changes,
            &mut self.counts,
            &mut self.followups,
        )
        .await?;
        if move_mark && let Some(newest) = newest {
            let ceiling = Utc::now() + Duration::minutes(CLOCK_SKEW_MINUTES);
            marks::advance(&tx, kind, newest.min(ceiling)).await?;
        }
        self.still_running(&tx).await?;
        tx.commit().await
    }

    /// Still alive: the connection stays held by this run.
    async fn still_running(&self, tx: &TenantTx) -> CoreResult<()> {
        tx.update::<ehr_connection::Entity>()
            .col_expr(
                ehr_connection::Column::RunningSince,
                Expr::value(Some(Utc::now())),
            )
            .filter(ehr_connection::Column::RunningRunId.eq(self.run_id))
            .exec(tx.conn())
            .await?;
        Ok(())
    }
}
