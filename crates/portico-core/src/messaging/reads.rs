//! Read marks: how far each participant has read each thread. A thread is unread for a
//! participant while its last message they can see is newer than their mark.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{
    CoreResult, TenantTx,
    entities::{message_thread, thread_read},
};

/// Marks `thread` read by `user` up to `at` (never backwards).
pub async fn mark(
    tx: &TenantTx,
    thread_id: Uuid,
    user_id: Uuid,
    at: DateTime<Utc>,
) -> CoreResult<()> {
    let existing = tx
        .find::<thread_read::Entity>()
        .filter(thread_read::Column::ThreadId.eq(thread_id))
        .filter(thread_read::Column::UserId.eq(user_id))
        .one(tx.conn())
        .await?;
    match existing {
        Some(mark) if mark.last_read_at >= at => {}
        Some(mark) => {
            let mut change: thread_read::ActiveModel = mark.into();
            change.last_read_at = Set(at);
            change.update(tx.conn()).await?;
        }
        None => {
            thread_read::ActiveModel {
                tenant_id: Set(tx.tenant_id().as_uuid()),
                id: Set(Uuid::now_v7()),
                thread_id: Set(thread_id),
                user_id: Set(user_id),
                last_read_at: Set(at),
            }
            .insert(tx.conn())
            .await?;
        }
    }
    Ok(())
}

/// `user`'s read marks on `threads`.
pub async fn marks(
    tx: &TenantTx,
    threads: &[Uuid],
    user_id: Uuid,
) -> CoreResult<HashMap<Uuid, DateTime<Utc>>> {
    if threads.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(tx
        .find::<thread_read::Entity>()
        .filter(thread_read::Column::UserId.eq(user_id))
        .filter(thread_read::Column::ThreadId.is_in(threads.to_vec()))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| (m.thread_id, m.last_read_at))
        .collect())
}

/// Whether the thread has news for a reader whose mark is `mark`.
pub fn is_unread(thread: &message_thread::Model, mark: Option<DateTime<Utc>>) -> bool {
    mark.is_none_or(|read| thread.last_message_at > read)
}
