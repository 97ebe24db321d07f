//! Moving a practice between deployments, for portability or off-boarding.
//!
//! [`export`] writes a practice's whole data set into a folder, read in one snapshot of its
//! tenant transaction (so row-level security applies): every row of every table that holds
//! its data (`tables/<table>.ndjson`, what a restore loads), the bytes of its message
//! attachments (`attachments/<id>`), every chart as FHIR R4 NDJSON per resource type
//! (`fhir/`), its audit log in chain order (`audit.ndjson`), and `manifest.json` with a
//! SHA-256 and size (and row count) per file. [`open`] checks an export and
//! [`import`] restores it into a deployment that has neither the practice's slug nor its id,
//! in one transaction (a failed restore leaves nothing), then checks its audit chain.
//!
//! Sealed secrets (EHR keys and tokens) travel as stored: they open only where
//! `PORTICO_SECRETS_KEY` is the same.

mod attachments;
pub mod catalog;
mod fhir;
pub mod manifest;
mod tables;

use std::path::{Path, PathBuf};

use chrono::Utc;

use self::{
    catalog::{Catalog, TENANTS},
    manifest::{FORMAT, FORMAT_VERSION, Manifest, OutputDir, Practice},
};
use crate::{
    CoreError, Db, TenantId, TenantScope, TenantTx,
    audit::{self, Access as AuditAccess, Actor},
    ports::AttachmentStore,
    tenancy::Access,
    tenants,
};

/// Why an export or a restore was refused or failed; each says what it names in one line.
#[derive(Debug, thiserror::Error)]
pub enum PortabilityError {
    #[error("no practice has the slug '{0}'")]
    UnknownPractice(String),
    #[error("'{0}' is the operators' tenant, not a practice")]
    NotAPractice(String),
    #[error("{} is not empty: export into a new or empty folder", .0.display())]
    OutputNotEmpty(PathBuf),
    #[error("{}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a Portico practice export: {reason}", .path.display())]
    NotAnExport { path: PathBuf, reason: String },
    #[error("{}: its checksum does not match the manifest (the file was changed after the export)", .0.display())]
    Checksum(PathBuf),
    #[error("{}: {found} rows, the manifest says {expected}", .path.display())]
    RowCount {
        path: PathBuf,
        found: u64,
        expected: u64,
    },
    #[error(
        "the export is at schema version {export}, this portico at {binary}: restore it with the release that made it (then upgrade)"
    )]
    SchemaVersion { export: String, binary: String },
    #[error("the export does not fit this schema: {0}")]
    SchemaMismatch(String),
    #[error("a practice with the slug '{0}' already exists here")]
    SlugTaken(String),
    #[error("a practice with the id {0} already exists here")]
    IdTaken(uuid::Uuid),
    #[error("{file} line {line}: {reason}")]
    BadRow {
        file: String,
        line: u64,
        reason: String,
    },
    #[error("cannot restore table {table}")]
    Load {
        table: String,
        #[source]
        source: sea_orm::DbErr,
    },
    #[error("cannot read {table}.{column}")]
    Read {
        table: String,
        column: String,
        #[source]
        source: sea_orm::DbErr,
    },
    #[error("{table}.{column}: {reason}")]
    Value {
        table: String,
        column: String,
        reason: String,
    },
    #[error("{table}.{column}: its type '{declared}' cannot be exported")]
    UnsupportedColumn {
        table: String,
        column: String,
        declared: String,
    },
    #[error("tables {0} refer to each other in a cycle: there is no order to restore them in")]
    Cycle(String),
    #[error("attachment {id}: {reason}")]
    Attachment { id: uuid::Uuid, reason: String },
    #[error("the restored audit chain is broken at event {0}: nothing was restored")]
    BrokenChain(i64),
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// What an export wrote: rows per table, resources per FHIR type, attachments, audit events.
#[derive(Clone, Debug)]
pub struct ExportReport {
    pub practice: Practice,
    pub tables: Vec<(String, u64)>,
    pub fhir: Vec<(String, u64)>,
    pub attachments: u64,
    pub audit_events: u64,
}

