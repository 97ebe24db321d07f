//! Which tables hold a practice's data, read from the database's own catalog so that a table
//! added by a later migration is exported without anyone remembering to list it: every table
//! with a `tenant_id` column, and the practice's row in `tenants`. Also the order they load
//! in (parents before children, by their foreign keys) and each column's kind of value.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::PortabilityError;

/// The directory table a practice's own row lives in.
pub const TENANTS: &str = "tenants";
/// The column every other table of a practice's data has.
pub const TENANT_COLUMN: &str = "tenant_id";

/// The kinds of value the schema uses, each written one way in the export whatever the
/// engine (so an export reads back the same on either).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Uuid,
    Timestamp,
    Date,
    Bool,
    I16,
    I32,
    I64,
    F32,
    F64,
    Text,
    Json,
    Bytes,
}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// The primary key's columns in order (rows are written in this order).
    pub key: Vec<String>,
}

impl Table {
    /// The column that names the practice: `id` in `tenants`, `tenant_id` elsewhere.
    pub fn practice_column(&self) -> &'static str {
        if self.name == TENANTS {
            "id"
        } else {
            TENANT_COLUMN
        }
    }

    /// The order rows are written in: the primary key (true: it tells rows apart), or
    /// every column for a table without one.
    pub fn order(&self) -> (Vec<&str>, bool) {
        if self.key.is_empty() {
            (
                self.columns.iter().map(|c| c.name.as_str()).collect(),
                false,
            )
        } else {
            (self.key.iter().map(String::as_str).collect(), true)
        }
    }
}

/// The practice's tables, parents before children.
#[derive(Clone, Debug)]
pub struct Catalog {
    pub tables: Vec<Table>,
}

