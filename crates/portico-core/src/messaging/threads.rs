//! Threads: started by a patient (or proxy) to a pool or their provider, or by staff to a
//! patient; assigned, closed and reopened by staff; listed for the patient and in the staff
//! inbox.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::{
    CLOSED, OPEN,
    access::Participant,
    messages::{self, Draft},
    pools,
};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{appointment, message_thread, thread_message},
};

pub(crate) fn access<'a>(action: &'a str, thread: &message_thread::Model) -> Access<'a> {
    Access {
        action,
        resource_type: "MessageThread",
        resource_id: Some(thread.id),
        patient_id: Some(thread.patient_id),
    }
}

/// Whom a new thread is addressed to.
#[derive(Clone, Copy, Debug)]
pub enum Recipient {
    Pool(Uuid),
    /// The provider's own pool (made on first use).
    Provider(Uuid),
}

impl Recipient {
    /// A care team (`pool`) or a provider's own team: exactly one of the two.
    pub fn chosen(pool: Option<Uuid>, provider: Option<Uuid>) -> CoreResult<Self> {
        match (pool, provider) {
            (Some(pool), None) => Ok(Self::Pool(pool)),
            (None, Some(provider)) => Ok(Self::Provider(provider)),
            _ => Err(CoreError::invalid(
                "poolId",
                "RECIPIENT_REQUIRED",
                "give a care team (poolId) or a provider (providerId), not both",
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewThread {
    pub patient_id: Uuid,
    pub to: Recipient,
    pub category: String,
    pub subject: String,
    pub first: Draft,
}

fn valid_subject(subject: &str) -> CoreResult<String> {
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().count() > 200 {
        return Err(CoreError::invalid(
            "subject",
            "INVALID_SUBJECT",
            "a subject is 1 to 200 characters",
        ));
    }
    Ok(subject.to_owned())
}

/// Starts a thread on `participant`'s behalf (access to the chart already checked) with its
/// first message.
pub async fn start(
    tx: &TenantTx,
    actor: &Actor,
    participant: &Participant,
    new: NewThread,
    now: DateTime<Utc>,
) -> CoreResult<(message_thread::Model, thread_message::Model)> {
    if !super::CATEGORIES.contains(&new.category.as_str()) {
        return Err(CoreError::invalid(
            "category",
            "INVALID_CATEGORY",
            format!("one of {}", super::CATEGORIES.join(", ")),
        ));
    }
    let subject = valid_subject(&new.subject)?;
    messages::validate(&new.first, participant)?;
    let pool = match new.to {
        Recipient::Pool(id) => pools::find_active(tx, id).await?,
        Recipient::Provider(id) => {
            if !participant.side.is_staff() && !has_seen(tx, new.patient_id, id).await? {
                return Err(CoreError::invalid(
                    "providerId",
                    "UNKNOWN_PROVIDER",
                    "write to one of your providers, or to a care team",
                ));
            }
            pools::of_provider(tx, actor, id).await?
        }
    };
    let thread = message_thread::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(new.patient_id),
        pool_id: Set(pool.id),
        category: Set(new.category),
        subject: Set(subject),
        status: Set(OPEN.to_owned()),
        assignee_id: Set(None),
        started_by: Set(participant.user_id),
        started_by_staff: Set(participant.side.is_staff()),
        awaiting_reply_since: Set(None),
        last_message_at: Set(now),
        closed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    audit::record(tx, actor, access("thread.start", &thread)).await?;
    let (thread, message) = messages::post(tx, actor, thread, participant, new.first, now).await?;
    Ok((thread, message))
}

/// Whether `provider` is one of the patient's: a visit with them, past or booked.
async fn has_seen(tx: &TenantTx, patient: Uuid, provider: Uuid) -> CoreResult<bool> {
    Ok(tx
        .find::<appointment::Entity>()
        .filter(appointment::Column::PatientId.eq(patient))
        .filter(appointment::Column::ProviderId.eq(provider))
        .one(tx.conn())
        .await?
        .is_some())
}

/// What the staff inbox shows.
#[derive(Clone, Debug, Default)]
pub struct InboxFilter {
    pub pool_id: Option<Uuid>,
    pub assignee: Option<Assignee>,
    pub status: Option<String>,
    /// Only open threads whose waiting message is past the target.
    pub overdue_before: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug)]
pub enum Assignee {
    User(Uuid),
    Nobody,
}

/// The practice's threads, most recent first.
pub async fn inbox(
    tx: &TenantTx,
    filter: &InboxFilter,
    limit: u64,
) -> CoreResult<Vec<message_thread::Model>> {
    let mut query = tx.find::<message_thread::Entity>();
    if let Some(pool) = filter.pool_id {
        query = query.filter(message_thread::Column::PoolId.eq(pool));
    }
    match filter.assignee {
        Some(Assignee::User(id)) => query = query.filter(message_thread::Column::AssigneeId.eq(id)),
        Some(Assignee::Nobody) => {
            query = query.filter(message_thread::Column::AssigneeId.is_null())
        }
        None => {}
    }
    if let Some(status) = &filter.status {
        query = query.filter(message_thread::Column::Status.eq(status.as_str()));
    }
    if let Some(before) = filter.overdue_before {
        query = query
            .filter(message_thread::Column::Status.eq(OPEN))
            .filter(message_thread::Column::AwaitingReplySince.lt(before));
    }
    Ok(query
        .order_by_desc(message_thread::Column::LastMessageAt)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

/// The threads of `charts`, most recent first.
pub async fn of_charts(
    tx: &TenantTx,
    charts: &[Uuid],
    status: Option<&str>,
    limit: u64,
) -> CoreResult<Vec<message_thread::Model>> {
    if charts.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = tx
        .find::<message_thread::Entity>()
        .filter(Condition::all().add(message_thread::Column::PatientId.is_in(charts.to_vec())));
    if let Some(status) = status {
        query = query.filter(message_thread::Column::Status.eq(status));
    }
    Ok(query
        .order_by_desc(message_thread::Column::LastMessageAt)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

/// Records that `actor` was shown `threads` (subject, status, who waits): one audit event per
/// chart, so each patient's access report names the listing.
pub async fn record_listing(
    tx: &TenantTx,
    actor: &Actor,
    threads: &[message_thread::Model],
) -> CoreResult<()> {
    let mut charts: Vec<Uuid> = threads.iter().map(|t| t.patient_id).collect();
    charts.sort_unstable();
    charts.dedup();
    for chart in charts {
        let listing = Access {
            action: "thread.list",
            resource_type: "MessageThread",
            resource_id: None,
            patient_id: Some(chart),
        };
        audit::record(tx, actor, listing).await?;
    }
    Ok(())
}

/// Assigns the thread to a staff member of the practice, or to nobody.
pub async fn assign(
    tx: &TenantTx,
    actor: &Actor,
    thread: message_thread::Model,
    assignee: Option<Uuid>,
) -> CoreResult<message_thread::Model> {
    if let Some(id) = assignee {
        pools::staff_user(tx, "assigneeId", id).await?;
    }
    let mut change: message_thread::ActiveModel = thread.into();
    change.assignee_id = Set(assignee);
    change.updated_at = Set(Utc::now());
    let thread = change.update(tx.conn()).await?;
    audit::record(tx, actor, access("thread.assign", &thread)).await?;
    Ok(thread)
}

/// Closes an open thread (nothing more can be written to it until it is reopened), or
/// reopens a closed one; asking for the state it is in is refused with its code.
pub async fn set_open(
    tx: &TenantTx,
    actor: &Actor,
    thread: message_thread::Model,
    open: bool,
    now: DateTime<Utc>,
) -> CoreResult<message_thread::Model> {
    match (open, thread.status == CLOSED) {
        (false, true) => {
            return Err(CoreError::invalid(
                "threadId",
                "THREAD_CLOSED",
                "the conversation is already closed",
            ));
        }
        (true, false) => {
            return Err(CoreError::invalid(
                "threadId",
                "THREAD_NOT_CLOSED",
                "the conversation is open",
            ));
        }
        _ => {}
    }
    let mut change: message_thread::ActiveModel = thread.into();
    change.status = Set(if open { OPEN } else { CLOSED }.to_owned());
    change.closed_at = Set((!open).then_some(now));
    change.updated_at = Set(now);
    let thread = change.update(tx.conn()).await?;
    let action = if open {
        "thread.reopen"
    } else {
        "thread.close"
    };
    audit::record(tx, actor, access(action, &thread)).await?;
    Ok(thread)
}
