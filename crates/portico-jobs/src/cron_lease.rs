//! One worker process at a time runs a cron tick. Every `portico worker` carries the same cron
//! schedules; without a lease each would sweep every practice every minute and queue the same
//! jobs (harmless, since they are idempotent, but the work grows with the number of workers).
//! On PostgreSQL the lease is a transaction-scoped advisory lock, held on one pooled
//! connection for the tick's length: a worker that finds it taken skips the tick, and a
//! worker that dies mid-tick lets it go with its connection. The embedded profile runs in one
//! process and takes no lease.

use std::future::Future;

use portico_core::{Db, db::Engine};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

/// Runs `tick` unless another process holds the lease named `name`; whether it ran.
pub async fn exclusive<F, Fut, E>(db: &Db, name: &str, tick: F) -> Result<bool, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: From<sea_orm::DbErr>,
{
    if db.engine() == Engine::Sqlite {
        tick().await?;
        return Ok(true);
    }
    let conn = db.connection_for_adapters();
    let lease = conn.begin().await?;
    let taken = lease
        .query_one_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS taken",
            [format!("portico-cron:{name}").into()],
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "taken"))
        .transpose()?
        .unwrap_or(false);
    if !taken {
        lease.rollback().await?;
        metrics::counter!("portico_cron_ticks_total", "cron" => name.to_owned(), "outcome" => "skipped")
            .increment(1);
        return Ok(false);
    }
    let ran = tick().await;
    // Ending the transaction releases the lock, whatever the tick's outcome.
    lease.rollback().await?;
    ran?;
    metrics::counter!("portico_cron_ticks_total", "cron" => name.to_owned(), "outcome" => "ran")
        .increment(1);
    Ok(true)
}
