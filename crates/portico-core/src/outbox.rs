//! The transactional outbox. A business transaction writes the messages it means to send
//! ([`email`]) in the same transaction, so a rolled-back change sends nothing and a committed
//! one is never forgotten. A relay hands pending messages to the job queue; a worker claims
//! one, delivers it and marks it delivered. Delivery is at least once (a worker that dies
//! after sending and before marking lets its claim lapse, and the relay hands the message
//! out again), and each
//! effect has one idempotency key, so writing it twice keeps one message.
//!
//! Besides email and SMS, two channels carry no message for a person: `job` rows hold a
//! serialized [`Job`] that must run once the transaction commits (routing a refill); the
//! relay enqueues the job itself and marks the row relayed and delivered, and such rows
//! count neither against the practice's sending limit nor among failed deliveries. `ehr`
//! rows are write-backs to the practice's EHR (ids only); nothing delivers them yet, so
//! the relay leaves them alone until the EHR sync takes them.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    entities::{
        outbox_message::{self, Column, Entity},
        patient,
    },
    ports::{Email, Job, Sms},
};

pub const EMAIL: &str = "email";
pub const SMS: &str = "sms";
/// A job to enqueue after commit.
pub const JOB: &str = "job";
/// A write-back to the EHR, for the EHR sync (not relayed yet).
pub const EHR: &str = "ehr";
/// The channels that reach people: relayed as deliveries, counted against the sending limit.
const MESSAGE_CHANNELS: [&str; 2] = [EMAIL, SMS];
/// A worker's claim on a message lasts this long.
pub const CLAIM: Duration = Duration::seconds(120);
/// After this many failed deliveries a message stays undelivered for a person to look at.
pub const MAX_ATTEMPTS: i32 = 5;

/// Writes `email` to the outbox in the caller's transaction under `key`. Returns `false`
/// when the key was used already (the first message stands).
pub async fn email(tx: &TenantTx, key: &str, email: &Email) -> CoreResult<bool> {
    let envelope = Envelope {
        key,
        topic: None,
        patient_id: None,
        not_before: None,
    };
    write(tx, &envelope, &Outgoing::Email(email.clone())).await
}

/// Writes a raw row on `channel` (`job` or `ehr`) with `payload`, in the caller's
/// transaction. Returns `false` when the key was used already.
async fn write_raw(tx: &TenantTx, channel: &str, key: &str, payload: String) -> CoreResult<bool> {
    let envelope = Envelope {
        key,
        topic: None,
        patient_id: None,
        not_before: None,
    };
    let row = row_of(tx, &envelope, channel, payload);
    let inserted = Entity::insert(row)
        .on_conflict(key_conflict())
        .exec_without_returning(tx.conn())
        .await?;
    Ok(inserted == 1)
}

/// A new outbox row: pending, never tried.
fn row_of(
    tx: &TenantTx,
    envelope: &Envelope<'_>,
    channel: &str,
    payload: String,
) -> outbox_message::ActiveModel {
    outbox_message::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        channel: Set(channel.to_owned()),
        idempotency_key: Set(envelope.key.to_owned()),
        payload: Set(payload),
        created_at: Set(Utc::now()),
        relayed_at: Set(None),
        claimed_until: Set(None),
        delivered_at: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(envelope.not_before),
        last_error: Set(None),
        topic: Set(envelope.topic.map(str::to_owned)),
        cancelled_at: Set(None),
        patient_id: Set(envelope.patient_id),
    }
}

/// A second row with a key already used is dropped: the first message stands.
fn key_conflict() -> OnConflict {
    OnConflict::columns([Column::TenantId, Column::IdempotencyKey])
        .do_nothing()
        .to_owned()
}

/// Writes `job` to the outbox: the relay enqueues it once the caller's transaction commits.
pub async fn job(tx: &TenantTx, key: &str, job: &Job) -> CoreResult<bool> {
    let payload = serde_json::to_string(job).map_err(CoreError::adapter)?;
    write_raw(tx, JOB, key, payload).await
}

/// Writes a write-back for the EHR sync (`payload` carries ids only).
pub async fn ehr(tx: &TenantTx, key: &str, payload: &serde_json::Value) -> CoreResult<bool> {
    write_raw(tx, EHR, key, payload.to_string()).await
}

