//! Open slots from weekly availability, in the practice's time zone and correct across
//! daylight-saving changes.
//!
//! A weekly window ("Mondays 09:00–17:00") is a wall-clock promise. On a given date its start
//! and end become instants in the zone (a wall time that does not exist, in a spring-forward
//! gap, moves to the first instant after the gap; a wall time that exists twice, in a fall-back
//! overlap, opens at the first and closes at the second occurrence), and slots are laid out in
//! real time between them. So a night window loses an hour on the spring-forward day and gains
//! one on the fall-back day, as the people working it do.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// When a provider is available each week, in local wall-clock time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeeklyWindow {
    pub weekday: Weekday,
    pub start: NaiveTime,
    /// `00:00` means midnight at the end of the day.
    pub end: NaiveTime,
}

/// Time that is taken: an appointment or a block (time off, a meeting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// How an appointment type books.
#[derive(Clone, Copy, Debug)]
pub struct SlotRules {
    pub duration: Duration,
    /// Free time needed before and after an appointment (cleaning a room, notes).
    pub buffer_before: Duration,
    pub buffer_after: Duration,
    /// Nothing sooner than this from now.
    pub min_lead: Duration,
    /// Nothing later than this from now.
    pub horizon: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The first instant at or after the wall time `at` on `date`.
pub(crate) fn opening(tz: Tz, date: NaiveDate, at: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(at);
    // In a gap, step forward minute by minute to the first wall time that exists (gaps are at
    // most a few hours).
    (0..=24 * 60)
        .map(|m| local + Duration::minutes(m))
        .find_map(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
}

/// The last instant of the wall time `at` on `date` (the second occurrence in an overlap).
fn closing(tz: Tz, date: NaiveDate, at: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(at);
    (0..=24 * 60)
        .map(|m| local + Duration::minutes(m))
        .find_map(|t| tz.from_local_datetime(&t).latest())
        .map(|t| t.with_timezone(&Utc))
}

/// One provider's calendar at one location.
#[derive(Clone, Copy, Debug)]
pub struct Calendar<'a> {
    /// The practice's time zone.
    pub tz: Tz,
    pub windows: &'a [WeeklyWindow],
    /// Whole local dates off (holidays).
    pub closed_dates: &'a [NaiveDate],
    pub busy: &'a [Busy],
}

/// Open slots on the local dates `from..=to`, excluding busy time (with buffers), time
/// outside the lead time and horizon, and closed dates.
pub fn open_slots(
    calendar: &Calendar<'_>,
    rules: &SlotRules,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Vec<Slot> {
    let Calendar {
        tz,
        windows,
        closed_dates,
        busy,
    } = *calendar;
    let mut slots = Vec::new();
    if rules.duration <= Duration::zero() {
        return slots;
    }
    let earliest = now + rules.min_lead;
    let latest = now + rules.horizon;
    let mut date = from;
    while date <= to {
        if !closed_dates.contains(&date) {
            for window in windows.iter().filter(|w| w.weekday == date.weekday()) {
                let close = if window.end == NaiveTime::MIN {
                    date.succ_opt()
                        .and_then(|next| opening(tz, next, NaiveTime::MIN))
                } else {
                    closing(tz, date, window.end)
                };
                let (Some(open), Some(close)) = (opening(tz, date, window.start), close) else {
                    continue;
                };
                let mut start = open;
                while start + rules.duration <= close {
                    let end = start + rules.duration;
                    let taken = busy.iter().any(|b| {
                        start - rules.buffer_before < b.end && end + rules.buffer_after > b.start
                    });
                    if start >= earliest && start <= latest && !taken {
                        slots.push(Slot { start, end });
                    }
                    start = end;
                }
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    slots.sort_by_key(|s| s.start);
    slots.dedup();
    slots
}

#[cfg(test)]
mod tests {
    use chrono::Timelike;

    use super::*;

    fn rules(minutes: i64) -> SlotRules {
        SlotRules {
            duration: Duration::minutes(minutes),
            buffer_before: Duration::zero(),
            buffer_after: Duration::zero(),
            min_lead: Duration::zero(),
            horizon: Duration::days(3650),
        }
    }

    fn window(weekday: Weekday, start: (u32, u32), end: (u32, u32)) -> WeeklyWindow {
        WeeklyWindow {
            weekday,
            start: NaiveTime::from_hms_opt(start.0, start.1, 0).unwrap(),
            end: NaiveTime::from_hms_opt(end.0, end.1, 0).unwrap(),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn long_ago() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()
    }

    fn local_hours(tz: Tz, slots: &[Slot]) -> Vec<(u32, u32)> {
        slots
            .iter()
            .map(|s| {
                let l = s.start.with_timezone(&tz);
                (l.hour(), l.minute())
            })
            .collect()
    }

    /// Half-hour slots on one ordinary day: nothing closed, nothing booked, no lead time.
    fn on_day(tz: Tz, windows: &[WeeklyWindow], day: NaiveDate) -> Vec<Slot> {
        let calendar = Calendar {
            tz,
            windows,
            closed_dates: &[],
            busy: &[],
        };
        open_slots(&calendar, &rules(30), day, day, long_ago())
    }

    #[test]
    fn a_window_ending_at_midnight_keeps_its_last_slot() {
        // 22:00-24:00 (stored as an end of 00:00): four half-hour slots, the last 23:30-24:00.
        let w = [window(Weekday::Wed, (22, 0), (0, 0))];
        let slots = on_day(chrono_tz::America::Chicago, &w, date(2027, 1, 6));
        assert_eq!(
            local_hours(chrono_tz::America::Chicago, &slots),
            [(22, 0), (22, 30), (23, 0), (23, 30)]
        );
    }

    // US 2027: spring forward on Sunday 14 March, fall back on Sunday 7 November.
    const NEW_YORK: Tz = chrono_tz::America::New_York;

    #[test]
    fn a_day_window_keeps_its_wall_clock_slots_across_spring_forward() {
        let w = [window(Weekday::Sun, (9, 0), (17, 0))];
        for day in [date(2027, 3, 7), date(2027, 3, 14), date(2027, 3, 21)] {
            let slots = on_day(NEW_YORK, &w, day);
            assert_eq!(slots.len(), 16, "{day}");
            assert_eq!(local_hours(NEW_YORK, &slots)[0], (9, 0), "{day}");
        }
        // The same wall time is an hour earlier in UTC after the change.
        let before = on_day(NEW_YORK, &w, date(2027, 3, 7));
        let after = on_day(NEW_YORK, &w, date(2027, 3, 14));
        assert_eq!(before[0].start.hour(), 14);
        assert_eq!(after[0].start.hour(), 13);
    }

    #[test]
    fn a_night_window_loses_an_hour_on_spring_forward_and_gains_one_on_fall_back() {
        let sundays = [window(Weekday::Sun, (0, 0), (4, 0))];
        let count = |day| on_day(NEW_YORK, &sundays, day).len();
        assert_eq!(count(date(2027, 3, 7)), 8, "an ordinary Sunday: 4 hours");
        assert_eq!(count(date(2027, 3, 14)), 6, "02:00-03:00 does not exist");
        assert_eq!(count(date(2027, 11, 7)), 10, "01:00-02:00 happens twice");
        // No slot starts at a wall time that does not exist.
        let spring = on_day(NEW_YORK, &sundays, date(2027, 3, 14));
        assert!(local_hours(NEW_YORK, &spring).iter().all(|(h, _)| *h != 2));
        // Slots never overlap in real time.
        let fall = on_day(NEW_YORK, &sundays, date(2027, 11, 7));
        assert!(fall.windows(2).all(|p| p[0].end <= p[1].start));
    }

    #[test]
    fn a_zone_without_daylight_saving_is_the_same_every_sunday() {
        let phoenix = chrono_tz::America::Phoenix;
        let sundays = [window(Weekday::Sun, (0, 0), (4, 0))];
        for day in [date(2027, 3, 14), date(2027, 11, 7), date(2027, 7, 4)] {
            let slots = on_day(phoenix, &sundays, day);
            assert_eq!(slots.len(), 8, "{day}");
            assert_eq!(slots[0].start.hour(), 7, "UTC-7 all year: {day}");
        }
    }

    #[test]
    fn busy_time_with_buffers_lead_time_horizon_and_holidays_are_excluded() {
        let monday = date(2027, 6, 7);
        let w = [window(Weekday::Mon, (9, 0), (12, 0))];
        let at = |h: u32, m: u32| {
            NEW_YORK
                .with_ymd_and_hms(2027, 6, 7, h, m, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let booked = [Busy {
            start: at(10, 0),
            end: at(10, 30),
        }];
        let mut r = rules(30);
        r.buffer_after = Duration::minutes(15);
        let slots = open_slots(
            &Calendar {
                tz: NEW_YORK,
                windows: &w,
                closed_dates: &[],
                busy: &booked,
            },
            &r,
            monday,
            monday,
            long_ago(),
        );
        // 09:30 would end at 10:00 and need 15 free minutes after: taken. 10:30 starts as the
        // booking ends, but its own buffer is after it, so it is free.
        assert_eq!(
            local_hours(NEW_YORK, &slots),
            vec![(9, 0), (10, 30), (11, 0), (11, 30)]
        );
        // Lead time: from 10:50, the first slot is 11:30 with a 30-minute lead.
        r.min_lead = Duration::minutes(30);
        let later = open_slots(
            &Calendar {
                tz: NEW_YORK,
                windows: &w,
                closed_dates: &[],
                busy: &booked,
            },
            &r,
            monday,
            monday,
            at(10, 50),
        );
        assert_eq!(local_hours(NEW_YORK, &later), vec![(11, 30)]);
        // Horizon and holidays.
        r.min_lead = Duration::zero();
        r.horizon = Duration::hours(1);
        assert_eq!(
            open_slots(
                &Calendar {
                    tz: NEW_YORK,
                    windows: &w,
                    closed_dates: &[],
                    busy: &[]
                },
                &r,
                monday,
                monday,
                at(9, 0)
            )
            .len(),
            3
        );
        assert!(
            open_slots(
                &Calendar {
                    tz: NEW_YORK,
                    windows: &w,
                    closed_dates: &[monday],
                    busy: &[]
                },
                &rules(30),
                monday,
                monday,
                long_ago()
            )
            .is_empty()
        );
    }
}
