//! The waitlist: a patient asks to hear of an earlier opening for a type (and a provider).
//! When booked time is released, the waiting patients whose wish the opening meets are told
//! in the order they joined; the first to book it has it.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, PatientId, TenantTx,
    audit::{self, Access, Actor},
    entities::{appointment, waitlist_entry},
    notify::{self, Notice, Portal},
    scheduling::{
        appointments::{BOOKED, PracticeClock},
        catalog,
        search::{self, Audience, SlotQuery},
    },
};

pub const WAITING: &str = "waiting";
pub const NOTIFIED: &str = "notified";
pub const REMOVED: &str = "removed";

fn access<'a>(action: &'a str, e: &waitlist_entry::Model) -> Access<'a> {
    Access {
        action,
        resource_type: "WaitlistEntry",
        resource_id: Some(e.id),
        patient_id: Some(e.patient_id),
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Wish {
    pub patient_id: PatientId,
    pub appointment_type_id: Uuid,
    pub provider_id: Option<Uuid>,
    /// Openings before this time are of interest; by default, the start of the patient's
    /// next booked appointment of this type.
    pub wanted_before: Option<DateTime<Utc>>,
    pub by: Option<Uuid>,
}

pub async fn join(
    tx: &TenantTx,
    actor: &Actor,
    wish: Wish,
    now: DateTime<Utc>,
) -> CoreResult<waitlist_entry::Model> {
    // First, so that two joins of one patient cannot both pass the duplicate check.
    audit::lock(tx).await?;
    let kind = catalog::find_type(tx, wish.appointment_type_id)
        .await
        .map_err(|e| e.on_field("appointmentTypeId"))?;
    search::bookable(&kind, Audience::Portal)?;
    if let Some(provider) = wish.provider_id {
        catalog::find_provider(tx, provider).await?;
    }
    let wanted_before = match wish.wanted_before {
        Some(t) => t,
        None => {
            let mut next = tx
                .find::<appointment::Entity>()
                .filter(appointment::Column::PatientId.eq(wish.patient_id.as_uuid()))
                .filter(appointment::Column::AppointmentTypeId.eq(kind.id))
                .filter(appointment::Column::Status.eq(BOOKED))
                .filter(appointment::Column::StartsAt.gt(now))
                .order_by_asc(appointment::Column::StartsAt);
            if let Some(provider) = wish.provider_id {
                next = next.filter(appointment::Column::ProviderId.eq(provider));
            }
            next.one(tx.conn())
                .await?
                .map(|a| a.starts_at)
                .ok_or_else(|| {
                    CoreError::invalid(
                        "wantedBefore",
                        "REQUIRED",
                        "say by when, or book an appointment first",
                    )
                })?
        }
    };
    if wanted_before <= now {
        return Err(CoreError::invalid(
            "wantedBefore",
            "INVALID_DATE",
            "must be in the future",
        ));
    }
    let mut same = tx
        .find::<waitlist_entry::Entity>()
        .filter(waitlist_entry::Column::PatientId.eq(wish.patient_id.as_uuid()))
        .filter(waitlist_entry::Column::AppointmentTypeId.eq(kind.id))
        .filter(waitlist_entry::Column::Status.eq(WAITING));
    same = match wish.provider_id {
        Some(p) => same.filter(waitlist_entry::Column::ProviderId.eq(p)),
        None => same.filter(waitlist_entry::Column::ProviderId.is_null()),
    };
    if same.one(tx.conn()).await?.is_some() {
        return Err(CoreError::invalid(
            "appointmentTypeId",
            "ALREADY_WAITLISTED",
            "already on the waitlist for this",
        ));
    }
    let entry = waitlist_entry::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        patient_id: Set(wish.patient_id.as_uuid()),
        appointment_type_id: Set(kind.id),
        provider_id: Set(wish.provider_id),
        wanted_before: Set(wanted_before),
        status: Set(WAITING.to_owned()),
        created_by: Set(wish.by),
        created_at: Set(Utc::now()),
        notified_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    audit::record(tx, actor, access("waitlist.join", &entry)).await?;
    Ok(entry)
}

/// The entry, unaudited.
pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<waitlist_entry::Model> {
    tx.find::<waitlist_entry::Entity>()
        .filter(waitlist_entry::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

pub async fn leave(tx: &TenantTx, actor: &Actor, id: Uuid) -> CoreResult<waitlist_entry::Model> {
    let found = find(tx, id).await?;
    let mut active: waitlist_entry::ActiveModel = found.into();
    active.status = Set(REMOVED.to_owned());
    let updated = active.update(tx.conn()).await?;
    audit::record(tx, actor, access("waitlist.leave", &updated)).await?;
    Ok(updated)
}

/// A patient's entries still waiting, oldest first.
pub async fn for_patient(
    tx: &TenantTx,
    actor: &Actor,
    patient: PatientId,
) -> CoreResult<Vec<waitlist_entry::Model>> {
    let found = tx
        .find::<waitlist_entry::Entity>()
        .filter(waitlist_entry::Column::PatientId.eq(patient.as_uuid()))
        .filter(waitlist_entry::Column::Status.is_in([WAITING, NOTIFIED]))
        .order_by_asc(waitlist_entry::Column::CreatedAt)
        .all(tx.conn())
        .await?;
    for e in &found {
        audit::record(tx, actor, access("waitlist.read", e)).await?;
    }
    Ok(found)
}

/// Time a provider has again: a cancelled or moved appointment, or a removed block.
#[derive(Clone, Copy, Debug)]
pub struct Opening {
    pub provider_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The patient whose appointment it was (not told of their own time).
    pub vacated_by: Option<Uuid>,
}

impl From<&appointment::Model> for Opening {
    fn from(a: &appointment::Model) -> Self {
        Self {
            provider_id: a.provider_id,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            vacated_by: Some(a.patient_id),
        }
    }
}

/// Time was released: marks the waiting entries whose wish an open slot inside it meets as
/// notified and writes their notices to the outbox, in the order they joined. Returns how
/// many; the caller relays the outbox once the transaction has committed.
pub async fn on_opening(
    tx: &TenantTx,
    actor: &Actor,
    clock: PracticeClock,
    freed: Opening,
    portal: &Portal,
) -> CoreResult<usize> {
    if freed.starts_at <= clock.now {
        return Ok(0);
    }
    let waiting = tx
        .find::<waitlist_entry::Entity>()
        .filter(waitlist_entry::Column::Status.eq(WAITING))
        .filter(waitlist_entry::Column::WantedBefore.gt(freed.starts_at))
        .filter(
            Condition::any()
                .add(waitlist_entry::Column::ProviderId.is_null())
                .add(waitlist_entry::Column::ProviderId.eq(freed.provider_id)),
        )
        .order_by_asc(waitlist_entry::Column::CreatedAt)
        .order_by_asc(waitlist_entry::Column::Id)
        .all(tx.conn())
        .await?;
    let local = freed.starts_at.with_timezone(&clock.tz).date_naive();
    // Every local date the opening touches, up to the longest search.
    let last = freed
        .ends_at
        .with_timezone(&clock.tz)
        .date_naive()
        .min(local + chrono::Duration::days(search::MAX_DAYS - 1));
    let mut notices = 0;
    for entry in waiting {
        if freed.vacated_by == Some(entry.patient_id) {
            continue;
        }
        let offers = search::available(
            tx,
            clock.tz,
            SlotQuery {
                appointment_type_id: entry.appointment_type_id,
                provider_id: Some(freed.provider_id),
                location_id: None,
                from: local,
                to: last,
            },
            Audience::Portal,
            clock.now,
        )
        .await;
        // A type no longer offered online meets nobody's wish; other errors are real.
        let offers = match offers {
            Ok(o) => o,
            Err(CoreError::Invalid { .. }) => continue,
            Err(e) => return Err(e),
        };
        let fits = offers.iter().any(|o| {
            o.start >= freed.starts_at && o.start < freed.ends_at && o.start < entry.wanted_before
        });
        if !fits {
            continue;
        }
        // An entry is notified once, so its id keys the notice. A patient who cannot be
        // reached (no address, opted out) stays on the list.
        let send = notify::Send {
            notice: Notice::EarlierTimeOpen,
            key: &format!("waitlist:{}", entry.id),
            topic: None,
            link: &portal.booking(),
            deadline: Some(freed.starts_at),
        };
        if !notify::to_patient(tx, portal, entry.patient_id, &send, clock.now)
            .await?
            .any()
        {
            continue;
        }
        let mut active: waitlist_entry::ActiveModel = entry.clone().into();
        active.status = Set(NOTIFIED.to_owned());
        active.notified_at = Set(Some(Utc::now()));
        let updated = active.update(tx.conn()).await?;
        audit::record(tx, actor, access("waitlist.notify", &updated)).await?;
        notices += 1;
    }
    Ok(notices)
}
