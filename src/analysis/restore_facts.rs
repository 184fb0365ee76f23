//! Catalog facts a restore needs, read from the collected rows: the
//! database's file list (msdb backupfile), its database scoped credentials
//! (for Stretch), the target server's credentials (for URL backups) and
//! whether the target database exists. `None` = the table was not
//! collected, which checks report as unknown, never as "none".

use crate::model::catalog;
use crate::model::{container_of_url, Cell, Instance, RowRef};

/// One database file in a backup (`msdb.dbo.backupfile`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackupFile {
    pub logical_name: String,
    pub physical_name: String,
    /// D data, L log, F full-text, S FILESTREAM/In-Memory.
    pub file_type: String,
    /// `file_size`: bytes the file takes once restored (None = not collected).
    #[serde(default)]
    pub file_size: Option<u64>,
}

/// One logical → physical file mapping (MOVE), as the wizard edits it and
/// `restore --as` writes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileMove {
    pub logical: String,
    pub file_type: String,
    pub original: String,
    pub physical: String,
}

/// The MOVE rows for restoring a backup's files: under a new name every
/// file gets a path with the new name in it (the originals are in use when
/// the source database is on the same instance); under the same name the
/// files keep their paths. The one place both the wizard and the CLI use.
pub fn file_moves(files: &[BackupFile], database: &str, new_name: Option<&str>) -> Vec<FileMove> {
    files
        .iter()
        .map(|f| FileMove {
            logical: f.logical_name.clone(),
            file_type: f.file_type.clone(),
            original: f.physical_name.clone(),
            physical: match new_name {
                Some(n) => renamed_path(&f.physical_name, database, n),
                None => f.physical_name.clone(),
            },
        })
        .collect()
}

/// The default name of a restored copy: `<db>_restored_<yyyymmdd_hhmm>`
/// (UTC), the database part shortened so the whole fits a sysname.
pub fn default_restore_name(database: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let suffix = format!("_restored_{}", now.format("%Y%m%d_%H%M"));
    let room = 128 - suffix.chars().count();
    let base: String = database.chars().take(room).collect();
    format!("{base}{suffix}")
}

fn number(row: &RowRef<'_>, column: &str) -> Option<u64> {
    let cell = row.get(column)?;
    let text = cell.number_text().or_else(|| cell.as_text())?;
    text.split('.').next()?.trim().parse().ok()
}

/// What the target database is, for the steps that come before a REPLACE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDatabase {
    pub state: Option<String>,
    pub recovery_model: Option<crate::model::RecoveryModel>,
    /// Its newest log backup recorded on the target instance.
    pub last_log: Option<chrono::DateTime<chrono::Utc>>,
}

impl TargetDatabase {
    /// Damaged or not started: a tail-log backup needs NO_TRUNCATE and
    /// nobody can be connected (no SINGLE_USER step).
    pub fn damaged(&self) -> bool {
        matches!(
            self.state.as_deref(),
            Some("SUSPECT" | "EMERGENCY" | "RECOVERY_PENDING")
        )
    }

    pub fn online(&self) -> bool {
        self.state.as_deref().is_none_or(|s| s == "ONLINE")
    }

    /// FULL or BULK_LOGGED, not damaged away: its log holds changes that a
    /// REPLACE would throw away unless a tail-log backup saves them.
    pub fn has_tail(&self) -> bool {
        self.recovery_model
            .is_some_and(crate::model::RecoveryModel::keeps_log_chain)
            && (self.online() || self.damaged())
    }
}

/// The database a restore would overwrite, when it exists on the target.
pub fn target_database(target: &Instance, name: &str) -> Option<TargetDatabase> {
    let db = target
        .databases
        .iter()
        .find(|d| d.exists && !d.dropped && d.name.eq_ignore_ascii_case(name))?;
    let last_log = target
        .backups
        .iter()
        .filter(|b| {
            b.is_log() && b.database_name.eq_ignore_ascii_case(name) && !b.written_elsewhere
        })
        .filter_map(|b| b.finish)
        .max();
    Some(TargetDatabase {
        state: db.state_desc.clone(),
        recovery_model: db.recovery_model,
        last_log,
    })
}

