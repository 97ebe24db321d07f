//! How far a running import is. The import writes every chart in one transaction, and its
//! progress must be seen before that commits: on PostgreSQL the job writes it to the import's
//! row in short transactions of its own; SQLite has one writer at a time (the import holds
//! it), so there the progress is kept in this process's memory, which is where the embedded
//! profile's API reads it (API and workers are one process on SQLite).

use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex, PoisonError},
};

use uuid::Uuid;

static LIVE: LazyLock<Mutex<HashMap<Uuid, i32>>> = LazyLock::new(Mutex::default);

/// Notes that `rows_done` rows of the import are done.
pub fn set(import: Uuid, rows_done: i32) {
    LIVE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(import, rows_done);
}

/// Forgets a finished import.
pub fn clear(import: Uuid) {
    LIVE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&import);
}

/// The rows done this process knows of, for an import running here.
pub fn get(import: Uuid) -> Option<i32> {
    LIVE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&import)
        .copied()
}
