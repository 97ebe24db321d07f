//! PostgreSQL-only parts of the schema: the non-owner application role the server connects
//! as, its grants, and row-level security on every tenant table.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

/// The role the server connects as: it owns no table and cannot bypass row-level security.
pub const APP_ROLE: &str = "portico_app";

/// The `USING` / `WITH CHECK` expression. `NULLIF` makes an unset or reset setting match no
/// row instead of failing the cast.
const TENANT_PREDICATE: &str =
    "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid";

/// Creates the application role if the cluster does not have it yet. Roles are cluster-wide,
/// so several databases (and concurrent test databases) share it.
pub async fn ensure_app_role(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "DO $$ BEGIN \
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN \
             CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; \
           END IF; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; \
         END $$"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO {APP_ROLE}', current_database()); END $$"
    ))
    .await?;
    db.execute_unprepared(&format!("GRANT USAGE ON SCHEMA public TO {APP_ROLE}"))
        .await?;
    Ok(())
}

/// Grants the application role `privileges` on a table that is not tenant-owned.
pub async fn grant(
    manager: &SchemaManager<'_>,
    table: &str,
    privileges: &str,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!("GRANT {privileges} ON {table} TO {APP_ROLE}"))
        .await?;
    Ok(())
}

/// Grants `privileges` on a tenant-owned table and puts it under forced row-level security.
pub async fn tenant_table(
    manager: &SchemaManager<'_>,
    table: &str,
    privileges: &str,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    grant(manager, table, privileges).await?;
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; \
         ALTER TABLE {table} FORCE ROW LEVEL SECURITY; \
         CREATE POLICY tenant_isolation ON {table} \
           USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})"
    ))
    .await?;
    Ok(())
}
