//! Messages in a thread. A message has text (or attachments only); staff may write an internal
//! note, which only staff ever read. Writing to a closed thread is refused. A patient's
//! message starts the response-time clock if it is not already running; a reply the patient
//! can read stops it.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{
    CLOSED,
    access::{Participant, Side},
    attachments,
    threads::access,
};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Actor},
    entities::{education_resource, message_attachment, message_thread, thread_message, user},
};

/// Characters of text in one message, at most.
pub const MAX_BODY_CHARS: usize = 10_000;
/// Files sent with one message, at most.
pub const MAX_ATTACHMENTS: usize = 5;

/// A message about to be written.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub body: String,
    pub internal: bool,
    pub attachment_ids: Vec<Uuid>,
    /// A resource of the practice's education library, sent by staff.
    pub education_resource_id: Option<Uuid>,
}

/// Checks what can be checked without the database.
pub fn validate(draft: &Draft, participant: &Participant) -> CoreResult<()> {
    if draft.internal && !participant.side.is_staff() {
        return Err(CoreError::invalid(
            "internal",
            "INTERNAL_NOTE_STAFF_ONLY",
            "only the care team writes internal notes",
        ));
    }
    if draft.body.chars().count() > MAX_BODY_CHARS {
        return Err(CoreError::invalid(
            "body",
            "MESSAGE_TOO_LONG",
            format!("a message is at most {MAX_BODY_CHARS} characters"),
        ));
    }
    if draft.education_resource_id.is_some() && (!participant.side.is_staff() || draft.internal) {
        return Err(CoreError::invalid(
            "educationResourceId",
            "EDUCATION_STAFF_ONLY",
            "the care team sends education resources to the patient, not in notes",
        ));
    }
    if draft.body.trim().is_empty()
        && draft.attachment_ids.is_empty()
        && draft.education_resource_id.is_none()
    {
        return Err(CoreError::invalid(
            "body",
            "MESSAGE_EMPTY",
            "write something, attach a file or send a resource",
        ));
    }
    if draft.attachment_ids.len() > MAX_ATTACHMENTS {
        return Err(CoreError::invalid(
            "attachmentIds",
            "TOO_MANY_ATTACHMENTS",
            format!("at most {MAX_ATTACHMENTS} files a message"),
        ));
    }
    Ok(())
}

/// Writes `draft` to `thread` as `participant` and moves the thread's clocks.
pub async fn post(
    tx: &TenantTx,
    actor: &Actor,
    thread: message_thread::Model,
    participant: &Participant,
    draft: Draft,
    now: DateTime<Utc>,
) -> CoreResult<(message_thread::Model, thread_message::Model)> {
    validate(&draft, participant)?;
    if thread.status == CLOSED {
        return Err(CoreError::invalid(
            "threadId",
            "THREAD_CLOSED",
            "the conversation is closed; start a new one",
        ));
    }
    // Only an active resource of this practice is sent.
    let resource = match draft.education_resource_id {
        None => None,
        Some(id) => Some(
            crate::education::library::find_active(tx, id)
                .await
                .map_err(|err| match err {
                    CoreError::NotFound => CoreError::invalid(
                        "educationResourceId",
                        "EDUCATION_RESOURCE_NOT_FOUND",
                        "choose a resource of the library that is not archived",
                    ),
                    other => other,
                })?
                .id,
        ),
    };
    let message = thread_message::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        thread_id: Set(thread.id),
        author_id: Set(participant.user_id),
        author_kind: Set(participant.side.as_str().to_owned()),
        body: Set(draft.body.trim().to_owned()),
        internal: Set(draft.internal),
        education_resource_id: Set(resource),
        created_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    attachments::attach(tx, participant.user_id, message.id, &draft.attachment_ids).await?;
    let mut change: message_thread::ActiveModel = thread.clone().into();
    change.updated_at = Set(now);
    // An internal note is not news to the patient: their list does not move for it.
    if !draft.internal {
        change.last_message_at = Set(now);
        match participant.side {
            Side::Patient | Side::Proxy => {
                if thread.awaiting_reply_since.is_none() {
                    change.awaiting_reply_since = Set(Some(now));
                }
            }
            Side::Staff => change.awaiting_reply_since = Set(None),
        }
    }
    let thread = change.update(tx.conn()).await?;
    // What one writes, one has read.
    super::reads::mark(tx, thread.id, participant.user_id, now).await?;
    let action = if draft.internal {
        "thread.note"
    } else {
        "thread.message"
    };
    audit::record(tx, actor, access(action, &thread)).await?;
    if !draft.internal && matches!(participant.side, Side::Patient | Side::Proxy) {
        crate::events::publish(
            tx,
            crate::events::Event::MessageReceived {
                thread_id: thread.id,
                message_id: message.id,
                patient_id: thread.patient_id,
            },
        )
        .await?;
    }
    Ok((thread, message))
}

