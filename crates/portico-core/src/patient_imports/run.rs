//! Running an import (the job `startPatientImport` queues): claimed once, whichever worker
//! gets the job first; every row checked again against the practice's charts as they are
//! now; every new chart, its name terms, its audit event and its note as this import's (an
//! invitation campaign's audience) written in the one transaction the job commits, in
//! chunks of a few hundred rows per statement.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{Findings, Walker, count, existing, find, json, status};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Actor},
    entities::{
        patient, patient_import, patient_import_chart, patient_import_file,
        patient_search_term as term,
    },
    patient_search,
    patients::{self, NewPatient},
};

/// Charts per `INSERT`: 33 columns each stay under SQLite's 32,766 parameters and
/// PostgreSQL's 65,535.
const CHUNK: usize = 500;
/// Name terms per `INSERT` (3 columns each).
const TERMS_CHUNK: usize = 5_000;
/// An import left running this long by a worker that stopped may be claimed again.
pub const STALE_AFTER: chrono::Duration = chrono::Duration::minutes(10);

/// Claims a queued import for this run: `None` if another run has it or it is not queued.
/// The conditional update is the lock: of two workers given the job, one wins.
pub async fn claim(tx: &TenantTx, id: Uuid) -> CoreResult<Option<patient_import::Model>> {
    let now = Utc::now();
    let claimed = tx
        .update::<patient_import::Entity>()
        .col_expr(patient_import::Column::Status, status::RUNNING.into())
        .col_expr(patient_import::Column::StartedAt, Some(now).into())
        .col_expr(patient_import::Column::UpdatedAt, now.into())
        .col_expr(patient_import::Column::RowsDone, 0.into())
        .filter(patient_import::Column::Id.eq(id))
        .filter(
            sea_orm::Condition::any()
                .add(patient_import::Column::Status.eq(status::QUEUED))
                .add(
                    sea_orm::Condition::all()
                        .add(patient_import::Column::Status.eq(status::RUNNING))
                        .add(patient_import::Column::UpdatedAt.lt(now - STALE_AFTER)),
                ),
        )
        .exec(tx.conn())
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None);
    }
    find(tx, id).await.map(Some)
}

/// What a finished run did.
#[derive(Clone, Copy, Debug)]
pub struct Done {
    pub id: Uuid,
    /// The run's claim: when it started the import.
    pub started_at: Option<DateTime<Utc>>,
    pub created: u64,
    pub skipped: u64,
    pub rows_total: u64,
}

