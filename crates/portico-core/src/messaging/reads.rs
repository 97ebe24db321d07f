//! Read marks: how far each participant has read each thread. A thread is unread for a
//! participant while its last message they can see is newer than their mark.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    chart_access::Viewer,
    entities::{message_thread, thread_read},
};

/// Marks `thread` read by `user` up to `at` (never backwards). One statement, so two marks
/// at once (a double click, a post racing a read) cannot collide on the unique index.
pub async fn mark(
    tx: &TenantTx,
    thread_id: Uuid,
    user_id: Uuid,
    at: DateTime<Utc>,
) -> CoreResult<()> {
    use sea_orm::{
        EntityTrait,
        sea_query::{Expr, ExprTrait, OnConflict},
    };
    let row = thread_read::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        thread_id: Set(thread_id),
        user_id: Set(user_id),
        last_read_at: Set(at),
    };
    thread_read::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                thread_read::Column::TenantId,
                thread_read::Column::ThreadId,
                thread_read::Column::UserId,
            ])
            .value(thread_read::Column::LastReadAt, Expr::val(at))
            .action_and_where(
                Expr::col((thread_read::Entity, thread_read::Column::LastReadAt)).lt(at),
            )
            .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?;
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

/// How many of the chart's conversations have news for `viewer` (the dashboard's count);
/// none for someone who does not take part in them (a proxy without `message`).
pub async fn unread_threads(tx: &TenantTx, viewer: &Viewer, chart: Uuid) -> CoreResult<usize> {
    let user_id = match super::access::for_chart(tx, viewer, chart).await {
        Ok(participant) => participant.user_id,
        Err(
            CoreError::NotFound
            | CoreError::BreakGlassRequired
            | CoreError::ProxyScopeDenied { .. },
        ) => return Ok(0),
        Err(e) => return Err(e),
    };
    let threads = tx
        .find::<message_thread::Entity>()
        .filter(message_thread::Column::PatientId.eq(chart))
        .all(tx.conn())
        .await?;
    let ids: Vec<Uuid> = threads.iter().map(|t| t.id).collect();
    let marks = marks(tx, &ids, user_id).await?;
    Ok(threads
        .iter()
        .filter(|t| is_unread(t, marks.get(&t.id).copied()))
        .count())
}
