//! Running an export (`Job::ExportBulk`): claimed once (a second delivery finds it taken),
//! every chart read in one snapshot so the files agree with each other as of the export's
//! `transactionTime`, NDJSON put in the attachment store as each file fills and recorded
//! at once (so nothing written is ever unknown to the purge), the progress and a heartbeat
//! noted (and a cancel noticed) every few charts. A run that fails, is cut off or is
//! cancelled is marked so and what it wrote is deleted (or left to the nightly purge, which
//! also finds exports whose heartbeat stopped).

use std::collections::{BTreeMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{FAILED_TTL, FILE_TTL, RESOURCES_PER_FILE, note_progress, status};
use crate::{
    CoreError, CoreResult, Db, TenantId, TenantScope, TenantTx,
    audit::{Actor, SMART_APP},
    chart_access::{OpenChart, Relationship},
    entities::{bulk_export, bulk_export_file, chart_restriction, patient},
    fhir_api::{ResourceType, Sees, load},
    ports::AttachmentStore,
    records,
    tenancy::Access,
    tenants,
};

/// Charts between two notes of progress.
const NOTE_EVERY: i32 = 25;
const FAILED: &str = "the export could not be completed; start another";

/// Why a run stopped early.
enum Stop {
    Cancelled,
    Failed(CoreError),
}

impl From<CoreError> for Stop {
    fn from(e: CoreError) -> Self {
        Self::Failed(e)
    }
}

impl From<sea_orm::DbErr> for Stop {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Failed(e.into())
    }
}

/// Runs export `export_id` of `tenant_id`, if it is still queued.
pub async fn export(
    db: &Db,
    store: &dyn AttachmentStore,
    tenant_id: TenantId,
    export_id: Uuid,
) -> CoreResult<()> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(());
    };
    let scope = tenant.scope();
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    let now = Utc::now();
    let claimed = tx
        .update::<bulk_export::Entity>()
        .col_expr(bulk_export::Column::Status, Expr::value(status::RUNNING))
        .col_expr(bulk_export::Column::StartedAt, Expr::value(now))
        .col_expr(bulk_export::Column::HeartbeatAt, Expr::value(now))
        .filter(bulk_export::Column::Id.eq(export_id))
        .filter(bulk_export::Column::Status.eq(status::QUEUED))
        .exec(tx.conn())
        .await?;
    let export = tx
        .find::<bulk_export::Entity>()
        .filter(bulk_export::Column::Id.eq(export_id))
        .one(tx.conn())
        .await?;
    tx.commit().await?;
    let (1, Some(export)) = (claimed.rows_affected, export) else {
        tracing::debug!(%tenant_id, %export_id, "bulk export not queued; nothing to run");
        return Ok(());
    };
    // From here every way out marks the export: its end, a failure, or (dropped) cut off.
    let mut cut_off = CutOff {
        db: db.clone(),
        scope,
        export_id,
        armed: true,
    };
    let run = write_files(db, store, &scope, &export, &tenant.tenant.name).await;
    let ended = match run {
        Ok((done, withheld)) => finish(db, &scope, export_id, done, withheld).await,
        Err(Stop::Cancelled) => Ok(false),
        Err(Stop::Failed(e)) => {
            tracing::error!(
                %tenant_id, %export_id, error = %crate::error::chain(&e), "bulk export failed"
            );
            fail(db, &scope, export_id).await.map(|()| false)
        }
    };
    cut_off.armed = false;
    // Not even marked (the database failed too): the status shows it interrupted once its
    // heartbeat is old, and the nightly purge deletes its files.
    if !ended? {
        forget(db, store, &scope, export_id).await;
    }
    Ok(())
}

