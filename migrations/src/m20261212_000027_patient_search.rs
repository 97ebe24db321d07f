//! Patient search through indexes: normalised columns on `patients` (`search_family`,
//! `search_given` for the order of results, `phone_reversed` so "ends with these digits" is
//! a prefix, `email_lower`), a `patient_search_terms` table with one row per word of the
//! names (any word may be typed first, and only a value's start is found by an index
//! range), indexes that start with `tenant_id`, and all of it filled for existing charts.
//!
//! On PostgreSQL the search columns use the `C` collation: searches are byte ranges
//! (`>= prefix AND < prefix || U+10FFFF`), which a linguistic collation would not keep
//! contiguous, and results sort the same as on SQLite. No index on the sort order: SQLite
//! would walk it through a whole practice rather than sort the few rows a search finds.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, DbBackend, Statement, Value},
};

use crate::{
    postgres,
    shape::{col, tenant_index},
    sqlite,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// The backfill is all or nothing on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let pg = manager.get_database_backend() == DbBackend::Postgres;
        let byte_ordered = |mut column: ColumnDef| {
            if pg {
                column.extra("COLLATE \"C\"");
            }
            column
        };
        // One column per statement: SQLite alters one at a time.
        for column in [
            byte_ordered(
                col("search_family")
                    .string_len(100)
                    .not_null()
                    .default("")
                    .to_owned(),
            ),
            byte_ordered(
                col("search_given")
                    .string_len(100)
                    .not_null()
                    .default("")
                    .to_owned(),
            ),
            byte_ordered(col("phone_reversed").string_len(32).null().to_owned()),
            byte_ordered(col("email_lower").string_len(254).null().to_owned()),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("patients"))
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        for (name, column) in [
            ("ix_patients_tenant_birth_date", "birth_date"),
            ("ix_patients_tenant_phone_reversed", "phone_reversed"),
            ("ix_patients_tenant_email_lower", "email_lower"),
        ] {
            manager
                .create_index(tenant_index(name, Alias::new("patients"), &[column], false))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("patient_search_terms"))
                    .col(col("tenant_id").uuid().not_null())
                    .col(col("patient_id").uuid().not_null())
                    .col(byte_ordered(
                        col("term").string_len(100).not_null().to_owned(),
                    ))
                    .primary_key(
                        Index::create()
                            .col(Alias::new("tenant_id"))
                            .col(Alias::new("patient_id"))
                            .col(Alias::new("term")),
                    )
                    .foreign_key(&mut crate::shape::tenant_fk(
                        "fk_patient_search_terms_patient",
                        Alias::new("patient_search_terms"),
                        Alias::new("patient_id"),
                        Alias::new("patients"),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // Covering: a word's range yields the chart ids without reading the rows.
        manager
            .create_index(tenant_index(
                "ix_patient_search_terms_tenant_term",
                Alias::new("patient_search_terms"),
                &["term", "patient_id"],
                false,
            ))
            .await?;
        postgres::tenant_table(manager, "patient_search_terms", "SELECT, INSERT, DELETE").await?;

        backfill(manager).await?;
        sqlite::length_guards(manager).await
    }
}

/// Fills the new columns and terms of the charts that exist. The same source value always
/// gives the same normalised one, so each distinct value is one `UPDATE` (no ids are read).
/// Row-level security is forced on `patients` even for its owner, so on PostgreSQL each
/// practice is filled with its tenant set, as the application would.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    if backend != DbBackend::Postgres {
        return backfill_rows(db, backend, "").await;
    }
    let tenants = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id::text AS id FROM tenants",
        ))
        .await?;
    for tenant in tenants {
        let id: String = tenant.try_get("", "id")?;
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT set_config('app.tenant_id', $1, true)",
            [id.into()],
        ))
        .await?;
        backfill_rows(db, backend, TENANT).await?;
    }
    db.execute_unprepared("SELECT set_config('app.tenant_id', '', true)")
        .await?;
    Ok(())
}

/// On PostgreSQL, the practice being filled (a superuser would otherwise see them all).
const TENANT: &str = " AND tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid";

