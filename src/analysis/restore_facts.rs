//! Catalog facts a restore needs, read from the collected rows: the
//! database's file list (msdb backupfile), its database scoped credentials
//! (for Stretch), the target server's credentials (for URL backups) and
//! whether the target database exists. `None` = the table was not
//! collected, which checks report as unknown, never as "none".

use crate::model::{container_of_url, Cell, Instance, RowRef};

pub const BACKUPFILE: &str = "msdb.dbo.backupfile";
pub const SCOPED_CREDENTIALS: &str = "sys.database_scoped_credentials";
pub const SERVER_CREDENTIALS: &str = "sys.credentials";

/// One database file in a backup (`msdb.dbo.backupfile`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackupFile {
    pub logical_name: String,
    pub physical_name: String,
    /// D data, L log, F full-text, S FILESTREAM/In-Memory.
    pub file_type: String,
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
    let rows = instance.tables.get(BACKUPFILE)?;
    Some(
        rows.rows()
            .filter(|r| same_id(r, "backup_set_id", backup_set_id))
            .filter_map(|r| {
                Some(BackupFile {
                    logical_name: text(&r, "logical_name")?,
                    physical_name: text(&r, "physical_name")?,
                    file_type: text(&r, "file_type").unwrap_or_else(|| "D".into()),
                })
            })
            .collect(),
    )
}

pub const LOGMARKHISTORY: &str = "msdb.dbo.logmarkhistory";

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
    let rows = instance.tables.get(LOGMARKHISTORY)?;
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
    let rows = instance.tables.get(SCOPED_CREDENTIALS)?;
    let mut names: Vec<String> = rows
        .rows()
        .filter(|r| text(r, "database_name").as_deref() == Some(database))
        .filter_map(|r| text(&r, "name"))
        .collect();
    names.sort();
    names.dedup();
    Some(names)
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
    let Some(rows) = target.tables.get(SERVER_CREDENTIALS) else {
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
    if !target
        .tables
        .contains_key(crate::snapshot::table::DATABASES)
        && target.databases.iter().all(|d| !d.exists)
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