/// The thread's messages `side` may read, oldest first.
pub async fn of_thread(
    tx: &TenantTx,
    thread_id: Uuid,
    side: Side,
) -> CoreResult<Vec<thread_message::Model>> {
    let mut query = tx
        .find::<thread_message::Entity>()
        .filter(thread_message::Column::ThreadId.eq(thread_id));
    if !side.is_staff() {
        query = query.filter(thread_message::Column::Internal.eq(false));
    }
    Ok(query
        .order_by_asc(thread_message::Column::CreatedAt)
        .order_by_asc(thread_message::Column::Id)
        .all(tx.conn())
        .await?)
}

/// One message, if `side` may read it.
pub async fn find(
    tx: &TenantTx,
    id: Uuid,
    side: Side,
) -> CoreResult<Option<thread_message::Model>> {
    let found = tx
        .find::<thread_message::Entity>()
        .filter(thread_message::Column::Id.eq(id))
        .one(tx.conn())
        .await?;
    Ok(found.filter(|m| side.is_staff() || !m.internal))
}

/// A message as a participant reads it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub message: thread_message::Model,
    pub author_name: String,
    pub attachments: Vec<message_attachment::Model>,
    /// The education resource sent with it (archived since, perhaps).
    pub education_resource: Option<education_resource::Model>,
}

/// One message of the thread, if `participant` may read it, with its author and attachments;
/// unaudited: a live update records the reading with [`record_read`] when it delivers it.
pub async fn read_one(
    tx: &TenantTx,
    thread: &message_thread::Model,
    participant: &Participant,
    id: Uuid,
) -> CoreResult<Option<Entry>> {
    let Some(message) = find(tx, id, participant.side).await? else {
        return Ok(None);
    };
    if message.thread_id != thread.id {
        return Ok(None);
    }
    Ok(Some(entry(tx, message).await?))
}

/// Records that `actor` read the thread's messages (a delivered live update).
pub async fn record_read(
    tx: &TenantTx,
    actor: &Actor,
    thread: &message_thread::Model,
) -> CoreResult<()> {
    audit::record(tx, actor, access("thread.read", thread)).await
}

/// A message with its author's name and its attachments, unaudited (for its author, who
/// just wrote it, and for [`read_one`]).
pub async fn entry(tx: &TenantTx, message: thread_message::Model) -> CoreResult<Entry> {
    let attachments = attachments::of_messages(tx, &[message.id]).await?;
    let author_name = tx
        .find::<user::Entity>()
        .filter(user::Column::Id.eq(message.author_id))
        .one(tx.conn())
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let education_resource = resources_of(tx, std::slice::from_ref(&message))
        .await?
        .into_values()
        .next();
    Ok(Entry {
        message,
        author_name,
        attachments,
        education_resource,
    })
}

/// The thread's messages `participant` may read, with authors and attachments; the reading
/// is audited.
pub async fn read(
    tx: &TenantTx,
    actor: &Actor,
    thread: &message_thread::Model,
    participant: &Participant,
) -> CoreResult<Vec<Entry>> {
    let messages = of_thread(tx, thread.id, participant.side).await?;
    let ids: Vec<Uuid> = messages.iter().map(|m| m.id).collect();
    let mut files = attachments::of_messages(tx, &ids).await?;
    let mut authors: Vec<Uuid> = messages.iter().map(|m| m.author_id).collect();
    authors.sort_unstable();
    authors.dedup();
    let names: std::collections::HashMap<Uuid, String> = tx
        .find::<user::Entity>()
        .filter(user::Column::Id.is_in(authors))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let resources = resources_of(tx, &messages).await?;
    audit::record(tx, actor, access("thread.read", thread)).await?;
    Ok(messages
        .into_iter()
        .map(|message| {
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut files)
                .into_iter()
                .partition(|f| f.message_id == Some(message.id));
            files = rest;
            Entry {
                author_name: names.get(&message.author_id).cloned().unwrap_or_default(),
                attachments: mine,
                education_resource: message
                    .education_resource_id
                    .and_then(|id| resources.get(&id).cloned()),
                message,
            }
        })
        .collect())
}

/// The education resources `messages` sent, by id (archived ones too: a message keeps what
/// it sent).
async fn resources_of(
    tx: &TenantTx,
    messages: &[thread_message::Model],
) -> CoreResult<std::collections::HashMap<Uuid, education_resource::Model>> {
    let ids: Vec<Uuid> = messages
        .iter()
        .filter_map(|m| m.education_resource_id)
        .collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(tx
        .find::<education_resource::Entity>()
        .filter(education_resource::Column::Id.is_in(ids))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}