/// Where the tail-log backup goes: beside the newest backup file of the
/// plan (same folder or container), named `<db>_tail_<yyyymmdd_hhmmss>.trn`.
pub fn tail_log_file(
    beside: Option<&str>,
    database: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let name = format!("{database}_tail_{}.trn", now.format("%Y%m%d_%H%M%S"));
    let Some(path) = beside else { return name };
    let base = path.split(['?', '#']).next().unwrap_or(path);
    match base.rfind(['\\', '/']) {
        Some(i) => format!("{}{name}", &base[..=i]),
        None => name,
    }
}

/// "1h05m", "3d 4h", "12m": how long ago, for the words of a warning.
pub fn span(d: chrono::Duration) -> String {
    let m = d.num_minutes().max(0);
    match m {
        m if m < 60 => format!("{m}m"),
        m if m < 48 * 60 => format!("{}h{:02}m", m / 60, m % 60),
        m => format!("{}d {}h", m / (24 * 60), (m / 60) % 24),
    }
}

fn text(row: &RowRef<'_>, column: &str) -> Option<String> {
    row.get(column)?.as_text().map(|t| t.into_owned())
}

fn same_id(row: &RowRef<'_>, column: &str, id: i64) -> bool {
    match row.get(column) {
        Some(Cell::Int(n)) => *n == id,
        Some(c) => c.as_text().and_then(|s| s.parse::<i64>().ok()) == Some(id),
        None => false,
    }
}

/// The files of one backup set, in file order; None when backupfile was not collected.
pub fn backup_files(instance: &Instance, backup_set_id: i64) -> Option<Vec<BackupFile>> {
    let rows = instance.tables.get(catalog::BACKUPFILE)?;
    Some(
        rows.rows()
            .filter(|r| same_id(r, "backup_set_id", backup_set_id))
            .filter_map(|r| {
                Some(BackupFile {
                    logical_name: text(&r, "logical_name")?,
                    physical_name: text(&r, "physical_name")?,
                    file_type: text(&r, "file_type").unwrap_or_else(|| "D".into()),
                    file_size: number(&r, "file_size"),
                })
            })
            .collect(),
    )
}

/// A volume of the target server and its free space (`sys.dm_os_volume_stats`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// `C:\`, `D:\Data\` (a mount point), or `/var/opt/mssql/` on Linux.
    pub mount_point: String,
    pub total_bytes: u64,
    pub available_bytes: u64,
}

/// The target's volumes; None when the table was not collected (or the
/// login may not read it: VIEW SERVER STATE).
pub fn volumes(instance: &Instance) -> Option<Vec<Volume>> {
    let rows = instance.tables.get(catalog::VOLUME_STATS)?;
    Some(
        rows.rows()
            .filter_map(|r| {
                Some(Volume {
                    mount_point: text(&r, "volume_mount_point")?,
                    total_bytes: number(&r, "total_bytes")?,
                    available_bytes: number(&r, "available_bytes")?,
                })
            })
            .collect(),
    )
}

/// The volume a file path lives on: the longest mount point it starts with
/// (Windows paths compare without case, `/` and `\` alike).
pub fn volume_of<'v>(volumes: &'v [Volume], path: &str) -> Option<&'v Volume> {
    let norm = |s: &str| s.replace('/', "\\").to_lowercase();
    let path = norm(path);
    volumes
        .iter()
        .filter(|v| {
            let mut m = norm(&v.mount_point);
            if !m.ends_with('\\') {
                m.push('\\');
            }
            !v.mount_point.is_empty() && (path.starts_with(&m) || format!("{path}\\") == m)
        })
        .max_by_key(|v| v.mount_point.len())
}

/// A marked transaction (`msdb.dbo.logmarkhistory`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mark {
    pub name: String,
    pub description: Option<String>,
    pub lsn: crate::model::Lsn,
    /// Commit time as the server wrote it (local time), ISO-8601.
    pub time_local: Option<String>,
}

/// The marks of one database, oldest first; None when not collected.
/// Rows whose LSN cannot be read are skipped (they cannot be targets).
pub fn marks(instance: &Instance, database: &str) -> Option<Vec<Mark>> {
    let rows = instance.tables.get(catalog::LOGMARKHISTORY)?;
    let mut out: Vec<Mark> = rows
        .rows()
        .filter(|r| text(r, "database_name").as_deref() == Some(database))
        .filter_map(|r| {
            let cell = r.get("lsn")?;
            let lsn = cell
                .as_text()
                .or_else(|| cell.number_text())?
                .parse()
                .ok()?;
            Some(Mark {
                name: text(&r, "mark_name")?,
                description: text(&r, "description"),
                lsn,
                time_local: text(&r, "mark_time"),
            })
        })
        .collect();
    out.sort_by_key(|m| m.lsn);
    Some(out)
}

