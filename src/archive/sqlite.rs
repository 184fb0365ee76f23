//! The archive in one SQLite file (WAL mode: readers never wait for the
//! writer, and a writer killed mid-import leaves the last commit intact).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};

use super::keys::{self, Kind};
use super::schema::{current_version, APPLICATION_ID, MIGRATIONS};
use super::{ArchiveError, ArchiveStore, ImportStats, InstanceSummary};
use crate::model::catalog;
use crate::model::{ServerInfo, Table, Tables};
use crate::snapshot::{Snapshot, SnapshotInstance, FORMAT};

/// How long a writer waits for another writer before giving up.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// An archive file, open.
pub struct SqliteArchive {
    path: PathBuf,
    conn: Connection,
}

impl std::fmt::Debug for SqliteArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteArchive")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteArchive {
    /// Opens an archive, creating the file (and its folder) when there is none.
    pub fn create_or_open(path: &Path) -> Result<SqliteArchive, ArchiveError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| ArchiveError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        Self::open_with(path, true)
    }

    /// Opens an archive that must already exist.
    pub fn open(path: &Path) -> Result<SqliteArchive, ArchiveError> {
        if !path.exists() {
            return Err(ArchiveError::Missing(path.to_path_buf()));
        }
        Self::open_with(path, false)
    }

    fn open_with(path: &Path, create: bool) -> Result<SqliteArchive, ArchiveError> {
        refuse_non_sqlite(path)?;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let err = |e| map_err(path, e);
        let conn = Connection::open_with_flags(path, flags).map_err(err)?;
        conn.busy_timeout(BUSY_WAIT).map_err(err)?;
        let mut archive = SqliteArchive {
            path: path.to_path_buf(),
            conn,
        };
        archive.check_identity()?;
        let conn = &archive.conn;
        // WAL: one writer and any number of readers at once. FULL: a commit
        // is on disk before the import reports it.
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(err)?;
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        archive.migrate()?;
        Ok(archive)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> ArchiveError {
        map_err(&self.path, e)
    }

    /// Refuses another program's database before anything is written to it.
    fn check_identity(&mut self) -> Result<(), ArchiveError> {
        // One read transaction: a writer creating the file at the same time
        // is seen before or after its first migration, never half-way.
        let conn = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let objects: i64 = conn
            .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        drop(conn);
        if app == APPLICATION_ID {
            if version > current_version() {
                return Err(ArchiveError::Newer {
                    path: self.path.clone(),
                    found: version,
                    supported: current_version(),
                });
            }
            return Ok(());
        }
        if app == 0 && version == 0 && objects == 0 {
            return Ok(()); // a new, empty file: migrate() makes it an archive
        }
        Err(ArchiveError::Foreign {
            path: self.path.clone(),
            why: if app == 0 {
                format!(
                    "an SQLite database of another program ({objects} objects, no chainwatch mark)"
                )
            } else {
                format!("an SQLite database of another program (application_id {app:#x})")
            },
        })
    }

    /// Brings the schema to the current version, one step per transaction.
    fn migrate(&mut self) -> Result<(), ArchiveError> {
        let path = self.path.clone();
        let err = |e| map_err(&path, e);
        // Up to date (the usual case): no write lock, so a reader opening
        // the file never waits for a writer.
        if self.schema_version()? == current_version() {
            return Ok(());
        }
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(err)?;
            let version: i64 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(err)?;
            if version == 0 {
                // Still empty now that this writer holds the lock? (Another
                // program may have written to the new file meanwhile.)
                let objects: i64 = tx
                    .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| r.get(0))
                    .map_err(err)?;
                if objects > 0 {
                    return Err(ArchiveError::Foreign {
                        path,
                        why: format!("an SQLite database of another program ({objects} objects, no chainwatch mark)"),
                    });
                }
            }
            let Some(step) = usize::try_from(version)
                .ok()
                .and_then(|v| MIGRATIONS.get(v))
            else {
                return tx.commit().map_err(err);
            };
            tx.execute_batch(step)
                .map_err(|source| match map_err(&path, source) {
                    ArchiveError::Sqlite { path, source } => ArchiveError::Migration {
                        path,
                        version: version + 1,
                        source,
                    },
                    other => other,
                })?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(err)?;
            tx.pragma_update(None, "user_version", version + 1)
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
    }

    /// Caps the file at `pages` pages (tests use it to fill the "disk").
    #[doc(hidden)]
    pub fn set_page_limit(&self, pages: u64) -> Result<(), ArchiveError> {
        self.conn
            .pragma_update(
                None,
                "max_page_count",
                i64::try_from(pages).unwrap_or(i64::MAX),
            )
            .map_err(|e| self.err(e))
    }
}

