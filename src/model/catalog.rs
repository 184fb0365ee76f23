//! The catalog's vocabulary: every table and function name chainwatch
//! collects or reads, and typed access to their rows. One spelling, so the
//! collector, the loader and the rules cannot drift apart.

mod row;

pub use row::{parse_datetime, LocalOrUtc, Row, RowError};

use super::ManagedBackupSchema;

pub const BACKUPSET: &str = "msdb.dbo.backupset";
pub const BACKUPMEDIAFAMILY: &str = "msdb.dbo.backupmediafamily";
pub const BACKUPMEDIASET: &str = "msdb.dbo.backupmediaset";
pub const BACKUPFILE: &str = "msdb.dbo.backupfile";
pub const RESTOREHISTORY: &str = "msdb.dbo.restorehistory";
pub const LOGMARKHISTORY: &str = "msdb.dbo.logmarkhistory";
pub const DATABASES: &str = "sys.databases";
pub const RECOVERY_STATUS: &str = "sys.database_recovery_status";
pub const MIRRORING: &str = "sys.database_mirroring";
pub const HADR_REPLICA_STATES: &str = "sys.dm_hadr_database_replica_states";
pub const AVAILABILITY_GROUPS: &str = "sys.availability_groups";
pub const AVAILABILITY_REPLICAS: &str = "sys.availability_replicas";
pub const SERVER_CREDENTIALS: &str = "sys.credentials";
/// Free space of the volumes that hold database files (a DMF read through
/// `sys.master_files`).
pub const VOLUME_STATS: &str = "sys.dm_os_volume_stats";
pub const SCOPED_CREDENTIALS: &str = "sys.database_scoped_credentials";
pub const RDA_DATABASES: &str = "sys.remote_data_archive_databases";
pub const RDA_TABLES: &str = "sys.remote_data_archive_tables";
pub const LOG_SHIPPING_PRIMARY: &str = "msdb.dbo.log_shipping_primary_databases";
pub const LOG_SHIPPING_SECONDARY_DBS: &str = "msdb.dbo.log_shipping_secondary_databases";
pub const LOG_SHIPPING_SECONDARY: &str = "msdb.dbo.log_shipping_secondary";
pub const SYSJOBS: &str = "msdb.dbo.sysjobs";
pub const SYSJOBSTEPS: &str = "msdb.dbo.sysjobsteps";
pub const MAINTPLAN_PLANS: &str = "msdb.dbo.sysmaintplan_plans";
pub const MAINTPLAN_SUBPLANS: &str = "msdb.dbo.sysmaintplan_subplans";
pub const MAINTPLAN_LOG: &str = "msdb.dbo.sysmaintplan_log";
pub const MAINTPLAN_LOGDETAIL: &str = "msdb.dbo.sysmaintplan_logdetail";
pub const MB_DB_CONFIG: &str = "msdb.managed_backup.fn_backup_db_config";
pub const SA_DB_CONFIG: &str = "msdb.smart_admin.fn_backup_db_config";
pub const MB_INSTANCE_CONFIG: &str = "msdb.managed_backup.fn_backup_instance_config";
pub const SA_INSTANCE_CONFIG: &str = "msdb.smart_admin.fn_backup_instance_config";
pub const MB_MASTER_SWITCH: &str = "msdb.managed_backup.fn_is_master_switch_on";
pub const SA_MASTER_SWITCH: &str = "msdb.smart_admin.fn_is_master_switch_on";
pub const MB_AVAILABLE: &str = "msdb.managed_backup.fn_available_backups";
pub const SA_AVAILABLE: &str = "msdb.smart_admin.fn_available_backups";

/// `fn_available_backups` of the Managed Backup generation that owns a database.
pub fn available_backups(schema: ManagedBackupSchema) -> &'static str {
    match schema {
        ManagedBackupSchema::SmartAdmin => SA_AVAILABLE,
        ManagedBackupSchema::ManagedBackup => MB_AVAILABLE,
    }
}
