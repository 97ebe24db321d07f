//! A practice's rows of one table as NDJSON (one JSON object per row, every column), and
//! back. Each kind of value is written one way whatever the engine: uuids hyphenated,
//! timestamps RFC 3339 in UTC with every fractional digit stored, dates `YYYY-MM-DD`, JSON
//! columns as their JSON text, bytes in base64, SQL `NULL` as `null`; so rows read back
//! exactly, on the engine they came from or the other one.

use std::path::Path;

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::{
    PortabilityError,
    catalog::{Column, Kind, Table},
    manifest::{self, NdjsonFile},
};
use crate::{TenantTx, sql_params::Params};

/// Bind parameters per `INSERT`, under SQLite's limit (32,766) and PostgreSQL's (65,535).
const PARAMS_PER_INSERT: usize = 4_000;

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn column_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows per query: a table is read page by page, each after the last key of the one before
/// (no offset to skip, however large the table).
const PAGE: usize = 1_000;

/// Writes the practice's rows of `table` to `out` in the order of the columns `order`.
/// `unique`: those columns tell rows apart (a key), so the table is read a page at a time;
/// otherwise in one query.
pub async fn dump(
    tx: &TenantTx,
    table: &Table,
    order: &[&str],
    unique: bool,
    out: &mut NdjsonFile,
) -> Result<(), PortabilityError> {
    let backend = tx.conn().get_database_backend();
    let quoted_order = order
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    let mut after: Option<Vec<sea_orm::Value>> = None;
    loop {
        let mut params = Params::new(backend);
        let practice = params.push(tx.tenant_id().as_uuid(), "");
        let mut sql = format!(
            "SELECT {} FROM {} WHERE {} = {practice}",
            column_list(table),
            quote(&table.name),
            quote(table.practice_column()),
        );
        if let Some(last) = after.take() {
            let marks: Vec<String> = last.into_iter().map(|v| params.push(v, "")).collect();
            sql.push_str(&format!(" AND ({quoted_order}) > ({})", marks.join(", ")));
        }
        sql.push_str(&format!(" ORDER BY {quoted_order}"));
        if unique {
            sql.push_str(&format!(" LIMIT {PAGE}"));
        }
        let rows = tx.conn().query_all_raw(params.statement(sql)).await?;
        let full = unique && rows.len() == PAGE;
        let mut last = Map::new();
        for row in rows {
            let mut object = Map::new();
            for column in &table.columns {
                object.insert(column.name.clone(), read(&row, backend, table, column)?);
            }
            out.write(&Json::Object(object.clone()))?;
            last = object;
        }
        if !full {
            return Ok(());
        }
        let mut key = Vec::with_capacity(order.len());
        for name in order {
            let column = table
                .columns
                .iter()
                .find(|c| c.name == *name)
                .ok_or_else(|| PortabilityError::Value {
                    table: table.name.clone(),
                    column: (*name).to_owned(),
                    reason: "no such column".to_owned(),
                })?;
            let cell = last.get(*name).cloned().unwrap_or(Json::Null);
            key.push(
                value(column.kind, cell).map_err(|reason| PortabilityError::Value {
                    table: table.name.clone(),
                    column: column.name.clone(),
                    reason,
                })?,
            );
        }
        after = Some(key);
    }
}