/// `?` placeholders as the backend numbers them.
fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let mut numbered = String::new();
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' && backend == DbBackend::Postgres {
            n += 1;
            numbered.push_str(&format!("${n}"));
        } else {
            numbered.push(c);
        }
    }
    Statement::from_sql_and_values(backend, numbered, values)
}

async fn distinct(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    scope: &str,
    column: &str,
) -> Result<Vec<String>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            format!(
                "SELECT DISTINCT {column} AS v FROM patients WHERE {column} IS NOT NULL{scope}"
            ),
        ))
        .await?;
    rows.iter().map(|r| r.try_get::<String>("", "v")).collect()
}

async fn backfill_rows(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    scope: &str,
) -> Result<(), DbErr> {
    for (source, target) in [
        ("family_name", "search_family"),
        ("given_name", "search_given"),
    ] {
        for name in distinct(db, backend, scope, source).await? {
            let words = search_text::fold_words(&name);
            let folded: String = words.join(" ").chars().take(100).collect();
            db.execute_raw(statement(
                backend,
                &format!("UPDATE patients SET {target} = ? WHERE {source} = ?{scope}"),
                vec![folded.into(), name.clone().into()],
            ))
            .await?;
            for word in words {
                db.execute_raw(statement(
                    backend,
                    &format!(
                        "INSERT INTO patient_search_terms (tenant_id, patient_id, term) \
                         SELECT tenant_id, id, ? FROM patients p WHERE {source} = ?{scope} \
                         AND NOT EXISTS (SELECT 1 FROM patient_search_terms t \
                           WHERE t.tenant_id = p.tenant_id AND t.patient_id = p.id AND t.term = ?)"
                    ),
                    vec![word.clone().into(), name.clone().into(), word.into()],
                ))
                .await?;
            }
        }
    }
    for phone in distinct(db, backend, scope, "phone").await? {
        let reversed: String = phone
            .chars()
            .rev()
            .filter(char::is_ascii_digit)
            .take(32)
            .collect();
        let reversed = (!reversed.is_empty()).then_some(reversed);
        db.execute_raw(statement(
            backend,
            &format!("UPDATE patients SET phone_reversed = ? WHERE phone = ?{scope}"),
            vec![reversed.into(), phone.into()],
        ))
        .await?;
    }
    for email in distinct(db, backend, scope, "email").await? {
        let lower = email.trim().to_lowercase();
        let lower = (!lower.is_empty()).then(|| lower.chars().take(254).collect::<String>());
        db.execute_raw(statement(
            backend,
            &format!("UPDATE patients SET email_lower = ? WHERE email = ?{scope}"),
            vec![lower.into(), email.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The normalisation of names as this migration applied it: a copy of
/// `portico_core::patient_search::fold_words` at the time, kept here so the migration does
/// the same thing forever (and checked against the live one by a test).
pub mod search_text {
    /// Lower-cased words, accents folded to ASCII, apostrophes dropped, other punctuation
    /// separating words; each at most 100 characters.
    pub fn fold_words(text: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        for c in text.chars().flat_map(char::to_lowercase) {
            match c {
                '\'' | '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`' | '\u{b4}' => {}
                '\u{300}'..='\u{36f}' => {}
                c if c.is_ascii_alphanumeric() => word.push(c),
                c => match fold_latin(c) {
                    Some(ascii) => word.push_str(ascii),
                    None if c.is_alphanumeric() => word.push(c),
                    None => {
                        if !word.is_empty() {
                            words.push(std::mem::take(&mut word));
                        }
                    }
                },
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
        words
            .into_iter()
            .map(|w| w.chars().take(100).collect())
            .collect()
    }

    fn fold_latin(c: char) -> Option<&'static str> {
        Some(match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
            'ď' | 'đ' | 'ð' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
            'ĥ' | 'ħ' => "h",
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
            'ĳ' => "ij",
            'ĵ' => "j",
            'ķ' | 'ĸ' => "k",
            'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
            'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'ŋ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
            'œ' => "oe",
            'ŕ' | 'ŗ' | 'ř' => "r",
            'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'ſ' => "s",
            'ß' => "ss",
            'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
            'þ' => "th",
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
            'ŵ' => "w",
            'ý' | 'ÿ' | 'ŷ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            _ => return None,
        })
    }
}
