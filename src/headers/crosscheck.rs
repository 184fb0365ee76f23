//! Headers against msdb history for the same physical files: was the file
//! overwritten, does it hold another database, or another backup set than
//! the one msdb says?

use serde::Serialize;
use uuid::Uuid;

use super::BackupHeader;
use crate::model::{BackupSet, Estate};

/// What a comparison found for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Mismatch {
    /// The file holds the set msdb recorded for it.
    Matches { backup_set_id: i64 },
    /// msdb has no row naming this file.
    NotInHistory,
    /// The file holds a backup of another database than msdb recorded.
    OtherDatabase {
        backup_set_id: i64,
        msdb_database: String,
        file_database: String,
    },
    /// The file holds a later backup of the same database: overwritten since.
    Overwritten {
        backup_set_id: i64,
        msdb_backup_set_uuid: Option<Uuid>,
        file_backup_set_uuid: Uuid,
    },
    /// Same database, but not the set msdb names (older, or unrelated).
    OtherSet {
        backup_set_id: i64,
        msdb_backup_set_uuid: Option<Uuid>,
        file_backup_set_uuid: Uuid,
    },
}

/// One file's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrossCheck {
    pub file: String,
    pub position: u16,
    /// "path" when msdb names the same path, "file name" when only the
    /// file name matches (msdb paths are the server's, not this machine's).
    pub matched_by: Option<&'static str>,
    #[serde(flatten)]
    pub verdict: Mismatch,
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Compares each header with the msdb rows that name its file (same path,
/// else same file name, case-insensitively) and the same position.
pub fn cross_check(headers: &[BackupHeader], estate: &Estate) -> Vec<CrossCheck> {
    let all: Vec<&BackupSet> = estate.instances.iter().flat_map(|i| &i.backups).collect();
    headers
        .iter()
        .map(|h| {
            let names = |b: &&BackupSet, exact: bool| {
                b.families.iter().any(|f| {
                    f.physical_device_name.as_deref().is_some_and(|p| {
                        if exact {
                            p.eq_ignore_ascii_case(&h.file)
                        } else {
                            file_name(p).eq_ignore_ascii_case(file_name(&h.file))
                        }
                    })
                }) && b.position.unwrap_or(1) == i64::from(h.position)
            };
            let (matched_by, candidates): (Option<&'static str>, Vec<&&BackupSet>) = {
                let exact: Vec<_> = all.iter().filter(|b| names(b, true)).collect();
                if !exact.is_empty() {
                    (Some("path"), exact)
                } else {
                    let by_name: Vec<_> = all.iter().filter(|b| names(b, false)).collect();
                    (Some("file name").filter(|_| !by_name.is_empty()), by_name)
                }
            };
            // The newest row that names the file is what msdb believes it holds.
            let verdict = match candidates
                .iter()
                .find(|b| b.backup_set_uuid == Some(h.backup_set_uuid))
                .or_else(|| {
                    candidates
                        .iter()
                        .max_by_key(|b| (b.start_local, b.backup_set_id))
                }) {
                None => Mismatch::NotInHistory,
                Some(b) if b.backup_set_uuid == Some(h.backup_set_uuid) => Mismatch::Matches {
                    backup_set_id: b.backup_set_id,
                },
                Some(b) if !b.database_name.eq_ignore_ascii_case(&h.database_name) => {
                    Mismatch::OtherDatabase {
                        backup_set_id: b.backup_set_id,
                        msdb_database: b.database_name.clone(),
                        file_database: h.database_name.clone(),
                    }
                }
                Some(b) if b.start_local.is_some() && h.backup_start_date > b.start_local => {
                    Mismatch::Overwritten {
                        backup_set_id: b.backup_set_id,
                        msdb_backup_set_uuid: b.backup_set_uuid,
                        file_backup_set_uuid: h.backup_set_uuid,
                    }
                }
                Some(b) => Mismatch::OtherSet {
                    backup_set_id: b.backup_set_id,
                    msdb_backup_set_uuid: b.backup_set_uuid,
                    file_backup_set_uuid: h.backup_set_uuid,
                },
            };
            CrossCheck {
                file: h.file.clone(),
                position: h.position,
                matched_by,
                verdict,
            }
        })
        .collect()
}

impl Mismatch {
    pub fn is_ok(&self) -> bool {
        matches!(self, Mismatch::Matches { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            Mismatch::Matches { backup_set_id } => format!("ok: msdb backup_set_id {backup_set_id}"),
            Mismatch::NotInHistory => "not in msdb history".into(),
            Mismatch::OtherDatabase {
                backup_set_id,
                msdb_database,
                file_database,
            } => format!(
                "ANOTHER DATABASE: msdb backup_set_id {backup_set_id} says {msdb_database}, the file holds {file_database}"
            ),
            Mismatch::Overwritten {
                backup_set_id,
                msdb_backup_set_uuid,
                file_backup_set_uuid,
            } => format!(
                "OVERWRITTEN: msdb backup_set_id {backup_set_id} ({}) was replaced by a later backup {file_backup_set_uuid}",
                msdb_backup_set_uuid.map(|u| u.to_string()).unwrap_or_else(|| "no GUID".into())
            ),
            Mismatch::OtherSet {
                backup_set_id,
                msdb_backup_set_uuid,
                file_backup_set_uuid,
            } => format!(
                "NOT THE SET MSDB SAYS: msdb backup_set_id {backup_set_id} ({}), the file holds {file_backup_set_uuid}",
                msdb_backup_set_uuid.map(|u| u.to_string()).unwrap_or_else(|| "no GUID".into())
            ),
        }
    }
}