/// An existing file that does not start with SQLite's header is refused by
/// name before SQLite opens it (SQLite would only say "not a database").
fn refuse_non_sqlite(path: &Path) -> Result<(), ArchiveError> {
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(ArchiveError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut head = Vec::with_capacity(16);
    (&mut file)
        .take(16)
        .read_to_end(&mut head)
        .map_err(|source| ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if head.is_empty() || head == MAGIC {
        return Ok(());
    }
    Err(ArchiveError::Foreign {
        path: path.to_path_buf(),
        why: "not an SQLite database (the file does not start with the SQLite header)".into(),
    })
}

fn map_err(path: &Path, e: rusqlite::Error) -> ArchiveError {
    let path = path.to_path_buf();
    match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => ArchiveError::Full { path },
        Some(ErrorCode::DatabaseCorrupt) => ArchiveError::Corrupt {
            path,
            detail: e.to_string(),
        },
        Some(ErrorCode::NotADatabase) => ArchiveError::Foreign {
            path,
            why: "not an SQLite database".into(),
        },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => ArchiveError::Busy {
            path,
            seconds: BUSY_WAIT.as_secs(),
        },
        _ => ArchiveError::Sqlite { path, source: e },
    }
}

fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn json_text(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

impl ArchiveStore for SqliteArchive {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn schema_version(&self) -> Result<i64, ArchiveError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// How many history rows (tables msdb purges) the archive holds per
    /// instance (lowercased name).
    fn history_rows(&self) -> Result<BTreeMap<String, u64>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT i.name, t.name, (SELECT COUNT(*) FROM catalog_row AS r WHERE r.table_id = t.id)
                 FROM instance AS i JOIN catalog_table AS t ON t.instance_id = i.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (inst, table, n) = row.map_err(|e| self.err(e))?;
            if matches!(keys::kind(&table), Kind::History(_)) {
                *out.entry(inst.to_ascii_lowercase()).or_default() += n as u64;
            }
        }
        Ok(out)
    }

    /// SQLite's own consistency check of every page and index ("ok" when sound).
    fn integrity_check(&self) -> Result<Vec<String>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The archive as a snapshot, or only the instances named (any case).
    fn export_only(&self, names: Option<&[String]>) -> Result<Snapshot, ArchiveError> {
        let err = |e| self.err(e);
        // One read transaction: the export is one consistent state even
        // while a writer commits.
        let tx = self.conn.unchecked_transaction().map_err(err)?;
        let header: Option<String> = tx
            .query_row(
                "SELECT header FROM import ORDER BY collected_at_ms DESC, id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        let mut header: Map<String, Value> = header
            .and_then(|h| serde_json::from_str(&h).ok())
            .unwrap_or_default();
        header.remove("format");
        let source = match header.remove("source") {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let latest: Option<i64> = tx
            .query_row("SELECT MAX(collected_at_ms) FROM instance", [], |r| {
                r.get(0)
            })
            .map_err(err)?;
        let collected_at = match header.remove("collected_at") {
            Some(Value::String(s)) => Some(s),
            _ => latest
                .and_then(DateTime::from_timestamp_millis)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        };

        let mut instances = Vec::new();
        let mut stmt = tx
            .prepare("SELECT id, name, server, missing, extra FROM instance ORDER BY id")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        for (id, name, server, missing, extra) in rows {
            if names.is_some_and(|n| !n.iter().any(|w| w.eq_ignore_ascii_case(&name))) {
                continue;
            }
            let tables = self.export_tables(&tx, id)?;
            let mut missing: Map<String, Value> =
                serde_json::from_str(&missing).unwrap_or_default();
            missing.retain(|k, _| !tables.contains_key(k));
            instances.push(SnapshotInstance {
                name,
                server: serde_json::from_str::<ServerInfo>(&server).unwrap_or_default(),
                tables,
                missing,
                extra: serde_json::from_str(&extra).unwrap_or_default(),
            });
        }
        Ok(Snapshot {
            format: FORMAT.to_string(),
            collected_at,
            source,
            instances,
            extra: header,
        })
    }

    fn import(&mut self, snapshot: &Snapshot) -> Result<ImportStats, ArchiveError> {
        let path = self.path.clone();
        let err = |e| map_err(&path, e);
        let collected = snapshot
            .collected_at()
            .map_err(|e| ArchiveError::Snapshot(e.to_string()))?
            .unwrap_or_else(Utc::now);
        let at = to_ms(collected);
        let mut header = snapshot.extra.clone();
        header.insert("format".into(), Value::from(FORMAT));
        if let Some(c) = &snapshot.collected_at {
            header.insert("collected_at".into(), Value::from(c.clone()));
        }
        if let Some(s) = &snapshot.source {
            header.insert("source".into(), Value::from(s.clone()));
        }

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.execute(
            "INSERT INTO import (imported_at_ms, collected_at_ms, source, header, new_rows)
             VALUES (?1, ?2, ?3, ?4, 0)",
            params![to_ms(Utc::now()), at, snapshot.source, json_text(&header)],
        )
        .map_err(err)?;
        let import_id = tx.last_insert_rowid();
        let mut stats = ImportStats {
            instances: snapshot.instances.len(),
            ..ImportStats::default()
        };
        for inst in &snapshot.instances {
            import_instance(&tx, inst, at, import_id, &mut stats).map_err(err)?;
        }
        tx.execute(
            "UPDATE import SET new_rows = ?1 WHERE id = ?2",
            params![stats.new_rows as i64, import_id],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(stats)
    }

    fn export(&self) -> Result<Snapshot, ArchiveError> {
        self.export_only(None)
    }

    fn instances(&self) -> Result<Vec<InstanceSummary>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT i.name, i.collected_at_ms,
                        (SELECT MAX(r.backup_set_id) FROM catalog_row AS r WHERE r.table_id = t.id),
                        (SELECT COUNT(*) FROM catalog_row AS r WHERE r.table_id = t.id),
                        i.full_read_at_ms
                 FROM instance AS i
                 LEFT JOIN catalog_table AS t ON t.instance_id = i.id AND t.name = ?1
                 ORDER BY i.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([catalog::BACKUPSET], |r| {
                Ok(InstanceSummary {
                    name: r.get(0)?,
                    collected_at_ms: r.get(1)?,
                    max_backup_set_id: r.get(2)?,
                    backup_sets: r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64,
                    full_read_at_ms: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    fn mark_full_read(&mut self, names: &[String], at: DateTime<Utc>) -> Result<(), ArchiveError> {
        let path = self.path.clone();
        let err = |e| map_err(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        for name in names {
            tx.execute(
                "UPDATE instance SET full_read_at_ms = ?2 WHERE name = ?1",
                params![name, to_ms(at)],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

impl SqliteArchive {
    fn export_tables(&self, conn: &Connection, instance_id: i64) -> Result<Tables, ArchiveError> {
        let err = |e| self.err(e);
        let mut stmt = conn
            .prepare("SELECT id, name, import_id FROM catalog_table WHERE instance_id = ?1")
            .map_err(err)?;
        let list = stmt
            .query_map([instance_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let mut history = conn
            .prepare_cached(
                "SELECT natural_key, row FROM catalog_row WHERE table_id = ?1 ORDER BY id",
            )
            .map_err(err)?;
        let mut state = conn
            .prepare_cached(
                "SELECT natural_key, row FROM catalog_row WHERE table_id = ?1 AND import_id = ?2
                 ORDER BY position",
            )
            .map_err(err)?;
        let mut tables = BTreeMap::new();
        for (table_id, name, import_id) in list {
            let pair = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
            let rows: Vec<(String, String)> = match keys::kind(&name) {
                Kind::History(_) => history
                    .query_map([table_id], pair)
                    .and_then(|m| m.collect::<Result<_, _>>()),
                Kind::State(_) | Kind::Replaced => state
                    .query_map([table_id, import_id], pair)
                    .and_then(|m| m.collect::<Result<_, _>>()),
            }
            .map_err(err)?;
            let table = self.table_of(&name, &rows)?;
            tables.insert(name, table);
        }
        Ok(tables)
    }

    /// The stored row texts as one table, read by the snapshot's own reader.
    fn table_of(&self, name: &str, rows: &[(String, String)]) -> Result<Table, ArchiveError> {
        let mut text =
            String::with_capacity(rows.iter().map(|(_, r)| r.len() + 1).sum::<usize>() + 2);
        text.push('[');
        for (i, (_, row)) in rows.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(row);
        }
        text.push(']');
        serde_json::from_str::<Table>(&text).map_err(|e| {
            // Name the row that is wrong.
            let (key, message) = rows
                .iter()
                .find_map(|(k, r)| {
                    serde_json::from_str::<Table>(&format!("[{r}]"))
                        .err()
                        .map(|e| (k.clone(), e.to_string()))
                })
                .unwrap_or_else(|| (String::new(), e.to_string()));
            ArchiveError::Row {
                path: self.path.clone(),
                table: name.to_string(),
                key,
                message,
            }
        })
    }
}

/// Stores one instance of a snapshot collected at `at`.
fn import_instance(
    tx: &Connection,
    inst: &SnapshotInstance,
    at: i64,
    import_id: i64,
    stats: &mut ImportStats,
) -> rusqlite::Result<()> {
    let existing: Option<(i64, i64)> = tx
        .query_row(
            "SELECT id, collected_at_ms FROM instance WHERE name = ?1",
            [&inst.name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (server, missing, extra) = (
        json_text(&inst.server),
        json_text(&inst.missing),
        json_text(&inst.extra),
    );
    let instance_id = match existing {
        None => {
            tx.execute(
                "INSERT INTO instance (name, collected_at_ms, server, missing, extra)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![inst.name, at, server, missing, extra],
            )?;
            tx.last_insert_rowid()
        }
        Some((id, stored)) => {
            if at >= stored {
                tx.execute(
                    "UPDATE instance SET collected_at_ms = ?2, server = ?3, missing = ?4, extra = ?5
                     WHERE id = ?1",
                    params![id, at, server, missing, extra],
                )?;
            }
            id
        }
    };
    for (name, rows) in &inst.tables {
        import_table(tx, instance_id, name, rows, at, import_id, stats)?;
    }
    Ok(())
}

fn import_table(
    tx: &Connection,
    instance_id: i64,
    name: &str,
    rows: &Table,
    at: i64,
    import_id: i64,
    stats: &mut ImportStats,
) -> rusqlite::Result<()> {
    let kind = keys::kind(name);
    let existing: Option<(i64, i64)> = tx
        .query_row(
            "SELECT id, collected_at_ms FROM catalog_table WHERE instance_id = ?1 AND name = ?2",
            params![instance_id, name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let table_id = match existing {
        None => {
            tx.execute(
                "INSERT INTO catalog_table (instance_id, name, collected_at_ms, import_id)
                 VALUES (?1, ?2, ?3, ?4)",
                params![instance_id, name, at, import_id],
            )?;
            tx.last_insert_rowid()
        }
        Some((id, stored)) if at >= stored => {
            tx.execute(
                "UPDATE catalog_table SET collected_at_ms = ?2, import_id = ?3 WHERE id = ?1",
                params![id, at, import_id],
            )?;
            id
        }
        Some((id, _)) => {
            // An older collection: it can still add history the archive
            // lacks, but it says nothing about the current state.
            stats.older_tables += 1;
            if !matches!(kind, Kind::History(_)) {
                return Ok(());
            }
            id
        }
    };
    if kind == Kind::Replaced {
        tx.execute("DELETE FROM catalog_row WHERE table_id = ?1", [table_id])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO catalog_row (table_id, natural_key, row, backup_set_id, seen_at_ms, import_id, position)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (table_id, natural_key) DO NOTHING",
    )?;
    // History rows are rewritten only when msdb changed them (a refresh
    // re-reads the same rows every time); state rows always, to mark them current.
    let mut update = tx.prepare_cached(
        "UPDATE catalog_row SET row = ?3, backup_set_id = ?4, seen_at_ms = ?5, import_id = ?6, position = ?7
         WHERE table_id = ?1 AND natural_key = ?2 AND seen_at_ms <= ?5 AND (?8 OR row <> ?3)",
    )?;
    for (position, row) in rows.rows().enumerate() {
        let text = serde_json::to_string(&row).unwrap_or_else(|_| "{}".into());
        let key = match kind {
            Kind::History(cols) | Kind::State(cols) => {
                keys::natural_key(name, cols, &row).unwrap_or_else(|| keys::content_key(&text))
            }
            Kind::Replaced => format!("p:{position}"),
        };
        let id = keys::backup_set_id(name, &row);
        let position = position as i64;
        stats.rows_read += 1;
        if insert.execute(params![table_id, key, text, id, at, import_id, position])? == 1 {
            // A replaced table's rows are the current state, not new history.
            stats.new_rows += u64::from(kind != Kind::Replaced);
        } else {
            let state = !matches!(kind, Kind::History(_));
            update.execute(params![
                table_id, key, text, id, at, import_id, position, state
            ])?;
        }
    }
    Ok(())
}
