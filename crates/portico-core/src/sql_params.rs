//! Bind parameters for the few statements Portico writes as SQL text, where sea-query has
//! no words for them (a `VALUES` list joined in an `UPDATE`, the audit append's scoped
//! insert). Values are pushed in the order they appear in the text, and each push returns
//! its placeholder as the engine spells it: `$n` with an optional cast on PostgreSQL, `?`
//! on SQLite (which needs no casts).

use sea_orm::{DbBackend, Statement, Value};

pub struct Params {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Params {
    pub fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    pub fn postgres(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// The placeholder of `value`; `cast` (such as `::uuid`) is added on PostgreSQL only.
    pub fn push(&mut self, value: impl Into<Value>, cast: &str) -> String {
        self.values.push(value.into());
        if self.postgres() {
            format!("${}{cast}", self.values.len())
        } else {
            "?".to_owned()
        }
    }

    /// `(p1, p2, ...)` of one row's values, each with its cast.
    pub fn row<const N: usize>(&mut self, cells: [(Value, &str); N]) -> String {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|(value, cast)| self.push(value, cast))
            .collect();
        format!("({})", cells.join(", "))
    }

    pub fn statement(self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_engine_and_the_order_of_the_text() {
        let mut pg = Params::new(DbBackend::Postgres);
        assert_eq!(
            pg.row([(1i32.into(), ""), (2i32.into(), "::int8")]),
            "($1, $2::int8)"
        );
        assert_eq!(pg.push("x", "::text"), "$3::text");
        let mut lite = Params::new(DbBackend::Sqlite);
        assert_eq!(
            lite.row([(1i32.into(), "::uuid"), (2i32.into(), "")]),
            "(?, ?)"
        );
        let statement = lite.statement("SELECT ?, ?".to_owned());
        assert_eq!(statement.values.map(|v| v.0.len()), Some(2));
    }
}
