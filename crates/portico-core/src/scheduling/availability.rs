//! Weekly availability: when each provider sees patients at each location, in the practice's
//! local time. A provider is in one place at a time, so their windows never overlap.

use chrono::{NaiveTime, Weekday};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    entities::availability_window::{self, Column},
    scheduling::{catalog, slots::WeeklyWindow},
};

/// One weekly window as entered: ISO weekday (1 = Monday) and minutes after local midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowInput {
    pub weekday: i16,
    pub start_minute: i32,
    pub end_minute: i32,
}

fn check(windows: &[WindowInput]) -> CoreResult<()> {
    for w in windows {
        if !(1..=7).contains(&w.weekday) {
            return Err(CoreError::invalid(
                "windows",
                "INVALID_WEEKDAY",
                "weekday must be 1 (Monday) to 7 (Sunday)",
            ));
        }
        if w.start_minute < 0 || w.end_minute > 24 * 60 || w.start_minute >= w.end_minute {
            return Err(CoreError::invalid(
                "windows",
                "INVALID_WINDOW",
                "a window starts before it ends, within one day",
            ));
        }
    }
    Ok(())
}

fn overlaps(a: &WindowInput, b: &WindowInput) -> bool {
    a.weekday == b.weekday && a.start_minute < b.end_minute && b.start_minute < a.end_minute
}

/// Replaces the provider's weekly windows at `location` with `windows`.
pub async fn set_weekly(
    tx: &TenantTx,
    provider: Uuid,
    location: Uuid,
    windows: &[WindowInput],
) -> CoreResult<Vec<availability_window::Model>> {
    tx.changed(crate::caches::Change::Catalog);
    check(windows)?;
    catalog::find_provider(tx, provider).await?;
    catalog::find_location(tx, location).await?;
    let elsewhere: Vec<WindowInput> = for_provider(tx, provider)
        .await?
        .into_iter()
        .filter(|w| w.location_id != location)
        .map(|w| WindowInput {
            weekday: w.weekday,
            start_minute: w.start_minute,
            end_minute: w.end_minute,
        })
        .collect();
    for (i, w) in windows.iter().enumerate() {
        if windows[i + 1..].iter().any(|o| overlaps(w, o))
            || elsewhere.iter().any(|o| overlaps(w, o))
        {
            return Err(CoreError::invalid(
                "windows",
                "OVERLAPPING_WINDOWS",
                "a provider's windows cannot overlap, at this or another location",
            ));
        }
    }
    tx.delete::<availability_window::Entity>()
        .filter(Column::ProviderId.eq(provider))
        .filter(Column::LocationId.eq(location))
        .exec(tx.conn())
        .await?;
    for w in windows {
        availability_window::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(Uuid::now_v7()),
            provider_id: Set(provider),
            location_id: Set(location),
            weekday: Set(w.weekday),
            start_minute: Set(w.start_minute),
            end_minute: Set(w.end_minute),
        }
        .insert(tx.conn())
        .await?;
    }
    for_provider(tx, provider).await.map(|all| {
        all.into_iter()
            .filter(|w| w.location_id == location)
            .collect()
    })
}

/// The provider's windows at every location, by day and time.
pub async fn for_provider(
    tx: &TenantTx,
    provider: Uuid,
) -> CoreResult<Vec<availability_window::Model>> {
    Ok(tx
        .find::<availability_window::Entity>()
        .filter(Column::ProviderId.eq(provider))
        .order_by_asc(Column::Weekday)
        .order_by_asc(Column::StartMinute)
        .all(tx.conn())
        .await?)
}

/// The windows of several providers at once.
pub async fn for_providers(
    tx: &TenantTx,
    providers: &[Uuid],
) -> CoreResult<Vec<availability_window::Model>> {
    Ok(tx
        .find::<availability_window::Entity>()
        .filter(Column::ProviderId.is_in(providers.iter().copied()))
        .all(tx.conn())
        .await?)
}

/// A stored window as the slot generator reads it.
pub fn weekly(row: &availability_window::Model) -> Option<WeeklyWindow> {
    let weekday = match row.weekday {
        1 => Weekday::Mon,
        2 => Weekday::Tue,
        3 => Weekday::Wed,
        4 => Weekday::Thu,
        5 => Weekday::Fri,
        6 => Weekday::Sat,
        7 => Weekday::Sun,
        _ => return None,
    };
    let time = |m: i32| {
        let m = u32::try_from(m).ok()?;
        // 24:00 is 00:00: a window that ends at 00:00 runs to the next midnight.
        NaiveTime::from_hms_opt((m / 60) % 24, m % 60, 0)
    };
    Some(WeeklyWindow {
        weekday,
        start: time(row.start_minute)?,
        end: time(row.end_minute)?,
    })
}
