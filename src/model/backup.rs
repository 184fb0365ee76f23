//! Backup sets and the media they were written to, typed from msdb.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Lsn;

/// `backupset.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum BackupType {
    /// D: full database backup.
    Full,
    /// I: differential database backup.
    Diff,
    /// L: transaction log backup.
    Log,
    /// F: file or filegroup backup.
    File,
    /// G: differential file backup.
    FileDiff,
    /// P: partial backup.
    Partial,
    /// Q: differential partial backup.
    PartialDiff,
}

impl BackupType {
    pub fn from_code(code: &str) -> Option<BackupType> {
        Some(match code.trim() {
            "D" => BackupType::Full,
            "I" => BackupType::Diff,
            "L" => BackupType::Log,
            "F" => BackupType::File,
            "G" => BackupType::FileDiff,
            "P" => BackupType::Partial,
            "Q" => BackupType::PartialDiff,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            BackupType::Full => "D",
            BackupType::Diff => "I",
            BackupType::Log => "L",
            BackupType::File => "F",
            BackupType::FileDiff => "G",
            BackupType::Partial => "P",
            BackupType::PartialDiff => "Q",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BackupType::Full => "full",
            BackupType::Diff => "diff",
            BackupType::Log => "log",
            BackupType::File => "file",
            BackupType::FileDiff => "file diff",
            BackupType::Partial => "partial",
            BackupType::PartialDiff => "partial diff",
        }
    }
}

/// Recovery model, as `backupset.recovery_model` or `sys.databases.recovery_model_desc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RecoveryModel {
    Full,
    BulkLogged,
    Simple,
}

impl RecoveryModel {
    /// Accepts both spellings: `BULK-LOGGED` (backupset) and `BULK_LOGGED` (sys.databases).
    pub fn parse(text: &str) -> Option<RecoveryModel> {
        match text.trim().to_ascii_uppercase().as_str() {
            "FULL" | "1" => Some(RecoveryModel::Full),
            "BULK-LOGGED" | "BULK_LOGGED" | "2" => Some(RecoveryModel::BulkLogged),
            "SIMPLE" | "3" => Some(RecoveryModel::Simple),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RecoveryModel::Full => "FULL",
            RecoveryModel::BulkLogged => "BULK_LOGGED",
            RecoveryModel::Simple => "SIMPLE",
        }
    }

    /// FULL and BULK_LOGGED keep a log chain; SIMPLE does not.
    pub fn keeps_log_chain(self) -> bool {
        !matches!(self, RecoveryModel::Simple)
    }
}

/// `backupmediafamily.device_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DeviceType {
    Disk,
    Tape,
    VirtualDevice,
    Url,
    LogicalDevice,
    Other(u8),
}

impl DeviceType {
    pub fn from_code(code: u8) -> DeviceType {
        match code {
            2 | 102 => DeviceType::Disk,
            5 | 105 => DeviceType::Tape,
            7 | 107 => DeviceType::VirtualDevice,
            9 => DeviceType::Url,
            other => DeviceType::Other(other),
        }
    }

    pub fn label(self) -> String {
        match self {
            DeviceType::Disk => "disk".into(),
            DeviceType::Tape => "tape".into(),
            DeviceType::VirtualDevice => "virtual device".into(),
            DeviceType::Url => "URL".into(),
            DeviceType::LogicalDevice => "backup device".into(),
            DeviceType::Other(n) => format!("device type {n}"),
        }
    }
}

/// One media family (one file or blob) of a backup's media set. A striped
/// set has several families; mirrors are dropped when the set is built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaFamily {
    pub family_sequence_number: u8,
    pub device_type: Option<DeviceType>,
    pub physical_device_name: Option<String>,
    pub logical_device_name: Option<String>,
}

/// What it takes to restore a backup set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "tool", rename_all = "snake_case")]
pub enum Restorability {
    /// Plain RESTORE from its files or blobs.
    Native,
    /// Written through a virtual device (VSS, DPM, a third-party agent):
    /// only that tool can restore it.
    Tool(String),
    /// A T-SQL snapshot backup (SQL Server 2022, `METADATA_ONLY`): the
    /// storage snapshot must be reverted first, then RESTORE … WITH METADATA_ONLY.
    MetadataOnly,
}

impl Restorability {
    pub fn is_native(&self) -> bool {
        matches!(self, Restorability::Native)
    }

    /// "native", "needs_tool" or "metadata_only" (the JSON word).
    pub fn code(&self) -> &'static str {
        match self {
            Restorability::Native => "native",
            Restorability::Tool(_) => "needs_tool",
            Restorability::MetadataOnly => "metadata_only",
        }
    }

    /// What else a restore needs, in words; None for native.
    pub fn needs(&self) -> Option<String> {
        match self {
            Restorability::Native => None,
            Restorability::Tool(t) => Some(t.clone()),
            Restorability::MetadataOnly => {
                Some("the storage snapshot taken with the T-SQL snapshot backup".to_string())
            }
        }
    }
}

