//! Running a patient import (`Job::ImportPatients`). Claimed in a short transaction (so a
//! second delivery of the job finds it taken and does nothing), then every chart written in
//! one transaction; the progress is written beside it in short transactions of its own on
//! PostgreSQL, and kept in memory on SQLite (one writer at a time: see
//! `portico_core::patient_imports::progress`). A run that fails creates nothing and says why.

use portico_core::{
    CoreError, Db, TenantId, TenantTx,
    db::Engine,
    patient_imports::{progress, run},
    tenancy::Access,
    tenants,
};
use uuid::Uuid;

pub async fn import(db: &Db, tenant_id: TenantId, import_id: Uuid) -> Result<(), CoreError> {
    let Some(tenant) = tenants::find_by_id(db, tenant_id).await? else {
        return Ok(());
    };
    let scope = tenant.scope();
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    let claimed = run::claim(&tx, import_id).await?;
    tx.commit().await?;
    let Some(claimed) = claimed else {
        tracing::debug!(%tenant_id, %import_id, "patient import not queued; nothing to run");
        return Ok(());
    };
    let started = std::time::Instant::now();
    // The claim: only this run's writes (progress, the end) land while it holds it.
    let claim = claimed.started_at;
    progress::set(import_id, 0);
    let mut cut_off = CutOff {
        db: db.clone(),
        scope,
        import_id,
        claim,
        armed: true,
    };
    // Progress goes to the import's row from a task of its own (PostgreSQL), so that the
    // import's transaction never waits on it.
    let (noted, mut noting) = tokio::sync::watch::channel(0_i32);
    let writer = (db.engine() == Engine::Postgres).then(|| {
        let db = db.clone();
        tokio::spawn(async move {
            while noting.changed().await.is_ok() {
                let rows_done = *noting.borrow_and_update();
                if let Err(e) = note_progress(&db, &scope, import_id, claim, rows_done).await {
                    // A courtesy: a failure to note it does not stop the import.
                    tracing::warn!(%import_id, error = %e, "patient import progress not noted");
                }
            }
        })
    });
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    let outcome = run::import(&tx, &claimed, &|rows_done| {
        progress::set(import_id, rows_done);
        noted.send_replace(rows_done);
    })
    .await;
    drop(noted);
    if let Some(writer) = writer {
        // Its last write lands before the import's own end, not after it.
        let _ = writer.await;
    }
    // From here on the run ends by itself, whatever happens.
    cut_off.armed = false;
    let outcome = match outcome {
        Ok(Ok(done)) => run::finish(&tx, &done).await.map(|()| Ok(done)),
        other => other,
    };
    let failure = match outcome {
        Ok(Ok(done)) => match tx.commit().await {
            Ok(()) => {
                progress::clear(import_id);
                tracing::info!(
                    %tenant_id, %import_id, created = done.created, skipped = done.skipped,
                    millis = started.elapsed().as_millis() as u64, "patient import done"
                );
                return Ok(());
            }
            Err(e) => {
                tracing::warn!(%tenant_id, %import_id, error = %e, "patient import not committed");
                (
                    "the import could not be saved; nothing was created: start it again".to_owned(),
                    None,
                )
            }
        },
        Ok(Err(findings)) => {
            tx.rollback().await?;
            (
                "some rows no longer pass their checks (the practice's charts changed since the preview); nothing was created".to_owned(),
                Some(findings),
            )
        }
        Err(e) => {
            tx.rollback().await?;
            tracing::warn!(%tenant_id, %import_id, error = %portico_core::error::chain(&e), "patient import failed");
            (
                "the import failed; nothing was created: start it again".to_owned(),
                None,
            )
        }
    };
    progress::clear(import_id);
    let tx = TenantTx::begin(db, &scope, Access::Write).await?;
    run::fail(&tx, import_id, claim, &failure.0, failure.1.as_ref()).await?;
    tx.commit().await
}

async fn note_progress(
    db: &Db,
    scope: &portico_core::TenantScope,
    import_id: Uuid,
    claim: Option<chrono::DateTime<chrono::Utc>>,
    rows_done: i32,
) -> Result<(), CoreError> {
    let tx = TenantTx::begin(db, scope, Access::Write).await?;
    run::record_progress(&tx, import_id, claim, rows_done).await?;
    tx.commit().await
}

/// A run dropped part-way (its worker stopped, the job was cancelled) has created nothing:
/// its transaction rolled back as it was dropped. This marks the import failed, so that it
/// may be started again, instead of leaving it `RUNNING` until it goes stale.
struct CutOff {
    db: Db,
    scope: portico_core::TenantScope,
    import_id: Uuid,
    claim: Option<chrono::DateTime<chrono::Utc>>,
    armed: bool,
}

impl Drop for CutOff {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        progress::clear(self.import_id);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (db, scope, import_id, claim) =
            (self.db.clone(), self.scope, self.import_id, self.claim);
        runtime.spawn(async move {
            let failed = async {
                let tx = TenantTx::begin(&db, &scope, Access::Write).await?;
                run::fail(&tx, import_id, claim, "the import was cut off; nothing was created: start it again", None).await?;
                tx.commit().await
            };
            if let Err(e) = failed.await {
                tracing::warn!(%import_id, error = %e, "a cut-off patient import not marked failed");
            }
        });
    }
}
