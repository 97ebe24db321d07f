//! Importing a practice's existing patients from a CSV file. A file is previewed first
//! (every row checked, its problems named by line and field, nothing created), kept with its
//! preview under its SHA-256 (so the same file is the same import), then imported by a job
//! all at once: every new chart in one transaction, or none. Rows that match a chart the
//! practice has are skipped, never changed. See `docs/api.md` for which problems are errors.

pub mod progress;
mod rows;
pub mod run;

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{ColumnTrait, QueryFilter, QuerySelect, Set, sea_query::OnConflict};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use self::rows::{Columns, Existing, Seen, Verdict};
pub use self::rows::{Problem, Severity};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{
        patient,
        patient_import::{self, Column, Entity},
        patient_import_file,
    },
    outbox,
    ports::Job,
};

/// The largest file (16 MiB: about 150,000 rows of the usual columns).
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// The most rows one file may have.
pub const MAX_ROWS: u64 = 100_000;
/// Problems kept with an import (the counts by code cover them all).
pub const PROBLEMS_KEPT: usize = 200;

/// An import's status.
pub mod status {
    pub const PREVIEWED: &str = "previewed";
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
    pub const FAILED: &str = "failed";
}

fn access(action: &str, id: Uuid) -> Access<'_> {
    Access {
        action,
        resource_type: "PatientImport",
        resource_id: Some(id),
        patient_id: None,
    }
}

/// What walking a file found.
#[derive(Debug, Default)]
pub struct Findings {
    pub rows_total: u64,
    pub new_charts: u64,
    pub already_here: u64,
    pub error_rows: u64,
    /// The first problems, in file order.
    pub problems: Vec<Problem>,
    pub counts: BTreeMap<String, u64>,
    /// Charts rows matched (audited: the preview read them).
    pub matched: Vec<Uuid>,
}

impl Findings {
    fn note(&mut self, problems: Vec<Problem>) {
        for p in problems {
            *self.counts.entry(p.code.clone()).or_default() += 1;
            if self.problems.len() < PROBLEMS_KEPT {
                self.problems.push(p);
            }
        }
    }
}

/// The file's text: UTF-8, a byte-order mark removed.
fn text_of(bytes: Vec<u8>) -> CoreResult<String> {
    let mut text = String::from_utf8(bytes).map_err(|_| {
        CoreError::invalid(
            "file",
            "FILE_NOT_UTF8",
            "the file is not UTF-8 text: save it as CSV UTF-8",
        )
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// The practice's charts as rows are matched: MRNs, and names with birth dates.
async fn existing(tx: &TenantTx) -> CoreResult<Existing> {
    let charts: Vec<(Uuid, Option<String>, String, String, chrono::NaiveDate)> = tx
        .find::<patient::Entity>()
        .select_only()
        .columns([
            patient::Column::Id,
            patient::Column::Mrn,
            patient::Column::GivenName,
            patient::Column::FamilyName,
            patient::Column::BirthDate,
        ])
        .into_tuple()
        .all(tx.conn())
        .await?;
    let mut existing = Existing::default();
    for (id, mrn, given, family, birth) in charts {
        if let Some(mrn) = mrn {
            existing.mrns.insert(mrn.clone());
            existing.mrn_charts.insert(mrn, id);
        }
        existing
            .people
            .insert(rows::person_key(&given, &family, birth), id);
    }
    Ok(existing)
}

/// Walks a file's rows one at a time, checking each; [`Walker::next_new`] hands out the rows
/// that make new charts, and [`Walker::findings`] says what the rows read so far have.
pub struct Walker<'a> {
    reader: csv::Reader<&'a [u8]>,
    columns: Columns,
    existing: &'a Existing,
    seen: Seen,
    today: chrono::NaiveDate,
    record: csv::StringRecord,
    pub findings: Findings,
}

impl<'a> Walker<'a> {
    /// Reads the header. A header that lacks a required column is refused outright.
    pub(crate) fn open(text: &'a str, existing: &'a Existing) -> CoreResult<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            // Records end at `\n` only (a CRLF's `\r` is trimmed as whitespace): with CRLF as
            // the terminator the reader leaves the `\n` to the next record, whose position
            // then names the line before it.
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(text.as_bytes());
        let header = reader.headers().map_err(|_| unreadable())?.clone();
        let (columns, header_problems) = Columns::of(&header);
        let errors: Vec<&Problem> = header_problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        if let Some(first) = errors.first() {
            let code: &'static str = if first.code == "DUPLICATE_COLUMN" {
                "DUPLICATE_COLUMN"
            } else {
                "MISSING_COLUMN"
            };
            let named: Vec<&str> = errors
                .iter()
                .map(|p| p.message.trim_start_matches("line 1: "))
                .collect();
            return Err(CoreError::invalid(
                "file",
                code,
                format!("the first line must name the columns: {}", named.join("; ")),
            ));
        }
        let mut findings = Findings::default();
        findings.note(header_problems);
        Ok(Self {
            reader,
            columns,
            existing,
            seen: Seen::default(),
            today: Utc::now().date_naive(),
            record: csv::StringRecord::new(),
            findings,
        })
    }

    /// The next row that makes a new chart; `None` at the end of the file.
    pub(crate) fn next_new(&mut self) -> CoreResult<Option<rows::Row>> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    self.findings.rows_total += 1;
                    self.findings.error_rows += 1;
                    self.findings.note(vec![Problem {
                        line,
                        field: "row".to_owned(),
                        code: "MALFORMED_ROW".to_owned(),
                        severity: Severity::Error,
                        message: format!("line {line}: the row cannot be read as CSV"),
                    }]);
                    continue;
                }
            }
            // A blank line is no row.
            if self.record.iter().all(str::is_empty) {
                continue;
            }
            self.findings.rows_total += 1;
            if self.findings.rows_total > MAX_ROWS {
                return Err(CoreError::invalid(
                    "file",
                    "TOO_MANY_ROWS",
                    format!("a file has at most {MAX_ROWS} rows: split it"),
                ));
            }
            let line = self.record.position().map_or(0, csv::Position::line);
            let mut problems = Vec::new();
            let verdict = match rows::read_row(&self.columns, &self.record, line, self.today) {
                Ok(row) => rows::decide(row, &mut self.seen, self.existing, &mut problems),
                Err(own) => {
                    problems = own;
                    Verdict::Refused
                }
            };
            self.findings.note(problems);
            match verdict {
                Verdict::New(row) => {
                    self.findings.new_charts += 1;
                    return Ok(Some(row));
                }
                Verdict::AlreadyHere(chart) => {
                    self.findings.already_here += 1;
                    self.findings.matched.push(chart);
                }
                Verdict::Refused => self.findings.error_rows += 1,
            }
        }
    }

    /// Reads the rest of the file and gives what it found.
    pub(crate) fn finish(mut self) -> CoreResult<Findings> {
        while self.next_new()?.is_some() {}
        Ok(self.findings)
    }
}