/// What a restore loaded: rows per table in the order loaded, attachments put in the store,
/// and the audit chain's length.
#[derive(Clone, Debug)]
pub struct ImportReport {
    pub practice: Practice,
    pub tables: Vec<(String, u64)>,
    pub attachments: u64,
    pub audit_events: u64,
}

fn table_file(table: &str) -> String {
    format!("tables/{table}.ndjson")
}

const AUDIT_FILE: &str = "audit.ndjson";
const AUDIT_TABLE: &str = "audit_events";

/// Exports the practice `slug` into `dir` (missing or empty). `schema_version` is the
/// newest migration applied to the database (the caller checked none is pending).
#[tracing::instrument(skip_all, err(level = "warn"), fields(tenant_id))]
pub async fn export(
    db: &Db,
    store: &dyn AttachmentStore,
    slug: &str,
    dir: &Path,
    schema_version: &str,
) -> Result<ExportReport, PortabilityError> {
    OutputDir::check(dir)?;
    let tenant = tenants::find_by_slug(db, slug)
        .await?
        .ok_or_else(|| PortabilityError::UnknownPractice(slug.to_owned()))?;
    if tenant.is_platform() {
        return Err(PortabilityError::NotAPractice(slug.to_owned()));
    }
    tracing::Span::current().record("tenant_id", tracing::field::display(tenant.id()));
    // Events still waiting for their place in the chain get it now, so the audit log
    // exported is complete up to this moment.
    audit::seal_tenant(db, tenant.id()).await?;
    let practice = Practice {
        id: tenant.tenant.id,
        slug: tenant.tenant.slug.clone(),
        name: tenant.tenant.name.clone(),
    };
    let mut out = OutputDir::create(dir)?;
    let tx = TenantTx::begin_snapshot(db, &tenant.scope()).await?;
    let written = write_all(&tx, store, &mut out, practice.clone()).await;
    let (files, report) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = tx.rollback().await;
            return Err(e);
        }
    };
    // Its audit events are written as it ends; what was read is used only if they were.
    tx.commit().await?;
    out.finish(&Manifest {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        practice,
        exported_at: Utc::now(),
        schema_version: schema_version.to_owned(),
        portico_version: env!("CARGO_PKG_VERSION").to_owned(),
        files,
    })?;
    Ok(report)
}

type Files = std::collections::BTreeMap<String, manifest::FileEntry>;

async fn write_all(
    tx: &TenantTx,
    store: &dyn AttachmentStore,
    out: &mut OutputDir,
    practice: Practice,
) -> Result<(Files, ExportReport), PortabilityError> {
    let catalog = Catalog::read(tx.conn()).await?;
    let mut files = Files::new();
    let mut report = ExportReport {
        practice,
        tables: Vec::with_capacity(catalog.tables.len()),
        fhir: Vec::new(),
        attachments: 0,
        audit_events: 0,
    };
    for table in &catalog.tables {
        let mut file = out.file(&table_file(&table.name))?;
        let (order, unique) = table.order();
        tables::dump(tx, table, &order, unique, &mut file).await?;
        let (name, entry) = file.close()?;
        report
            .tables
            .push((table.name.clone(), entry.rows.unwrap_or_default()));
        files.insert(name, entry);
    }
    // The audit log again, in chain order with its hash fields, to be read and checked on
    // its own.
    let audit_table = catalog
        .get(AUDIT_TABLE)
        .ok_or_else(|| PortabilityError::SchemaMismatch(format!("no table {AUDIT_TABLE}")))?;
    let mut file = out.file(AUDIT_FILE)?;
    tables::dump(tx, audit_table, &["seq"], true, &mut file).await?;
    let (name, entry) = file.close()?;
    report.audit_events = entry.rows.unwrap_or_default();
    files.insert(name, entry);
    for (name, entry) in attachments::export(tx, store, out).await? {
        report.attachments += 1;
        files.insert(name, entry);
    }
    for (name, entry) in fhir::export(tx, out).await? {
        let kind = name
            .trim_start_matches("fhir/")
            .trim_end_matches(".ndjson")
            .to_owned();
        report.fhir.push((kind, entry.rows.unwrap_or_default()));
        files.insert(name, entry);
    }
    audit::record(
        tx,
        &Actor::system(),
        AuditAccess {
            action: "practice.export",
            resource_type: "Tenant",
            resource_id: Some(tx.tenant_id().as_uuid()),
            patient_id: None,
        },
    )
    .await?;
    Ok((files, report))
}

