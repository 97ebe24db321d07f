//! When a failed delivery is tried again: the Standard Webhooks practice of a few quick
//! retries, then hours apart, over about three days (75 hours before jitter), each wait
//! moved by up to a fifth either way so that many deliveries failing together (a receiver
//! that was down) do not all come back in the same second.

use chrono::Duration;

/// The wait after the n-th failed attempt (n from 1); after the last, the delivery is given
/// up. Ten attempts in all.
const WAITS_SECONDS: [i64; 9] = [
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
];

/// Attempts a delivery gets before it is given up.
pub const ATTEMPTS: i32 = WAITS_SECONDS.len() as i32 + 1;

/// The wait after `attempts` failed attempts, with `jitter` in [-1, 1] scaling it by up to
/// ±20%; `None` once the attempts are used up.
pub fn next_wait(attempts: i32, jitter: f64) -> Option<Duration> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let base = *WAITS_SECONDS.get(index)?;
    let scale = 1.0 + 0.2 * jitter.clamp(-1.0, 1.0);
    // Whole milliseconds; `base` is at most a day, so the product fits easily.
    #[expect(clippy::cast_possible_truncation, reason = "bounded above")]
    let millis = (base as f64 * 1000.0 * scale).round() as i64;
    Some(Duration::milliseconds(millis))
}

/// A jitter in [-1, 1] from a fresh random id (no random-number crate in the domain).
pub fn jitter() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u32;
    f64::from(bits) / f64::from(u32::MAX) * 2.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_span_about_three_days_and_then_stop() {
        let total: i64 = (1..ATTEMPTS)
            .map(|n| next_wait(n, 0.0).unwrap().num_seconds())
            .sum();
        assert!((70 * 3600..80 * 3600).contains(&total), "{total}");
        assert_eq!(next_wait(ATTEMPTS, 0.0), None);
        assert_eq!(next_wait(0, 0.0), None);
        assert_eq!(next_wait(1, 0.0), Some(Duration::seconds(5)));
    }

    #[test]
    fn jitter_moves_a_wait_by_at_most_a_fifth() {
        let low = next_wait(4, -1.0).unwrap();
        let high = next_wait(4, 1.0).unwrap();
        assert_eq!(low, Duration::minutes(96));
        assert_eq!(high, Duration::minutes(144));
        for _ in 0..100 {
            let j = jitter();
            assert!((-1.0..=1.0).contains(&j));
        }
    }
}
