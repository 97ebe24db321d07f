//! Appointment reminders at the practice's offsets before each visit (72 h, 24 h and 2 h by
//! default). Booking plans them; cancelling, moving or holding the visit withdraws those not
//! yet sent, including one already written to the outbox. A reminder names the practice only
//! and carries a one-time link to confirm or cancel the visit without signing in.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{appointment, appointment_link, appointment_reminder, tenant},
    notify::{self, Notice, Portal},
    outbox,
    scheduling::appointments::{self, BOOKED, Channel, PracticeClock},
    sessions::hash_token,
    tenants,
};

/// The outbox key of a reminder's messages starts so (`reminder:{id}`, `reminder:{id}:sms`).
pub const OUTBOX_KEY: &str = "reminder:";

/// Minutes before a visit, when a practice has not set its own.
pub const DEFAULT_OFFSETS: [i32; 3] = [72 * 60, 24 * 60, 2 * 60];
pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const CANCELLED: &str = "cancelled";
pub const SKIPPED: &str = "skipped";

/// The practice's offsets, largest first.
pub fn offsets_of(practice: &tenant::Model) -> Vec<i32> {
    let parsed: Vec<i32> = practice
        .reminder_offsets
        .as_deref()
        .map(|s| s.split(',').filter_map(|m| m.trim().parse().ok()).collect())
        .unwrap_or_default();
    if parsed.is_empty() {
        DEFAULT_OFFSETS.to_vec()
    } else {
        parsed
    }
}

/// Checks and stores a practice's offsets (`None` restores the default).
pub async fn set_offsets(tx: &TenantTx, offsets: Option<&[i32]>) -> CoreResult<tenant::Model> {
    let stored = match offsets {
        None => None,
        Some(list) => {
            if list.is_empty()
                || list.len() > 5
                || list.iter().any(|m| !(5..=30 * 24 * 60).contains(m))
            {
                return Err(CoreError::invalid(
                    "reminderOffsetsMinutes",
                    "INVALID_OFFSETS",
                    "one to five offsets, each 5 minutes to 30 days",
                ));
            }
            let mut sorted = list.to_vec();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            sorted.dedup();
            Some(
                sorted
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            )
        }
    };
    let found = tenants::own_row(tx).await?;
    tx.changed(crate::caches::Change::Tenant);
    let mut active: tenant::ActiveModel = found.tenant.into();
    active.reminder_offsets = Set(stored);
    active.updated_at = Set(Utc::now());
    Ok(active.update(tx.conn()).await?)
}

/// Plans the reminders of a just-booked visit: one per offset still ahead; when every offset
/// has passed (a visit booked at short notice), one right away.
pub async fn plan(tx: &TenantTx, visit: &appointment::Model, now: DateTime<Utc>) -> CoreResult<()> {
    plan_all(tx, &[visit], now).await
}

/// Rows one `INSERT` carries (seven columns each, well under either engine's bind limit).
const PLAN_CHUNK: usize = 1_000;

/// [`plan`] for many visits (an EHR page of appointments) in a few statements.
pub async fn plan_all(
    tx: &TenantTx,
    visits: &[&appointment::Model],
    now: DateTime<Utc>,
) -> CoreResult<()> {
    if visits.is_empty() {
        return Ok(());
    }
    let practice = tenants::own_row(tx).await?.tenant;
    let offsets = offsets_of(&practice);
    let mut rows = Vec::new();
    for visit in visits {
        let mut due: Vec<(i32, DateTime<Utc>)> = offsets
            .iter()
            .map(|m| (*m, visit.starts_at - Duration::minutes(i64::from(*m))))
            .filter(|(_, at)| *at > now)
            .collect();
        if due.is_empty() && visit.starts_at > now {
            due.push((offsets.iter().copied().min().unwrap_or(0), now));
        }
        rows.extend(due.into_iter().map(|(offset_minutes, due_at)| {
            appointment_reminder::ActiveModel {
                id: Set(Uuid::now_v7()),
                appointment_id: Set(visit.id),
                offset_minutes: Set(offset_minutes),
                due_at: Set(due_at),
                status: Set(PENDING.to_owned()),
                created_at: Set(now),
                sent_at: Set(None),
                ..Default::default()
            }
        }));
    }
    while !rows.is_empty() {
        let chunk: Vec<_> = rows.drain(..rows.len().min(PLAN_CHUNK)).collect();
        tx.insert_many(chunk).exec(tx.conn()).await?;
    }
    Ok(())
}