/// An export whose manifest and files were checked.
#[derive(Clone, Debug)]
pub struct CheckedExport {
    dir: PathBuf,
    manifest: Manifest,
}

impl CheckedExport {
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

/// Reads the export in `dir` and checks it before anything touches a database: its
/// manifest, that it was made at `schema_version` (this release's newest migration), and
/// every file against its checksum and row count.
pub fn open(dir: &Path, schema_version: &str) -> Result<CheckedExport, PortabilityError> {
    let manifest = manifest::read(dir)?;
    if manifest.schema_version != schema_version {
        return Err(PortabilityError::SchemaVersion {
            export: manifest.schema_version,
            binary: schema_version.to_owned(),
        });
    }
    manifest::verify(dir, &manifest)?;
    if manifest
        .files
        .get(&table_file(TENANTS))
        .and_then(|f| f.rows)
        != Some(1)
    {
        return Err(PortabilityError::NotAnExport {
            path: dir.to_owned(),
            reason: format!("{} must hold the practice's one row", table_file(TENANTS)),
        });
    }
    Ok(CheckedExport {
        dir: dir.to_owned(),
        manifest,
    })
}

/// Restores a checked export into this deployment, which must have neither the practice's
/// slug nor its id: every table in foreign-key order in one transaction, the attachments'
/// bytes put in `store`, then the audit chain verified before it commits. A restore that
/// fails leaves no row, and deletes the bytes it put.
#[tracing::instrument(skip_all, err(level = "warn"), fields(tenant_id = %export.manifest.practice.id))]
pub async fn import(
    db: &Db,
    store: &dyn AttachmentStore,
    export: &CheckedExport,
) -> Result<ImportReport, PortabilityError> {
    let practice = &export.manifest.practice;
    let id = TenantId::from_uuid(practice.id);
    if tenants::find_by_slug(db, &practice.slug).await?.is_some() {
        return Err(PortabilityError::SlugTaken(practice.slug.clone()));
    }
    if tenants::find_by_id(db, id).await?.is_some() {
        return Err(PortabilityError::IdTaken(practice.id));
    }
    let tx = TenantTx::begin(db, &TenantScope::new(id), Access::Write).await?;
    let mut put = Vec::new();
    let loaded = match load_all(&tx, store, export, &mut put).await {
        Ok(report) => tx.commit().await.map(|()| report).map_err(Into::into),
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    };
    if loaded.is_err() {
        for key in put {
            let _ = store.delete(&key).await;
        }
    }
    loaded
}

async fn load_all(
    tx: &TenantTx,
    store: &dyn AttachmentStore,
    export: &CheckedExport,
    put: &mut Vec<String>,
) -> Result<ImportReport, PortabilityError> {
    let files = &export.manifest.files;
    let catalog = Catalog::read(tx.conn()).await?;
    for table in &catalog.tables {
        if !files.contains_key(&table_file(&table.name)) {
            return Err(PortabilityError::SchemaMismatch(format!(
                "{} is missing",
                table_file(&table.name)
            )));
        }
    }
    for name in files.keys() {
        if let Some(table) = name
            .strip_prefix("tables/")
            .and_then(|n| n.strip_suffix(".ndjson"))
            && catalog.get(table).is_none()
        {
            return Err(PortabilityError::SchemaMismatch(format!(
                "this deployment has no table {table}"
            )));
        }
    }
    let mut report = ImportReport {
        practice: export.manifest.practice.clone(),
        tables: Vec::with_capacity(catalog.tables.len()),
        attachments: 0,
        audit_events: 0,
    };
    for table in &catalog.tables {
        let relative = table_file(&table.name);
        let rows = tables::load(tx, table, &export.dir.join(&relative), &relative).await?;
        report.tables.push((table.name.clone(), rows));
    }
    report.attachments = attachments::import(tx, store, &export.dir, files, put).await?;
    let chain = audit::verify_chain(tx).await?;
    if let Some(seq) = chain.first_broken_seq {
        return Err(PortabilityError::BrokenChain(seq));
    }
    report.audit_events = chain.events;
    Ok(report)
}
