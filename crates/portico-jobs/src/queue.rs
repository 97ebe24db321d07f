//! The [`JobQueue`] port on apalis storages, one storage per [`Queue`]. Which backend is used
//! is decided once, at start-up, by [`ApalisQueue::sqlite`] or [`ApalisQueue::redis`]. A
//! queue's name is its `job_type` on SQLite (every queue in apalis' one `Jobs` table, on one
//! pool) and its key prefix after the deployment's own on Redis (`{prefix}:{queue}:*`, every
//! queue on one connection manager).

use std::{str::FromStr, sync::Arc, time::Duration};

use apalis::prelude::TaskSink;
use apalis_redis::{Config as RedisConfig, RedisStorage};
use apalis_sqlite::{
    Config as SqliteConfig, SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage,
};
use async_trait::async_trait;
use portico_core::ports::{Job, JobQueue, PortError, Queue};

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("job queue on SQLite: {0}")]
    Sqlite(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("job queue on Redis: {0}")]
    Redis(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Clone)]
pub enum ApalisQueue {
    Sqlite(PerQueue<SqliteStorage<Job>>),
    Redis(PerQueue<RedisStorage<Job>>),
}

/// One storage for each [`Queue`] (shared: storages are large, and cloned per job).
pub struct PerQueue<S>(Arc<[(Queue, S); Queue::ALL.len()]>);

impl<S> Clone for PerQueue<S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<S> PerQueue<S> {
    fn new(mut make: impl FnMut(Queue) -> S) -> Self {
        Self(Arc::new(Queue::ALL.map(|queue| (queue, make(queue)))))
    }

    pub fn get(&self, queue: Queue) -> &S {
        // Every queue is present: `new` makes one storage per `Queue::ALL`.
        let i = Queue::ALL.iter().position(|q| *q == queue).unwrap_or(0);
        &self.0[i].1
    }

    pub fn iter(&self) -> impl Iterator<Item = (Queue, &S)> {
        self.0.iter().map(|(queue, storage)| (*queue, storage))
    }
}

/// How often a Redis-backed worker tells the queue it is alive.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);
/// Heartbeats a worker may miss before the jobs it holds go back on the queue.
const MISSED_HEARTBEATS: usize = 3;

impl ApalisQueue {
    /// Deletes the jobs on Redis that finished (done, failed for good, killed) more than
    /// `age` ago, from every queue; how many. apalis keeps a finished job's payload and
    /// metadata until it is vacuumed (about half a kilobyte a job), so without this Redis
    /// grows with every reminder sent. The embedded profile keeps its finished jobs: its
    /// vacuum rewrites the whole SQLite file (`VACUUM`), Portico's data with it.
    pub async fn vacuum(&self, age: Duration) -> Result<usize, QueueError> {
        use apalis_core::backend::Vacuum as _;
        let Self::Redis(storages) = self else {
            return Ok(0);
        };
        let mut deleted = 0;
        for (_, storage) in storages.iter() {
            deleted += storage
                .clone()
                .vacuum_before(age)
                .await
                .map_err(|e| QueueError::Redis(Box::new(e)))?;
        }
        Ok(deleted)
    }

    /// The embedded profile: apalis' tables in the same SQLite file as Portico's own.
    pub async fn sqlite(database_url: &str) -> Result<Self, QueueError> {
        fn err(e: impl std::error::Error + Send + Sync + 'static) -> QueueError {
            QueueError::Sqlite(Box::new(e))
        }
        let options = SqliteConnectOptions::from_str(database_url)
            .map_err(err)?
            .create_if_missing(true)
            // A patient import writes all its charts in one transaction, holding SQLite's
            // one write lock for tens of seconds at 50,000 rows: a worker's heartbeat waits
            // for it rather than failing (which would restart the worker and cut the import
            // off).
            .busy_timeout(Duration::from_secs(120));
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
        Ok(Self::Sqlite(PerQueue::new(|queue| {
            SqliteStorage::new(&pool).with_config(SqliteConfig::default().queue(queue.name()))
        })))
    }

    /// The production profile: each queue's jobs in Redis under `{prefix}:{queue}:*`.
    /// A worker that died (killed, or its machine lost) holding jobs is declared dead after
    /// [`MISSED_HEARTBEATS`] x [`HEARTBEAT`] (30 s), and the live workers put its jobs back on
    /// the queue: apalis' default (10 x 30 s) left a refill request unrouted for five
    /// minutes after a worker was killed mid-job. Every job is safe to run twice.
    pub async fn redis(url: &str, prefix: &str) -> Result<Self, QueueError> {
        // The connection manager reconnects by itself after Redis restarts; a worker whose
        // poll failed meanwhile is restarted by the monitor (see `worker`).
        let conn = apalis_redis::connect(url)
            .await
            .map_err(|e| QueueError::Redis(Box::new(e)))?;
        Ok(Self::Redis(PerQueue::new(|queue| {
            RedisStorage::new(conn.clone()).with_config(
                RedisConfig::default()
                    .queue(format!("{prefix}:{queue}"))
                    .heartbeat_interval(HEARTBEAT)
                    .missed_heartbeats(MISSED_HEARTBEATS),
            )
        })))
    }

    async fn push(&self, job: Job) -> Result<(), PortError> {
        let queue = job.queue();
        match self {
            Self::Sqlite(s) => s
                .get(queue)
                .clone()
                .push(job)
                .await
                .map_err(|e| PortError::new("sqlite-queue", e)),
            Self::Redis(s) => s
                .get(queue)
                .clone()
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

    async fn enqueue_all(&self, jobs: Vec<Job>) -> Result<(), PortError> {
        for queue in Queue::ALL {
            let batch: Vec<Job> = jobs
                .iter()
                .filter(|j| j.queue() == queue)
                .cloned()
                .collect();
            if batch.is_empty() {
                continue;
            }
            match self {
                Self::Sqlite(s) => s
                    .get(queue)
                    .clone()
                    .push_bulk(batch)
                    .await
                    .map_err(|e| PortError::new("sqlite-queue", e))?,
                Self::Redis(s) => s
                    .get(queue)
                    .clone()
                    .push_bulk(batch)
                    .await
                    .map_err(|e| PortError::new("redis-queue", e))?,
            }
        }
        Ok(())
    }

    async fn queue_depth(&self, queue: Queue) -> Result<u64, PortError> {
        match self {
            Self::Sqlite(s) => {
                // Pending jobs and failed ones that will be retried.
                let n: i64 = sea_orm::sqlx::query_scalar(
                    "SELECT COUNT(*) FROM Jobs WHERE job_type = ?1 \
                     AND (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))",
                )
                .bind(queue.name())
                .fetch_one(s.get(queue).pool())
                .await
                .map_err(|e| PortError::new("sqlite-queue", e))?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
            Self::Redis(s) => {
                // Every push lands in `scheduled`; due ids move to `active` when fetched.
                let mut s = s.get(queue).clone();
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
                .execute(s.get(Queue::Notifications).pool())
                .await
                .map(|_| ())
                .map_err(|e| PortError::new("sqlite-queue", e)),
            Self::Redis(s) => {
                let mut s = s.get(Queue::Notifications).clone();
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
