//! Counting what a unit of work (a GraphQL request) asks of the database: every statement it
//! sends, and the writing transactions it opens. The HTTP layer runs a request inside
//! [`counted`] and reports the figures (`/metrics`, and `Server-Timing` when enabled), so a
//! test can hold a request to its statement budget.
//!
//! Statements are counted where they are sent: sea-orm's metric callback for queries, and
//! [`crate::TenantTx`] for `BEGIN`, `COMMIT` and `ROLLBACK` (which sea-orm sends itself).
//! Work outside a [`counted`] scope (jobs) counts nothing.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

/// What a unit of work asked of the database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Statements sent, transaction control included.
    pub statements: u32,
    /// Writing transactions opened (a request that only reads opens none).
    pub write_transactions: u32,
    /// Time spent waiting on statements, in microseconds.
    pub micros: u32,
}

impl Counts {
    pub fn database_time(&self) -> Duration {
        Duration::from_micros(u64::from(self.micros))
    }
}

#[derive(Default)]
struct Counter {
    statements: AtomicU32,
    write_transactions: AtomicU32,
    micros: AtomicU32,
}

tokio::task_local! {
    static COUNTER: Arc<Counter>;
}

/// Runs `work`, counting what it asks of the database.
pub async fn counted<F: Future>(work: F) -> (F::Output, Counts) {
    let counter = Arc::new(Counter::default());
    let output = COUNTER.scope(counter.clone(), work).await;
    let counts = Counts {
        statements: counter.statements.load(Ordering::Relaxed),
        write_transactions: counter.write_transactions.load(Ordering::Relaxed),
        micros: counter.micros.load(Ordering::Relaxed),
    };
    (output, counts)
}

/// One statement sent, which took `elapsed`. Outside a [`counted`] scope, nothing.
pub(crate) fn statement(elapsed: Duration) {
    COUNTER
        .try_with(|c| {
            c.statements.fetch_add(1, Ordering::Relaxed);
            let micros = u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX);
            c.micros.fetch_add(micros, Ordering::Relaxed);
        })
        .ok();
}

/// A writing transaction opened. Outside a [`counted`] scope, nothing.
pub(crate) fn write_transaction() {
    COUNTER
        .try_with(|c| c.write_transactions.fetch_add(1, Ordering::Relaxed))
        .ok();
}
