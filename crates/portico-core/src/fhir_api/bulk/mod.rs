//! FHIR Bulk Data Access 2.0 export for SMART Backend Services ([`crate::smart::backend`]):
//! a service asks for the practice's data (`$export` at the system level, or
//! `Patient/$export`: every chart either way), a queue job writes one NDJSON file per
//! resource type (more when a type has more than [`RESOURCES_PER_FILE`]) into the attachment
//! store, and the service polls the status and downloads the files with its token. A chart
//! that is restricted ([`crate::chart_access`]) is left out and counted in the manifest's
//! `error` file; every chart exported is audited (`chart.export`), with the service as
//! actor. Files are kept for [`FILE_TTL`] after the export completes. The HTTP side (the
//! `Prefer` header, 202s, the manifest's URLs) is the server's.

mod run;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};
use uuid::Uuid;

pub use run::export;

use super::{ResourceType, Sees, SystemScopes};
use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    entities::{bulk_export, bulk_export_file},
    outbox,
    ports::Job,
};

/// How long an export's files are kept once it completes.
pub const FILE_TTL: chrono::Duration = chrono::Duration::hours(24);
/// How long an export may take before it is given up (and its row purged).
const RUN_TTL: chrono::Duration = chrono::Duration::days(2);
/// Resources per NDJSON file at most.
pub const RESOURCES_PER_FILE: usize = 10_000;
/// Exports one service may have queued or running at once.
const AT_ONCE: u64 = 1;
/// A running export notes it is alive every few charts; one silent this long was cut off
/// (a crash, a deploy that outlasted the grace period) and is reported as failed.
pub const STALE: chrono::Duration = chrono::Duration::minutes(10);
/// How long a failed export's status stays readable.
const FAILED_TTL: chrono::Duration = chrono::Duration::hours(1);

/// An export's status values.
pub mod status {
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const COMPLETE: &str = "complete";
    pub const FAILED: &str = "failed";
    pub const CANCELLED: &str = "cancelled";
}

/// Where the export was asked for. Both cover every chart of the practice (Portico has no
/// groups); the Patient level is what a service that names it expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    System,
    Patient,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Patient => "patient",
        }
    }
}

/// The output formats the spec names for NDJSON; Portico writes only that.
const FORMATS: [&str; 3] = ["application/fhir+ndjson", "application/ndjson", "ndjson"];

fn refuse(code: &'static str, message: impl Into<String>) -> CoreError {
    CoreError::invalid("export", code, message)
}

/// What the kick-off's parameters ask for: the types (those the scopes allow, every one of
/// them when `_type` is not given) and `_since`.
fn asked(
    level: Level,
    scopes: &SystemScopes,
    sees: Sees,
    pairs: &[(String, String)],
) -> CoreResult<(Vec<ResourceType>, Option<DateTime<Utc>>)> {
    let mut types: Option<Vec<ResourceType>> = None;
    let mut since = None;
    for (name, value) in pairs {
        match name.as_str() {
            "_outputFormat" => {
                if !FORMATS.contains(&value.as_str()) {
                    return Err(refuse(
                        "INVALID_VALUE",
                        "_outputFormat must be application/fhir+ndjson",
                    ));
                }
            }
            "_since" => {
                // A `+` sent unescaped arrives as a space.
                let at = DateTime::parse_from_rfc3339(&value.replace(' ', "+")).map_err(|_| {
                    refuse(
                        "INVALID_VALUE",
                        "_since must be an instant, e.g. 2026-01-01T00:00:00Z",
                    )
                })?;
                since = Some(at.with_timezone(&Utc));
            }
            "_type" => {
                let list = types.get_or_insert_with(Vec::new);
                for one in value.split(',').map(str::trim) {
                    let ty = ResourceType::parse(one).ok_or_else(|| {
                        let shown: String = one.chars().take(64).collect();
                        refuse(
                            "UNKNOWN_RESOURCE_TYPE",
                            format!("`{shown}` is not exported here"),
                        )
                    })?;
                    if !scopes.allows(ty) {
                        return Err(refuse(
                            "INSUFFICIENT_SCOPE",
                            format!("the service was not granted {}", ty.as_str()),
                        ));
                    }
                    if ty == ResourceType::Appointment && !sees.appointments {
                        return Err(refuse(
                            "FORBIDDEN",
                            "the practice's policies do not let a service see appointments",
                        ));
                    }
                    if !list.contains(&ty) {
                        list.push(ty);
                    }
                }
            }
            "_elements" | "_typeFilter" | "patient" | "includeAssociatedData" => {
                return Err(refuse(
                    "UNSUPPORTED_PARAMETER",
                    format!("{name} is not supported; export whole resources by _type"),
                ));
            }
            other => {
                let shown: String = other.chars().take(64).collect();
                return Err(refuse(
                    "UNKNOWN_PARAMETER",
                    format!("`{shown}` is not a parameter of $export"),
                ));
            }
        }
    }
    let types = types.unwrap_or_else(|| {
        ResourceType::ALL
            .into_iter()
            .filter(|t| scopes.allows(*t))
            .filter(|t| *t != ResourceType::Appointment || sees.appointments)
            .collect()
    });
    // At the Patient level, what is exported is about patients: all Portico serves is.
    let _ = level;
    if types == [ResourceType::Provenance] {
        return Err(refuse(
            "INVALID_VALUE",
            "Provenance is exported with the types it covers: add them to _type",
        ));
    }
    if types.is_empty() {
        return Err(refuse(
            "INSUFFICIENT_SCOPE",
            "the service was granted no type to export",
        ));
    }
    Ok((types, since))
}