fn unreadable() -> CoreError {
    CoreError::invalid("file", "FILE_UNREADABLE", "the file cannot be read as CSV")
}

fn json<T: serde::Serialize>(value: &T) -> CoreResult<String> {
    serde_json::to_string(value).map_err(CoreError::adapter)
}

/// Checks a file and keeps it with its preview; the same file (by content) previewed again
/// is the earlier import, as it is now. Nothing is created here.
#[tracing::instrument(skip_all, err(level = "warn"), fields(tenant_id = %tx.tenant_id()))]
pub async fn preview(
    tx: &TenantTx,
    actor: &Actor,
    file_name: &str,
    bytes: Vec<u8>,
) -> CoreResult<patient_import::Model> {
    if bytes.is_empty() {
        return Err(CoreError::invalid(
            "file",
            "FILE_EMPTY",
            "the file is empty",
        ));
    }
    if bytes.len() > MAX_BYTES {
        return Err(CoreError::invalid(
            "file",
            "FILE_TOO_LARGE",
            format!("a file is at most {} MiB", MAX_BYTES / (1024 * 1024)),
        ));
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    if let Some(earlier) = by_sha(tx, &sha256).await? {
        audit::record(tx, actor, access("patient_import.preview", earlier.id)).await?;
        return Ok(earlier);
    }
    let text = text_of(bytes)?;
    let existing = existing(tx).await?;
    let findings = Walker::open(&text, &existing)?.finish()?;
    if findings.rows_total == 0 {
        return Err(CoreError::invalid(
            "file",
            "FILE_EMPTY",
            "the file has no patients below its header row",
        ));
    }
    let id = Uuid::now_v7();
    let now = Utc::now();
    let row = patient_import::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(id),
        file_sha256: Set(sha256.clone()),
        file_name: Set(file_name_of(file_name)),
        status: Set(status::PREVIEWED.to_owned()),
        rows_total: Set(count(findings.rows_total)),
        rows_done: Set(0),
        new_charts: Set(count(findings.new_charts)),
        already_here: Set(count(findings.already_here)),
        error_rows: Set(count(findings.error_rows)),
        created: Set(0),
        skipped: Set(0),
        problems: Set(json(&findings.problems)?),
        problem_counts: Set(json(&findings.counts)?),
        failure: Set(None),
        created_by: Set(actor.id),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
    };
    // Two previews of one file at once: the first is kept, the second returns it.
    let inserted = tx
        .insert_many([row])
        .on_conflict(
            OnConflict::columns([Column::TenantId, Column::FileSha256])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?;
    if inserted == 1 {
        tx.insert_many([patient_import_file::ActiveModel {
            tenant_id: Set(tx.tenant_id().as_uuid()),
            id: Set(id),
            content: Set(text),
        }])
        .exec_without_returning(tx.conn())
        .await?;
    }
    let kept = by_sha(tx, &sha256).await?.ok_or(CoreError::NotFound)?;
    audit::record(tx, actor, access("patient_import.preview", kept.id)).await?;
    // The charts rows matched were read to match them.
    let matched: Vec<Access<'static>> = findings
        .matched
        .iter()
        .map(|&chart| Access {
            action: "patient.import_match",
            resource_type: "Patient",
            resource_id: Some(chart),
            patient_id: Some(chart),
        })
        .collect();
    audit::record_all(tx, actor, matched).await?;
    Ok(kept)
}

/// A stored count (files have at most [`MAX_ROWS`] rows).
fn count(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The name shown for the file: its last path segment, printable, at most 200 characters.
fn file_name_of(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "patients.csv".to_owned()
    } else {
        clean
    }
}

async fn by_sha(tx: &TenantTx, sha256: &str) -> CoreResult<Option<patient_import::Model>> {
    Ok(tx
        .find::<Entity>()
        .filter(Column::FileSha256.eq(sha256))
        .one(tx.conn())
        .await?)
}

/// The import with this id in the transaction's practice.
pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<patient_import::Model> {
    tx.find::<Entity>()
        .filter(Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// The import's stored problems.
pub fn problems_of(import: &patient_import::Model) -> Vec<Problem> {
    serde_json::from_str(&import.problems).unwrap_or_default()
}

/// The count of each problem code.
pub fn counts_of(import: &patient_import::Model) -> BTreeMap<String, u64> {
    serde_json::from_str(&import.problem_counts).unwrap_or_default()
}

/// Starts the import of a previewed file without errors: its job is written to the outbox
/// with the change. An import already queued, running or done is returned as it is (the
/// same file twice creates nothing); a failed one, or a running one gone stale, is queued again. Returns the import and
/// whether a job was written.
#[tracing::instrument(skip_all, err(level = "warn"), fields(tenant_id = %tx.tenant_id(), %id))]
pub async fn start(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
) -> CoreResult<(patient_import::Model, bool)> {
    let import = find(tx, id).await?;
    if import.status == status::PREVIEWED && import.error_rows > 0 {
        return Err(has_errors(&import));
    }
    // A run whose worker died outright (no cut-off could mark it failed) stays `RUNNING`
    // with no progress; once stale it may be started again, like a failed one.
    let stale_before = Utc::now() - run::STALE_AFTER;
    let stale = import.status == status::RUNNING && import.updated_at < stale_before;
    if import.status != status::PREVIEWED && import.status != status::FAILED && !stale {
        return Ok((import, false));
    }
    let queued = tx
        .update::<Entity>()
        .col_expr(Column::Status, status::QUEUED.into())
        .col_expr(Column::Failure, Option::<String>::None.into())
        .col_expr(Column::RowsDone, 0.into())
        .col_expr(Column::UpdatedAt, Utc::now().into())
        .filter(Column::Id.eq(id))
        .filter(
            sea_orm::Condition::any()
                .add(Column::Status.is_in([status::PREVIEWED, status::FAILED]))
                .add(
                    sea_orm::Condition::all()
                        .add(Column::Status.eq(status::RUNNING))
                        .add(Column::UpdatedAt.lt(stale_before)),
                ),
        )
        .exec(tx.conn())
        .await?;
    if queued.rows_affected == 1 {
        let job = Job::ImportPatients {
            tenant_id: tx.tenant_id(),
            import_id: id,
        };
        let key = format!("patient-import:{id}:{}", Uuid::now_v7());
        outbox::job(tx, &key, &job).await?;
        audit::record(tx, actor, access("patient_import.start", id)).await?;
    }
    Ok((find(tx, id).await?, queued.rows_affected == 1))
}

/// The refusal of a file with errors, naming its first rows with one.
fn has_errors(import: &patient_import::Model) -> CoreError {
    let mut lines: Vec<u64> = problems_of(import)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.line)
        .collect();
    lines.dedup();
    let named: Vec<String> = lines.iter().take(20).map(u64::to_string).collect();
    let more = i64::from(import.error_rows) - named.len() as i64;
    let rest = if more > 0 {
        format!(" and {more} more rows")
    } else {
        String::new()
    };
    CoreError::invalid(
        "importId",
        "IMPORT_HAS_ERRORS",
        format!(
            "nothing was imported: fix the rows with errors (lines {}{rest}) and upload the file again",
            named.join(", ")
        ),
    )
}
