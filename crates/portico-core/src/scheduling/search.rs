//! Open-slot search: the slot generator applied to each provider's calendar at each
//! location, with appointments, blocks and holidays as busy time.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    entities::{appointment, appointment_type},
    scheduling::{
        appointments::{BOOKED, COMPLETED, NO_SHOW},
        availability, blocks, catalog,
        slots::{Busy, Calendar, SlotRules, open_slots},
    },
};

/// The longest date range one search may cover.
pub const MAX_DAYS: i64 = 62;

/// Who is looking: patients see what the portal may book (online types, lead time and
/// horizon); staff booking for a patient see every type and any time that is free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Portal,
    Staff,
}

impl Audience {
    /// Patients and proxies look through the portal; everyone else is staff.
    pub fn of(role: crate::identity::Role) -> Self {
        if role == crate::identity::Role::Patient {
            Self::Portal
        } else {
            Self::Staff
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct SlotQuery {
    pub appointment_type_id: Uuid,
    pub provider_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
    /// Local dates in the practice's time zone, both included.
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A bookable time with a provider at a location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub provider_id: Uuid,
    pub location_id: Uuid,
}

/// A type as a patient may book it, or why not.
pub fn bookable(kind: &appointment_type::Model, audience: Audience) -> CoreResult<()> {
    if !kind.active {
        return Err(CoreError::invalid(
            "appointmentTypeId",
            "NOT_BOOKABLE",
            "this type of appointment is no longer offered",
        ));
    }
    if audience == Audience::Portal && !kind.bookable_online {
        return Err(CoreError::invalid(
            "appointmentTypeId",
            "NOT_BOOKABLE_ONLINE",
            "this type of appointment is booked by calling the office",
        ));
    }
    Ok(())
}

fn rules(kind: &appointment_type::Model, audience: Audience) -> SlotRules {
    let minutes = |m: i32| Duration::minutes(i64::from(m));
    let (min_lead, horizon) = match audience {
        Audience::Portal => (
            minutes(kind.min_lead_minutes),
            Duration::days(i64::from(kind.horizon_days)),
        ),
        // Staff fit a patient in whenever the calendar is free, but not in the past.
        Audience::Staff => (Duration::zero(), Duration::days(3660)),
    };
    SlotRules {
        duration: minutes(kind.duration_minutes),
        buffer_before: minutes(kind.buffer_before_minutes),
        buffer_after: minutes(kind.buffer_after_minutes),
        min_lead,
        horizon,
    }
}

/// Open slots for `query`, earliest first.
pub async fn available(
    tx: &TenantTx,
    tz: Tz,
    query: SlotQuery,
    audience: Audience,
    now: DateTime<Utc>,
) -> CoreResult<Vec<Offer>> {
    if query.to < query.from {
        return Err(CoreError::invalid(
            "to",
            "INVALID_RANGE",
            "the range ends before it starts",
        ));
    }
    if (query.to - query.from).num_days() >= MAX_DAYS {
        return Err(CoreError::invalid(
            "to",
            "RANGE_TOO_LONG",
            format!("search at most {MAX_DAYS} days at a time"),
        ));
    }
    // Unknown ids are `NotFound`, like everywhere; a known but unbookable type is a mistake.
    let kind = catalog::find_type(tx, query.appointment_type_id).await?;
    bookable(&kind, audience)?;
    if let Some(location) = query.location_id {
        catalog::find_location(tx, location).await?;
    }
    let providers: Vec<Uuid> = match query.provider_id {
        Some(id) => {
            let provider = catalog::find_provider(tx, id).await?;
            if provider.active {
                vec![id]
            } else {
                Vec::new()
            }
        }
        None => catalog::providers(tx, false)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect(),
    };
    if providers.is_empty() {
        return Ok(Vec::new());
    }
    let active_locations: Vec<Uuid> = catalog::locations(tx, false)
        .await?
        .into_iter()
        .map(|l| l.id)
        .filter(|l| query.location_id.is_none_or(|wanted| wanted == *l))
        .collect();
    let windows: Vec<_> = availability::for_providers(tx, &providers)
        .await?
        .into_iter()
        .filter(|w| active_locations.contains(&w.location_id))
        .collect();
    if windows.is_empty() {
        return Ok(Vec::new());
    }
    // Wide enough for any local date in the range, whatever the zone's offset.
    let span_from = query
        .from
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc() - Duration::days(2))
        .unwrap_or(now);
    let span_to = query
        .to
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc() + Duration::days(3))
        .unwrap_or(now);
    let busy = busy_time(tx, &providers, span_from, span_to).await?;
    let rules = rules(&kind, audience);
    let mut offers = Vec::new();
    let mut calendars: HashMap<(Uuid, Uuid), Vec<_>> = HashMap::new();
    for w in &windows {
        if let Some(weekly) = availability::weekly(w) {
            calendars
                .entry((w.provider_id, w.location_id))
                .or_default()
                .push(weekly);
        }
    }
    for ((provider_id, location_id), weekly) in &calendars {
        let empty = Vec::new();
        let calendar = Calendar {
            tz,
            windows: weekly,
            closed_dates: &[],
            busy: busy.get(provider_id).unwrap_or(&empty),
        };
        offers.extend(
            open_slots(&calendar, &rules, query.from, query.to, now)
                .into_iter()
                .map(|s| Offer {
                    start: s.start,
                    end: s.end,
                    provider_id: *provider_id,
                    location_id: *location_id,
                }),
        );
    }
    offers.sort_by_key(|o| (o.start, o.provider_id, o.location_id));
    Ok(offers)
}

/// Each provider's busy time in a span: booked appointments widened by their own type's
/// buffers, their blocks, and the practice's holidays.
async fn busy_time(
    tx: &TenantTx,
    providers: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> CoreResult<HashMap<Uuid, Vec<Busy>>> {
    let mut busy: HashMap<Uuid, Vec<Busy>> = HashMap::new();
    let booked = tx
        .find::<appointment::Entity>()
        // A visit under way or over (its outcome recorded) keeps its time too.
        .filter(appointment::Column::Status.is_in([BOOKED, COMPLETED, NO_SHOW]))
        .filter(appointment::Column::ProviderId.is_in(providers.iter().copied()))
        .filter(appointment::Column::StartsAt.lt(to))
        .filter(appointment::Column::EndsAt.gt(from))
        .all(tx.conn())
        .await?;
    let buffers: HashMap<Uuid, (i32, i32)> = catalog::types(tx, true, false)
        .await?
        .into_iter()
        .map(|t| (t.id, (t.buffer_before_minutes, t.buffer_after_minutes)))
        .collect();
    for a in booked {
        let (before, after) = buffers
            .get(&a.appointment_type_id)
            .copied()
            .unwrap_or((0, 0));
        busy.entry(a.provider_id).or_default().push(Busy {
            start: a.starts_at - Duration::minutes(i64::from(before)),
            end: a.ends_at + Duration::minutes(i64::from(after)),
        });
    }
    for b in blocks::between(tx, providers, from, to).await? {
        let span = Busy {
            start: b.starts_at,
            end: b.ends_at,
        };
        match b.provider_id {
            Some(p) => busy.entry(p).or_default().push(span),
            None => {
                for p in providers {
                    busy.entry(*p).or_default().push(span);
                }
            }
        }
    }
    Ok(busy)
}