/// A kick-off as a service sent it.
#[derive(Clone, Copy, Debug)]
pub struct Ask<'a> {
    /// The backend service.
    pub app: Uuid,
    pub scopes: &'a SystemScopes,
    /// What the practice's policies let it see (its `patients` policy was checked by the
    /// caller).
    pub sees: Sees,
    pub level: Level,
    /// The kick-off's query parameters.
    pub pairs: &'a [(String, String)],
    /// The kick-off URL, as the manifest repeats it.
    pub url: &'a str,
}

/// Starts an export (kick-off): checked, recorded, queued.
pub async fn kick_off(
    tx: &TenantTx,
    actor: &Actor,
    ask: Ask<'_>,
) -> CoreResult<bulk_export::Model> {
    let Ask {
        app,
        scopes,
        sees,
        level,
        pairs,
        url: request,
    } = ask;
    let (types, since) = asked(level, scopes, sees, pairs)?;
    let alive_since = Utc::now() - STALE;
    let busy = tx
        .find::<bulk_export::Entity>()
        .filter(bulk_export::Column::AppId.eq(app))
        .filter(
            sea_orm::Condition::any()
                .add(bulk_export::Column::Status.eq(status::QUEUED))
                .add(
                    sea_orm::Condition::all()
                        .add(bulk_export::Column::Status.eq(status::RUNNING))
                        .add(bulk_export::Column::HeartbeatAt.gt(alive_since)),
                ),
        )
        .count(tx.conn())
        .await?;
    if busy >= AT_ONCE {
        return Err(refuse(
            "TOO_MANY_EXPORTS",
            "an export of this service is still running; wait for it or cancel it",
        ));
    }
    let now = Utc::now();
    let export = bulk_export::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(Uuid::now_v7()),
        app_id: Set(app),
        level: Set(level.as_str().to_owned()),
        types: Set(types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(",")),
        since: Set(since),
        home_readings: Set(sees.home_readings),
        request: Set(request.chars().take(2000).collect()),
        status: Set(status::QUEUED.to_owned()),
        charts_done: Set(0),
        charts_total: Set(0),
        charts_withheld: Set(0),
        error: Set(None),
        created_at: Set(now),
        started_at: Set(None),
        completed_at: Set(None),
        heartbeat_at: Set(None),
        expires_at: Set(now + RUN_TTL),
    }
    .insert(tx.conn())
    .await?;
    let job = Job::ExportBulk {
        tenant_id: tx.tenant_id(),
        export_id: export.id,
    };
    outbox::job(tx, &format!("bulk-export:{}", export.id), &job).await?;
    audit::record(tx, actor, access("bulk_export.start", export.id)).await?;
    Ok(export)
}

