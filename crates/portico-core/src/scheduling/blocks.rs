//! Busy time that is not an appointment: a provider's block (a meeting) or time off, and
//! holidays that close the whole practice.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    entities::{
        appointment,
        schedule_block::{self, Column},
    },
    scheduling::{appointments::BOOKED, catalog, slots},
};

pub const KINDS: [&str; 3] = ["block", "time_off", "holiday"];

#[derive(Clone, Debug)]
pub struct NewBlock {
    /// Unset: the whole practice.
    pub provider_id: Option<Uuid>,
    pub kind: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: Option<String>,
    pub created_by: Option<Uuid>,
}

/// The instants a local date covers in `tz`: a holiday closes the whole day, however long.
pub fn whole_day(tz: Tz, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let midnight = chrono::NaiveTime::MIN;
    let start = slots::opening(tz, date, midnight)?;
    let end = slots::opening(tz, date.succ_opt()?, midnight)?;
    Some((start, end))
}

/// The kind of block that closes the whole practice for a day.
pub const HOLIDAY: &str = "holiday";

/// The instants a new block covers: a holiday's whole local `date`, or anything else's
/// `starts_at..ends_at`. A holiday without its date, or another block without both ends,
/// is `REQUIRED`; a date the zone skips is `INVALID_DATE`.
pub fn span(
    kind: &str,
    tz: Tz,
    date: Option<NaiveDate>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
) -> CoreResult<(DateTime<Utc>, DateTime<Utc>)> {
    match (kind == HOLIDAY, date, starts_at, ends_at) {
        (true, Some(date), _, _) => whole_day(tz, date)
            .ok_or_else(|| CoreError::invalid("date", "INVALID_DATE", "not a date in this zone")),
        (true, None, _, _) => Err(CoreError::invalid(
            "date",
            "REQUIRED",
            "a holiday needs its date",
        )),
        (false, _, Some(start), Some(end)) => Ok((start, end)),
        _ => Err(CoreError::invalid(
            "startsAt",
            "REQUIRED",
            "a block needs its start and end",
        )),
    }
}

/// Adds busy time as [`add`] does, audited as `actor`'s.
pub async fn add_audited(
    tx: &TenantTx,
    actor: &crate::audit::Actor,
    new: NewBlock,
) -> CoreResult<schedule_block::Model> {
    let added = add(tx, new).await?;
    crate::admin_changes::record(tx, actor, "schedule_block.add", "ScheduleBlock", added.id)
        .await?;
    Ok(added)
}

/// Adds busy time. It may not cover booked appointments: those are moved or cancelled
/// first, so that nobody's visit disappears under a block unannounced.
pub async fn add(tx: &TenantTx, new: NewBlock) -> CoreResult<schedule_block::Model> {
    // Serialised with bookings (which take the same lock first), so no booking slips under
    // a block between the check below and the insert.
    crate::audit::lock(tx).await?;
    if !KINDS.contains(&new.kind.as_str()) {
        return Err(CoreError::invalid(
            "kind",
            "INVALID_KIND",
            "must be block, time_off or holiday",
        ));
    }
    if new.ends_at <= new.starts_at || new.ends_at - new.starts_at > chrono::Duration::days(366) {
        return Err(CoreError::invalid(
            "endsAt",
            "INVALID_RANGE",
            "must be after the start and at most a year later",
        ));
    }
    if new.provider_id.is_none() && new.kind != "holiday" {
        return Err(CoreError::invalid(
            "providerId",
            "REQUIRED",
            "a block or time off is for one provider; a holiday closes the practice",
        ));
    }
    let note = match new
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
    {
        Some(n) if n.chars().count() > 200 => {
            return Err(CoreError::invalid(
                "note",
                "TOO_LONG",
                "must be at most 200 characters",
            ));
        }
        other => other,
    };
    if let Some(provider) = new.provider_id {
        catalog::find_provider(tx, provider).await?;
    }
    let mut covered = tx
        .find::<appointment::Entity>()
        .filter(appointment::Column::Status.eq(BOOKED))
        .filter(appointment::Column::StartsAt.lt(new.ends_at))
        .filter(appointment::Column::EndsAt.gt(new.starts_at));
    if let Some(provider) = new.provider_id {
        covered = covered.filter(appointment::Column::ProviderId.eq(provider));
    }
    if covered.one(tx.conn()).await?.is_some() {
        return Err(CoreError::invalid(
            "startsAt",
            "APPOINTMENTS_IN_BLOCK",
            "booked appointments fall in this time; reschedule or cancel them first",
        ));
    }
    Ok(schedule_block::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        provider_id: Set(new.provider_id),
        kind: Set(new.kind),
        starts_at: Set(new.starts_at),
        ends_at: Set(new.ends_at),
        note: Set(note),
        created_by: Set(new.created_by),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?)
}

pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<schedule_block::Model> {
    tx.find::<schedule_block::Entity>()
        .filter(Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// Removes a block and returns it (its time may now be open).
pub async fn remove(tx: &TenantTx, id: Uuid) -> CoreResult<schedule_block::Model> {
    crate::audit::lock(tx).await?;
    let found = find(tx, id).await?;
    tx.delete::<schedule_block::Entity>()
        .filter(Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    Ok(found)
}

/// Blocks touching `from..to` for these providers, and the practice's holidays.
pub async fn between(
    tx: &TenantTx,
    providers: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> CoreResult<Vec<schedule_block::Model>> {
    Ok(tx
        .find::<schedule_block::Entity>()
        .filter(Column::StartsAt.lt(to))
        .filter(Column::EndsAt.gt(from))
        .filter(
            Condition::any()
                .add(Column::ProviderId.is_null())
                .add(Column::ProviderId.is_in(providers.iter().copied())),
        )
        .order_by_asc(Column::StartsAt)
        .all(tx.conn())
        .await?)
}
