//! The embedded profile's throttle and revocation list, in this process's memory.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use uuid::Uuid;

use crate::ports::{PortError, RateDecision, RateLimiter, Revocations, Throttle, ThrottlePolicy};

/// How long a lock level is remembered: locks keep growing for a day of repeated attacks.
const LEVEL_MEMORY: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    window_ends: Instant,
    locked_until: Option<Instant>,
    level: u32,
    level_ends: Instant,
}

#[derive(Default)]
pub struct LocalThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

fn poisoned() -> PortError {
    PortError::new("local-throttle", "lock poisoned")
}

/// The lock for the `level`-th lock-out: `base * 2^(level-1)`, at most `max`.
pub fn lock_duration(policy: &ThrottlePolicy, level: u32) -> Duration {
    let factor = 2u32.saturating_pow(level.saturating_sub(1));
    policy.base_lock.saturating_mul(factor).min(policy.max_lock)
}

#[async_trait]
impl Throttle for LocalThrottle {
    async fn locked_for(&self, key: &str) -> Result<Option<Duration>, PortError> {
        let now = Instant::now();
        let entries = self.entries.lock().map_err(|_| poisoned())?;
        Ok(entries
            .get(key)
            .and_then(|e| e.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now))
    }

    async fn record_failure(
        &self,
        key: &str,
        policy: &ThrottlePolicy,
    ) -> Result<Option<Duration>, PortError> {
        let now = Instant::now();
        let mut entries = self.entries.lock().map_err(|_| poisoned())?;
        // Forget what has aged out, so the map does not grow without bound.
        entries.retain(|_, e| e.level_ends > now || e.window_ends > now);
        let e = entries.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            window_ends: now + policy.window,
            locked_until: None,
            level: 0,
            level_ends: now,
        });
        if e.window_ends <= now {
            e.failures = 0;
            e.window_ends = now + policy.window;
        }
        if e.level_ends <= now {
            e.level = 0;
        }
        e.failures += 1;
        if e.failures < policy.max_failures {
            return Ok(None);
        }
        e.failures = 0;
        e.level += 1;
        e.level_ends = now + LEVEL_MEMORY;
        let lock = lock_duration(policy, e.level);
        e.locked_until = Some(now + lock);
        Ok(Some(lock))
    }

    async fn clear(&self, key: &str) -> Result<(), PortError> {
        let mut entries = self.entries.lock().map_err(|_| poisoned())?;
        if let Some(e) = entries.get_mut(key) {
            e.failures = 0;
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct LocalRevocations {
    revoked: Mutex<HashMap<Uuid, Instant>>,
}

#[async_trait]
impl Revocations for LocalRevocations {
    async fn revoke(&self, session_id: Uuid, for_at_least: Duration) -> Result<(), PortError> {
        let now = Instant::now();
        let mut revoked = self.revoked.lock().map_err(|_| poisoned())?;
        revoked.retain(|_, until| *until > now);
        revoked.insert(session_id, now + for_at_least);
        Ok(())
    }

    async fn is_revoked(&self, session_id: Uuid) -> Result<bool, PortError> {
        let revoked = self.revoked.lock().map_err(|_| poisoned())?;
        Ok(revoked
            .get(&session_id)
            .is_some_and(|until| *until > Instant::now()))
    }
}

/// Fixed windows in memory: (window start, count) per key.
#[derive(Default)]
pub struct LocalRateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, PortError> {
        let now = Instant::now();
        let mut windows = self.windows.lock().map_err(|_| poisoned())?;
        windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        let (start, count) = windows.entry(key.to_owned()).or_insert((now, 0));
        *count += 1;
        if *count > limit {
            return Ok(RateDecision::Limited {
                retry_after: window.saturating_sub(now.duration_since(*start)),
            });
        }
        Ok(RateDecision::Allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            max_failures: 3,
            window: Duration::from_secs(60),
            base_lock: Duration::from_secs(10),
            max_lock: Duration::from_secs(35),
        }
    }

    #[tokio::test]
    async fn locks_grow_with_each_lock_out_up_to_the_maximum() {
        let t = LocalThrottle::default();
        let p = policy();
        let mut locks = Vec::new();
        for _ in 0..12 {
            if let Some(lock) = t.record_failure("k", &p).await.unwrap() {
                locks.push(lock.as_secs());
            }
        }
        assert_eq!(locks, vec![10, 20, 35, 35]);
        assert!(t.locked_for("k").await.unwrap().is_some());
        assert!(t.locked_for("other").await.unwrap().is_none());
    }

    #[test]
    fn lock_durations_double() {
        let p = policy();
        assert_eq!(lock_duration(&p, 1), Duration::from_secs(10));
        assert_eq!(lock_duration(&p, 2), Duration::from_secs(20));
        assert_eq!(lock_duration(&p, 40), Duration::from_secs(35));
    }
}