fn access(action: &str, id: Uuid) -> Access<'_> {
    Access {
        action,
        resource_type: "BulkExport",
        resource_id: Some(id),
        patient_id: None,
    }
}

/// The export `id` of service `app` and its files; `NotFound` for another service's, a
/// cancelled one, or one past its time.
pub async fn status(
    tx: &TenantTx,
    app: Uuid,
    id: Uuid,
) -> CoreResult<(bulk_export::Model, Vec<bulk_export_file::Model>)> {
    let export = tx
        .find::<bulk_export::Entity>()
        .filter(bulk_export::Column::Id.eq(id))
        .filter(bulk_export::Column::AppId.eq(app))
        .filter(bulk_export::Column::Status.ne(status::CANCELLED))
        .filter(bulk_export::Column::ExpiresAt.gt(Utc::now()))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let files = tx
        .find::<bulk_export_file::Entity>()
        .filter(bulk_export_file::Column::ExportId.eq(id))
        .order_by_asc(bulk_export_file::Column::ResourceType)
        .order_by_asc(bulk_export_file::Column::Id)
        .all(tx.conn())
        .await?;
    Ok((export, files))
}

/// Cancels (or, once complete, deletes) export `id` of service `app`: the keys of its
/// files, for the caller to delete from the store once this commits (their rows stay for
/// the nightly purge, which deletes again what is left). A running export stops at its
/// next step and deletes what it wrote after this.
pub async fn cancel(tx: &TenantTx, actor: &Actor, app: Uuid, id: Uuid) -> CoreResult<Vec<String>> {
    // Only if not cancelled already: of a cancel and the run's end at once, both outcomes
    // leave the files listed here or deleted by the run.
    let cancelled = tx
        .update::<bulk_export::Entity>()
        .col_expr(bulk_export::Column::Status, Expr::value(status::CANCELLED))
        .filter(bulk_export::Column::Id.eq(id))
        .filter(bulk_export::Column::AppId.eq(app))
        .filter(bulk_export::Column::Status.ne(status::CANCELLED))
        .filter(bulk_export::Column::ExpiresAt.gt(Utc::now()))
        .exec(tx.conn())
        .await?;
    if cancelled.rows_affected != 1 {
        return Err(CoreError::NotFound);
    }
    let keys = tx
        .find::<bulk_export_file::Entity>()
        .filter(bulk_export_file::Column::ExportId.eq(id))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|f| f.object_key)
        .collect();
    audit::record(tx, actor, access("bulk_export.cancel", id)).await?;
    Ok(keys)
}

/// Whether a running export has gone silent: cut off, it will not finish.
pub fn interrupted(export: &bulk_export::Model, now: DateTime<Utc>) -> bool {
    export.status == status::RUNNING && export.heartbeat_at.is_none_or(|at| at < now - STALE)
}

/// File `file` of complete export `id` of service `app`, audited as downloaded.
pub async fn file(
    tx: &TenantTx,
    actor: &Actor,
    app: Uuid,
    id: Uuid,
    file: Uuid,
) -> CoreResult<bulk_export_file::Model> {
    let (export, files) = status(tx, app, id).await?;
    if export.status != status::COMPLETE {
        return Err(CoreError::NotFound);
    }
    let found = files
        .into_iter()
        .find(|f| f.id == file)
        .ok_or(CoreError::NotFound)?;
    audit::record(tx, actor, access("bulk_export.download", id)).await?;
    Ok(found)
}

/// Deletes the exports past their time (and cancelled ones): the keys of their files, for
/// the caller to delete from the store once this commits.
pub async fn purge_expired(tx: &TenantTx, now: DateTime<Utc>) -> CoreResult<Vec<String>> {
    let gone: Vec<Uuid> = tx
        .find::<bulk_export::Entity>()
        .filter(
            sea_orm::Condition::any()
                .add(bulk_export::Column::ExpiresAt.lt(now))
                .add(bulk_export::Column::Status.eq(status::CANCELLED))
                .add(
                    sea_orm::Condition::all()
                        .add(bulk_export::Column::Status.eq(status::RUNNING))
                        .add(bulk_export::Column::HeartbeatAt.lt(now - STALE)),
                ),
        )
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    if gone.is_empty() {
        return Ok(Vec::new());
    }
    let keys = tx
        .find::<bulk_export_file::Entity>()
        .filter(bulk_export_file::Column::ExportId.is_in(gone.clone()))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|f| f.object_key)
        .collect();
    tx.delete::<bulk_export::Entity>()
        .filter(bulk_export::Column::Id.is_in(gone))
        .exec(tx.conn())
        .await?;
    Ok(keys)
}