/// Where a backup went, reduced to what tells producers apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Destination {
    /// A blob container: `account/container`.
    Container(String),
    /// A file path on disk or a share (the folder, not the file).
    Disk(String),
    /// The NUL device: the backup was thrown away.
    Nul,
    /// Through the Virtual Device Interface (VSS, DPM, third-party tools).
    VirtualDevice,
    Tape,
    Unknown,
}

impl Destination {
    pub fn label(&self) -> String {
        match self {
            Destination::Container(c) => format!("URL {c}"),
            Destination::Disk(d) => format!("disk {d}"),
            Destination::Nul => "NUL device (discarded)".into(),
            Destination::VirtualDevice => "virtual device (VSS/DPM/third party)".into(),
            Destination::Tape => "tape".into(),
            Destination::Unknown => "unknown destination".into(),
        }
    }
}

/// One row of `msdb.dbo.backupset`, joined with its media set and families.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupSet {
    pub backup_set_id: i64,
    pub backup_set_uuid: Option<Uuid>,
    pub media_set_id: Option<i64>,
    pub position: Option<i64>,
    pub backup_type: BackupType,
    pub database_name: String,
    pub server_name: Option<String>,
    pub machine_name: Option<String>,
    pub first_lsn: Option<Lsn>,
    pub last_lsn: Option<Lsn>,
    pub checkpoint_lsn: Option<Lsn>,
    pub database_backup_lsn: Option<Lsn>,
    pub differential_base_lsn: Option<Lsn>,
    pub differential_base_guid: Option<Uuid>,
    pub first_recovery_fork_guid: Option<Uuid>,
    pub last_recovery_fork_guid: Option<Uuid>,
    pub fork_point_lsn: Option<Lsn>,
    pub database_guid: Option<Uuid>,
    pub family_guid: Option<Uuid>,
    pub is_copy_only: bool,
    pub is_snapshot: bool,
    pub has_bulk_logged_data: bool,
    pub begins_log_chain: bool,
    pub is_damaged: bool,
    pub has_incomplete_metadata: bool,
    pub recovery_model: Option<RecoveryModel>,
    /// Offset from UTC in 15-minute steps; `None` when unknown (127 or absent).
    pub time_zone: Option<i16>,
    /// Start and finish as the server wrote them (local time).
    pub start_local: Option<NaiveDateTime>,
    pub finish_local: Option<NaiveDateTime>,
    /// Start and finish in UTC.
    pub start: Option<DateTime<Utc>>,
    pub finish: Option<DateTime<Utc>>,
    pub user_name: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub backup_size: Option<u64>,
    pub compressed_backup_size: Option<u64>,
    pub software_name: Option<String>,
    /// `software_major_version`: the SQL Server that wrote it (13 = 2016, 15 = 2019…).
    pub software_major_version: Option<u32>,
    /// `has_backup_checksums`: taken WITH CHECKSUM (VERIFYONLY … WITH CHECKSUM needs it).
    pub has_backup_checksums: Option<bool>,
    pub is_encrypted: bool,
    /// Families of one mirror, in sequence order (several = striped set):
    /// the first mirror that has every family, else the most complete one.
    pub families: Vec<MediaFamily>,
    /// `backupmediaset.media_family_count`: how many families the set has
    /// (None when the media set row was not collected).
    pub media_family_count: Option<u8>,
    /// The instance whose msdb held this row.
    pub collected_from: String,
    /// The row describes a backup another server took: RESTORE recorded it
    /// in this msdb (a refresh from production, a log-shipping secondary).
    /// Evidence of where the database came from, never part of its local chain.
    pub written_elsewhere: bool,
}

impl BackupSet {
    pub fn is_log(&self) -> bool {
        self.backup_type == BackupType::Log
    }

    pub fn is_full(&self) -> bool {
        self.backup_type == BackupType::Full
    }

    pub fn is_diff(&self) -> bool {
        self.backup_type == BackupType::Diff
    }

    /// A log backup that holds no log records (the database was idle).
    pub fn is_empty_log(&self) -> bool {
        self.is_log() && self.first_lsn.is_some() && self.first_lsn == self.last_lsn
    }

    pub fn is_striped(&self) -> bool {
        self.families.len() > 1
    }

    /// Family numbers the media set has but no collected mirror holds:
    /// RESTORE needs every family (error 3132 otherwise).
    pub fn missing_families(&self) -> Vec<u8> {
        let have: Vec<u8> = self
            .families
            .iter()
            .map(|f| f.family_sequence_number)
            .collect();
        let expected = self
            .media_family_count
            .or_else(|| have.iter().copied().max())
            .unwrap_or(0);
        (1..=expected).filter(|n| !have.contains(n)).collect()
    }

    /// Whether every family of the media set is known (so RESTORE can read it).
    pub fn media_complete(&self) -> bool {
        !self.families.is_empty() && self.missing_families().is_empty()
    }

