//! The tenant-scoped transaction: the only way to reach tenant-owned rows.
//!
//! A [`TenantScope`] can only be made by this crate from a tenant that was resolved (from the
//! request's host or header, later from an authenticated principal), so code outside `core`
//! cannot invent one. [`TenantTx`] then applies the scope twice: on PostgreSQL it sets
//! `app.tenant_id` for row-level security at the start of the transaction, and every query
//! built through it also filters on `tenant_id` explicitly.

use std::sync::{Arc, Mutex};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DeleteMany,
    EntityTrait, QueryFilter, QueryTrait, Select, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait, UpdateMany,
};

use crate::{
    CoreResult, Db, TenantId,
    caches::{Caches, Change},
    entities::audit_pending,
};

/// Proof that a tenant was resolved for the current request or job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenantScope {
    tenant_id: TenantId,
}

impl TenantScope {
    pub(crate) const fn new(tenant_id: TenantId) -> Self {
        Self { tenant_id }
    }

    pub const fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }
}

/// Whether a transaction will write. On SQLite a writing transaction takes the write lock at
/// `BEGIN` (IMMEDIATE), so two writers queue instead of failing on a stale snapshot; on
/// PostgreSQL a reading one is `READ ONLY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Entities whose rows belong to one tenant.
pub trait TenantOwned: EntityTrait {
    fn tenant_column() -> Self::Column;
}

pub struct TenantTx {
    tx: DatabaseTransaction,
    tenant_id: TenantId,
    access: Access,
    /// The pool, for the audit events of a reading transaction: written as it ends, since a
    /// `READ ONLY` transaction cannot write them itself.
    pool: DatabaseConnection,
    /// Audit events recorded in this transaction, written when it ends (one statement).
    audit: AuditBuffer,
    /// A savepoint hands its events to its transaction's buffer when it is kept.
    parent_audit: Option<AuditBuffer>,
    /// What this transaction changed that instances cache, announced when it commits.
    changes: Arc<Mutex<Vec<Change>>>,
    caches: Arc<Caches>,
    /// The streams this transaction holds the lock of (held until it ends, so taken once).
    locked: Arc<Mutex<Vec<String>>>,
    /// Set when this transaction wrote webhook deliveries: whoever commits it asks for a
    /// relay at once rather than leaving them to the every-minute sweep.
    webhooks: Arc<std::sync::atomic::AtomicBool>,
}

type AuditBuffer = Arc<Mutex<Vec<audit_pending::Model>>>;

impl TenantTx {
    pub async fn begin(db: &Db, scope: &TenantScope, access: Access) -> CoreResult<Self> {
        let options = TransactionOptions {
            isolation_level: None,
            // PostgreSQL's access mode is set with the tenant below, in the same statement.
            access_mode: None,
            sqlite_transaction_mode: Some(match access {
                Access::Read => SqliteTransactionMode::Deferred,
                Access::Write => SqliteTransactionMode::Immediate,
            }),
        };
        let started = std::time::Instant::now();
        let tx = db.conn().begin_with_options(options).await?;
        crate::statements::statement(started.elapsed());
        if access == Access::Write {
            crate::statements::write_transaction();
        }
        Self::scope(tx, db, scope.tenant_id, access).await
    }

    /// A reading transaction that sees one snapshot from its first statement to its end, so
    /// that many statements read one consistent state (a whole practice's export). SQLite's
    /// reading transaction already does; PostgreSQL's `READ COMMITTED` would not.
    pub async fn begin_snapshot(db: &Db, scope: &TenantScope) -> CoreResult<Self> {
        let postgres = db.conn().get_database_backend() == DbBackend::Postgres;
        let options = TransactionOptions {
            isolation_level: postgres.then_some(sea_orm::IsolationLevel::RepeatableRead),
            access_mode: None,
            sqlite_transaction_mode: Some(SqliteTransactionMode::Deferred),
        };
        let started = std::time::Instant::now();
        let tx = db.conn().begin_with_options(options).await?;
        crate::statements::statement(started.elapsed());
        Self::scope(tx, db, scope.tenant_id, Access::Read).await
    }

    /// Scopes an open transaction to `tenant_id` (the sign-up path, which creates the tenant
    /// in the same transaction as its first user).
    pub(crate) async fn scope_transaction(
        tx: DatabaseTransaction,
        db: &Db,
        tenant_id: TenantId,
        access: Access,
    ) -> CoreResult<Self> {
        Self::scope(tx, db, tenant_id, access).await
    }

