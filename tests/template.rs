//! The migrated template every test database is copied from: the migrations run once per
//! migration set, not once per test. On PostgreSQL a template database
//! (`CREATE DATABASE ... TEMPLATE`); on SQLite a migrated file, copied.
//!
//! A template is named by a hash of the migrations' sources, so a changed migration makes a
//! new one and an unchanged set is reused by later runs. Templates nobody used for a day are
//! dropped, so those of old migration sets do not pile up.

use std::{
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, Statement};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// A template unused for this long belongs to a migration set no run uses any more.
const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The advisory-lock key test processes take, in the admin database, while they build or
/// drop templates ("porttmpl" in ASCII).
const TEMPLATE_LOCK: i64 = 0x706f_7274_746d_706c;

/// Names a template after the migrations: their names, and the sources and lock file they
/// are built from when the checkout is at hand.
fn migrations_key() -> String {
    use portico_migrations::MigratorTrait as _;
    let mut hash = Sha256::new();
    for migration in portico_migrations::Migrator::migrations() {
        hash.update(migration.name().as_bytes());
        hash.update([0]);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![root.join("Cargo.lock"), root.join("migrations/Cargo.toml")];
    files.extend(files_under(&root.join("migrations/src")));
    files.sort();
    for file in files {
        if let Ok(bytes) = std::fs::read(&file) {
            // Relative, so that checkouts in other folders share a template.
            let name = file.strip_prefix(&root).unwrap_or(&file);
            hash.update(name.to_string_lossy().as_bytes());
            hash.update(&bytes);
        }
    }
    let digest = hash.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .flat_map(|e| {
            let path = e.path();
            if path.is_dir() {
                files_under(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// Runs every migration on `url`, as the server does on start.
async fn migrate(url: &str) {
    let mut config = portico_server::Config::default();
    config.database.database_url = SecretString::from(url.to_owned());
    portico_server::boot::migrate(&config)
        .await
        .expect("the migrations run on the template");
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The migrated SQLite file to copy, in the temp folder, shared by every test process on
/// this machine. Built
/// in a folder of its own and renamed into place, so processes that start together each
/// see either no template or a whole one.
pub(crate) async fn sqlite() -> PathBuf {
    let runtime_root = std::env::temp_dir();
    let runtime_root = runtime_root.as_path();
    let key = migrations_key();
    let dir = runtime_root.join(format!("portico-template-{key}"));
    let file = dir.join("portico.db");
    if !file.exists() {
        let building = runtime_root.join(format!(
            "portico-template-{key}.{}.building",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&building).unwrap();
        let url = format!("sqlite://{}", building.join("portico.db").display());
        migrate(&url).await;
        let _ = std::fs::remove_file(building.join("portico.db.migrate-lock"));
        if std::fs::rename(&building, &dir).is_err() {
            // Another process put its template in place first; it is the same.
            let _ = std::fs::remove_dir_all(&building);
        }
    }
    touch(&file);
    prune_sqlite(runtime_root, &dir);
    file
}

/// Marks a template as in use now (its modification time).
fn touch(file: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(file) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// Removes the SQLite templates (and half-built ones) nobody used for [`STALE_AFTER`].
fn prune_sqlite(runtime_root: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(runtime_root) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let is_template = entry
            .file_name()
            .to_string_lossy()
            .starts_with("portico-template-");
        if !is_template || path == keep {
            continue;
        }
        let used = std::fs::metadata(path.join("portico.db"))
            .or_else(|_| entry.metadata())
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok());
        if used.is_some_and(|age| age > STALE_AFTER) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Copies the SQLite template (and its write-ahead log, if one was left) to `to`.
pub(crate) fn copy_sqlite(template: &Path, to: &Path) {
    std::fs::copy(template, to).unwrap();
    let mut wal = template.as_os_str().to_owned();
    wal.push("-wal");
    if Path::new(&wal).exists() {
        let mut target = to.as_os_str().to_owned();
        target.push("-wal");
        std::fs::copy(&wal, &target).unwrap();
    }
}

/// The name of the migrated template database on the PostgreSQL of `admin_url`, making it
/// if this migration set has none yet. Test processes that start together take turns
/// through an advisory lock; the one that comes first builds it, the others find it.
pub(crate) async fn postgres(admin_url: &str) -> String {
    let name = format!("portico_tpl_{}", migrations_key());
    let mut opts = ConnectOptions::new(admin_url.to_owned());
    // One connection, so the session lock is taken and released on the same one.
    opts.max_connections(1).sqlx_logging(false);
    let admin = sea_orm::Database::connect(opts).await.unwrap();
    admin
        .execute_unprepared(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .await
        .unwrap();
    if !database_exists(&admin, &name).await {
        // Built under another name and renamed when whole: a run killed half-way leaves
        // nothing a later run would take for a template.
        let building = format!("{name}_building");
        // One statement a call: PostgreSQL runs several sent at once in one transaction,
        // where `CREATE DATABASE` and `DROP DATABASE` are refused.
        for sql in [
            format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
            format!("CREATE DATABASE {building}"),
        ] {
            admin.execute_unprepared(&sql).await.unwrap();
        }
        let mut owner = url::Url::parse(admin_url).unwrap();
        owner.set_path(&building);
        migrate(owner.as_str()).await;
        // No connection to a template is allowed: `CREATE DATABASE ... TEMPLATE` refuses
        // to copy one somebody is connected to.
        for sql in [
            format!("ALTER DATABASE {building} RENAME TO {name}"),
            format!("ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"),
        ] {
            admin.execute_unprepared(&sql).await.unwrap();
        }
    }
    admin
        .execute_unprepared(&format!(
            "COMMENT ON DATABASE {name} IS 'Portico test template, last used {}'",
            now_secs()
        ))
        .await
        .unwrap();
    prune_postgres(&admin, &name).await;
    admin
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .await
        .unwrap();
    admin.close().await.unwrap();
    name
}

async fn database_exists(admin: &DatabaseConnection, name: &str) -> bool {
    let found = admin
        .query_one_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT 1 AS found FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .unwrap();
    found.is_some()
}

/// Drops the templates of other migration sets nobody used for [`STALE_AFTER`] (read from
/// the comment each use writes). A run uses a template only after writing that comment
/// under the same lock, so none of these is in use.
async fn prune_postgres(admin: &DatabaseConnection, keep: &str) {
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            format!(
                "SELECT datname::text, COALESCE(shobj_description(oid, 'pg_database'), '') \
                 FROM pg_database WHERE datname LIKE 'portico\\_tpl\\_%' AND datname <> '{keep}'"
            ),
        ))
        .await
        .unwrap();
    let now = now_secs();
    for row in rows {
        let name: String = row.try_get_by_index(0).unwrap();
        let comment: String = row.try_get_by_index(1).unwrap();
        let used = comment
            .rsplit(' ')
            .next()
            .and_then(|secs| secs.parse::<u64>().ok());
        if used.is_some_and(|at| now.saturating_sub(at) < STALE_AFTER.as_secs()) {
            continue;
        }
        let unmarked = admin
            .execute_unprepared(&format!("ALTER DATABASE {name} WITH IS_TEMPLATE false"))
            .await;
        if unmarked.is_ok() {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await;
        }
    }
}
