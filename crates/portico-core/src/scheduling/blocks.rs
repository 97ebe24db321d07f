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