pub fn topic(visit: Uuid) -> String {
    format!("appointment:{visit}")
}

/// The visit is no longer booked: its pending reminders are cancelled and any reminder
/// waiting in the outbox is withdrawn.
pub async fn withdraw(tx: &TenantTx, visit: Uuid) -> CoreResult<()> {
    tx.update::<appointment_reminder::Entity>()
        .col_expr(appointment_reminder::Column::Status, Expr::value(CANCELLED))
        .filter(appointment_reminder::Column::AppointmentId.eq(visit))
        .filter(appointment_reminder::Column::Status.eq(PENDING))
        .exec(tx.conn())
        .await?;
    outbox::withdraw(tx, &topic(visit)).await?;
    Ok(())
}

/// Reminders written per run of [`send_due`].
const BATCH: u64 = 500;

/// Writes the reminders due by `now` to the outbox (each with a fresh one-time link; on the
/// patient's channels, after their quiet hours unless that is past the visit) and marks
/// them sent; a reminder of a visit no longer booked, or of a patient who cannot or does
/// not want to be reached, is skipped. Returns how many were written.
///
/// Up to 500 at a time, in sets: the visits, charts and accounts are read in a few queries
/// and the messages, links, statuses and audit events written in a few statements, so a
/// run costs about the same whether one reminder is due or five hundred.
pub async fn send_due(
    tx: &TenantTx,
    actor: &Actor,
    now: DateTime<Utc>,
    portal: &Portal,
) -> CoreResult<usize> {
    let due = tx
        .find::<appointment_reminder::Entity>()
        .filter(appointment_reminder::Column::Status.eq(PENDING))
        .filter(appointment_reminder::Column::DueAt.lte(now))
        .order_by_asc(appointment_reminder::Column::DueAt)
        .limit(BATCH)
        .all(tx.conn())
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let visits: HashMap<Uuid, appointment::Model> = tx
        .find::<appointment::Entity>()
        .filter(appointment::Column::Id.is_in(due.iter().map(|r| r.appointment_id)))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|visit| (visit.id, visit))
        .collect();
    // The reminders of visits still ahead, each with its token, key, topic and link.
    struct Planned<'a> {
        reminder: &'a appointment_reminder::Model,
        visit: &'a appointment::Model,
        token: String,
        key: String,
        topic: String,
        link: String,
    }
    let planned: Vec<Planned<'_>> = due
        .iter()
        .filter_map(|reminder| {
            let visit = visits.get(&reminder.appointment_id)?;
            (visit.status == BOOKED && visit.starts_at > now).then(|| {
                let token = format!("rem_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
                Planned {
                    reminder,
                    visit,
                    key: format!("{OUTBOX_KEY}{}", reminder.id),
                    topic: topic(visit.id),
                    link: portal.visit(&token),
                    token,
                }
            })
        })
        .collect();
    let notices: Vec<(Uuid, notify::Send<'_>)> = planned
        .iter()
        .map(|p| {
            let send = notify::Send {
                notice: Notice::AppointmentReminder,
                key: &p.key,
                topic: Some(&p.topic),
                link: &p.link,
                deadline: Some(p.visit.starts_at),
            };
            (p.visit.patient_id, send)
        })
        .collect();
    let written = notify::to_patients(tx, portal, &notices, now).await?;
    let reached: Vec<&Planned<'_>> = planned
        .iter()
        .zip(&written)
        .filter(|(_, written)| written.any())
        .map(|(p, _)| p)
        .collect();
    let links: Vec<appointment_link::ActiveModel> = reached
        .iter()
        .map(|p| appointment_link::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            appointment_id: Set(p.visit.id),
            token_hash: Set(hash_token(&p.token)),
            expires_at: Set(p.visit.starts_at),
            used_at: Set(None),
            created_at: Set(now),
        })
        .collect();
    if !links.is_empty() {
        tx.insert_many(links)
            .exec_without_returning(tx.conn())
            .await?;
    }
    let sent: Vec<Uuid> = reached.iter().map(|p| p.reminder.id).collect();
    let skipped: Vec<Uuid> = due
        .iter()
        .map(|r| r.id)
        .filter(|id| !sent.contains(id))
        .collect();
    set_status(tx, &sent, SENT, Some(now)).await?;
    set_status(tx, &skipped, SKIPPED, None).await?;
    for p in &reached {
        audit::record(
            tx,
            actor,
            Access {
                action: "appointment.remind",
                resource_type: "Appointment",
                resource_id: Some(p.visit.id),
                patient_id: Some(p.visit.patient_id),
            },
        )
        .await?;
    }
    Ok(reached.len())
}