/// Marks a running export's progress (and that it is alive); false when it is no longer
/// running (cancelled).
async fn note_progress(tx: &TenantTx, id: Uuid, done: i32) -> CoreResult<bool> {
    let noted = tx
        .update::<bulk_export::Entity>()
        .col_expr(bulk_export::Column::ChartsDone, Expr::value(done))
        .col_expr(bulk_export::Column::HeartbeatAt, Expr::value(Utc::now()))
        .filter(bulk_export::Column::Id.eq(id))
        .filter(bulk_export::Column::Status.eq(status::RUNNING))
        .exec(tx.conn())
        .await?;
    Ok(noted.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEES: Sees = Sees {
        appointments: true,
        home_readings: true,
    };

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_running_export_whose_heartbeat_stopped_is_interrupted() {
        let now = Utc::now();
        let export = |status: &str, heartbeat: Option<DateTime<Utc>>| bulk_export::Model {
            tenant_id: Uuid::nil(),
            id: Uuid::nil(),
            app_id: Uuid::nil(),
            level: "system".into(),
            types: "Patient".into(),
            since: None,
            home_readings: true,
            request: String::new(),
            status: status.into(),
            charts_done: 0,
            charts_total: 0,
            charts_withheld: 0,
            error: None,
            created_at: now,
            started_at: Some(now),
            completed_at: None,
            heartbeat_at: heartbeat,
            expires_at: now,
        };
        assert!(!interrupted(&export(status::RUNNING, Some(now)), now));
        assert!(interrupted(
            &export(
                status::RUNNING,
                Some(now - STALE - chrono::Duration::seconds(1))
            ),
            now
        ));
        assert!(interrupted(&export(status::RUNNING, None), now));
        assert!(!interrupted(&export(status::COMPLETE, None), now));
        assert!(!interrupted(&export(status::QUEUED, None), now));
    }

    #[test]
    fn the_kick_off_asks_for_types_within_the_scopes() {
        let all = SystemScopes::parse("system/*.rs");
        let (types, since) = asked(Level::System, &all, SEES, &[]).unwrap();
        assert_eq!(types.len(), ResourceType::ALL.len());
        assert!(since.is_none());
        let (types, since) = asked(
            Level::Patient,
            &all,
            SEES,
            &pairs(&[
                ("_type", "Patient,Observation"),
                ("_since", "2026-01-01T00:00:00Z"),
                ("_outputFormat", "application/fhir+ndjson"),
            ]),
        )
        .unwrap();
        assert_eq!(types, [ResourceType::Patient, ResourceType::Observation]);
        assert!(since.is_some());
        let some = SystemScopes::parse("system/Patient.rs");
        let code = |p: &[(&str, &str)], s: &SystemScopes| match asked(
            Level::System,
            s,
            Sees {
                appointments: false,
                home_readings: true,
            },
            &pairs(p),
        ) {
            Err(CoreError::Invalid { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(code(&[("_type", "Condition")], &some), "INSUFFICIENT_SCOPE");
        assert_eq!(code(&[("_type", "Nope")], &all), "UNKNOWN_RESOURCE_TYPE");
        assert_eq!(code(&[("_since", "yesterday")], &all), "INVALID_VALUE");
        assert_eq!(code(&[("_outputFormat", "csv")], &all), "INVALID_VALUE");
        assert_eq!(code(&[("_typeFilter", "x")], &all), "UNSUPPORTED_PARAMETER");
        assert_eq!(code(&[("_bogus", "x")], &all), "UNKNOWN_PARAMETER");
        assert_eq!(code(&[("_type", "Appointment")], &all), "FORBIDDEN");
        assert_eq!(code(&[("_type", "Provenance")], &all), "INVALID_VALUE");
    }
}