/// Rows of `channels` the relay may hand out: undelivered, not cancelled, attempts left, and
/// never relayed or relayed longer than `claim` ago (the relay or its job was lost).
fn relayable(tx: &TenantTx, channels: &[&'static str], claim: Duration) -> sea_orm::Select<Entity> {
    tx.find::<Entity>()
        .filter(Column::Channel.is_in(channels.iter().copied()))
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::CancelledAt.is_null())
        .filter(Column::Attempts.lt(MAX_ATTEMPTS))
        .filter(
            Condition::any()
                .add(Column::RelayedAt.is_null())
                .add(Column::RelayedAt.lt(Utc::now() - claim)),
        )
}

/// The job a `job` row carries.
pub fn job_of(message: &outbox_message::Model) -> CoreResult<Job> {
    serde_json::from_str(&message.payload).map_err(CoreError::adapter)
}

/// `job` rows to enqueue, oldest first: never relayed, or relayed longer than `claim` ago
/// and not marked delivered (the relay stopped between enqueueing and marking).
pub async fn pending_jobs(
    tx: &TenantTx,
    limit: u64,
    claim: Duration,
) -> CoreResult<Vec<outbox_message::Model>> {
    Ok(relayable(tx, &[JOB], claim)
        .order_by_asc(Column::CreatedAt)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

/// Marks `job` rows enqueued: relayed and delivered at once (the job itself is idempotent).
pub async fn mark_jobs_enqueued(tx: &TenantTx, ids: &[Uuid]) -> CoreResult<()> {
    let now = Utc::now();
    tx.update::<Entity>()
        .col_expr(Column::RelayedAt, Expr::value(Some(now)))
        .col_expr(Column::DeliveredAt, Expr::value(Some(now)))
        .filter(Column::Channel.eq(JOB))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// A message on one channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    Email(Email),
    Sms(Sms),
}

impl Outgoing {
    pub fn channel(&self) -> &'static str {
        match self {
            Outgoing::Email(_) => EMAIL,
            Outgoing::Sms(_) => SMS,
        }
    }

    pub fn to(&self) -> &str {
        match self {
            Outgoing::Email(e) => &e.to,
            Outgoing::Sms(s) => &s.to,
        }
    }

    fn payload(&self) -> CoreResult<String> {
        match self {
            Outgoing::Email(e) => serde_json::to_string(e),
            Outgoing::Sms(s) => serde_json::to_string(s),
        }
        .map_err(CoreError::adapter)
    }

    /// The same message without its body (what is kept once it is delivered).
    fn redacted(self) -> Self {
        match self {
            Outgoing::Email(e) => Outgoing::Email(Email {
                text: String::new(),
                html: None,
                ..e
            }),
            Outgoing::Sms(s) => Outgoing::Sms(Sms {
                text: String::new(),
                ..s
            }),
        }
    }
}

/// Everything about a message besides what it says.
#[derive(Clone, Copy, Debug)]
pub struct Envelope<'a> {
    /// One per effect: writing the same key twice keeps the first message.
    pub key: &'a str,
    /// What it is about, so [`withdraw`] can keep it from going out.
    pub topic: Option<&'a str>,
    /// The patient it is for: a bounce is put on their chart.
    pub patient_id: Option<Uuid>,
    /// Not handed out before then (a patient's quiet hours).
    pub not_before: Option<DateTime<Utc>>,
}

/// Writes `message` to the outbox in the caller's transaction. Returns `false` when the key
/// was used already (the first message stands).
pub async fn write(tx: &TenantTx, envelope: &Envelope<'_>, message: &Outgoing) -> CoreResult<bool> {
    let written = write_many(tx, &[(*envelope, message.clone())]).await?;
    Ok(written.first().copied().unwrap_or(false))
}

/// Rows per `INSERT` of [`write_many`]: 15 parameters each, well under both engines' limits.
const WRITE_CHUNK: usize = 500;

