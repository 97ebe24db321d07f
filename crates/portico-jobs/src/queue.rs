//! The [`JobQueue`] port on apalis storages. Which storage is used is decided once, at
//! start-up, by [`ApalisQueue::sqlite`] or [`ApalisQueue::redis`].

use std::{str::FromStr, time::Duration};

use apalis::prelude::TaskSink;
use apalis_redis::{Config as RedisConfig, RedisStorage};
use apalis_sqlite::{
    Config as SqliteConfig, SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage,
};
use async_trait::async_trait;
use portico_core::ports::{Job, JobQueue, PortError};

/// The queue's name: the `job_type` on SQLite, the key prefix (after the deployment's own
/// prefix) on Redis.
const QUEUE: &str = "jobs";

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("job queue on SQLite: {0}")]
    Sqlite(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("job queue on Redis: {0}")]
    Redis(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Clone)]
pub enum ApalisQueue {
    Sqlite(SqliteStorage<Job>),
    Redis(RedisStorage<Job>),
}

impl ApalisQueue {
    /// The embedded profile: apalis' tables in the same SQLite file as Portico's own.
    pub async fn sqlite(database_url: &str) -> Result<Self, QueueError> {
        fn err(e: impl std::error::Error + Send + Sync + 'static) -> QueueError {
            QueueError::Sqlite(Box::new(e))
        }
        let options = SqliteConnectOptions::from_str(database_url)
            .map_err(err)?
            .create_if_missing(true)
            .busy_timeout(Duration::from_secs(10));
        // apalis' setup turns `synchronous` off on the connection it runs on; run it on a
        // throw-away pool so the connections that write jobs keep full durability.
        let setup = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(err)?;
        SqliteStorage::setup(&setup).await.map_err(err)?;
        setup.close().await;
        let pool: SqlitePool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(err)?;
        Ok(Self::Sqlite(
            SqliteStorage::new(&pool).with_config(SqliteConfig::default().queue(QUEUE)),
        ))
    }

    /// The production profile: jobs in Redis under `{prefix}:jobs:*`.
    pub async fn redis(url: &str, prefix: &str) -> Result<Self, QueueError> {
        let conn = apalis_redis::connect(url)
            .await
            .map_err(|e| QueueError::Redis(Box::new(e)))?;
        Ok(Self::Redis(RedisStorage::new(conn).with_config(
            RedisConfig::default().queue(format!("{prefix}:{QUEUE}")),
        )))
    }

    async fn push(&self, job: Job) -> Result<(), PortError> {
        match self.clone() {
            Self::Sqlite(mut s) => s
                .push(job)
                .await
                .map_err(|e| PortError::new("sqlite-queue", e)),
            Self::Redis(mut s) => s
                .push(job)
                .await
                .map_err(|e| PortError::new("redis-queue", e)),
        }
    }
}

#[async_trait]
impl JobQueue for ApalisQueue {
    async fn enqueue(&self, job: Job) -> Result<(), PortError> {
        self.push(job).await
    }

    async fn depth(&self) -> Result<u64, PortError> {
        match self {
            Self::Sqlite(s) => {
                // Pending jobs and failed ones that will be retried.
                let n: i64 = sea_orm::sqlx::query_scalar(
                    "SELECT COUNT(*) FROM Jobs WHERE job_type = ?1 \
                     AND (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))",
                )
                .bind(QUEUE)
                .fetch_one(s.pool())
                .await
                .map_err(|e| PortError::new("sqlite-queue", e))?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
            Self::Redis(s) => {
                // Every push lands in `scheduled`; due ids move to `active` when fetched.
                let mut s = s.clone();
                let cfg = s.get_config().clone();
                let conn = s.get_connection();
                let (active, scheduled): (u64, u64) = redis::pipe()
                    .cmd("LLEN")
                    .arg(cfg.active_jobs_list())
                    .cmd("ZCARD")
                    .arg(cfg.scheduled_jobs_set())
                    .query_async(conn)
                    .await
                    .map_err(|e| PortError::new("redis-queue", e))?;
                Ok(active + scheduled)
            }
        }
    }

    async fn ping(&self) -> Result<(), PortError> {
        match self {
            Self::Sqlite(s) => sea_orm::sqlx::query("SELECT 1")
                .execute(s.pool())
                .await
                .map(|_| ())
                .map_err(|e| PortError::new("sqlite-queue", e)),
            Self::Redis(s) => {
                let mut s = s.clone();
                redis::cmd("PING")
                    .query_async::<String>(s.get_connection())
                    .await
                    .map(|_| ())
                    .map_err(|e| PortError::new("redis-queue", e))
            }
        }
    }

    fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Redis(_) => "redis",
        }
    }
}
