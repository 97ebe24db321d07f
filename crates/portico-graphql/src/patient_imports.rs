//! Importing a practice's existing patients from a CSV file (staff who may write charts):
//! `previewPatientImport` checks an uploaded file and keeps it with its problems,
//! `startPatientImport` queues the import of a file without errors, and `patientImport`
//! gives its status and progress, which the console polls.

use async_graphql::{Context, Enum, ID, Object, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use portico_core::{
    entities::patient_import,
    patient_imports::{self, Severity, progress, status},
    tenancy::Access,
};

use crate::{
    ApiError, global_id,
    run::{Need, OutcomeExt, Run, refusable},
    scheduling::appointments::relay_outbox,
    user_error::UserError,
};

const WRITE: Need = Need::to("patients", "write");
/// The global id type of imports.
const TYPE: &str = "PatientImport";

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PatientImportStatus {
    /// Checked; waiting to be started (or refused: it has errors).
    Previewed,
    /// Started; waiting for a worker.
    Queued,
    Running,
    Done,
    /// Nothing was created; `failure` says why. It may be started again.
    Failed,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProblemSeverity {
    /// Blocks the import until the file is fixed.
    Error,
    /// Says what will happen to the row (skipped, a column left out); does not block.
    Notice,
}

/// One problem of one row of the file, named by its line (the header is line 1) and field.
#[derive(SimpleObject)]
pub struct PatientImportProblem {
    line: i32,
    /// `givenName`, `familyName`, `birthDate`, `sex`, `mrn`, `email`, `mobile`,
    /// `language`, `header` or `row`.
    field: String,
    /// `MISSING_FIELD`, `INVALID_DATE`, `INVALID_SEX`, `INVALID_EMAIL`, `INVALID_PHONE`,
    /// `UNKNOWN_LANGUAGE`, `INVALID_NAME`, `INVALID_MRN`, `DUPLICATE_IN_FILE`,
    /// `EXISTING_CHART`, `MALFORMED_ROW` (errors); `ALREADY_HERE`, `UNKNOWN_COLUMN`
    /// (notices).
    code: String,
    severity: ProblemSeverity,
    message: String,
}

/// How many problems of one code the file has.
#[derive(SimpleObject)]
pub struct ProblemCount {
    code: String,
    count: i32,
}

/// One CSV file of patients: what its preview found and how its import went.
pub struct PatientImport(patient_import::Model);

#[Object]
impl PatientImport {
    async fn id(&self) -> ID {
        global_id::encode(TYPE, self.0.id)
    }
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    async fn status(&self) -> PatientImportStatus {
        match self.0.status.as_str() {
            status::QUEUED => PatientImportStatus::Queued,
            status::RUNNING => PatientImportStatus::Running,
            status::DONE => PatientImportStatus::Done,
            status::FAILED => PatientImportStatus::Failed,
            _ => PatientImportStatus::Previewed,
        }
    }
    /// Patients in the file (its rows below the header, blank lines left out).
    async fn rows_total(&self) -> i32 {
        self.0.rows_total
    }
    /// Rows the running import has been through.
    async fn rows_done(&self) -> i32 {
        // On SQLite the running import's progress is in this process's memory (see
        // `portico_core::patient_imports::progress`).
        match progress::get(self.0.id) {
            Some(live) if self.0.status == status::RUNNING => live.max(self.0.rows_done),
            _ => self.0.rows_done,
        }
    }
    /// Rows that would make a new chart.
    async fn new_charts(&self) -> i32 {
        self.0.new_charts
    }
    /// Rows that match a chart the practice has (skipped, not changed).
    async fn already_here(&self) -> i32 {
        self.0.already_here
    }
    /// Rows with at least one error; the import is refused while there are any.
    async fn error_rows(&self) -> i32 {
        self.0.error_rows
    }
    /// Charts the import created.
    async fn created(&self) -> i32 {
        self.0.created
    }
    /// Rows the import skipped (already here).
    async fn skipped(&self) -> i32 {
        self.0.skipped
    }
    /// The first 200 problems, in file order.
    async fn problems(&self) -> Vec<PatientImportProblem> {
        patient_imports::problems_of(&self.0)
            .into_iter()
            .map(|p| PatientImportProblem {
                line: i32::try_from(p.line).unwrap_or(i32::MAX),
                field: p.field,
                code: p.code,
                severity: match p.severity {
                    Severity::Error => ProblemSeverity::Error,
                    Severity::Notice => ProblemSeverity::Notice,
                },
                message: p.message,
            })
            .collect()
    }
    /// Every problem's code with how many there are.
    async fn problem_counts(&self) -> Vec<ProblemCount> {
        patient_imports::counts_of(&self.0)
            .into_iter()
            .map(|(code, count)| ProblemCount {
                code,
                count: i32::try_from(count).unwrap_or(i32::MAX),
            })
            .collect()
    }
    /// Why the last run created nothing.
    async fn failure(&self) -> Option<&str> {
        self.0.failure.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

#[derive(SimpleObject, Default)]
pub struct PatientImportPayload {
    patient_import: Option<PatientImport>,
    user_errors: Vec<UserError>,
}

refusable!(PatientImportPayload);

#[derive(Default)]
pub struct PatientImportsQuery;

#[Object]
impl PatientImportsQuery {
    /// One import of the practice, with its status and progress (staff who may write charts).
    async fn patient_import(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PatientImport> {
        let id = global_id::parse(TYPE, "id", &id)?;
        // Status and counts only: no patient's data is read here.
        let import = ctx
            .run(WRITE, Access::Read, async |tx, _| {
                patient_imports::find(tx, id).await
            })
            .await?;
        Ok(PatientImport(import))
    }
}

#[derive(Default)]
pub struct PatientImportsMutation;

#[Object]
impl PatientImportsMutation {
    /// Checks a CSV file of patients (at most 16 MiB, 100,000 rows; UTF-8 with a header
    /// row) and keeps it with its problems; nothing is created. The same file again returns
    /// the earlier import. `userErrors` for a file that cannot be read at all: `FILE_EMPTY`,
    /// `FILE_TOO_LARGE`, `FILE_NOT_UTF8`, `FILE_UNREADABLE`, `MISSING_COLUMN`,
    /// `DUPLICATE_COLUMN`, `TOO_MANY_ROWS`.
    async fn preview_patient_import(
        &self,
        ctx: &Context<'_>,
        file: Upload,
    ) -> async_graphql::Result<PatientImportPayload> {
        // The policy first: a caller it refuses has nothing of theirs read.
        ctx.caller(WRITE.new_work()).await?;
        let value = file.value(ctx).map_err(|_| ApiError::BadUserInput {
            field: "file",
            code: "FILE_UNREADABLE",
            message: "the upload could not be read; send it as a multipart request".to_owned(),
        })?;
        let name = value.filename.clone();
        let bytes = value.content.to_vec();
        let outcome = ctx
            .mutate(WRITE.new_work(), async |tx, caller| {
                patient_imports::preview(tx, &caller.actor, &name, bytes).await
            })
            .await?;
        Ok(outcome.payload(|import| PatientImportPayload {
            patient_import: Some(PatientImport(import)),
            user_errors: Vec::new(),
        }))
    }

    /// Imports a previewed file: refused (`IMPORT_HAS_ERRORS`, naming the lines) while it
    /// has errors; otherwise a worker creates every new chart in one transaction. Starting
    /// an import that is queued, running or done changes nothing.
    async fn start_patient_import(
        &self,
        ctx: &Context<'_>,
        import_id: ID,
    ) -> async_graphql::Result<PatientImportPayload> {
        let id = global_id::parse(TYPE, "importId", &import_id)?;
        let outcome = ctx
            .mutate(WRITE.new_work(), async |tx, caller| {
                patient_imports::start(tx, &caller.actor, id).await
            })
            .await?;
        if let Ok((_, true)) = &outcome {
            relay_outbox(ctx, 1).await?;
        }
        Ok(outcome.payload(|(import, _)| PatientImportPayload {
            patient_import: Some(PatientImport(import)),
            user_errors: Vec::new(),
        }))
    }
}