/// Writes `messages` to the outbox in the caller's transaction, a few hundred to a
/// statement. Returns, in order, whether each was written (`false`: its key was used
/// already, by an earlier transaction or earlier in `messages`).
pub async fn write_many(
    tx: &TenantTx,
    messages: &[(Envelope<'_>, Outgoing)],
) -> CoreResult<Vec<bool>> {
    let mut written = Vec::with_capacity(messages.len());
    for chunk in messages.chunks(WRITE_CHUNK) {
        let rows = chunk
            .iter()
            .map(|(envelope, message)| {
                Ok(row_of(tx, envelope, message.channel(), message.payload()?))
            })
            .collect::<CoreResult<Vec<_>>>()?;
        let insert = tx.insert_many(rows).on_conflict(key_conflict());
        let mut inserted: std::collections::HashSet<String> = tx
            .insert_returning(insert)
            .await?
            .into_iter()
            .map(|row| row.idempotency_key)
            .collect();
        written.extend(
            chunk
                .iter()
                .map(|(envelope, _)| inserted.remove(envelope.key)),
        );
    }
    Ok(written)
}

/// Messages (email and SMS) to hand to the queue, oldest first: never relayed, or relayed longer than a
/// claim ago and still undelivered and unclaimed (the job was lost, or its worker died
/// after claiming), while attempts remain.
pub async fn pending(tx: &TenantTx, limit: u64) -> CoreResult<Vec<outbox_message::Model>> {
    pending_after(tx, limit, CLAIM).await
}

/// As [`pending`], with a claim of `claim` (the workers' configured one).
pub async fn pending_after(
    tx: &TenantTx,
    limit: u64,
    claim: Duration,
) -> CoreResult<Vec<outbox_message::Model>> {
    pending_on(tx, &MESSAGE_CHANNELS, limit, claim).await
}

/// EHR write-backs to hand to the queue, as [`pending_after`] for messages.
pub async fn pending_ehr(
    tx: &TenantTx,
    limit: u64,
    claim: Duration,
) -> CoreResult<Vec<outbox_message::Model>> {
    pending_on(tx, &[EHR], limit, claim).await
}

async fn pending_on(
    tx: &TenantTx,
    channels: &[&'static str],
    limit: u64,
    claim: Duration,
) -> CoreResult<Vec<outbox_message::Model>> {
    let now = Utc::now();
    Ok(relayable(tx, channels, claim)
        .filter(
            Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lt(now)),
        )
        .filter(
            Condition::any()
                .add(Column::NextAttemptAt.is_null())
                .add(Column::NextAttemptAt.lte(now)),
        )
        .order_by_asc(Column::CreatedAt)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

pub async fn mark_relayed(tx: &TenantTx, ids: &[Uuid]) -> CoreResult<()> {
    tx.update::<Entity>()
        .col_expr(Column::RelayedAt, Expr::value(Some(Utc::now())))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Claims an undelivered message for `CLAIM`; `None` when it is delivered, given up on, or
/// claimed by another worker.
pub async fn claim(
    tx: &TenantTx,
    id: Uuid,
    now: DateTime<Utc>,
) -> CoreResult<Option<outbox_message::Model>> {
    claim_for(tx, id, now, CLAIM).await
}

/// As [`claim`], for `lease`.
pub async fn claim_for(
    tx: &TenantTx,
    id: Uuid,
    now: DateTime<Utc>,
    lease: Duration,
) -> CoreResult<Option<outbox_message::Model>> {
    Ok(claim_many(tx, &[id], now, lease).await?.pop())
}

/// Claims each of `ids` that is undelivered, not cancelled, has attempts left and is not
/// claimed by another worker, for `lease`, in one statement; returns the messages claimed
/// (in no particular order). A message another worker holds is left out.
pub async fn claim_many(
    tx: &TenantTx,
    ids: &[Uuid],
    now: DateTime<Utc>,
    lease: Duration,
) -> CoreResult<Vec<outbox_message::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let update = tx
        .update::<Entity>()
        .col_expr(Column::ClaimedUntil, Expr::value(Some(now + lease)))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::CancelledAt.is_null())
        .filter(Column::Attempts.lt(MAX_ATTEMPTS))
        .filter(
            Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lt(now)),
        );
    tx.update_returning(update).await
}

/// Marks a message delivered and drops its body: a body may carry a one-time link, which
/// should not outlive its delivery in the database (the address and subject stay, for
/// support).
pub async fn mark_delivered(tx: &TenantTx, id: Uuid) -> CoreResult<()> {
    let found = tx
        .find::<Entity>()
        .filter(Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    mark_delivered_many(tx, &[found]).await
}

/// Rows per `UPDATE` of [`mark_delivered_many`] (three parameters each).
const MARK_CHUNK: usize = 500;

/// As [`mark_delivered`] for `messages` (as claimed), a few hundred to a statement: each
/// keeps its address and subject only.
pub async fn mark_delivered_many(
    tx: &TenantTx,
    messages: &[outbox_message::Model],
) -> CoreResult<()> {
    let now = Utc::now();
    for chunk in messages.chunks(MARK_CHUNK) {
        let mut redacted = sea_orm::sea_query::CaseStatement::new();
        for message in chunk {
            let payload = match outgoing_of(message) {
                Ok(outgoing) => outgoing.redacted().payload()?,
                Err(_) => "{}".to_owned(),
            };
            redacted = redacted.case(Column::Id.eq(message.id), Expr::val(payload));
        }
        tx.update::<Entity>()
            .col_expr(Column::Payload, redacted.into())
            .col_expr(Column::DeliveredAt, Expr::value(Some(now)))
            .col_expr(
                Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(Column::LastError, Expr::value(Option::<String>::None))
            .filter(Column::Id.is_in(chunk.iter().map(|m| m.id)))
            .exec(tx.conn())
            .await?;
    }
    Ok(())
}

/// How long to wait after the `attempts`-th failure: 30 s, 1 min, 2 min, ... up to an hour.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    (Duration::seconds(30) * 2_i32.pow(doublings)).min(Duration::hours(1))
}

/// Records a failed delivery and puts the message back for the relay after a backoff (until
/// it has used up its attempts: then it waits in the failed deliveries for a person).
/// `error` must carry no PHI: adapter errors name the adapter and the failure.
pub async fn mark_failed(tx: &TenantTx, id: Uuid, attempts: i32, error: &str) -> CoreResult<()> {
    let error: String = error.chars().take(300).collect();
    tx.update::<Entity>()
        .col_expr(
            Column::NextAttemptAt,
            Expr::value(Some(Utc::now() + backoff(attempts))),
        )
        .col_expr(Column::LastError, Expr::value(Some(error)))
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            Column::RelayedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Cancels one message (a person settled what it was for).
pub async fn cancel(tx: &TenantTx, id: Uuid) -> CoreResult<()> {
    tx.update::<Entity>()
        .col_expr(Column::CancelledAt, Expr::value(Some(Utc::now())))
        .filter(Column::Id.eq(id))
        .filter(Column::DeliveredAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Puts a claimed message back without using up an attempt (it could not be tried: the
/// practice's EHR connection is off).
pub async fn release(tx: &TenantTx, id: Uuid) -> CoreResult<()> {
    tx.update::<Entity>()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).sub(1))
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            Column::RelayedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::Attempts.gt(0))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Gives up on a message that cannot succeed (an EHR refusal, a conflict for staff): it is
/// not tried again and waits with the failed ones. `error` is a stable code, never PHI.
pub async fn give_up(tx: &TenantTx, id: Uuid, error: &str) -> CoreResult<()> {
    tx.update::<Entity>()
        .col_expr(Column::Attempts, Expr::value(MAX_ATTEMPTS))
        .col_expr(Column::LastError, Expr::value(Some(error.to_owned())))
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Records a permanent refusal (a bounce): the message is not tried again, it waits in the
/// failed deliveries, and the patient's address on that channel is marked as bouncing so
/// that later notifications skip it until the address changes.
pub async fn mark_bounced(
    tx: &TenantTx,
    message: &outbox_message::Model,
    error: &str,
) -> CoreResult<()> {
    let error: String = format!("bounced: {error}").chars().take(300).collect();
    let now = Utc::now();
    tx.update::<Entity>()
        .col_expr(Column::Attempts, Expr::value(MAX_ATTEMPTS))
        .col_expr(Column::LastError, Expr::value(Some(error)))
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(message.id))
        .exec(tx.conn())
        .await?;
    if let Some(patient_id) = message.patient_id {
        let column = if message.channel == SMS {
            patient::Column::PhoneBouncedAt
        } else {
            patient::Column::EmailBouncedAt
        };
        tx.update::<patient::Entity>()
            .col_expr(column, Expr::value(Some(now)))
            .filter(patient::Column::Id.eq(patient_id))
            .exec(tx.conn())
            .await?;
    }
    Ok(())
}

/// How many messages were handed out in the hour before `now` (the practice's sending
/// limit counts them).
pub async fn relayed_since(tx: &TenantTx, since: DateTime<Utc>) -> CoreResult<u64> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::Channel.is_in(MESSAGE_CHANNELS))
        .filter(Column::RelayedAt.gt(since))
        .count(tx.conn())
        .await?)
}

/// Withdraws the undelivered messages about `topic`: a worker that has not claimed one yet
/// will not send it (one already being sent goes out).
pub async fn withdraw(tx: &TenantTx, topic: &str) -> CoreResult<u64> {
    Ok(tx
        .update::<Entity>()
        .col_expr(Column::CancelledAt, Expr::value(Some(Utc::now())))
        .filter(Column::Topic.eq(topic))
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::CancelledAt.is_null())
        .exec(tx.conn())
        .await?
        .rows_affected)
}

/// Messages that used up their attempts without being delivered, newest first.
pub async fn failed(tx: &TenantTx, limit: u64) -> CoreResult<Vec<outbox_message::Model>> {
    failed_on(tx, &MESSAGE_CHANNELS, limit).await
}

/// EHR write-backs not written yet and still to be tried (waiting, sent, or retrying).
pub async fn unsent_ehr(tx: &TenantTx) -> CoreResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(tx
        .find::<Entity>()
        .filter(Column::Channel.eq(EHR))
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::CancelledAt.is_null())
        .filter(Column::Attempts.lt(MAX_ATTEMPTS))
        .count(tx.conn())
        .await?)
}

