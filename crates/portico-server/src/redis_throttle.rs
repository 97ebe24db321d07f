//! The production profile's throttle and revocation list on Redis, shared by every instance.
//! Keys: `{prefix}:throttle:{key}:n` (failures in the window), `:lock` (the lock, with its
//! TTL), `:level` (lock-outs in the last day); `{prefix}:revoked:{session}`.

use std::time::Duration;

use async_trait::async_trait;
use portico_core::{
    ports::{PortError, RateDecision, RateLimiter, Revocations, Throttle, ThrottlePolicy},
    throttle::lock_duration,
};
use redis::aio::ConnectionManager;
use uuid::Uuid;

const LEVEL_MEMORY_SECS: u64 = 24 * 3600;

#[derive(Clone)]
pub struct RedisThrottle {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisThrottle {
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let conn = redis::Client::open(url)?.get_connection_manager().await?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
        })
    }

    fn key(&self, key: &str, part: &str) -> String {
        format!("{}:throttle:{key}:{part}", self.prefix)
    }
}

fn err(e: redis::RedisError) -> PortError {
    PortError::new("redis-throttle", e)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl Throttle for RedisThrottle {
    async fn locked_for(&self, key: &str) -> Result<Option<Duration>, PortError> {
        let mut conn = self.conn.clone();
        let ttl: i64 = redis::cmd("PTTL")
            .arg(self.key(key, "lock"))
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        Ok(u64::try_from(ttl)
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis))
    }

    async fn record_failure(
        &self,
        key: &str,
        policy: &ThrottlePolicy,
    ) -> Result<Option<Duration>, PortError> {
        let mut conn = self.conn.clone();
        let count_key = self.key(key, "n");
        // INCR and set the window on the first failure only (NX).
        let (count, _): (u32, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&count_key)
            .cmd("PEXPIRE")
            .arg(&count_key)
            .arg(millis(policy.window))
            .arg("NX")
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        if count < policy.max_failures {
            return Ok(None);
        }
        let level_key = self.key(key, "level");
        let (level, _, _): (u32, i64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&level_key)
            .cmd("EXPIRE")
            .arg(&level_key)
            .arg(LEVEL_MEMORY_SECS)
            .cmd("DEL")
            .arg(&count_key)
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        let lock = lock_duration(policy, level);
        let _: () = redis::cmd("SET")
            .arg(self.key(key, "lock"))
            .arg(level)
            .arg("PX")
            .arg(millis(lock))
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        Ok(Some(lock))
    }

    async fn clear(&self, key: &str) -> Result<(), PortError> {
        let mut conn = self.conn.clone();
        let _: i64 = redis::cmd("DEL")
            .arg(self.key(key, "n"))
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        Ok(())
    }
}

#[async_trait]
impl Revocations for RedisThrottle {
    async fn revoke(&self, session_id: Uuid, for_at_least: Duration) -> Result<(), PortError> {
        let mut conn = self.conn.clone();
        let _: () = redis::cmd("SET")
            .arg(format!("{}:revoked:{session_id}", self.prefix))
            .arg(1)
            .arg("PX")
            .arg(millis(for_at_least))
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn is_revoked(&self, session_id: Uuid) -> Result<bool, PortError> {
        let mut conn = self.conn.clone();
        let n: i64 = redis::cmd("EXISTS")
            .arg(format!("{}:revoked:{session_id}", self.prefix))
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        Ok(n > 0)
    }
}

#[async_trait]
impl RateLimiter for RedisThrottle {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, PortError> {
        let mut conn = self.conn.clone();
        let k = format!("{}:rate:{key}", self.prefix);
        let (count, _, ttl): (u32, i64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&k)
            .cmd("PEXPIRE")
            .arg(&k)
            .arg(millis(window))
            .arg("NX")
            .cmd("PTTL")
            .arg(&k)
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        if count > limit {
            let ms = u64::try_from(ttl).unwrap_or(0).max(1);
            return Ok(RateDecision::Limited {
                retry_after: Duration::from_millis(ms),
            });
        }
        Ok(RateDecision::Allowed)
    }
}