/// One stored value in its export form.
fn read(
    row: &QueryResult,
    backend: DbBackend,
    table: &Table,
    column: &Column,
) -> Result<Json, PortabilityError> {
    let name = column.name.as_str();
    let failed = |source| PortabilityError::Read {
        table: table.name.clone(),
        column: column.name.clone(),
        source,
    };
    fn get<T: sea_orm::TryGetable>(
        row: &QueryResult,
        name: &str,
    ) -> Result<Option<T>, sea_orm::DbErr> {
        row.try_get::<Option<T>>("", name)
    }
    let value = match column.kind {
        Kind::Uuid => get::<Uuid>(row, name)
            .map_err(failed)?
            .map(|u| Json::String(u.to_string())),
        Kind::Timestamp => get::<DateTime<Utc>>(row, name)
            .map_err(failed)?
            .map(|t| Json::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))),
        Kind::Date => get::<NaiveDate>(row, name)
            .map_err(failed)?
            .map(|d| Json::String(d.to_string())),
        Kind::Bool => get::<bool>(row, name).map_err(failed)?.map(Json::Bool),
        Kind::I16 => get::<i16>(row, name).map_err(failed)?.map(Json::from),
        Kind::I32 => get::<i32>(row, name).map_err(failed)?.map(Json::from),
        Kind::I64 => get::<i64>(row, name).map_err(failed)?.map(Json::from),
        Kind::F32 => number(
            table,
            column,
            get::<f32>(row, name).map_err(failed)?.map(f64::from),
        )?,
        Kind::F64 => number(table, column, get::<f64>(row, name).map_err(failed)?)?,
        Kind::Text => get::<String>(row, name).map_err(failed)?.map(Json::String),
        Kind::Json => match backend {
            DbBackend::Postgres => get::<Json>(row, name)
                .map_err(failed)?
                .map(|j| Json::String(j.to_string())),
            // SQLite keeps JSON as its text.
            _ => get::<String>(row, name).map_err(failed)?.map(Json::String),
        },
        Kind::Bytes => get::<Vec<u8>>(row, name)
            .map_err(failed)?
            .map(|b| Json::String(STANDARD.encode(b))),
    };
    Ok(value.unwrap_or(Json::Null))
}

fn number(
    table: &Table,
    column: &Column,
    value: Option<f64>,
) -> Result<Option<Json>, PortabilityError> {
    value
        .map(|v| {
            serde_json::Number::from_f64(v)
                .map(Json::Number)
                .ok_or_else(|| PortabilityError::Value {
                    table: table.name.clone(),
                    column: column.name.clone(),
                    reason: "a number JSON cannot hold (NaN or infinite)".to_owned(),
                })
        })
        .transpose()
}

/// Inserts the rows of `path` (the export's `relative`) into `table`, in the transaction of
/// the practice they must all belong to; returns how many.
pub async fn load(
    tx: &TenantTx,
    table: &Table,
    path: &Path,
    relative: &str,
) -> Result<u64, PortabilityError> {
    let practice = tx.tenant_id().as_uuid();
    let per_insert = (PARAMS_PER_INSERT / table.columns.len().max(1)).max(1);
    let mut batch: Vec<Vec<sea_orm::Value>> = Vec::with_capacity(per_insert);
    let mut count = 0;
    for line in manifest::lines(path)? {
        let (number, text) = line?;
        let bad = |reason: String| PortabilityError::BadRow {
            file: relative.to_owned(),
            line: number,
            reason,
        };
        let Json::Object(mut row) =
            serde_json::from_str::<Json>(&text).map_err(|e| bad(format!("not JSON: {e}")))?
        else {
            return Err(bad("not a JSON object".to_owned()));
        };
        let mut values = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let cell = row
                .remove(&column.name)
                .ok_or_else(|| bad(format!("column {} is missing", column.name)))?;
            values.push(
                value(column.kind, cell)
                    .map_err(|reason| bad(format!("column {}: {reason}", column.name)))?,
            );
        }
        if let Some(extra) = row.keys().next() {
            return Err(bad(format!("{} has no column {extra}", table.name)));
        }
        let owner = table
            .columns
            .iter()
            .position(|c| c.name == table.practice_column())
            .and_then(|i| values.get(i));
        if owner != Some(&sea_orm::Value::from(practice)) {
            return Err(bad("the row belongs to another practice".to_owned()));
        }
        batch.push(values);
        count += 1;
        if batch.len() == per_insert {
            insert(tx, table, &mut batch).await?;
        }
    }
    if !batch.is_empty() {
        insert(tx, table, &mut batch).await?;
    }
    Ok(count)
}

