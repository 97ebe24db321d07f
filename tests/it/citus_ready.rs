//! The schema stays ready for Citus with `tenant_id` as the distribution column
//! (infra/SCALING.md, "Constraints against Citus' rules"), checked on the migrated schema
//! itself: on PostgreSQL from the catalog, on SQLite from `PRAGMA`s, the same rules on both.
//!
//! A table with a `tenant_id` column is a tenant table (distributed, co-located) unless it
//! is on [`DIRECTORY_TABLES`]; a table without one must be on that list (a reference table).
//! `scripts/arch-check` (scripts/arch/tenant_queries.py) reads the table names from that list
//! too, so keep its entries `("table", "reason")` tuples.

use std::collections::{BTreeMap, BTreeSet};

use portico_tests::spawn_app;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};

/// Tables that are not distributed by practice, each with why it is global. On Citus they are
/// reference tables (copied to every node) or local to the coordinator.
const DIRECTORY_TABLES: &[(&str, &str)] = &[
    (
        "tenants",
        "resolves a practice from its host or slug, before any tenant is known",
    ),
    (
        "signing_keys",
        "the platform's token-signing keys, shared by every practice",
    ),
    (
        "billing_accounts",
        "a payment webhook finds its practice by customer id (unique across practices)",
    ),
    (
        "billing_events",
        "payment webhook events handled once, before any practice is known",
    ),
    (
        "usage_reports",
        "monthly figures the billing sweep reads across practices",
    ),
    (
        "seaql_migrations",
        "sea-orm's record of applied migrations, local to the coordinator",
    ),
];

/// Tables in the SQLite file that are not Portico's schema: the job queue's storage, which
/// is Redis in production (apalis-sqlite creates them at start).
const SQLITE_QUEUE_TABLES: &[&str] = &["Jobs", "Workers", "_sqlx_migrations"];

const TENANT: &str = "tenant_id";

#[derive(Debug)]
struct Table {
    name: String,
    /// Column name and type.
    columns: BTreeMap<String, String>,
    primary_key: Vec<String>,
    keys: Vec<Key>,
}

#[derive(Debug)]
struct Key {
    /// The constraint's or index's name.
    name: String,
    kind: KeyKind,
    /// The key's columns in order; an expression is `(expression)`.
    columns: Vec<String>,
    /// How the database prints it, for the message.
    definition: String,
}

#[derive(Debug)]
enum KeyKind {
    Unique,
    /// `CREATE UNIQUE INDEX` (partial or not), not backing a constraint.
    UniqueIndex,
    /// Columns paired with the parent's: `(child column, parent column)`.
    ForeignKey {
        parent: String,
        pairs: Vec<(String, String)>,
    },
    /// The operator of each element, in the order of `columns`.
    Exclusion {
        operators: Vec<String>,
    },
}

impl Table {
    fn has_tenant(&self) -> bool {
        self.columns.contains_key(TENANT)
    }
}