/// Sets the status (and when sent) of the reminders `ids`, in one statement.
async fn set_status(
    tx: &TenantTx,
    ids: &[Uuid],
    status: &str,
    sent_at: Option<DateTime<Utc>>,
) -> CoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut update = tx
        .update::<appointment_reminder::Entity>()
        .col_expr(appointment_reminder::Column::Status, Expr::value(status))
        .filter(appointment_reminder::Column::Id.is_in(ids.iter().copied()));
    if sent_at.is_some() {
        update = update.col_expr(appointment_reminder::Column::SentAt, Expr::value(sent_at));
    }
    update.exec(tx.conn()).await?;
    Ok(())
}

/// What the patient answers through a reminder's link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Confirm,
    Cancel,
}

/// Uses a reminder's one-time link. A used, expired or unknown link is `INVALID_LINK`;
/// cancelling follows the portal's rules (the cancellation window).
pub async fn answer(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    token: &str,
    answer: Answer,
) -> CoreResult<appointment::Model> {
    audit::lock(tx).await?;
    let invalid = || {
        CoreError::invalid(
            "token",
            "INVALID_LINK",
            "this link was used or has expired; sign in to the portal instead",
        )
    };
    let link = tx
        .find::<appointment_link::Entity>()
        .filter(appointment_link::Column::TokenHash.eq(hash_token(token)))
        .one(tx.conn())
        .await?
        .filter(|l| l.used_at.is_none() && l.expires_at > clock.now)
        .ok_or_else(invalid)?;
    let used = tx
        .update::<appointment_link::Entity>()
        .col_expr(
            appointment_link::Column::UsedAt,
            Expr::value(Some(clock.now)),
        )
        .filter(appointment_link::Column::Id.eq(link.id))
        .filter(appointment_link::Column::UsedAt.is_null())
        .exec(tx.conn())
        .await?;
    if used.rows_affected == 0 {
        return Err(invalid());
    }
    match answer {
        Answer::Cancel => {
            appointments::cancel(tx, actor, clock, link.appointment_id, Channel::Portal, None).await
        }
        Answer::Confirm => {
            let visit = appointments::find(tx, link.appointment_id).await?;
            if visit.status != BOOKED {
                return Err(CoreError::invalid(
                    "token",
                    "APPOINTMENT_NOT_ACTIVE",
                    "this appointment was already cancelled or moved",
                ));
            }
            let mut active: appointment::ActiveModel = visit.into();
            active.confirmed_at = Set(Some(clock.now));
            active.updated_at = Set(Utc::now());
            let confirmed = active.update(tx.conn()).await?;
            audit::record(
                tx,
                actor,
                Access {
                    action: "appointment.confirm",
                    resource_type: "Appointment",
                    resource_id: Some(confirmed.id),
                    patient_id: Some(confirmed.patient_id),
                },
            )
            .await?;
            Ok(confirmed)
        }
    }
}
