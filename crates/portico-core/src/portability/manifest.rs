//! The export folder: `manifest.json` (what the export is and a SHA-256 and row count per
//! file), and the NDJSON files it lists, written owner-only (they hold PHI and credentials).

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, BufWriter, Read, Write},
    path::{Component, Path, PathBuf},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::PortabilityError;

/// What `manifest.json` says it is.
pub const FORMAT: &str = "portico-practice-export";
/// Raised when the layout of the folder changes in a way an older restore cannot read.
pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.json";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub practice: Practice,
    pub exported_at: DateTime<Utc>,
    /// The newest migration applied to the database exported: a restore needs the same.
    pub schema_version: String,
    /// The release of Portico that wrote the export.
    pub portico_version: String,
    /// Every file of the export by its path in the folder (`tables/users.ndjson`).
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Practice {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Lines of an NDJSON file (one JSON value each); absent for an attachment's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    pub bytes: u64,
    /// Lowercase hex.
    pub sha256: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PortabilityError + '_ {
    move |source| PortabilityError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The export's folder while it is written: refuses a folder that has anything in it, makes
/// it (0700) when missing, and removes what it wrote unless [`Self::finish`] is reached.
pub struct OutputDir {
    root: PathBuf,
    /// Made by this export (removed whole on failure).
    created_root: bool,
    written: Vec<PathBuf>,
    finished: bool,
}

impl OutputDir {
    /// Refuses a folder that exists and is not empty (nothing is made yet).
    pub fn check(root: &Path) -> Result<(), PortabilityError> {
        match std::fs::read_dir(root) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(PortabilityError::OutputNotEmpty(root.to_owned()));
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(root)(e)),
        }
    }

    pub fn create(root: &Path) -> Result<Self, PortabilityError> {
        Self::check(root)?;
        let created_root = !root.exists();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(root).map_err(io(root))?;
        // An empty folder that was already there is narrowed to its owner too.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))
                .map_err(io(root))?;
        }
        Ok(Self {
            root: root.to_owned(),
            created_root,
            written: Vec::new(),
            finished: false,
        })
    }

    /// A new file at `relative` (`tables/users.ndjson`), mode 0600, its folder made 0700.
    pub fn file(&mut self, relative: &str) -> Result<NdjsonFile, PortabilityError> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent()
            && !parent.exists()
        {
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(parent).map_err(io(parent))?;
            self.written.push(parent.to_owned());
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(io(&path))?;
        self.written.push(path.clone());
        Ok(NdjsonFile {
            relative: relative.to_owned(),
            path,
            out: BufWriter::new(file),
            hash: Sha256::new(),
            rows: 0,
            bytes: 0,
        })
    }

    /// A file of raw bytes (an attachment) at `relative`; its manifest entry.
    pub fn blob(&mut self, relative: &str, bytes: &[u8]) -> Result<FileEntry, PortabilityError> {
        let mut file = self.file(relative)?;
        file.out.write_all(bytes).map_err(io(&file.path))?;
        file.hash.update(bytes);
        file.bytes = bytes.len() as u64;
        let (_, mut entry) = file.close()?;
        entry.rows = None;
        Ok(entry)
    }

    /// Writes the manifest last: a folder without one is an export that did not finish.
    pub fn finish(mut self, manifest: &Manifest) -> Result<(), PortabilityError> {
        let mut file = self.file(MANIFEST)?;
        let text = serde_json::to_vec_pretty(manifest).map_err(|e| PortabilityError::Io {
            path: file.path.clone(),
            source: e.into(),
        })?;
        file.out.write_all(&text).map_err(io(&file.path))?;
        file.out.write_all(b"\n").map_err(io(&file.path))?;
        let path = file.path.clone();
        file.out
            .into_inner()
            .map_err(|e| PortabilityError::Io {
                path: path.clone(),
                source: e.into_error(),
            })?
            .sync_all()
            .map_err(io(&path))?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if self.created_root {
            let _ = std::fs::remove_dir_all(&self.root);
            return;
        }
        for path in self.written.iter().rev() {
            if path.is_dir() {
                let _ = std::fs::remove_dir(path);
            } else {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// One NDJSON file being written: counts its lines and hashes its bytes as they go.
pub struct NdjsonFile {
    relative: String,
    path: PathBuf,
    out: BufWriter<std::fs::File>,
    hash: Sha256,
    rows: u64,
    bytes: u64,
}

impl NdjsonFile {
    pub fn write(&mut self, value: &serde_json::Value) -> Result<(), PortabilityError> {
        let mut line = serde_json::to_vec(value).map_err(|e| PortabilityError::Io {
            path: self.path.clone(),
            source: e.into(),
        })?;
        line.push(b'\n');
        self.out.write_all(&line).map_err(io(&self.path))?;
        self.hash.update(&line);
        self.rows += 1;
        self.bytes += line.len() as u64;
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes the file to disk; its path in the folder and its manifest entry.
    pub fn close(self) -> Result<(String, FileEntry), PortabilityError> {
        let path = self.path;
        let file = self.out.into_inner().map_err(|e| PortabilityError::Io {
            path: path.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io(&path))?;
        Ok((
            self.relative,
            FileEntry {
                rows: Some(self.rows),
                bytes: self.bytes,
                sha256: hex::encode(self.hash.finalize()),
            },
        ))
    }
}

/// Reads `manifest.json` of the export in `root` and checks that it is one this release can
/// read.
pub fn read(root: &Path) -> Result<Manifest, PortabilityError> {
    let path = root.join(MANIFEST);
    let not_export = |reason: String| PortabilityError::NotAnExport {
        path: root.to_owned(),
        reason,
    };
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(not_export(format!("{MANIFEST} is missing")));
        }
        Err(e) => return Err(io(&path)(e)),
    };
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| not_export(format!("{MANIFEST} does not parse: {e}")))?;
    if manifest.format != FORMAT {
        return Err(not_export(format!("{MANIFEST} is not a {FORMAT}")));
    }
    if manifest.format_version != FORMAT_VERSION {
        return Err(not_export(format!(
            "format version {} (this release reads {FORMAT_VERSION})",
            manifest.format_version
        )));
    }
    for name in manifest.files.keys() {
        if !is_plain_relative(name) {
            return Err(not_export(format!("{MANIFEST} names the file '{name}'")));
        }
    }
    Ok(manifest)
}

/// `tables/users.ndjson`, never `../x` or `/etc/x`.
fn is_plain_relative(name: &str) -> bool {
    let path = Path::new(name);
    !name.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Checks every file the manifest lists against its checksum and row count.
pub fn verify(root: &Path, manifest: &Manifest) -> Result<(), PortabilityError> {
    for (name, entry) in &manifest.files {
        let path = root.join(name);
        let file = std::fs::File::open(&path).map_err(io(&path))?;
        let mut reader = BufReader::new(file);
        let mut hash = Sha256::new();
        let mut lines = 0u64;
        let mut bytes = 0u64;
        let mut buffer = [0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buffer).map_err(io(&path))?;
            if n == 0 {
                break;
            }
            hash.update(&buffer[..n]);
            bytes += n as u64;
            lines += buffer[..n].iter().filter(|b| **b == b'\n').count() as u64;
        }
        if bytes != entry.bytes || hex::encode(hash.finalize()) != entry.sha256 {
            return Err(PortabilityError::Checksum(path));
        }
        if let Some(rows) = entry.rows
            && lines != rows
        {
            return Err(PortabilityError::RowCount {
                path,
                found: lines,
                expected: rows,
            });
        }
    }
    Ok(())
}

/// The lines of an NDJSON file of the export, one at a time, numbered from 1.
pub fn lines(
    path: &Path,
) -> Result<impl Iterator<Item = Result<(u64, String), PortabilityError>> + '_, PortabilityError> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    Ok(BufReader::new(file)
        .lines()
        .enumerate()
        .map(move |(i, line)| line.map(|l| (i as u64 + 1, l)).map_err(io(path))))
}