/// EHR write-backs given up on (attempts used up, or refused for good), newest first.
pub async fn failed_ehr(tx: &TenantTx, limit: u64) -> CoreResult<Vec<outbox_message::Model>> {
    failed_on(tx, &[EHR], limit).await
}

async fn failed_on(
    tx: &TenantTx,
    channels: &[&'static str],
    limit: u64,
) -> CoreResult<Vec<outbox_message::Model>> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::Channel.is_in(channels.iter().copied()))
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::CancelledAt.is_null())
        .filter(Column::Attempts.gte(MAX_ATTEMPTS))
        .order_by_desc(Column::CreatedAt)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

/// Gives a failed message a fresh set of attempts; the relay picks it up.
pub async fn retry(tx: &TenantTx, id: Uuid) -> CoreResult<outbox_message::Model> {
    retry_on(tx, &MESSAGE_CHANNELS, id).await
}

/// Gives a failed EHR write-back a fresh set of attempts.
pub async fn retry_ehr(tx: &TenantTx, id: Uuid) -> CoreResult<outbox_message::Model> {
    retry_on(tx, &[EHR], id).await
}

async fn retry_on(
    tx: &TenantTx,
    channels: &[&'static str],
    id: Uuid,
) -> CoreResult<outbox_message::Model> {
    let found = tx
        .find::<Entity>()
        .filter(Column::Id.eq(id))
        .filter(Column::Channel.is_in(channels.iter().copied()))
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::CancelledAt.is_null())
        .filter(Column::Attempts.gte(MAX_ATTEMPTS))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    tx.update::<Entity>()
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(
            Column::NextAttemptAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            Column::RelayedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(found.id))
        .exec(tx.conn())
        .await?;
    Ok(outbox_message::Model {
        attempts: 0,
        next_attempt_at: None,
        relayed_at: None,
        claimed_until: None,
        ..found
    })
}

/// The email a message carries.
pub fn email_of(message: &outbox_message::Model) -> CoreResult<Email> {
    serde_json::from_str(&message.payload).map_err(CoreError::adapter)
}

/// What a message carries, by its channel.
pub fn outgoing_of(message: &outbox_message::Model) -> CoreResult<Outgoing> {
    let bad = |e: serde_json::Error| CoreError::adapter(e);
    match message.channel.as_str() {
        SMS => Ok(Outgoing::Sms(
            serde_json::from_str(&message.payload).map_err(bad)?,
        )),
        _ => Ok(Outgoing::Email(
            serde_json::from_str(&message.payload).map_err(bad)?,
        )),
    }
}

/// Every message of the tenant, oldest first (for support and for tests).
pub async fn all(tx: &TenantTx) -> CoreResult<Vec<outbox_message::Model>> {
    Ok(tx
        .find::<Entity>()
        .order_by_asc(Column::CreatedAt)
        .all(tx.conn())
        .await?)
}
