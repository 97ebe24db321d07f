//! A practice's delivery rules: its quiet hours for text messages and its hourly sending
//! limit. Unset values mean the platform defaults.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};

use crate::{CoreError, CoreResult, TenantTx, entities::tenant, tenants};

/// `HH:MM` (24-hour) as minutes after midnight.
pub fn parse_clock(field: &'static str, value: &str) -> CoreResult<u32> {
    let bad = || CoreError::invalid(field, "INVALID_TIME", "a time of day such as 21:00");
    let (h, m) = value.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 || value.trim().len() != 5 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Minutes after midnight as `HH:MM`.
pub fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Sets (or with `None`, restores the defaults of) the practice's quiet hours and hourly
/// sending limit. Equal start and end mean no quiet hours.
pub async fn set(
    tx: &TenantTx,
    quiet_hours: Option<(&str, &str)>,
    sending_limit_per_hour: Option<i32>,
) -> CoreResult<tenant::Model> {
    let quiet = match quiet_hours {
        None => None,
        Some((start, end)) => Some((
            parse_clock("quietHoursStart", start)?,
            parse_clock("quietHoursEnd", end)?,
        )),
    };
    if let Some(limit) = sending_limit_per_hour
        && !(1..=1_000_000).contains(&limit)
    {
        return Err(CoreError::invalid(
            "sendingLimitPerHour",
            "INVALID_LIMIT",
            "between 1 and 1,000,000 messages an hour",
        ));
    }
    let found = tenants::own_row(tx).await?;
    tx.changed(crate::caches::Change::Tenant);
    let mut active: tenant::ActiveModel = found.tenant.into();
    let minutes = |m: u32| i32::try_from(m).unwrap_or(0);
    active.quiet_hours_start = Set(quiet.map(|(s, _)| minutes(s)));
    active.quiet_hours_end = Set(quiet.map(|(_, e)| minutes(e)));
    active.sending_limit_per_hour = Set(sending_limit_per_hour);
    active.updated_at = Set(Utc::now());
    Ok(active.update(tx.conn()).await?)
}

/// Changes the practice's quiet hours and sending limit as [`set`] does, audited as
/// `actor`'s. Quiet hours take both ends or neither (`INCOMPLETE_QUIET_HOURS`).
pub async fn change(
    tx: &TenantTx,
    actor: &crate::audit::Actor,
    quiet_hours_start: Option<&str>,
    quiet_hours_end: Option<&str>,
    sending_limit_per_hour: Option<i32>,
) -> CoreResult<tenant::Model> {
    let quiet = match (quiet_hours_start, quiet_hours_end) {
        (None, None) => None,
        (Some(start), Some(end)) => Some((start, end)),
        _ => {
            return Err(CoreError::invalid(
                "quietHoursEnd",
                "INCOMPLETE_QUIET_HOURS",
                "give both the start and the end of quiet hours, or neither",
            ));
        }
    };
    let updated = set(tx, quiet, sending_limit_per_hour).await?;
    crate::admin_changes::record(tx, actor, "settings.notifications", "Tenant", updated.id).await?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_parse_and_print() {
        assert_eq!(parse_clock("f", "21:00").unwrap(), 1260);
        assert_eq!(parse_clock("f", "08:05").unwrap(), 485);
        assert_eq!(clock(485), "08:05");
        for bad in ["24:00", "8:00", "08:60", "0800", "ab:cd", ""] {
            assert!(parse_clock("f", bad).is_err(), "{bad}");
        }
    }
}
