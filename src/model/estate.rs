//! Instances and databases as the console shows them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{BackupSet, Lsn, RecoveryModel};

/// What `SERVERPROPERTY` told us about an instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ServerInfo {
    #[serde(default)]
    pub server_name: Option<String>,
    #[serde(default)]
    pub machine_name: Option<String>,
    #[serde(default)]
    pub instance_name: Option<String>,
    #[serde(default)]
    pub product_version: Option<String>,
    #[serde(default)]
    pub edition: Option<String>,
    /// Minutes east of UTC; used when a row has no `time_zone`.
    #[serde(default)]
    pub utc_offset_minutes: Option<i32>,
}

impl ServerInfo {
    /// Major version from `ProductVersion` (12 = 2014, 13 = 2016, ...).
    pub fn major_version(&self) -> Option<u32> {
        self.product_version
            .as_deref()?
            .split('.')
            .next()?
            .trim()
            .parse()
            .ok()
    }

    pub fn version_name(&self) -> String {
        match self.major_version() {
            Some(10) => "2008/R2".into(),
            Some(11) => "2012".into(),
            Some(12) => "2014".into(),
            Some(13) => "2016".into(),
            Some(14) => "2017".into(),
            Some(15) => "2019".into(),
            Some(16) => "2022".into(),
            Some(17) => "2025".into(),
            Some(n) => format!("v{n}"),
            None => "?".into(),
        }
    }
}

/// Which Managed Backup generation a configuration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ManagedBackupSchema {
    /// SQL Server 2014 `msdb.smart_admin`.
    SmartAdmin,
    /// SQL Server 2016+ `msdb.managed_backup`.
    ManagedBackup,
}

/// A database's row of `fn_backup_db_config`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagedBackupConfig {
    pub schema: ManagedBackupSchema,
    pub enabled: bool,
    pub retention_days: Option<u32>,
    pub storage_url: Option<String>,
    pub credential_name: Option<String>,
    pub is_dropped: bool,
}

/// Mirroring role from `sys.database_mirroring`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MirroringRole {
    Principal,
    Mirror,
}

/// A database: from `sys.databases` when it exists, or only from history
/// (dropped, detached, or restored elsewhere).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Database {
    pub name: String,
    pub database_id: Option<i64>,
    /// `false` when the database is known only from backup history.
    pub exists: bool,
    /// Known to be gone: `sys.databases` was collected and does not list it,
    /// or Managed Backup reports it dropped.
    pub dropped: bool,
    pub state_desc: Option<String>,
    pub recovery_model: Option<RecoveryModel>,
    pub is_read_only: bool,
    pub database_guid: Option<Uuid>,
    pub family_guid: Option<Uuid>,
    pub recovery_fork_guid: Option<Uuid>,
    pub last_log_backup_lsn: Option<Lsn>,
    pub log_reuse_wait_desc: Option<String>,
    pub group_database_id: Option<Uuid>,
    /// `Some(true)` when this replica is the AG primary for the database.
    pub is_primary_replica: Option<bool>,
    pub mirroring_role: Option<MirroringRole>,
    /// `None` when not collected (before 2016, or no permission).
    pub stretch_enabled: Option<bool>,
    pub managed_backup: Option<ManagedBackupConfig>,
    pub create_date: Option<DateTime<Utc>>,
    /// `sys.databases.source_database_id`: set for a database snapshot (of that database).
    pub source_database_id: Option<i64>,
    /// `sys.databases.is_in_standby`: restored WITH STANDBY (read-only between log restores).
    pub is_in_standby: bool,
}

impl Database {
    pub fn new_named(name: &str) -> Database {
        Database {
            name: name.to_string(),
            database_id: None,
            exists: false,
            dropped: false,
            state_desc: None,
            recovery_model: None,
            is_read_only: false,
            database_guid: None,
            family_guid: None,
            recovery_fork_guid: None,
            last_log_backup_lsn: None,
            log_reuse_wait_desc: None,
            group_database_id: None,
            is_primary_replica: None,
            mirroring_role: None,
            stretch_enabled: None,
            managed_backup: None,
            create_date: None,
            source_database_id: None,
            is_in_standby: false,
        }
    }

    /// System databases are listed but not judged like user databases.
    pub fn is_system(&self) -> bool {
        matches!(
            self.name.to_ascii_lowercase().as_str(),
            "master" | "model" | "msdb" | "tempdb"
        )
    }
}

/// A catalog table that was not collected, with the reason when known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingTable {
    pub table: String,
    pub reason: Option<String>,
}

/// One SQL Server instance and everything collected from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    pub name: String,
    pub server: ServerInfo,
    pub databases: Vec<Database>,
    /// Backup history (one entry per backup set; stripes are inside).
    pub backups: Vec<BackupSet>,
    /// Whether `msdb.dbo.backupset` was collected at all.
    pub history_collected: bool,
    /// Tables the analysis would use but the snapshot did not carry.
    pub missing_tables: Vec<MissingTable>,
    /// Rows that could not be read, with the reason (the rest still loads).
    pub row_problems: Vec<String>,
    /// Per table, the databases whose rows this login could not see, and
    /// why (the collector's `not_visible`: no user in it, no CONTROL, an
    /// unreadable AG secondary).
    #[serde(skip)]
    pub not_visible: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// The raw catalog rows, for the checks of later layers.
    #[serde(skip)]
    pub tables: super::Tables,
}

impl Instance {
    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|d| d.name == name)
    }

    /// The rows of one raw catalog table, each knowing its table and
    /// position; empty when the snapshot did not carry the table.
    pub fn catalog_rows(&self, table: &str) -> Vec<super::catalog::Row<'_>> {
        match self.tables.get_key_value(table) {
            Some((name, t)) => t
                .rows()
                .enumerate()
                .map(|(index, row)| super::catalog::Row {
                    table: name.as_str(),
                    index,
                    row,
                })
                .collect(),
            None => Vec::new(),
        }
    }
}

/// Everything the console looks at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estate {
    pub collected_at: Option<DateTime<Utc>>,
    /// Where the data came from, e.g. "demo estate" or a file name.
    pub source: String,
    pub is_demo: bool,
    pub instances: Vec<Instance>,
    /// The config's per-database policy (empty: the built-in thresholds).
    #[serde(skip)]
    pub policies: std::sync::Arc<super::policy::PolicyBook>,
}

impl Estate {
    pub fn instance(&self, name: &str) -> Option<&Instance> {
        self.instances
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(name))
    }
}
