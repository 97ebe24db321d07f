//! Migrations are backward compatible for one release: during a rolling upgrade the previous
//! release's pods keep serving on the new schema, so a migration only adds. Applied one at a
//! time to a fresh database, no migration may remove a table or a column, change a column's
//! type, make a nullable column required, or add a required column without a default to a
//! table that already exists (the previous release's inserts do not name it). Removing
//! something is the next release's migration, once no running code reads it (expand, then
//! contract); such a migration is listed in `CONTRACTS` with the release that stopped reading.

use std::collections::{BTreeMap, BTreeSet};

use portico_migrations::{Migrator, MigratorTrait};
use portico_tests::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// Migrations allowed to remove or tighten, each with why no running release needs what it
/// removed. None yet.
const CONTRACTS: &[(&str, &str)] = &[];

/// A column as the previous release sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Column {
    ty: String,
    nullable: bool,
    has_default: bool,
}

type Schema = BTreeMap<String, BTreeMap<String, Column>>;

async fn rows(conn: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
}

/// The application's tables and their columns (the migration bookkeeping and the embedded
/// queue's own tables left out).
async fn schema(conn: &DatabaseConnection) -> Schema {
    let mut schema = Schema::new();
    match conn.get_database_backend() {
        DbBackend::Postgres => {
            for row in rows(
                conn,
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, \
                 (column_default IS NOT NULL) AS has_default FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name <> 'seaql_migrations'",
            )
            .await
            {
                let table: String = row.try_get_by_index(0).unwrap();
                let column: String = row.try_get_by_index(1).unwrap();
                let nullable: String = row.try_get_by_index(3).unwrap();
                schema.entry(table).or_default().insert(
                    column,
                    Column {
                        ty: row.try_get_by_index(2).unwrap(),
                        nullable: nullable == "YES",
                        has_default: row.try_get_by_index(4).unwrap(),
                    },
                );
            }
        }
        _ => {
            for table in rows(
                conn,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name <> 'seaql_migrations'",
            )
            .await
            {
                let table: String = table.try_get_by_index(0).unwrap();
                let columns = rows(conn, &format!("PRAGMA table_info(\"{table}\")")).await;
                let entry = schema.entry(table).or_default();
                for c in columns {
                    let name: String = c.try_get("", "name").unwrap();
                    let notnull: i32 = c.try_get("", "notnull").unwrap();
                    let default: Option<String> = c.try_get("", "dflt_value").unwrap();
                    let pk: i32 = c.try_get("", "pk").unwrap();
                    entry.insert(
                        name,
                        Column {
                            ty: c.try_get::<String>("", "type").unwrap().to_lowercase(),
                            // SQLite lets a primary-key column be null unless stated; the
                            // schema's keys are always given, so count them as required.
                            nullable: notnull == 0 && pk == 0,
                            has_default: default.is_some(),
                        },
                    );
                }
            }
        }
    }
    schema
}

/// What `after` takes away from code written for `before`.
fn breaks(before: &Schema, after: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    for (table, columns) in before {
        let Some(now) = after.get(table) else {
            found.push(format!("table {table} removed"));
            continue;
        };
        for (name, was) in columns {
            match now.get(name) {
                None => found.push(format!("{table}.{name} removed")),
                Some(is) if is.ty != was.ty => {
                    found.push(format!(
                        "{table}.{name} changed type {} -> {}",
                        was.ty, is.ty
                    ));
                }
                Some(is) if was.nullable && !is.nullable => {
                    found.push(format!("{table}.{name} became required"));
                }
                Some(_) => {}
            }
        }
        let old: BTreeSet<&String> = columns.keys().collect();
        for (name, column) in now {
            if !old.contains(name) && !column.nullable && !column.has_default {
                found.push(format!(
                    "{table}.{name} added as required without a default (the previous release's inserts do not set it)"
                ));
            }
        }
    }
    found
}

#[tokio::test]
async fn each_migration_only_adds_to_what_the_previous_release_reads() {
    let database = TestDatabase::create_empty().await;
    let url = if database.is_postgres() {
        database.owner_url.clone()
    } else {
        format!("{}?mode=rwc", database.owner_url)
    };
    let conn = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let mut before = schema(&conn).await;
    let mut problems = Vec::new();
    for name in &names {
        Migrator::up(&conn, Some(1)).await.unwrap();
        let after = schema(&conn).await;
        let found = breaks(&before, &after);
        if !found.is_empty() && !CONTRACTS.iter().any(|(m, _)| m == name) {
            problems.push(format!("{name}: {}", found.join("; ")));
        }
        before = after;
    }
    assert!(
        Migrator::get_pending_migrations(&conn)
            .await
            .unwrap()
            .is_empty(),
        "every migration was applied"
    );
    assert!(
        problems.is_empty(),
        "migrations that break the previous release: {problems:#?}"
    );
}

#[test]
fn the_rule_catches_what_breaks_old_code() {
    let column = |ty: &str, nullable: bool, has_default: bool| Column {
        ty: ty.to_owned(),
        nullable,
        has_default,
    };
    let mut before = Schema::new();
    before.insert(
        "t".to_owned(),
        BTreeMap::from([
            ("a".to_owned(), column("uuid", false, false)),
            ("b".to_owned(), column("text", true, false)),
            ("c".to_owned(), column("integer", true, false)),
        ]),
    );
    before.insert("gone".to_owned(), BTreeMap::new());
    let mut after = Schema::new();
    after.insert(
        "t".to_owned(),
        BTreeMap::from([
            ("a".to_owned(), column("text", false, false)),
            ("b".to_owned(), column("text", false, false)),
            ("d".to_owned(), column("text", false, false)),
            ("e".to_owned(), column("text", false, true)),
            ("f".to_owned(), column("text", true, false)),
        ]),
    );
    let found = breaks(&before, &after);
    assert_eq!(
        found,
        vec![
            "table gone removed".to_owned(),
            "t.a changed type uuid -> text".to_owned(),
            "t.b became required".to_owned(),
            "t.c removed".to_owned(),
            "t.d added as required without a default (the previous release's inserts do not set it)".to_owned(),
        ]
    );
}