    async fn scope(
        tx: DatabaseTransaction,
        db: &Db,
        tenant_id: TenantId,
        access: Access,
    ) -> CoreResult<Self> {
        if tx.get_database_backend() == DbBackend::Postgres {
            // `true`: local to this transaction, so a pooled connection never carries a
            // tenant into the next transaction. A reading transaction is made `READ ONLY` in
            // the same statement (one round trip instead of a `SET TRANSACTION` of its own).
            let sql = match access {
                Access::Read => {
                    "SELECT set_config('app.tenant_id', $1, true), \
                     set_config('transaction_read_only', 'on', true)"
                }
                Access::Write => "SELECT set_config('app.tenant_id', $1, true)",
            };
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [tenant_id.to_string().into()],
            ))
            .await?;
        }
        Ok(Self {
            tx,
            tenant_id,
            access,
            pool: db.conn().clone(),
            audit: AuditBuffer::default(),
            parent_audit: None,
            changes: Arc::default(),
            caches: Arc::clone(db.caches()),
            locked: Arc::default(),
            webhooks: Arc::default(),
        })
    }

    pub const fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    pub const fn access(&self) -> Access {
        self.access
    }

    /// `SELECT` on a tenant table, already filtered to this tenant.
    pub(crate) fn find<E: TenantOwned>(&self) -> Select<E> {
        E::find().filter(E::tenant_column().eq(self.tenant_id.as_uuid()))
    }

    /// `DELETE` on a tenant table, already limited to this tenant.
    pub(crate) fn delete<E: TenantOwned>(&self) -> DeleteMany<E> {
        E::delete_many().filter(E::tenant_column().eq(self.tenant_id.as_uuid()))
    }

    /// `UPDATE` on a tenant table, already limited to this tenant.
    pub(crate) fn update<E: TenantOwned>(&self) -> UpdateMany<E> {
        E::update_many().filter(E::tenant_column().eq(self.tenant_id.as_uuid()))
    }

    /// `INSERT` of many rows of a tenant table, each given this tenant.
    pub(crate) fn insert_many<A>(&self, rows: impl IntoIterator<Item = A>) -> sea_orm::InsertMany<A>
    where
        A: sea_orm::ActiveModelTrait,
        A::Entity: TenantOwned,
    {
        let tenant = self.tenant_id.as_uuid();
        A::Entity::insert_many(rows.into_iter().map(|mut row| {
            row.set(A::Entity::tenant_column(), tenant.into());
            row
        }))
    }

    pub(crate) fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Serialises writers of one per-tenant stream (the audit hash chain) until commit.
    /// SQLite needs nothing: a writing transaction already holds the database's write lock.
    /// The lock is the transaction's, so a second call (one audit event after another) takes
    /// no round trip.
    pub(crate) async fn lock_stream(&self, stream: &str) -> CoreResult<()> {
        if self.tx.get_database_backend() == DbBackend::Postgres {
            if lock_of(&self.locked).iter().any(|s| s == stream) {
                return Ok(());
            }
            self.tx
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    [format!("{}:{stream}", self.tenant_id).into()],
                ))
                .await?;
            lock_of(&self.locked).push(stream.to_owned());
        }
        Ok(())
    }

    /// Runs `update` (built with [`Self::update`]) and returns the rows it changed, as they
    /// are after it (`RETURNING`, which both engines have): a batch claim learns which rows
    /// it won in the same statement.
    pub(crate) async fn update_returning<E: TenantOwned>(
        &self,
        update: UpdateMany<E>,
    ) -> CoreResult<Vec<E::Model>> {
        let mut statement = update.into_query();
        statement.returning_all();
        let built = self.tx.get_database_backend().build(&statement);
        Ok(E::find().from_raw_sql(built).all(&self.tx).await?)
    }

    /// Runs a multi-row `insert` and returns the rows it wrote (`RETURNING`): with
    /// `ON CONFLICT DO NOTHING`, the rows skipped are missing.
    pub(crate) async fn insert_returning<A>(
        &self,
        insert: sea_orm::InsertMany<A>,
    ) -> CoreResult<Vec<<A::Entity as EntityTrait>::Model>>
    where
        A: sea_orm::ActiveModelTrait,
        A::Entity: TenantOwned,
    {
        let mut statement = insert.into_query();
        statement.returning_all();
        let built = self.tx.get_database_backend().build(&statement);
        Ok(A::Entity::find().from_raw_sql(built).all(&self.tx).await?)
    }

    /// Notes that this transaction changed something instances cache (the tenant's row, its
    /// catalogue): committed, it is forgotten here and announced to the other instances.
    pub(crate) fn changed(&self, change: Change) {
        let mut changes = lock_of(&self.changes);
        if !changes.contains(&change) {
            changes.push(change);
        }
    }

    /// Notes that this transaction wrote webhook deliveries.
    pub(crate) fn queued_webhooks(&self) {
        self.webhooks
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether this transaction wrote webhook deliveries (for its caller to ask for a relay
    /// once it commits).
    pub fn has_queued_webhooks(&self) -> bool {
        self.webhooks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether this transaction changed `change`'s part (it must read that part itself).
    pub(crate) fn has_changed(&self, change: Change) -> bool {
        lock_of(&self.changes).contains(&change)
    }

    /// The caches this transaction reads through.
    pub(crate) fn caches(&self) -> &Caches {
        &self.caches
    }

    /// Keeps an audit event to be written when this transaction ends (see [`Self::commit`]).
    pub(crate) fn buffer_audit(&self, event: audit_pending::Model) {
        lock(&self.audit).push(event);
    }

    /// A savepoint inside this transaction, for work that may fail on its own (one resource
    /// of an EHR page): `rollback` undoes only what went through it, `commit` keeps it with
    /// the outer transaction. PostgreSQL's tenant setting is the transaction's, so it holds.
    pub(crate) async fn savepoint(&self) -> CoreResult<Self> {
        Ok(Self {
            tx: self.tx.begin().await?,
            tenant_id: self.tenant_id,
            access: self.access,
            pool: self.pool.clone(),
            audit: AuditBuffer::default(),
            parent_audit: Some(self.audit.clone()),
            changes: Arc::clone(&self.changes),
            caches: Arc::clone(&self.caches),
            locked: Arc::clone(&self.locked),
            webhooks: Arc::clone(&self.webhooks),
        })
    }

    /// Ends the transaction with its audit events. A writing transaction writes them inside
    /// itself, so they stand or fall with its changes; a reading one writes them right after
    /// it ends, before the caller can hand out what it read. Either way they are durable
    /// when this returns, and an error here means what was read must not be used.
    pub async fn commit(self) -> CoreResult<()> {
        let events = std::mem::take(&mut *lock(&self.audit));
        if let Some(parent) = &self.parent_audit {
            self.tx.commit().await?;
            lock(parent).extend(events);
            return Ok(());
        }
        match self.access {
            Access::Write => {
                crate::audit::append(&self.tx, self.tenant_id, &events).await?;
                end(self.tx.commit()).await?;
                let changes = std::mem::take(
                    &mut *self
                        .changes
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                for change in changes {
                    self.caches.changed(self.tenant_id, change);
                }
            }
            Access::Read => {
                end(self.tx.commit()).await?;
                crate::audit::append(&self.pool, self.tenant_id, &events).await?;
            }
        }
        Ok(())
    }

    /// Undoes the transaction's changes. A reading transaction still writes its audit
    /// events: what it read was read.
    pub async fn rollback(self) -> CoreResult<()> {
        let events = std::mem::take(&mut *lock(&self.audit));
        end(self.tx.rollback()).await?;
        if self.access == Access::Read && self.parent_audit.is_none() {
            crate::audit::append(&self.pool, self.tenant_id, &events).await?;
        }
        Ok(())
    }
}

/// `COMMIT` or `ROLLBACK`, counted (sea-orm sends them itself, past its metric callback).
async fn end(
    control: impl std::future::Future<Output = Result<(), sea_orm::DbErr>>,
) -> Result<(), sea_orm::DbErr> {
    let started = std::time::Instant::now();
    let result = control.await;
    crate::statements::statement(started.elapsed());
    result
}

fn lock_of<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn lock(buffer: &AuditBuffer) -> std::sync::MutexGuard<'_, Vec<audit_pending::Model>> {
    lock_of(buffer)
}
