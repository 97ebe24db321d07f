//! The tenant-scoped transaction: the only way to reach tenant-owned rows.
//!
//! A [`TenantScope`] can only be made by this crate from a tenant that was resolved (from the
//! request's host or header, later from an authenticated principal), so code outside `core`
//! cannot invent one. [`TenantTx`] then applies the scope twice: on PostgreSQL it sets
//! `app.tenant_id` for row-level security at the start of the transaction, and every query
//! built through it also filters on `tenant_id` explicitly.

use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DeleteMany,
    EntityTrait, QueryFilter, Select, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait, UpdateMany,
};

use crate::{CoreResult, Db, TenantId};

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
}

impl TenantTx {
    pub async fn begin(db: &Db, scope: &TenantScope, access: Access) -> CoreResult<Self> {
        let postgres = db.engine() == crate::db::Engine::Postgres;
        let options = TransactionOptions {
            isolation_level: None,
            // SQLite has no per-transaction access mode; its lock mode below does the work.
            access_mode: postgres.then_some(match access {
                Access::Read => AccessMode::ReadOnly,
                Access::Write => AccessMode::ReadWrite,
            }),
            sqlite_transaction_mode: Some(match access {
                Access::Read => SqliteTransactionMode::Deferred,
                Access::Write => SqliteTransactionMode::Immediate,
            }),
        };
        let tx = db.conn().begin_with_options(options).await?;
        Self::scope_transaction(tx, scope.tenant_id, access).await
    }

    /// Scopes an open transaction to `tenant_id` (the sign-up path, which creates the tenant
    /// in the same transaction as its first user).
    pub(crate) async fn scope_transaction(
        tx: DatabaseTransaction,
        tenant_id: TenantId,
        access: Access,
    ) -> CoreResult<Self> {
        if tx.get_database_backend() == DbBackend::Postgres {
            // `true`: local to this transaction, so a pooled connection never carries a
            // tenant into the next transaction.
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT set_config('app.tenant_id', $1, true)",
                [tenant_id.to_string().into()],
            ))
            .await?;
        }
        Ok(Self {
            tx,
            tenant_id,
            access,
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

    pub(crate) fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Serialises writers of one per-tenant stream (the audit hash chain) until commit.
    /// SQLite needs nothing: a writing transaction already holds the database's write lock.
    pub(crate) async fn lock_stream(&self, stream: &str) -> CoreResult<()> {
        if self.tx.get_database_backend() == DbBackend::Postgres {
            self.tx
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    [format!("{}:{stream}", self.tenant_id).into()],
                ))
                .await?;
        }
        Ok(())
    }

    /// A savepoint inside this transaction, for work that may fail on its own (one resource
    /// of an EHR page): `rollback` undoes only what went through it, `commit` keeps it with
    /// the outer transaction. PostgreSQL's tenant setting is the transaction's, so it holds.
    pub(crate) async fn savepoint(&self) -> CoreResult<Self> {
        Ok(Self {
            tx: self.tx.begin().await?,
            tenant_id: self.tenant_id,
            access: self.access,
        })
    }

    pub async fn commit(self) -> CoreResult<()> {
        Ok(self.tx.commit().await?)
    }

    pub async fn rollback(self) -> CoreResult<()> {
        Ok(self.tx.rollback().await?)
    }
}