/// Imports the claimed file in `tx`: every new chart, or (when a row fails its checks now)
/// nothing, with the problems. `progress` hears the rows done after each few chunks.
pub async fn import(
    tx: &TenantTx,
    import: &patient_import::Model,
    progress: &(dyn Fn(i32) + Send + Sync),
) -> CoreResult<Result<Done, Findings>> {
    let file = tx
        .find::<patient_import_file::Entity>()
        .filter(patient_import_file::Column::Id.eq(import.id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    plan_each_check(tx).await?;
    let existing = existing(tx).await?;
    let mut pending: Vec<patient::ActiveModel> = Vec::with_capacity(CHUNK);
    let mut terms: Vec<term::ActiveModel> = Vec::new();
    let mut created: Vec<Uuid> = Vec::new();
    let mut chunks = 0_u64;
    let mut walker = Walker::open(&file.content, &existing)?;
    while let Some(row) = walker.next_new()? {
        // Once a row has failed nothing will be kept: only check the rest.
        if walker.findings.error_rows > 0 {
            continue;
        }
        let (given, family) = (row.given_name.clone(), row.family_name.clone());
        let mut chart = patients::new_chart(
            tx,
            NewPatient {
                mrn: row.mrn,
                given_name: row.given_name,
                family_name: row.family_name,
                birth_date: Some(row.birth_date),
                gender: row.gender.to_owned(),
                email: row.email,
                phone: row.phone,
            },
        )?;
        chart.preferred_language = Set(row.language);
        // `insert_many` skips `before_save`: fill the search columns as it would.
        patient_search::fill_columns(&mut chart);
        let sea_orm::ActiveValue::Set(id) = chart.id else {
            return Err(CoreError::adapter("a new chart has no id"));
        };
        for word in patient_search::name_terms(&given, &family) {
            terms.push(term::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                patient_id: Set(id),
                term: Set(word),
            });
        }
        created.push(id);
        pending.push(chart);
        if pending.len() == CHUNK {
            flush(tx, &mut pending, &mut terms).await?;
            chunks += 1;
            if chunks.is_multiple_of(4) {
                progress(count(walker.findings.rows_total));
            }
        }
    }
    let findings = walker.findings;
    if findings.error_rows > 0 {
        return Ok(Err(findings));
    }
    flush(tx, &mut pending, &mut terms).await?;
    note_charts(tx, import.id, &created).await?;
    let actor = import.created_by.map_or_else(Actor::system, Actor::user);
    // Collected first: an iterator over the ids held across the await would make the
    // job's future `Send` only for one lifetime (a rustc limitation the worker trips on).
    let accesses: Vec<audit::Access<'static>> =
        created.iter().map(|&id| patients::created(id)).collect();
    audit::record_all(tx, &actor, accesses).await?;
    Ok(Ok(Done {
        id: import.id,
        started_at: import.started_at,
        created: created.len() as u64,
        skipped: findings.already_here,
        rows_total: findings.rows_total,
    }))
}

/// On PostgreSQL, has every statement of the import's transaction planned for the table as
/// it is then. A name term's foreign-key check is a cached query whose generic plan is made
/// once per connection, from the size the charts table had then: made while it looked empty,
/// it scanned the practice's every chart by an index on the practice alone for each term,
/// and an import slowed as it grew (50,000 rows took minutes, the time going into those
/// checks). Planned each time, it finds the chart by its key.
async fn plan_each_check(tx: &TenantTx) -> CoreResult<()> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if tx.conn().get_database_backend() == DbBackend::Postgres {
        tx.conn()
            .execute_raw(Statement::from_string(
                DbBackend::Postgres,
                "SET LOCAL plan_cache_mode = force_custom_plan",
            ))
            .await?;
    }
    Ok(())
}