/// Names of a database's scoped credentials; None when not collected.
pub fn scoped_credentials(instance: &Instance, database: &str) -> Option<Vec<String>> {
    let rows = instance.tables.get(catalog::SCOPED_CREDENTIALS)?;
    let mut names: Vec<String> = rows
        .rows()
        .filter(|r| text(r, "database_name").as_deref() == Some(database))
        .filter_map(|r| text(&r, "name"))
        .collect();
    names.sort();
    names.dedup();
    Some(names)
}

/// The reauthorize step of a Stretch database: its one scoped credential
/// when it has exactly one; otherwise a placeholder that says why (several,
/// none collected, or not visible to the login that collected).
pub fn reauthorize_for(instance: &Instance, database: &str) -> crate::tsql::Reauthorize {
    let mut r = crate::tsql::Reauthorize::for_credentials(
        scoped_credentials(instance, database).unwrap_or_default(),
    );
    r.unreadable = credentials_hidden(instance, database);
    r
}

/// Why this login could not read the database's scoped credentials, when
/// it could not: the collector's per-database reason, or the reason the
/// whole table was left out.
fn credentials_hidden(instance: &Instance, database: &str) -> Option<String> {
    let table = catalog::SCOPED_CREDENTIALS;
    if let Some(why) = instance
        .not_visible
        .get(table)
        .and_then(|dbs| dbs.get(database))
    {
        return Some(why.clone());
    }
    if instance.tables.contains_key(table) {
        return None;
    }
    instance
        .missing_tables
        .iter()
        .find(|m| m.table == table)
        .and_then(|m| m.reason.clone())
}

/// How the target server can read a URL backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlCredential {
    /// A credential named after the container URL (SAS): found by the server.
    Sas(String),
    /// A storage-key credential whose identity is the account: needs WITH CREDENTIAL.
    Key(String),
    /// Neither exists.
    Missing,
    /// sys.credentials was not collected.
    Unknown,
}

/// The credential the target would use for a backup URL.
pub fn url_credential(target: &Instance, url: &str) -> UrlCredential {
    let Some(rows) = target.tables.get(catalog::SERVER_CREDENTIALS) else {
        return UrlCredential::Unknown;
    };
    let container = container_url(url);
    let account = account_of(url);
    for r in rows.rows() {
        let name = text(&r, "name").unwrap_or_default();
        if !container.is_empty() && name.trim_end_matches('/').eq_ignore_ascii_case(&container) {
            return UrlCredential::Sas(name);
        }
    }
    for r in rows.rows() {
        let identity = text(&r, "credential_identity").unwrap_or_default();
        if account
            .as_deref()
            .is_some_and(|a| identity.eq_ignore_ascii_case(a))
        {
            return UrlCredential::Key(text(&r, "name").unwrap_or_default());
        }
    }
    UrlCredential::Missing
}

/// `https://account.blob.core.windows.net/container` of a blob URL.
pub fn container_url(url: &str) -> String {
    let base = url.split(['?', '#']).next().unwrap_or(url);
    let Some((scheme, rest)) = base.split_once("://") else {
        return String::new();
    };
    let mut parts = rest.splitn(3, '/');
    let host = parts.next().unwrap_or_default();
    let first = parts.next().unwrap_or_default();
    if container_of_url(url).is_none() {
        return String::new();
    }
    if host.starts_with("127.") || host.starts_with("localhost") {
        let second = parts.next().unwrap_or_default();
        let second = second.split('/').next().unwrap_or_default();
        return format!("{scheme}://{host}/{first}/{second}");
    }
    format!("{scheme}://{host}/{first}")
}

fn account_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split('/').next()?;
    Some(host.split('.').next()?.to_string())
}

/// Whether a database of that name exists on the target; None when
/// sys.databases was not collected there.
pub fn target_exists(target: &Instance, name: &str) -> Option<bool> {
    if !target.tables.contains_key(catalog::DATABASES) && target.databases.iter().all(|d| !d.exists)
    {
        return None;
    }
    Some(
        target
            .databases
            .iter()
            .any(|d| d.exists && !d.dropped && d.name.eq_ignore_ascii_case(name)),
    )
}