impl Catalog {
    pub fn get(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub async fn read<C: ConnectionTrait>(conn: &C) -> Result<Self, PortabilityError> {
        let backend = conn.get_database_backend();
        let (columns, keys, references) = match backend {
            DbBackend::Postgres => (POSTGRES_COLUMNS, POSTGRES_KEYS, POSTGRES_REFERENCES),
            _ => (SQLITE_COLUMNS, SQLITE_KEYS, SQLITE_REFERENCES),
        };
        let query = |sql: &'static str| conn.query_all_raw(Statement::from_string(backend, sql));

        // Every table's columns with their declared types, then only the practice's tables.
        let mut declared: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for row in query(columns).await? {
            let table: String = row.try_get("", "table_name")?;
            let name: String = row.try_get("", "column_name")?;
            let data_type: String = row.try_get("", "data_type")?;
            declared.entry(table).or_default().push((name, data_type));
        }
        let mut tables: BTreeMap<String, Table> = BTreeMap::new();
        for (table, cols) in declared {
            if table != TENANTS && !cols.iter().any(|(name, _)| name == TENANT_COLUMN) {
                continue;
            }
            let mut columns = Vec::with_capacity(cols.len());
            for (name, data_type) in cols {
                let Some(kind) = kind_of(backend, &data_type) else {
                    return Err(PortabilityError::UnsupportedColumn {
                        table,
                        column: name,
                        declared: data_type,
                    });
                };
                columns.push(Column { name, kind });
            }
            tables.insert(
                table.clone(),
                Table {
                    name: table,
                    columns,
                    key: Vec::new(),
                },
            );
        }
        for row in query(keys).await? {
            let table: String = row.try_get("", "table_name")?;
            let column: String = row.try_get("", "column_name")?;
            if let Some(t) = tables.get_mut(&table) {
                t.key.push(column);
            }
        }
        let mut parents: BTreeMap<String, BTreeSet<String>> = tables
            .keys()
            .filter(|name| name.as_str() != TENANTS)
            // Every table's rows belong to the practice's row: it loads first.
            .map(|name| (name.clone(), BTreeSet::from([TENANTS.to_owned()])))
            .collect();
        parents.entry(TENANTS.to_owned()).or_default();
        for row in query(references).await? {
            let child: String = row.try_get("", "child")?;
            let parent: String = row.try_get("", "parent")?;
            // A table that refers to itself loads in primary-key order (ids are UUIDv7,
            // so a row's parent was made, and is written, before it).
            if child != parent
                && tables.contains_key(&parent)
                && let Some(p) = parents.get_mut(&child)
            {
                p.insert(parent);
            }
        }
        let order = load_order(parents)?;
        Ok(Self {
            tables: order
                .into_iter()
                .filter_map(|name| tables.remove(&name))
                .collect(),
        })
    }
}

/// Kahn's topological sort, ready tables taken by name so the order is the same each time.
/// Tables left over refer to each other in a cycle.
fn load_order(
    mut parents: BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<String>, PortabilityError> {
    let mut order = Vec::with_capacity(parents.len());
    loop {
        let ready: Vec<String> = parents
            .iter()
            .filter(|(_, p)| p.is_empty())
            .map(|(name, _)| name.clone())
            .collect();
        if ready.is_empty() {
            break;
        }
        for name in ready {
            parents.remove(&name);
            for p in parents.values_mut() {
                p.remove(&name);
            }
            order.push(name);
        }
    }
    if parents.is_empty() {
        Ok(order)
    } else {
        Err(PortabilityError::Cycle(
            parents.into_keys().collect::<Vec<_>>().join(", "),
        ))
    }
}

/// The kind of a column from its declared type; `None` for a type the export cannot carry.
fn kind_of(backend: DbBackend, declared: &str) -> Option<Kind> {
    let t = declared.trim().to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or_default().trim();
    Some(match backend {
        DbBackend::Postgres => match base {
            "uuid" => Kind::Uuid,
            "timestamp with time zone" => Kind::Timestamp,
            "date" => Kind::Date,
            "boolean" => Kind::Bool,
            "smallint" => Kind::I16,
            "integer" => Kind::I32,
            "bigint" => Kind::I64,
            "real" => Kind::F32,
            "double precision" => Kind::F64,
            "text" | "character varying" | "character" => Kind::Text,
            "json" | "jsonb" => Kind::Json,
            "bytea" => Kind::Bytes,
            _ => return None,
        },
        // The names sea-query declares SQLite columns with (SQLite keeps them as written).
        _ => match base {
            "uuid_text" | "uuid" => Kind::Uuid,
            "timestamp_with_timezone_text" => Kind::Timestamp,
            "date_text" => Kind::Date,
            "boolean" | "bool" => Kind::Bool,
            // SQLite has one integer type.
            "integer" | "int" | "smallint" | "bigint" | "tinyint" => Kind::I64,
            "real" | "double" | "float" => Kind::F64,
            "text" | "varchar" | "char" | "string" => Kind::Text,
            "json_text" | "jsonb_text" | "json" | "jsonb" => Kind::Json,
            "blob" | "binary" | "varbinary" | "blob_text" => Kind::Bytes,
            _ => return None,
        },
    })
}

// The catalog, on PostgreSQL from `pg_catalog` (information_schema shows only what the
// connected role was granted), in the schema the application uses.
const POSTGRES_COLUMNS: &str = "\
    SELECT c.relname AS table_name, a.attname AS column_name, \
           format_type(a.atttypid, NULL) AS data_type \
    FROM pg_class c \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    JOIN pg_attribute a ON a.attrelid = c.oid \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
      AND a.attnum > 0 AND NOT a.attisdropped \
    ORDER BY c.relname, a.attnum";
const POSTGRES_KEYS: &str = "\
    SELECT c.relname AS table_name, a.attname AS column_name \
    FROM pg_index i \
    JOIN pg_class c ON c.oid = i.indrelid \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ON true \
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
    WHERE i.indisprimary AND n.nspname = current_schema() \
    ORDER BY c.relname, k.ord";
const POSTGRES_REFERENCES: &str = "\
    SELECT child.relname AS child, parent.relname AS parent \
    FROM pg_constraint f \
    JOIN pg_class child ON child.oid = f.conrelid \
    JOIN pg_class parent ON parent.oid = f.confrelid \
    JOIN pg_namespace n ON n.oid = child.relnamespace \
    WHERE f.contype = 'f' AND n.nspname = current_schema()";

// On SQLite from `sqlite_master` and the table-valued pragmas.
const SQLITE_COLUMNS: &str = "\
    SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type \
    FROM sqlite_master m JOIN pragma_table_info(m.name) p \
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
    ORDER BY m.name, p.cid";
const SQLITE_KEYS: &str = "\
    SELECT m.name AS table_name, p.name AS column_name \
    FROM sqlite_master m JOIN pragma_table_info(m.name) p \
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND p.pk > 0 \
    ORDER BY m.name, p.pk";
const SQLITE_REFERENCES: &str = "\
    SELECT m.name AS child, f.\"table\" AS parent \
    FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        edges
            .iter()
            .map(|(t, ps)| {
                (
                    (*t).to_owned(),
                    ps.iter().map(|p| (*p).to_owned()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn parents_load_before_children() {
        let order = load_order(graph(&[
            ("tenants", &[]),
            ("thread_messages", &["message_threads", "tenants"]),
            ("message_threads", &["patients", "tenants"]),
            ("patients", &["users", "tenants"]),
            ("users", &["tenants"]),
        ]))
        .unwrap_or_default();
        assert_eq!(
            order,
            [
                "tenants",
                "users",
                "patients",
                "message_threads",
                "thread_messages"
            ]
        );
    }

    #[test]
    fn a_cycle_is_an_error_naming_its_tables() {
        let err = load_order(graph(&[
            ("tenants", &[]),
            ("a", &["b", "tenants"]),
            ("b", &["a"]),
            ("c", &["tenants"]),
        ]));
        match err {
            Err(PortabilityError::Cycle(tables)) => assert_eq!(tables, "a, b"),
            other => panic!("expected a cycle, got {other:?}"),
        }
    }

    #[test]
    fn every_declared_type_of_the_schema_has_a_kind() {
        for t in [
            "uuid_text",
            "timestamp_with_timezone_text",
            "varchar(120)",
            "INTEGER",
        ] {
            assert!(kind_of(DbBackend::Sqlite, t).is_some(), "{t}");
        }
        for t in [
            "uuid",
            "timestamp with time zone",
            "character varying",
            "jsonb",
        ] {
            assert!(kind_of(DbBackend::Postgres, t).is_some(), "{t}");
        }
        assert_eq!(kind_of(DbBackend::Postgres, "numeric"), None);
    }
}