    /// What it takes to restore this backup.
    pub fn restorability(&self) -> Restorability {
        let virtual_device = self
            .families
            .iter()
            .any(|f| f.device_type == Some(DeviceType::VirtualDevice));
        if self.is_snapshot && !virtual_device {
            // SQL Server 2022's T-SQL snapshot backup: BACKUP … WITH
            // METADATA_ONLY writes only a .bkm file; the data is in a storage snapshot.
            return Restorability::MetadataOnly;
        }
        if virtual_device {
            return Restorability::Tool(self.tool_name());
        }
        Restorability::Native
    }

    /// The tool behind a virtual-device backup, as far as msdb says.
    fn tool_name(&self) -> String {
        let software = self
            .software_name
            .as_deref()
            .filter(|s| !s.is_empty() && *s != "Microsoft SQL Server");
        let device = self
            .families
            .first()
            .and_then(|f| f.physical_device_name.as_deref())
            .filter(|n| !n.is_empty());
        match (software, device) {
            (Some(s), _) => s.to_string(),
            (None, Some(d)) => format!("the VSS/VDI tool that wrote {d}"),
            (None, None) => "the VSS/VDI tool that took it".to_string(),
        }
    }

    /// File or blob names, one per stripe.
    pub fn files(&self) -> Vec<String> {
        self.families
            .iter()
            .filter_map(|f| f.physical_device_name.clone())
            .collect()
    }

    /// Where this backup went, from its first family.
    pub fn destination(&self) -> Destination {
        let Some(family) = self.families.first() else {
            return Destination::Unknown;
        };
        let name = family.physical_device_name.as_deref().unwrap_or("");
        if name.eq_ignore_ascii_case("nul") || name.eq_ignore_ascii_case("\\\\.\\nul") {
            return Destination::Nul;
        }
        match family.device_type {
            Some(DeviceType::Url) => container_of_url(name)
                .map(Destination::Container)
                .unwrap_or(Destination::Unknown),
            Some(DeviceType::VirtualDevice) => Destination::VirtualDevice,
            Some(DeviceType::Tape) => Destination::Tape,
            Some(DeviceType::Disk) | Some(DeviceType::LogicalDevice) => {
                Destination::Disk(parent_folder(name))
            }
            _ if name.starts_with("http://") || name.starts_with("https://") => {
                container_of_url(name)
                    .map(Destination::Container)
                    .unwrap_or(Destination::Unknown)
            }
            _ => Destination::Unknown,
        }
    }

    /// Who produced this backup: destination + user + software.
    pub fn producer(&self) -> Producer {
        Producer {
            destination: self.destination(),
            user_name: self.user_name.clone().unwrap_or_default(),
            software_name: self.software_name.clone().unwrap_or_default(),
        }
    }
}

/// The identity of a backup producer, used to tell a second producer of
/// log backups apart from the one that owns the chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Producer {
    pub destination: Destination,
    pub user_name: String,
    pub software_name: String,
}

impl Producer {
    pub fn label(&self) -> String {
        let mut parts = vec![self.destination.label()];
        if !self.user_name.is_empty() {
            parts.push(format!("by {}", self.user_name));
        }
        if !self.software_name.is_empty() && self.software_name != "Microsoft SQL Server" {
            parts.push(format!("with {}", self.software_name));
        }
        parts.join(" ")
    }
}

/// `https://acct.blob.core.windows.net/cont/path/file.bak` → `acct/cont`.
pub fn container_of_url(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let mut parts = rest.split('/');
    let host = parts.next()?;
    let container = parts.next()?;
    let account = host.split('.').next().unwrap_or(host);
    if account.is_empty() || container.is_empty() {
        return None;
    }
    // Azurite and emulators put the account in the path.
    if host.starts_with("127.") || host.starts_with("localhost") {
        let real_container = parts.next()?;
        return Some(format!("{container}/{real_container}"));
    }
    Some(format!("{}/{}", account.to_ascii_lowercase(), container))
}

fn parent_folder(path: &str) -> String {
    match path.rfind(['\\', '/']) {
        Some(idx) => path[..idx].to_ascii_lowercase(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_from_url() {
        assert_eq!(
            container_of_url("https://Prodstore.blob.core.windows.net/sql16-prod/Sales_x.bak?sv=1"),
            Some("prodstore/sql16-prod".into())
        );
        assert_eq!(
            container_of_url("http://127.0.0.1:10000/devstoreaccount1/c1/a.bak"),
            Some("devstoreaccount1/c1".into())
        );
        assert_eq!(container_of_url("not a url"), None);
    }

    #[test]
    fn recovery_model_spellings() {
        assert_eq!(
            RecoveryModel::parse("BULK-LOGGED"),
            Some(RecoveryModel::BulkLogged)
        );
        assert_eq!(
            RecoveryModel::parse("bulk_logged"),
            Some(RecoveryModel::BulkLogged)
        );
        assert_eq!(RecoveryModel::parse("?"), None);
    }
}