/// A physical path for a file of a database restored under `new_name`:
/// the database name in the file name is replaced, or a suffix added.
pub fn renamed_path(physical: &str, old_name: &str, new_name: &str) -> String {
    let cut = physical.rfind(['\\', '/']).map(|i| i + 1).unwrap_or(0);
    let (dir, file) = physical.split_at(cut);
    if !old_name.is_empty() {
        if let Some(pos) = file.to_lowercase().find(&old_name.to_lowercase()) {
            if file.is_char_boundary(pos) && file.is_char_boundary(pos + old_name.len()) {
                return format!(
                    "{dir}{}{new_name}{}",
                    &file[..pos],
                    &file[pos + old_name.len()..]
                );
            }
        }
    }
    match file.rfind('.') {
        Some(dot) => format!("{dir}{}_{new_name}{}", &file[..dot], &file[dot..]),
        None => format!("{dir}{file}_{new_name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_urls() {
        assert_eq!(
            container_url("https://acct.blob.core.windows.net/sql/db_1.log?sv=x"),
            "https://acct.blob.core.windows.net/sql"
        );
        assert_eq!(
            container_url("http://127.0.0.1:10000/devstoreaccount1/c/f.bak"),
            "http://127.0.0.1:10000/devstoreaccount1/c"
        );
        assert_eq!(container_url("D:\\backup\\x.bak"), "");
    }

    #[test]
    fn default_names_fit_a_sysname_and_say_when() {
        use chrono::TimeZone;
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 7, 5, 0).unwrap();
        assert_eq!(
            default_restore_name("Sales", now),
            "Sales_restored_20261202_0705"
        );
        let long = default_restore_name(&"é".repeat(128), now);
        assert_eq!(long.chars().count(), 128);
        assert!(long.ends_with("_restored_20261202_0705"));
    }

    #[test]
    fn one_function_moves_files_for_a_new_name() {
        let files = vec![
            BackupFile {
                logical_name: "Sales".into(),
                physical_name: "D:\\Data\\Sales.mdf".into(),
                file_type: "D".into(),
                file_size: Some(1),
            },
            BackupFile {
                logical_name: "Sales_log".into(),
                physical_name: "L:\\Log\\Sales_log.ldf".into(),
                file_type: "L".into(),
                file_size: None,
            },
        ];
        let moved = file_moves(&files, "Sales", Some("Sales_2"));
        assert_eq!(moved[0].physical, "D:\\Data\\Sales_2.mdf");
        assert_eq!(moved[1].physical, "L:\\Log\\Sales_2_log.ldf");
        assert!(moved.iter().all(|m| m.physical != m.original));
        let same = file_moves(&files, "Sales", None);
        assert!(same.iter().all(|m| m.physical == m.original));
    }

    #[test]
    fn tail_files_sit_beside_the_backups() {
        use chrono::TimeZone;
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 7, 5, 9).unwrap();
        assert_eq!(
            tail_log_file(
                Some("https://a.blob.core.windows.net/c/x/S_1.trn?sv=1"),
                "S",
                now
            ),
            "https://a.blob.core.windows.net/c/x/S_tail_20261202_070509.trn"
        );
        assert_eq!(
            tail_log_file(Some("E:\\Backup\\S.bak"), "S", now),
            "E:\\Backup\\S_tail_20261202_070509.trn"
        );
        assert_eq!(tail_log_file(None, "S", now), "S_tail_20261202_070509.trn");
        assert_eq!(span(chrono::Duration::minutes(65)), "1h05m");
        assert_eq!(span(chrono::Duration::minutes(12)), "12m");
        assert_eq!(span(chrono::Duration::hours(76)), "3d 4h");
    }

    #[test]
    fn renamed_paths() {
        assert_eq!(
            renamed_path("D:\\Data\\Sales.mdf", "Sales", "Sales_copy"),
            "D:\\Data\\Sales_copy.mdf"
        );
        assert_eq!(
            renamed_path("/var/opt/mssql/data/x_log.ldf", "Sales", "S2"),
            "/var/opt/mssql/data/x_log_S2.ldf"
        );
    }
}