/// Every rule the schema breaks, each naming the table and the constraint.
fn violations(tables: &[Table], extra_global: &[&str]) -> Vec<String> {
    let directory: BTreeSet<&str> = DIRECTORY_TABLES.iter().map(|(t, _)| *t).collect();
    let names: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let is_tenant = |name: &str| {
        !directory.contains(name) && tables.iter().any(|t| t.name == name && t.has_tenant())
    };
    let tenants_id = tables
        .iter()
        .find(|t| t.name == "tenants")
        .and_then(|t| t.columns.get("id"))
        .cloned();
    let mut found = Vec::new();
    for (listed, _) in DIRECTORY_TABLES {
        if !names.contains(listed) {
            found.push(format!(
                "{listed}: on DIRECTORY_TABLES but not in the schema (stale entry)"
            ));
        }
    }
    for table in tables {
        let name = table.name.as_str();
        if extra_global.contains(&name) {
            continue;
        }
        if directory.contains(name) {
            // A reference table cannot point into a distributed one.
            for key in &table.keys {
                if let KeyKind::ForeignKey { parent, .. } = &key.kind
                    && is_tenant(parent)
                {
                    found.push(format!(
                        "{name}: directory table has foreign key {} to tenant table {parent}: {}",
                        key.name, key.definition
                    ));
                }
            }
            continue;
        }
        if !table.has_tenant() {
            found.push(format!(
                "{name}: has no tenant_id and is not on DIRECTORY_TABLES: add tenant_id, or \
                 list it with the reason it is global"
            ));
            continue;
        }
        if let (Some(want), Some(have)) = (&tenants_id, table.columns.get(TENANT))
            && want != have
        {
            found.push(format!(
                "{name}: tenant_id is {have}, tenants.id is {want} (co-located tables share the \
                 distribution column's type)"
            ));
        }
        if table.primary_key.is_empty() {
            found.push(format!("{name}: no primary key (want (tenant_id, id))"));
        } else if !table.primary_key.iter().any(|c| c == TENANT) {
            found.push(format!(
                "{name}: primary key ({}) does not include tenant_id",
                table.primary_key.join(", ")
            ));
        }
        for key in &table.keys {
            let has_tenant = key.columns.iter().any(|c| c == TENANT);
            match &key.kind {
                KeyKind::Unique if !has_tenant => found.push(format!(
                    "{name}: unique constraint {} does not include tenant_id: {}",
                    key.name, key.definition
                )),
                KeyKind::UniqueIndex if !has_tenant => found.push(format!(
                    "{name}: unique index {} does not include tenant_id: {}",
                    key.name, key.definition
                )),
                KeyKind::ForeignKey { parent, pairs }
                    if is_tenant(parent)
                        && !pairs.iter().any(|(c, p)| c == TENANT && p == TENANT) =>
                {
                    found.push(format!(
                        "{name}: foreign key {} to tenant table {parent} does not pair \
                         tenant_id with tenant_id: {}",
                        key.name, key.definition
                    ));
                }
                KeyKind::Exclusion { operators }
                    if !key
                        .columns
                        .iter()
                        .zip(operators)
                        .any(|(c, op)| c == TENANT && op == "=") =>
                {
                    found.push(format!(
                        "{name}: exclusion constraint {} has no `tenant_id WITH =`: {}",
                        key.name, key.definition
                    ));
                }
                _ => {}
            }
        }
    }
    found
}

