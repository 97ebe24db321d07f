//! SQLite-only parts of the schema: length guards. PostgreSQL refuses a value longer than
//! its `varchar(n)` column; SQLite stores it. So that a value only PostgreSQL would refuse
//! is refused on SQLite too (and a test on SQLite catches it), every `varchar(n)` /
//! `char(n)` column gets the same limit from a pair of triggers per table.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{DbBackend, Statement},
};

/// What a guard raises; the application tells a length refusal apart by it.
pub const LENGTH_GUARD_MESSAGE: &str = "PORTICO_VALUE_TOO_LONG";

/// `varchar(n)` or `char(n)` (as sea-query declares them on SQLite) to `n`.
fn declared_length(declared: &str) -> Option<u32> {
    let lower = declared.trim().to_ascii_lowercase();
    let inner = lower
        .strip_prefix("varchar(")
        .or_else(|| lower.strip_prefix("char("))?
        .strip_suffix(')')?;
    inner.trim().parse().ok()
}

/// (Re)creates the length guards of every table: dropped and made again from the columns the
/// tables have now, so a migration that adds tables or columns calls this again at its end.
/// On PostgreSQL it does nothing (the column types enforce the lengths).
pub async fn length_guards(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    let db = manager.get_connection();
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT m.name AS tbl, p.name AS col, p.type AS ty \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'seaql_%' \
             ORDER BY m.name, p.cid",
        ))
        .await?;
    let mut tables: Vec<(String, Vec<(String, u32)>)> = Vec::new();
    for row in rows {
        let table: String = row.try_get("", "tbl")?;
        let column: String = row.try_get("", "col")?;
        let declared: String = row.try_get("", "ty")?;
        let Some(max) = declared_length(&declared) else {
            continue;
        };
        match tables.last_mut() {
            Some((t, columns)) if *t == table => columns.push((column, max)),
            _ => tables.push((table, vec![(column, max)])),
        }
    }
    for (table, columns) in tables {
        let quoted = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
        let on_insert = columns
            .iter()
            .map(|(c, max)| format!("length(NEW.{}) > {max}", quoted(c)))
            .collect::<Vec<_>>()
            .join(" OR ");
        // An update checks only values it changes: a row stored before the guards existed
        // stays writable in its other columns.
        let on_update = columns
            .iter()
            .map(|(c, max)| {
                let c = quoted(c);
                format!("(length(NEW.{c}) > {max} AND NEW.{c} IS NOT OLD.{c})")
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        for (event, condition) in [("insert", on_insert), ("update", on_update)] {
            let name = quoted(&format!("portico_len_{table}_{event}"));
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}"))
                .await?;
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {name} BEFORE {} ON {} WHEN {condition} \
                 BEGIN SELECT RAISE(ABORT, '{LENGTH_GUARD_MESSAGE}'); END",
                event.to_ascii_uppercase(),
                quoted(&table),
            ))
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::declared_length;

    #[test]
    fn declared_lengths_are_read() {
        assert_eq!(declared_length("varchar(2)"), Some(2));
        assert_eq!(declared_length("VARCHAR(254)"), Some(254));
        assert_eq!(declared_length("char(64)"), Some(64));
        assert_eq!(declared_length("text"), None);
        assert_eq!(declared_length("varchar"), None);
        assert_eq!(declared_length("uuid_text"), None);
    }
}