/// Marks the export complete, if it is still running: whether it was.
async fn finish(
    db: &Db,
    scope: &TenantScope,
    id: Uuid,
    done: i32,
    withheld: i32,
) -> CoreResult<bool> {
    let tx = TenantTx::begin(db, scope, Access::Write).await?;
    let now = Utc::now();
    let completed = tx
        .update::<bulk_export::Entity>()
        .col_expr(bulk_export::Column::Status, Expr::value(status::COMPLETE))
        .col_expr(bulk_export::Column::ChartsDone, Expr::value(done))
        .col_expr(bulk_export::Column::ChartsWithheld, Expr::value(withheld))
        .col_expr(bulk_export::Column::CompletedAt, Expr::value(now))
        .col_expr(bulk_export::Column::ExpiresAt, Expr::value(now + FILE_TTL))
        .filter(bulk_export::Column::Id.eq(id))
        .filter(bulk_export::Column::Status.eq(status::RUNNING))
        .exec(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(completed.rows_affected == 1)
}

/// Marks a running export failed; its status says so for a while.
async fn fail(db: &Db, scope: &TenantScope, id: Uuid) -> CoreResult<()> {
    let tx = TenantTx::begin(db, scope, Access::Write).await?;
    let now = Utc::now();
    tx.update::<bulk_export::Entity>()
        .col_expr(bulk_export::Column::Status, Expr::value(status::FAILED))
        .col_expr(bulk_export::Column::Error, Expr::value(FAILED))
        .col_expr(bulk_export::Column::CompletedAt, Expr::value(now))
        .col_expr(
            bulk_export::Column::ExpiresAt,
            Expr::value(now + FAILED_TTL),
        )
        .filter(bulk_export::Column::Id.eq(id))
        .filter(bulk_export::Column::Status.eq(status::RUNNING))
        .exec(tx.conn())
        .await?;
    tx.commit().await
}

/// Deletes the files of an export that will not be served, and their rows (a file the
/// store keeps is left listed, for the nightly purge to try again).
async fn forget(db: &Db, store: &dyn AttachmentStore, scope: &TenantScope, id: Uuid) {
    let files = async {
        let tx = TenantTx::begin(db, scope, Access::Read).await?;
        let files = tx
            .find::<bulk_export_file::Entity>()
            .filter(bulk_export_file::Column::ExportId.eq(id))
            .all(tx.conn())
            .await?;
        tx.commit().await?;
        CoreResult::Ok(files)
    };
    let files = match files.await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(export = %id, error = %e, "bulk export files not listed; the purge deletes them");
            return;
        }
    };
    let mut deleted = Vec::new();
    for file in files {
        match store.delete(&file.object_key).await {
            Ok(()) => deleted.push(file.id),
            Err(e) => {
                tracing::warn!(key = %file.object_key, error = %e, "bulk export file not deleted");
            }
        }
    }
    let removed = async {
        let tx = TenantTx::begin(db, scope, Access::Write).await?;
        tx.delete::<bulk_export_file::Entity>()
            .filter(bulk_export_file::Column::Id.is_in(deleted))
            .exec(tx.conn())
            .await?;
        tx.commit().await
    };
    if let Err(e) = removed.await {
        tracing::warn!(export = %id, error = %e, "deleted bulk export files still listed");
    }
}

/// Marks the export failed if the run is dropped before it ends (a shutdown that outlasts
/// the grace period): its client sees the failure instead of waiting.
struct CutOff {
    db: Db,
    scope: TenantScope,
    export_id: Uuid,
    armed: bool,
}

impl Drop for CutOff {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (db, scope, id) = (self.db.clone(), self.scope, self.export_id);
        runtime.spawn(async move {
            if let Err(e) = fail(&db, &scope, id).await {
                tracing::warn!(export = %id, error = %e, "a cut-off bulk export not marked failed");
            }
        });
    }
}

/// NDJSON being gathered for one type.
#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    resources: usize,
}

/// Reads every chart and writes the files: how many charts were exported, how many
/// withheld.
async fn write_files(
    db: &Db,
    store: &dyn AttachmentStore,
    scope: &TenantScope,
    export: &bulk_export::Model,
    practice: &str,
) -> Result<(i32, i32), Stop> {
    let types: Vec<ResourceType> = export
        .types
        .split(',')
        .filter_map(ResourceType::parse)
        .collect();
    let provenance = types.contains(&ResourceType::Provenance);
    let actor = Actor {
        kind: SMART_APP,
        id: Some(export.app_id),
        ..Actor::system()
    };
    // Appointments were left out of `types` at kick-off when the policies hide them.
    let sees = Sees {
        appointments: true,
        home_readings: export.home_readings,
    };
    let snapshot = TenantTx::begin_snapshot(db, scope).await?;
    let restricted: HashSet<Uuid> = snapshot
        .find::<chart_restriction::Entity>()
        .all(snapshot.conn())
        .await?
        .into_iter()
        .map(|r| r.patient_id)
        .collect();
    // The snapshot holds from its first statement: nothing later is in it.
    let transaction_time = Utc::now();
    let all = snapshot
        .find::<patient::Entity>()
        .count(snapshot.conn())
        .await?;
    let withheld = i32::try_from(restricted.len()).unwrap_or(i32::MAX);
    let total = i32::try_from(all).unwrap_or(i32::MAX) - withheld;
    let tx = TenantTx::begin(db, scope, Access::Write).await?;
    tx.update::<bulk_export::Entity>()
        .col_expr(bulk_export::Column::ChartsTotal, Expr::value(total))
        .col_expr(bulk_export::Column::ChartsWithheld, Expr::value(withheld))
        .col_expr(
            bulk_export::Column::StartedAt,
            Expr::value(transaction_time),
        )
        .filter(bulk_export::Column::Id.eq(export.id))
        .exec(tx.conn())
        .await?;
    tx.commit().await?;
    let mut buffers: BTreeMap<&'static str, (ResourceType, Buffer)> = BTreeMap::new();
    let mut done: i32 = 0;
    let mut after: Option<Uuid> = None;
    // The charts a page at a time, in id order, all within the snapshot.
    while let Some(page) = next_charts(&snapshot, after).await? {
        after = page.last().map(|c| c.id);
        for chart in page.into_iter().filter(|c| !restricted.contains(&c.id)) {
            let chart = OpenChart {
                chart,
                relationship: Relationship::Staff,
                break_glass: None,
            };
            for ty in types
                .iter()
                .copied()
                .filter(|t| *t != ResourceType::Provenance)
            {
                for served in load::chart_resources(&snapshot, &chart, ty, sees).await? {
                    if export.since.is_some_and(|since| served.recorded < since) {
                        continue;
                    }
                    push(&mut buffers, ty, &served.resource);
                    if provenance {
                        push(
                            &mut buffers,
                            ResourceType::Provenance,
                            &served.provenance(ty, practice),
                        );
                    }
                }
            }
            records::audit(
                &snapshot,
                &actor,
                &chart,
                "chart.export",
                "Patient",
                Some(chart.id()),
            )
            .await?;
            done += 1;
            flush(db, store, scope, export.id, &mut buffers, false).await?;
            if done % NOTE_EVERY == 0 {
                let tx = TenantTx::begin(db, scope, Access::Write).await?;
                let running = note_progress(&tx, export.id, done).await?;
                tx.commit().await?;
                if !running {
                    let _ = snapshot.rollback().await;
                    return Err(Stop::Cancelled);
                }
            }
        }
    }
    flush(db, store, scope, export.id, &mut buffers, true).await?;
    // Commits the audit events of every chart read.
    snapshot.commit().await?;
    Ok((done, withheld))
}