fn list(row: &QueryResult, column: &str) -> Vec<String> {
    row.try_get::<Option<String>>("", column)
        .unwrap()
        .map(|s| s.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

fn text(row: &QueryResult, column: &str) -> String {
    row.try_get::<String>("", column).unwrap()
}

async fn rows(conn: &DatabaseConnection, sql: &str) -> Vec<QueryResult> {
    let backend = conn.get_database_backend();
    conn.query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
}

async fn postgres_schema(conn: &DatabaseConnection) -> Vec<Table> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for row in rows(
        conn,
        "SELECT c.table_name::text AS tbl, c.column_name::text AS col, \
                c.udt_name::text AS typ \
         FROM information_schema.columns c \
         JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .await
    {
        let name = text(&row, "tbl");
        tables
            .entry(name.clone())
            .or_insert_with(|| Table {
                name,
                columns: BTreeMap::new(),
                primary_key: Vec::new(),
                keys: Vec::new(),
            })
            .columns
            .insert(text(&row, "col"), text(&row, "typ"));
    }
    // Primary keys, unique, foreign key and exclusion constraints, with their columns in key
    // order (an expression has attnum 0, so no attribute).
    for row in rows(
        conn,
        "SELECT r.relname::text AS tbl, k.conname::text AS name, k.contype::text AS kind, \
                pg_get_constraintdef(k.oid) AS def, f.relname::text AS parent, \
                (SELECT string_agg(coalesce(a.attname::text, '(expression)'), ',' ORDER BY u.i) \
                   FROM unnest(k.conkey) WITH ORDINALITY u(n, i) \
                   LEFT JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n) AS cols, \
                (SELECT string_agg(fa.attname::text, ',' ORDER BY u.i) \
                   FROM unnest(k.confkey) WITH ORDINALITY u(n, i) \
                   JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = u.n) AS parent_cols, \
                (SELECT string_agg(o.oprname::text, ',' ORDER BY u.i) \
                   FROM unnest(k.conexclop) WITH ORDINALITY u(op, i) \
                   JOIN pg_operator o ON o.oid = u.op) AS ops \
         FROM pg_constraint k \
         JOIN pg_class r ON r.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = r.relnamespace \
         LEFT JOIN pg_class f ON f.oid = k.confrelid \
         WHERE n.nspname = 'public' AND k.contype IN ('p', 'u', 'f', 'x') \
         ORDER BY r.relname, k.conname",
    )
    .await
    {
        let Some(table) = tables.get_mut(&text(&row, "tbl")) else {
            continue;
        };
        let columns = list(&row, "cols");
        let kind = match text(&row, "kind").as_str() {
            "p" => {
                table.primary_key = columns;
                continue;
            }
            "u" => KeyKind::Unique,
            "f" => KeyKind::ForeignKey {
                parent: text(&row, "parent"),
                pairs: columns
                    .iter()
                    .cloned()
                    .zip(list(&row, "parent_cols"))
                    .collect(),
            },
            _ => KeyKind::Exclusion {
                operators: list(&row, "ops"),
            },
        };
        table.keys.push(Key {
            name: text(&row, "name"),
            kind,
            columns,
            definition: text(&row, "def"),
        });
    }
    // Unique indexes made with CREATE UNIQUE INDEX (partial ones too); only key columns count,
    // not INCLUDE ones.
    for row in rows(
        conn,
        "SELECT r.relname::text AS tbl, i.relname::text AS name, \
                pg_get_indexdef(x.indexrelid) AS def, \
                (SELECT string_agg(coalesce(a.attname::text, '(expression)'), ',' ORDER BY u.i) \
                   FROM unnest(x.indkey::int2[]) WITH ORDINALITY u(n, i) \
                   LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.n \
                   WHERE u.i <= x.indnkeyatts) AS cols \
         FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class r ON r.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = r.relnamespace \
         WHERE n.nspname = 'public' AND x.indisunique \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid \
                           AND k.contype IN ('p', 'u', 'x')) \
         ORDER BY r.relname, i.relname",
    )
    .await
    {
        if let Some(table) = tables.get_mut(&text(&row, "tbl")) {
            table.keys.push(Key {
                name: text(&row, "name"),
                kind: KeyKind::UniqueIndex,
                columns: list(&row, "cols"),
                definition: text(&row, "def"),
            });
        }
    }
    tables.into_values().collect()
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn sqlite_schema(conn: &DatabaseConnection) -> Vec<Table> {
    let mut tables = Vec::new();
    for row in rows(
        conn,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .await
    {
        let name = text(&row, "name");
        let q = quoted(&name);
        let mut columns = BTreeMap::new();
        let mut primary_key = Vec::new();
        for column in rows(conn, &format!("PRAGMA table_info({q})")).await {
            let column_name = text(&column, "name");
            let position = column.try_get::<i64>("", "pk").unwrap();
            if position > 0 {
                primary_key.push((position, column_name.clone()));
            }
            columns.insert(column_name, text(&column, "type"));
        }
        primary_key.sort();
        let primary_key: Vec<String> = primary_key.into_iter().map(|(_, c)| c).collect();
        let mut keys = Vec::new();
        for index in rows(conn, &format!("PRAGMA index_list({q})")).await {
            let origin = text(&index, "origin");
            if index.try_get::<i64>("", "unique").unwrap() == 0 || origin == "pk" {
                continue;
            }
            let index_name = text(&index, "name");
            let key_columns = rows(conn, &format!("PRAGMA index_info({})", quoted(&index_name)))
                .await
                .iter()
                .map(|c| {
                    c.try_get::<Option<String>>("", "name")
                        .unwrap()
                        .unwrap_or_else(|| "(expression)".to_owned())
                })
                .collect::<Vec<_>>();
            // The index's own SQL; an index made by a UNIQUE constraint has none.
            let created = rows(
                conn,
                &format!(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = '{}'",
                    index_name.replace('\'', "''")
                ),
            )
            .await
            .first()
            .and_then(|r| r.try_get::<Option<String>>("", "sql").unwrap());
            keys.push(Key {
                definition: created
                    .unwrap_or_else(|| format!("UNIQUE ({})", key_columns.join(", "))),
                name: index_name,
                kind: if origin == "u" {
                    KeyKind::Unique
                } else {
                    KeyKind::UniqueIndex
                },
                columns: key_columns,
            });
        }
        // By constraint id: the parent, and each column with the parent's (none when the
        // constraint names the parent's primary key implicitly).
        type Columns = Vec<(String, Option<String>)>;
        let mut foreign: BTreeMap<i64, (String, Columns)> = BTreeMap::new();
        for fk in rows(conn, &format!("PRAGMA foreign_key_list({q})")).await {
            let entry = foreign
                .entry(fk.try_get::<i64>("", "id").unwrap())
                .or_insert_with(|| (text(&fk, "table"), Vec::new()));
            entry.1.push((
                text(&fk, "from"),
                fk.try_get::<Option<String>>("", "to").unwrap(),
            ));
        }
        for (id, (parent, columns)) in foreign {
            let parent_key = if columns.iter().any(|(_, to)| to.is_none()) {
                // `REFERENCES parent` without columns names the parent's primary key.
                rows(conn, &format!("PRAGMA table_info({})", quoted(&parent)))
                    .await
                    .iter()
                    .filter_map(|c| {
                        let position = c.try_get::<i64>("", "pk").unwrap();
                        (position > 0).then(|| (position, text(c, "name")))
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .map(|(_, c)| Some(c))
                    .collect()
            } else {
                columns.iter().map(|(_, to)| to.clone()).collect::<Vec<_>>()
            };
            let pairs: Vec<(String, String)> = columns
                .iter()
                .zip(parent_key)
                .map(|((from, _), to)| (from.clone(), to.unwrap_or_default()))
                .collect();
            let definition = format!(
                "({}) REFERENCES {parent}({})",
                pairs
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                pairs
                    .iter()
                    .map(|(_, p)| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            keys.push(Key {
                name: format!("#{id}"),
                columns: pairs.iter().map(|(c, _)| c.clone()).collect(),
                kind: KeyKind::ForeignKey { parent, pairs },
                definition,
            });
        }
        tables.push(Table {
            name,
            columns,
            primary_key,
            keys,
        });
    }
    tables
}

#[tokio::test]
async fn every_tenant_table_is_keyed_and_referenced_by_tenant_id() {
    let app = spawn_app().await;
    let conn = sea_orm::Database::connect(app.database.owner_url.as_str())
        .await
        .unwrap();
    let (tables, extra_global) = match conn.get_database_backend() {
        DbBackend::Postgres => (postgres_schema(&conn).await, &[][..]),
        _ => (sqlite_schema(&conn).await, SQLITE_QUEUE_TABLES),
    };
    conn.close().await.unwrap();

    let tenant_tables = tables
        .iter()
        .filter(|t| t.has_tenant() && !DIRECTORY_TABLES.iter().any(|(d, _)| *d == t.name))
        .count();
    assert!(
        tenant_tables >= 50,
        "only {tenant_tables} tenant tables found"
    );
    let found = violations(&tables, extra_global);
    assert!(
        found.is_empty(),
        "the schema is not Citus-ready (infra/SCALING.md):\n{}",
        found.join("\n")
    );
}