/// Marks the import done, in its transaction (after its progress writer has stopped: on
/// PostgreSQL a progress write waiting on this row would wait for the commit).
///
/// Only the run that holds the claim finishes it: one taken over meanwhile (stale after
/// [`STALE_AFTER`] without progress, and claimed again) gets `Conflict`, and its transaction,
/// with every chart it wrote, is rolled back instead of adding them a second time.
pub async fn finish(tx: &TenantTx, done: &Done) -> CoreResult<()> {
    let now = Utc::now();
    let finished = tx
        .update::<patient_import::Entity>()
        .col_expr(patient_import::Column::Status, status::DONE.into())
        .col_expr(
            patient_import::Column::RowsDone,
            count(done.rows_total).into(),
        )
        .col_expr(patient_import::Column::Created, count(done.created).into())
        .col_expr(patient_import::Column::Skipped, count(done.skipped).into())
        .col_expr(patient_import::Column::UpdatedAt, now.into())
        .col_expr(patient_import::Column::FinishedAt, Some(now).into())
        .filter(patient_import::Column::Id.eq(done.id))
        .filter(patient_import::Column::Status.eq(status::RUNNING))
        .filter(held_by(done.started_at))
        .exec(tx.conn())
        .await?;
    if finished.rows_affected == 0 {
        return Err(CoreError::Conflict { field: "importId" });
    }
    // The file held patients' details; once they are charts it is not kept (the same file
    // again is still recognised by its hash).
    tx.delete::<patient_import_file::Entity>()
        .filter(patient_import_file::Column::Id.eq(done.id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// The import's claim is still the run's that started it at `started_at`.
fn held_by(started_at: Option<DateTime<Utc>>) -> sea_orm::Condition {
    match started_at {
        Some(at) => sea_orm::Condition::all().add(patient_import::Column::StartedAt.eq(at)),
        None => sea_orm::Condition::all().add(patient_import::Column::StartedAt.is_null()),
    }
}

async fn flush(
    tx: &TenantTx,
    pending: &mut Vec<patient::ActiveModel>,
    terms: &mut Vec<term::ActiveModel>,
) -> CoreResult<()> {
    if !pending.is_empty() {
        tx.insert_many(pending.drain(..))
            .exec_without_returning(tx.conn())
            .await
            .map_err(|e| CoreError::unique_as(e, CoreError::Conflict { field: "mrn" }))?;
    }
    while !terms.is_empty() {
        let take = terms.len().min(TERMS_CHUNK);
        tx.insert_many(terms.drain(..take))
            .exec_without_returning(tx.conn())
            .await?;
    }
    Ok(())
}

/// Notes which charts the import created, so an invitation campaign can target them.
async fn note_charts(tx: &TenantTx, import: Uuid, created: &[Uuid]) -> CoreResult<()> {
    for chunk in created.chunks(TERMS_CHUNK) {
        let rows = chunk
            .iter()
            .map(|&patient| patient_import_chart::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                import_id: Set(import),
                patient_id: Set(patient),
            });
        tx.insert_many(rows)
            .exec_without_returning(tx.conn())
            .await?;
    }
    Ok(())
}

/// Notes a running import's progress in a short transaction of its own (PostgreSQL).
pub async fn record_progress(
    tx: &TenantTx,
    id: Uuid,
    started_at: Option<DateTime<Utc>>,
    rows_done: i32,
) -> CoreResult<()> {
    tx.update::<patient_import::Entity>()
        .col_expr(patient_import::Column::RowsDone, rows_done.into())
        .col_expr(patient_import::Column::UpdatedAt, Utc::now().into())
        .filter(patient_import::Column::Id.eq(id))
        .filter(patient_import::Column::Status.eq(status::RUNNING))
        .filter(held_by(started_at))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Ends a run that created nothing: `failure` says why (no PHI). With findings (a row fails
/// its checks now), the import is back to its preview with the new problems, so starting it
/// again is refused naming the rows.
pub async fn fail(
    tx: &TenantTx,
    id: Uuid,
    started_at: Option<DateTime<Utc>>,
    failure: &str,
    findings: Option<&Findings>,
) -> CoreResult<()> {
    let now = Utc::now();
    let mut update = tx
        .update::<patient_import::Entity>()
        .col_expr(
            patient_import::Column::Failure,
            Some(failure.to_owned()).into(),
        )
        .col_expr(patient_import::Column::RowsDone, 0.into())
        .col_expr(patient_import::Column::UpdatedAt, now.into())
        .filter(patient_import::Column::Id.eq(id))
        // Only the run that holds it ends it.
        .filter(patient_import::Column::Status.eq(status::RUNNING))
        .filter(held_by(started_at));
    update = match findings {
        Some(f) => update
            .col_expr(patient_import::Column::Status, status::PREVIEWED.into())
            .col_expr(
                patient_import::Column::RowsTotal,
                count(f.rows_total).into(),
            )
            .col_expr(
                patient_import::Column::NewCharts,
                count(f.new_charts).into(),
            )
            .col_expr(
                patient_import::Column::AlreadyHere,
                count(f.already_here).into(),
            )
            .col_expr(
                patient_import::Column::ErrorRows,
                count(f.error_rows).into(),
            )
            .col_expr(patient_import::Column::Problems, json(&f.problems)?.into())
            .col_expr(
                patient_import::Column::ProblemCounts,
                json(&f.counts)?.into(),
            ),
        None => update
            .col_expr(patient_import::Column::Status, status::FAILED.into())
            .col_expr(patient_import::Column::FinishedAt, Some(now).into()),
    };
    update.exec(tx.conn()).await?;
    Ok(())
}
