//! The database handle. Deliberately offers no way to query tenant tables directly: tenant
//! data is reached through [`crate::TenantTx`], platform data through the services that own it.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};

/// How long a pooled connection may sit unused before it is pinged on checkout.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// Which SQL engine the handle talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Connection-pool figures for `/metrics`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    max_connections: u32,
    /// The tenant directory and catalogues read through this handle.
    caches: std::sync::Arc<crate::caches::Caches>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("engine", &self.engine())
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Connects once (no retry: callers decide how to back off).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbErr> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(max_connections)
            .min_connections(0)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            // A connection idle for a second or more is pinged before it is handed out (one
            // the server or a proxy dropped is replaced); a busy one is not: pinging on every
            // checkout cost a round trip per transaction.
            .test_before_acquire_if_idle_for(PING_WHEN_IDLE_FOR)
            .sqlx_logging(false);
        if url.starts_with("sqlite:") {
            // WAL lets readers proceed during a write; the busy timeout makes concurrent
            // writers wait for the lock instead of failing at once.
            opts.map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        }
        let mut conn = Database::connect(opts).await?;
        conn.set_metric_callback(|info| {
            crate::statements::statement(info.elapsed);
            // `PORTICO_LOG=portico_core::sql=trace` lists every statement (text only: values
            // are never logged, they may be PHI).
            tracing::trace!(target: "portico_core::sql", sql = %info.statement.sql);
        });
        Ok(Self {
            conn,
            max_connections,
            caches: std::sync::Arc::default(),
        })
    }

    pub fn engine(&self) -> Engine {
        match self.conn.get_database_backend() {
            DbBackend::Postgres => Engine::Postgres,
            _ => Engine::Sqlite,
        }
    }

    /// Round trip to the database, for readiness.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    /// Whether the connected role escapes row-level security (a superuser, `BYPASSRLS`, or
    /// the owner of tenant tables). Always false on SQLite, which has no roles.
    pub async fn bypasses_row_security(&self) -> Result<bool, DbErr> {
        use sea_orm::{ConnectionTrait, Statement};
        if self.engine() == Engine::Sqlite {
            return Ok(false);
        }
        let row = self
            .conn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT (r.rolsuper OR r.rolbypassrls OR EXISTS (                    SELECT 1 FROM pg_tables t WHERE t.schemaname = 'public'                    AND t.tableowner = current_user)) AS bypass                  FROM pg_roles r WHERE r.rolname = current_user",
            ))
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<bool>("", "bypass")?,
            None => false,
        })
    }

    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle) = match self.engine() {
            Engine::Postgres => {
                let p = self.conn.get_postgres_connection_pool();
                (p.size(), u32::try_from(p.num_idle()).unwrap_or(u32::MAX))
            }
            Engine::Sqlite => {
                let p = self.conn.get_sqlite_connection_pool();
                (p.size(), u32::try_from(p.num_idle()).unwrap_or(u32::MAX))
            }
        };
        PoolStats {
            size,
            idle,
            max: self.max_connections,
        }
    }

    /// A writing transaction on platform-level (directory) tables. On SQLite it takes the
    /// write lock at once, so a read followed by a write never meets a lock upgrade that
    /// fails as `database is locked`.
    pub(crate) async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction, DbErr> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        self.conn
            .begin_with_options(TransactionOptions {
                isolation_level: None,
                access_mode: None,
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            })
            .await
    }

    /// The caches of the tenant directory and the catalogues (see [`crate::caches`]).
    pub fn caches(&self) -> &std::sync::Arc<crate::caches::Caches> {
        &self.caches
    }

    /// The raw connection, for this crate's platform-level services only.
    pub(crate) fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The raw connection for adapters that share the database file or server (the embedded
    /// job queue). Never used to reach tenant tables.
    pub fn connection_for_adapters(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}
