//! The archive: catalog history that outlives msdb.
//!
//! Every collected catalog row is stored once by its natural key (see
//! [`keys`]); rows msdb later purges stay. The archive hands back the same
//! `chainwatch.snapshot.v1` shape every other source yields, so everything
//! downstream (estate, analysis) is the same code. The store sits behind
//! [`ArchiveStore`] so that a shared server database can be added beside the
//! embedded SQLite file.

pub mod keys;
pub mod refresh;
#[doc(hidden)]
pub mod schema;
mod sqlite;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::snapshot::Snapshot;

pub use sqlite::SqliteArchive;

/// What one import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub instances: usize,
    /// Rows the archive did not hold before.
    pub new_rows: u64,
    /// Rows read from the snapshot (new, changed or already stored).
    pub rows_read: u64,
    /// Tables left as they were because the archive holds a newer collection of them.
    pub older_tables: usize,
}

/// One instance as the archive knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSummary {
    pub name: String,
    /// The newest collection stored (UTC milliseconds).
    pub collected_at_ms: Option<i64>,
    /// The highest `msdb.dbo.backupset.backup_set_id` stored: a refresh reads past it.
    pub max_backup_set_id: Option<i64>,
    pub backup_sets: u64,
    /// When its whole history was last read (UTC milliseconds), if ever.
    pub full_read_at_ms: Option<i64>,
}

/// A place catalog history is kept. Callers hold a `Box<dyn ArchiveStore>`
/// from [`open_store`] / [`create_store`], so another kind of store (a
/// shared server database) only adds an implementation and a case there.
pub trait ArchiveStore {
    /// Where it is, for messages.
    fn location(&self) -> String;
    /// The schema version the store is at.
    fn schema_version(&self) -> Result<i64, ArchiveError>;
    /// The store's own consistency check ("ok" when sound).
    fn integrity_check(&self) -> Result<Vec<String>, ArchiveError>;
    /// Only the instances named (any case), as [`ArchiveStore::export`] gives them.
    fn export_only(&self, names: Option<&[String]>) -> Result<Snapshot, ArchiveError>;
    /// How many history rows (tables msdb purges) it holds per instance
    /// (lowercased name).
    fn history_rows(&self) -> Result<std::collections::BTreeMap<String, u64>, ArchiveError>;
    /// Merges a snapshot in, all or nothing.
    fn import(&mut self, snapshot: &Snapshot) -> Result<ImportStats, ArchiveError>;
    /// Everything stored, as one snapshot (history tables whole, state tables
    /// as of their latest collection).
    fn export(&self) -> Result<Snapshot, ArchiveError>;
    /// The stored instances, with where a refresh would read on from.
    fn instances(&self) -> Result<Vec<InstanceSummary>, ArchiveError>;
    /// Records that the whole history of these instances was read at `at`.
    fn mark_full_read(&mut self, names: &[String], at: DateTime<Utc>) -> Result<(), ArchiveError>;
}

/// Opens the archive at `path`, which must exist.
pub fn open_store(path: &Path) -> Result<Box<dyn ArchiveStore>, ArchiveError> {
    Ok(Box::new(SqliteArchive::open(path)?))
}

/// Opens the archive at `path`, creating it (and its folder) when there is none.
pub fn create_store(path: &Path) -> Result<Box<dyn ArchiveStore>, ArchiveError> {
    Ok(Box::new(SqliteArchive::create_or_open(path)?))
}

/// Why the archive could not be used. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("no archive at {0} (create it with `chainwatch archive import SNAPSHOT`)")]
    Missing(PathBuf),
    #[error("{path} is not a chainwatch archive: {why}")]
    Foreign { path: PathBuf, why: String },
    #[error("{path} is damaged ({detail}); restore it from a copy or export what is readable")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{path} has archive schema version {found}, newer than this chainwatch reads ({supported}): upgrade chainwatch"
    )]
    Newer {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{path}: upgrading the archive schema to version {version} failed ({source}); the step was rolled back and the file is left at version {}", version - 1)]
    Migration {
        path: PathBuf,
        version: i64,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: the disk is full (or the archive's size limit was reached): this import was rolled back and the archive is as it was before it")]
    Full { path: PathBuf },
    #[error("{path}: the archive is locked by another writer (tried for {seconds} s)")]
    Busy { path: PathBuf, seconds: u64 },
    #[error("{path}: stored row {table} {key} is not a row object: {message}")]
    Row {
        path: PathBuf,
        table: String,
        key: String,
        message: String,
    },
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The snapshot given to import is unusable (nothing was stored).
    #[error("{0}")]
    Snapshot(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The default archive of an estate: `<data dir>/archive/<estate>.sqlite`.
/// The estate is named after its config file (`config.toml` → `config`), or
/// `default` without one.
pub fn default_path(config: Option<&Path>) -> Option<PathBuf> {
    let estate = config
        .and_then(|c| c.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_string());
    Some(
        crate::config::dirs::data_dir()?
            .join("archive")
            .join(format!("{estate}.sqlite")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_per_estate() {
        let a = default_path(Some(Path::new("/etc/cw/prod.toml")));
        let b = default_path(None);
        if let (Some(a), Some(b)) = (a, b) {
            assert!(a.ends_with("archive/prod.sqlite"), "{}", a.display());
            assert!(b.ends_with("archive/default.sqlite"), "{}", b.display());
        }
    }
}
