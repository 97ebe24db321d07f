//! Quiet hours: no notification reaches a patient's phone between, by default, 21:00 and
//! 08:00 in the patient's own time zone. A message written in quiet hours waits for their end.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Local minutes after midnight; `start == end` means no quiet hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    pub start: u32,
    pub end: u32,
}

impl QuietHours {
    pub const DEFAULT: QuietHours = QuietHours {
        start: 21 * 60,
        end: 8 * 60,
    };

    fn contains(self, minute: u32) -> bool {
        if self.start <= self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }
}

/// The first moment at or after `now` that is outside `quiet` in `zone`.
pub fn next_allowed(now: DateTime<Utc>, zone: Tz, quiet: QuietHours) -> DateTime<Utc> {
    let local = now.with_timezone(&zone);
    let minute = local.hour() * 60 + local.minute();
    if quiet.start == quiet.end || !quiet.contains(minute) {
        return now;
    }
    // Quiet hours end today, or tomorrow when they began this evening.
    let mut day = local.date_naive();
    if quiet.start > quiet.end && minute >= quiet.start {
        day = day.succ_opt().unwrap_or(day);
    }
    let end = NaiveTime::from_hms_opt(quiet.end / 60, quiet.end % 60, 0).unwrap_or(NaiveTime::MIN);
    let mut at = day.and_time(end);
    // An end that falls in a spring-forward gap moves to the first minute that exists.
    for _ in 0..4 {
        if let Some(t) = zone.from_local_datetime(&at).earliest() {
            return t.with_timezone(&Utc).max(now);
        }
        at += Duration::minutes(30);
    }
    now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const NY: Tz = chrono_tz::America::New_York;

    #[test]
    fn daytime_is_not_deferred() {
        let now = utc("2026-06-10T15:00:00Z"); // 11:00 in New York
        assert_eq!(next_allowed(now, NY, QuietHours::DEFAULT), now);
    }

    #[test]
    fn late_evening_waits_for_the_next_morning() {
        let now = utc("2026-06-11T02:30:00Z"); // 22:30 on the 10th in New York
        assert_eq!(
            next_allowed(now, NY, QuietHours::DEFAULT),
            utc("2026-06-11T12:00:00Z") // 08:00 on the 11th
        );
    }

    #[test]
    fn early_morning_waits_until_the_end_the_same_day() {
        let now = utc("2026-06-10T09:00:00Z"); // 05:00 in New York
        assert_eq!(
            next_allowed(now, NY, QuietHours::DEFAULT),
            utc("2026-06-10T12:00:00Z")
        );
    }

    #[test]
    fn the_patients_zone_decides_not_the_servers() {
        let now = utc("2026-06-10T15:00:00Z"); // 11:00 New York, 00:00 in Tokyo
        let tokyo = chrono_tz::Asia::Tokyo;
        assert_eq!(
            next_allowed(now, tokyo, QuietHours::DEFAULT),
            utc("2026-06-10T23:00:00Z") // 08:00 in Tokyo
        );
    }

    #[test]
    fn quiet_hours_within_one_day_and_none() {
        let midday = QuietHours {
            start: 12 * 60,
            end: 13 * 60,
        };
        let now = utc("2026-06-10T16:30:00Z"); // 12:30 New York
        assert_eq!(next_allowed(now, NY, midday), utc("2026-06-10T17:00:00Z"));
        let none = QuietHours { start: 0, end: 0 };
        assert_eq!(next_allowed(now, NY, none), now);
    }

    #[test]
    fn an_end_in_a_spring_forward_gap_moves_past_it() {
        let q = QuietHours {
            start: 22 * 60,
            end: 2 * 60 + 30,
        };
        // 23:00 on 7 March 2026 in New York; 02:30 on the 8th does not exist.
        let now = utc("2026-03-08T04:00:00Z");
        assert_eq!(next_allowed(now, NY, q), utc("2026-03-08T07:00:00Z")); // 03:00 EDT
    }
}