/// Charts read a page at a time.
const CHART_PAGE: u64 = 500;

/// The next page of charts after `after`, in id order; `None` when there are no more.
async fn next_charts(
    snapshot: &TenantTx,
    after: Option<Uuid>,
) -> CoreResult<Option<Vec<patient::Model>>> {
    let mut query = snapshot
        .find::<patient::Entity>()
        .order_by_asc(patient::Column::Id)
        .limit(CHART_PAGE);
    if let Some(after) = after {
        query = query.filter(patient::Column::Id.gt(after));
    }
    let page = query.all(snapshot.conn()).await?;
    Ok((!page.is_empty()).then_some(page))
}

fn push(
    buffers: &mut BTreeMap<&'static str, (ResourceType, Buffer)>,
    ty: ResourceType,
    resource: &serde_json::Value,
) {
    let (_, buffer) = buffers
        .entry(ty.as_str())
        .or_insert_with(|| (ty, Buffer::default()));
    // serde_json writes one line: no newline inside a resource.
    buffer.bytes.extend(resource.to_string().into_bytes());
    buffer.bytes.push(b'\n');
    buffer.resources += 1;
}

/// Puts the full buffers (all that hold anything, at the end) in the store, each recorded
/// as soon as it is there; `Cancelled` when the export is no longer running.
async fn flush(
    db: &Db,
    store: &dyn AttachmentStore,
    scope: &TenantScope,
    export: Uuid,
    buffers: &mut BTreeMap<&'static str, (ResourceType, Buffer)>,
    all: bool,
) -> Result<(), Stop> {
    for (ty, buffer) in buffers.values_mut() {
        if buffer.resources == 0 || (!all && buffer.resources < RESOURCES_PER_FILE) {
            continue;
        }
        let full = std::mem::take(buffer);
        let id = Uuid::now_v7();
        let key = format!("bulk-exports/{}/{export}/{id}.ndjson", scope.tenant_id());
        let bytes = full.bytes.len();
        store
            .put(&key, full.bytes)
            .await
            .map_err(|e| Stop::Failed(CoreError::adapter(e)))?;
        let tx = TenantTx::begin(db, scope, Access::Write).await?;
        let running = note_progress_of_file(&tx, export).await?;
        if running {
            bulk_export_file::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(id),
                export_id: Set(export),
                resource_type: Set(ty.as_str().to_owned()),
                object_key: Set(key.clone()),
                resources: Set(i32::try_from(full.resources).unwrap_or(i32::MAX)),
                bytes: Set(i64::try_from(bytes).unwrap_or(i64::MAX)),
            }
            .insert(tx.conn())
            .await?;
        }
        tx.commit().await?;
        if !running {
            if let Err(e) = store.delete(&key).await {
                tracing::warn!(%key, error = %e, "bulk export file of a cancelled export not deleted");
            }
            return Err(Stop::Cancelled);
        }
    }
    Ok(())
}

/// A heartbeat with a file written: false when the export is no longer running.
async fn note_progress_of_file(tx: &TenantTx, export: Uuid) -> CoreResult<bool> {
    let noted = tx
        .update::<bulk_export::Entity>()
        .col_expr(bulk_export::Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(bulk_export::Column::Id.eq(export))
        .filter(bulk_export::Column::Status.eq(status::RUNNING))
        .exec(tx.conn())
        .await?;
    Ok(noted.rows_affected == 1)
}
