//! Running an export (`Job::ExportBulk`): claimed once (a second delivery finds it taken),
//! every chart read in one snapshot so the files agree with each other as of the export's
//! `transactionTime`, NDJSON put in the attachment store as each file fills, the progress
//! noted (and a cancel noticed) every few charts. A run that fails or is cancelled deletes
//! what it wrote.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set, sea_query::Expr};
use uuid::Uuid;

use super::{FILE_TTL, RESOURCES_PER_FILE, note_progress, status};
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

/// A file written to the store.
struct Written {
    id: Uuid,
    ty: ResourceType,
    key: String,
    resources: usize,
    bytes: usize,
}

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
    let started = Utc::now();
    let claimed = tx
        .update::<bulk_export::Entity>()
        .col_expr(bulk_export::Column::Status, Expr::value(status::RUNNING))
        .col_expr(bulk_export::Column::StartedAt, Expr::value(started))
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
    let mut written = Vec::new();
    let run = write_files(
        db,
        store,
        &scope,
        &export,
        &tenant.tenant.name,
        &mut written,
    )
    .await;
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    let ended = match run {
        Ok((done, withheld)) => finish(&tx, &export, &written, done, withheld).await,
        Err(Stop::Cancelled) => Ok(false),
        Err(Stop::Failed(e)) => {
            tracing::error!(
                %tenant_id, %export_id, error = %crate::error::chain(&e), "bulk export failed"
            );
            tx.update::<bulk_export::Entity>()
                .col_expr(bulk_export::Column::Status, Expr::value(status::FAILED))
                .col_expr(
                    bulk_export::Column::Error,
                    Expr::value("the export could not be completed; start another"),
                )
                .col_expr(bulk_export::Column::CompletedAt, Expr::value(Utc::now()))
                .filter(bulk_export::Column::Id.eq(export_id))
                .filter(bulk_export::Column::Status.eq(status::RUNNING))
                .exec(tx.conn())
                .await
                .map(|_| false)
                .map_err(CoreError::from)
        }
    };
    let kept = match ended {
        Ok(kept) => {
            tx.commit().await?;
            kept
        }
        Err(e) => {
            let _ = tx.rollback().await;
            forget(store, &written).await;
            return Err(e);
        }
    };
    if !kept {
        forget(store, &written).await;
    }
    Ok(())
}

/// Records the files and marks the export complete, if it is still running: whether it was.
async fn finish(
    tx: &TenantTx,
    export: &bulk_export::Model,
    written: &[Written],
    done: i32,
    withheld: i32,
) -> CoreResult<bool> {
    let now = Utc::now();
    let completed = tx
        .update::<bulk_export::Entity>()
        .col_expr(bulk_export::Column::Status, Expr::value(status::COMPLETE))
        .col_expr(bulk_export::Column::ChartsDone, Expr::value(done))
        .col_expr(bulk_export::Column::ChartsWithheld, Expr::value(withheld))
        .col_expr(bulk_export::Column::CompletedAt, Expr::value(now))
        .col_expr(bulk_export::Column::ExpiresAt, Expr::value(now + FILE_TTL))
        .filter(bulk_export::Column::Id.eq(export.id))
        .filter(bulk_export::Column::Status.eq(status::RUNNING))
        .exec(tx.conn())
        .await?;
    if completed.rows_affected != 1 {
        return Ok(false);
    }
    for file in written {
        bulk_export_file::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(file.id),
            export_id: Set(export.id),
            resource_type: Set(file.ty.as_str().to_owned()),
            object_key: Set(file.key.clone()),
            resources: Set(i32::try_from(file.resources).unwrap_or(i32::MAX)),
            bytes: Set(i64::try_from(file.bytes).unwrap_or(i64::MAX)),
        }
        .insert(tx.conn())
        .await?;
    }
    Ok(true)
}

async fn forget(store: &dyn AttachmentStore, written: &[Written]) {
    for file in written {
        if let Err(e) = store.delete(&file.key).await {
            // The nightly purge cannot find it (no row): say so.
            tracing::warn!(key = %file.key, error = %e, "bulk export file not deleted");
        }
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
    written: &mut Vec<Written>,
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
    let sees = Sees {
        appointments: true,
        home_readings: true,
    };
    let snapshot = TenantTx::begin_snapshot(db, scope).await?;
    let restricted: Vec<Uuid> = snapshot
        .find::<chart_restriction::Entity>()
        .all(snapshot.conn())
        .await?
        .into_iter()
        .map(|r| r.patient_id)
        .collect();
    let charts: Vec<patient::Model> = snapshot
        .find::<patient::Entity>()
        .order_by_asc(patient::Column::Id)
        .all(snapshot.conn())
        .await?;
    let (withheld, charts): (Vec<_>, Vec<_>) =
        charts.into_iter().partition(|c| restricted.contains(&c.id));
    let withheld = i32::try_from(withheld.len()).unwrap_or(i32::MAX);
    let total = i32::try_from(charts.len()).unwrap_or(i32::MAX);
    let progress = TenantTx::begin(db, scope, Access::Write).await?;
    progress
        .update::<bulk_export::Entity>()
        .col_expr(bulk_export::Column::ChartsTotal, Expr::value(total))
        .col_expr(bulk_export::Column::ChartsWithheld, Expr::value(withheld))
        .filter(bulk_export::Column::Id.eq(export.id))
        .exec(progress.conn())
        .await?;
    progress.commit().await?;
    let mut buffers: BTreeMap<&'static str, (ResourceType, Buffer)> = BTreeMap::new();
    let mut done: i32 = 0;
    for chart in charts {
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
        flush(
            store,
            scope.tenant_id(),
            export.id,
            &mut buffers,
            written,
            false,
        )
        .await?;
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
    flush(
        store,
        scope.tenant_id(),
        export.id,
        &mut buffers,
        written,
        true,
    )
    .await?;
    // Commits the audit events of every chart read.
    snapshot.commit().await?;
    Ok((done, withheld))
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

/// Puts the full buffers (all that hold anything, at the end) in the store.
async fn flush(
    store: &dyn AttachmentStore,
    tenant: TenantId,
    export: Uuid,
    buffers: &mut BTreeMap<&'static str, (ResourceType, Buffer)>,
    written: &mut Vec<Written>,
    all: bool,
) -> Result<(), Stop> {
    for (ty, buffer) in buffers.values_mut() {
        if buffer.resources == 0 || (!all && buffer.resources < RESOURCES_PER_FILE) {
            continue;
        }
        let full = std::mem::take(buffer);
        let id = Uuid::now_v7();
        let key = format!("bulk-exports/{tenant}/{export}/{id}.ndjson");
        let bytes = full.bytes.len();
        store
            .put(&key, full.bytes)
            .await
            .map_err(|e| Stop::Failed(CoreError::adapter(e)))?;
        written.push(Written {
            id,
            ty: *ty,
            key,
            resources: full.resources,
            bytes,
        });
    }
    Ok(())
}