async fn insert(
    tx: &TenantTx,
    table: &Table,
    rows: &mut Vec<Vec<sea_orm::Value>>,
) -> Result<(), PortabilityError> {
    let mut params = Params::new(tx.conn().get_database_backend());
    let tuples: Vec<String> = rows
        .drain(..)
        .map(|row| {
            let cells: Vec<String> = row.into_iter().map(|v| params.push(v, "")).collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        quote(&table.name),
        column_list(table),
        tuples.join(", ")
    );
    tx.conn()
        .execute_raw(params.statement(sql))
        .await
        .map_err(|source| PortabilityError::Load {
            table: table.name.clone(),
            source,
        })?;
    Ok(())
}

/// What kind of JSON value `cell` is: refusals name it, never the value itself (an
/// export's cells are patient data, and a refusal is printed and logged).
fn json_type(cell: &Json) -> &'static str {
    match cell {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// A value of the export as the bind parameter of its column's kind.
fn value(kind: Kind, cell: Json) -> Result<sea_orm::Value, String> {
    use sea_orm::Value as V;
    let text = |cell: &Json| {
        cell.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("expected a string, found {}", json_type(cell)))
    };
    let int = |cell: &Json| {
        cell.as_i64()
            .ok_or_else(|| format!("expected an integer, found {}", json_type(cell)))
    };
    let float = |cell: &Json| {
        cell.as_f64()
            .ok_or_else(|| format!("expected a number, found {}", json_type(cell)))
    };
    if cell.is_null() {
        return Ok(match kind {
            Kind::Uuid => V::from(None::<Uuid>),
            Kind::Timestamp => V::from(None::<DateTime<Utc>>),
            Kind::Date => V::from(None::<NaiveDate>),
            Kind::Bool => V::from(None::<bool>),
            Kind::I16 => V::from(None::<i16>),
            Kind::I32 => V::from(None::<i32>),
            Kind::I64 => V::from(None::<i64>),
            Kind::F32 => V::from(None::<f32>),
            Kind::F64 => V::from(None::<f64>),
            Kind::Text => V::from(None::<String>),
            Kind::Json => V::from(None::<Json>),
            Kind::Bytes => V::from(None::<Vec<u8>>),
        });
    }
    Ok(match kind {
        Kind::Uuid => {
            V::from(Uuid::parse_str(&text(&cell)?).map_err(|e| format!("not a uuid: {e}"))?)
        }
        Kind::Timestamp => V::from(
            DateTime::parse_from_rfc3339(&text(&cell)?)
                .map_err(|e| format!("not an RFC 3339 timestamp: {e}"))?
                .with_timezone(&Utc),
        ),
        Kind::Date => V::from(
            text(&cell)?
                .parse::<NaiveDate>()
                .map_err(|e| format!("not a date: {e}"))?,
        ),
        Kind::Bool => V::from(
            cell.as_bool()
                .ok_or_else(|| format!("expected true or false, found {cell}"))?,
        ),
        Kind::I16 => V::from(i16::try_from(int(&cell)?).map_err(|e| e.to_string())?),
        Kind::I32 => V::from(i32::try_from(int(&cell)?).map_err(|e| e.to_string())?),
        Kind::I64 => V::from(int(&cell)?),
        // Exported from an f32, so it fits one again.
        Kind::F32 => V::from(float(&cell)? as f32),
        Kind::F64 => V::from(float(&cell)?),
        Kind::Text => V::from(text(&cell)?),
        Kind::Json => V::from(
            serde_json::from_str::<Json>(&text(&cell)?).map_err(|e| format!("not JSON: {e}"))?,
        ),
        Kind::Bytes => V::from(
            STANDARD
                .decode(text(&cell)?)
                .map_err(|e| format!("not base64: {e}"))?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_cell_is_named_by_its_type_never_its_value() {
        let cell = serde_json::json!({ "given": "Noor", "birthDate": "1980-02-14" });
        let refused = value(Kind::Text, cell).unwrap_err();
        assert_eq!(refused, "expected a string, found an object");
        let refused = value(Kind::I32, Json::from("Noor Haddad")).unwrap_err();
        assert!(!refused.contains("Noor"), "{refused}");
    }

    #[test]
    fn values_are_bound_as_their_kind_and_bad_ones_named() {
        assert_eq!(
            value(
                Kind::Timestamp,
                Json::from("2026-12-06T15:42:33.373544824Z")
            ),
            Ok(sea_orm::Value::from(
                DateTime::parse_from_rfc3339("2026-12-06T15:42:33.373544824+00:00")
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default()
            ))
        );
        assert_eq!(
            value(Kind::Bool, Json::Null),
            Ok(sea_orm::Value::from(None::<bool>))
        );
        assert!(value(Kind::Uuid, Json::from("nope")).is_err());
        assert!(value(Kind::I16, Json::from(70_000)).is_err());
        assert!(value(Kind::Text, Json::from(3)).is_err());
    }
}
