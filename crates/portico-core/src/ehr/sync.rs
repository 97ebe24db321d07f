//! One sync run for a practice: for each enabled resource type, oldest change first, pages
//! of changes since the type's mark are fetched (no transaction held meanwhile) and applied
//! each in its own transaction together with the mark, so a run that fails half-way has
//! written whole pages only and the next run resumes where it stopped. Deletions are read
//! from the type's history. A failed run backs off (1, 2, 4 ... 60 minutes) and says why in
//! the status; a run that succeeds waits the practice's interval.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{
    connection,
    gateway::{EhrConnector, EhrError, EhrGateway, PageRequest},
    ingest, marks,
    model::{Change, ResourceKind},
    reviews,
    runs::{self, Counts},
};
use crate::{
    CoreResult, Db, TenantId, TenantTx,
    entities::{ehr_connection, ehr_sync_run},
    ports::SecretSealer,
    tenancy::Access,
    tenants,
};

/// Pages one type may take in a run; the rest follows in the next run.
pub const MAX_PAGES_PER_TYPE: usize = 2_000;

/// A run that has been "running" longer than this died with its worker.
const STALE_RUN: i64 = 30;

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
            sea_orm::sea_query::Expr::value(Some(
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

/// Runs a sync for `tenant_id`. With `review_id`, pulls everything of that review's EHR
/// patient (after staff matched it) without moving the marks. Returns the run, or `None`
/// when there is no enabled connection or another run is under way.
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
    let busy = runs::recent(&tx, 1)
        .await?
        .into_iter()
        .any(|r| r.status == runs::RUNNING && r.started_at > now - Duration::minutes(STALE_RUN));
    let patient = match review_id {
        Some(id) => Some(reviews::find(&tx, id).await?.fhir_id),
        None => None,
    };
    if busy && patient.is_none() {
        tx.rollback().await?;
        return Ok(None);
    }
    let endpoint = connection::endpoint(&tx, sealer, &found)?;
    let kinds = connection::kinds(&found);
    let run = runs::start(&tx, trigger, now).await?;
    tx.commit().await?;

    let mut counts = Counts::new();
    let result = match connector.connect(&endpoint) {
        Ok(gateway) => {
            pull(
                db,
                &scope,
                gateway.as_ref(),
                run.id,
                &kinds,
                patient.clone(),
                now,
                &mut counts,
            )
            .await
        }
        Err(e) => Ok(Err(e)),
    };
    let failure = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(e) => Some(EhrError::new("EHR_SYNC_FAILED", e.to_string(), true)),
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
    if patient.is_none()
        && let Some(found) = connection::get(&tx).await?
    {
        let failures = if failure.is_some() {
            found.failures + 1
        } else {
            0
        };
        let next = match &failure {
            Some(_) => Utc::now() + backoff(failures),
            None => now + Duration::minutes(i64::from(found.sync_interval_minutes)),
        };
        let mut active: ehr_connection::ActiveModel = found.into();
        active.failures = Set(failures);
        active.next_run_at = Set(Some(next));
        active.update(tx.conn()).await?;
    }
    tx.commit().await?;
    if let Some(e) = &failure {
        tracing::warn!(%tenant_id, code = e.code, error = %e.message, "EHR sync failed");
    }
    Ok(Some(finished))
}

/// Pulls every type in order. The outer error is the database's, the inner the EHR's.
#[expect(
    clippy::too_many_arguments,
    reason = "the run's context, passed down rather than bundled for two callers"
)]
async fn pull(
    db: &Db,
    scope: &crate::TenantScope,
    gateway: &dyn EhrGateway,
    run_id: Uuid,
    kinds: &[ResourceKind],
    patient: Option<String>,
    started: DateTime<Utc>,
    counts: &mut Counts,
) -> CoreResult<Result<(), EhrError>> {
    for &kind in kinds {
        let tx = TenantTx::begin(db, scope, Access::Read).await?;
        let mark = marks::get(&tx, kind).await?;
        tx.rollback().await?;
        let since = if patient.is_some() {
            None
        } else {
            mark.as_ref().and_then(|m| m.last_updated)
        };
        let first = PageRequest::Updated {
            kind,
            since,
            patient: patient.clone(),
        };
        if let Err(e) = pages(
            db,
            scope,
            gateway,
            run_id,
            kind,
            first,
            patient.is_none(),
            counts,
        )
        .await?
        {
            return Ok(Err(e));
        }
        if patient.is_some() {
            continue;
        }
        // Deletions since the last run; the first run has nothing to take out.
        if let Some(since) = mark.and_then(|m| m.deleted_since) {
            let request = PageRequest::Deleted { kind, since };
            match pages(db, scope, gateway, run_id, kind, request, false, counts).await? {
                Ok(()) => {}
                // A server without type history: deletions are not seen, updates still are.
                Err(e) if e.code == "EHR_REFUSED" => {
                    tracing::info!(
                        resource_type = kind.as_str(),
                        "EHR has no history for this type"
                    );
                }
                Err(e) => return Ok(Err(e)),
            }
        }
        let tx = TenantTx::begin(db, scope, Access::Write).await?;
        marks::set_deleted_since(&tx, kind, started).await?;
        tx.commit().await?;
    }
    Ok(Ok(()))
}

/// Follows one request's pages to the end, applying each.
#[expect(
    clippy::too_many_arguments,
    reason = "the run's context, passed down rather than bundled for two callers"
)]
async fn pages(
    db: &Db,
    scope: &crate::TenantScope,
    gateway: &dyn EhrGateway,
    run_id: Uuid,
    kind: ResourceKind,
    first: PageRequest,
    move_mark: bool,
    counts: &mut Counts,
) -> CoreResult<Result<(), EhrError>> {
    let mut request = first;
    for _ in 0..MAX_PAGES_PER_TYPE {
        let page = match gateway.changes(&request).await {
            Ok(page) => page,
            Err(e) => return Ok(Err(e)),
        };
        let changes: Vec<Change> = page.changes;
        let tx = TenantTx::begin(db, scope, Access::Write).await?;
        let newest = ingest::apply_page(&tx, run_id, kind, changes, counts).await?;
        if move_mark && let Some(newest) = newest {
            marks::advance(&tx, kind, newest).await?;
        }
        tx.commit().await?;
        match page.next {
            Some(url) => request = PageRequest::Next { kind, url },
            None => return Ok(Ok(())),
        }
    }
    Ok(Ok(()))
}
