//! Catalog SELECTs, one documented constant per object.
//!
//! Every query starts with a `-- chainwatch: <table>` line: it names the
//! snapshot table the rows go to, shows up in a DBA's trace as chainwatch's,
//! and lets the TDS test server answer it. Placeholders, filled by
//! [`render`]: `{after_id}` (last `backup_set_id` already read),
//! `{window_start}` ([`WINDOW_START`]), `{horizon_days}`, `{db}` (a
//! QUOTENAME'd database) and `{db_name}` (the same as an `N'...'` literal).
//!
//! `SERVERPROPERTY` returns `sql_variant`, which tiberius cannot decode: every
//! property is CAST. LSNs stay `numeric(25,0)` and are read exactly.

use crate::model::catalog;

/// Which rows of a query are read, and how often it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Once per instance.
    Server,
    /// Once per instance, bounded by the history window.
    Window,
    /// Once per online user database (`{db}`, `{db_name}`).
    PerDatabase,
    /// Once per database in the Managed Backup configuration.
    PerManagedDatabase,
}

/// A catalog SELECT and what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogQuery {
    /// The constant's name (for `--print-sql` and messages).
    pub name: &'static str,
    /// The snapshot table (three-part catalog name).
    pub table: &'static str,
    pub sql: &'static str,
    /// The permission a read-only monitor needs (domain.md §9).
    pub needs: &'static str,
    pub scope: Scope,
}

/// Server facts: version, edition, names, and the UTC offset msdb dates are written in.
pub const SERVER: &str = "-- chainwatch: server
SELECT
    CAST(SERVERPROPERTY('ServerName') AS nvarchar(128)) AS server_name,
    CAST(SERVERPROPERTY('MachineName') AS nvarchar(128)) AS machine_name,
    CAST(SERVERPROPERTY('InstanceName') AS nvarchar(128)) AS instance_name,
    CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product_version,
    CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition,
    DATEDIFF(MINUTE, GETUTCDATE(), GETDATE()) AS utc_offset_minutes";

/// First `backup_set_id` of the window: the oldest of the latest full backups
/// taken before the horizon (one per database), so every chain in the window
/// has its anchoring full; 0 when no full is that old.
pub const WINDOW_START: &str = "COALESCE((SELECT MIN(x.anchor) FROM (SELECT MAX(f.backup_set_id) AS anchor FROM msdb.dbo.backupset AS f WHERE f.type = 'D' AND f.backup_start_date < DATEADD(DAY, -{horizon_days}, GETDATE()) GROUP BY f.database_name) AS x), 0)";

/// Online user databases, for the per-database queries.
pub const USER_DATABASES: &str = "-- chainwatch: databases to visit
SELECT d.name, HAS_DBACCESS(d.name) AS has_dbaccess,
    HAS_PERMS_BY_NAME(d.name, 'DATABASE', 'CONTROL') AS has_control
FROM sys.databases AS d WHERE d.database_id > 4 AND d.state = 0 ORDER BY d.name";

/// Databases in the Managed Backup configuration, dropped ones included (their
/// backups stay in the container), for `fn_available_backups`.
pub const MANAGED_DATABASES_MB: &str = "-- chainwatch: managed databases
SELECT c.db_name FROM msdb.managed_backup.fn_backup_db_config(NULL) AS c";

/// The same on 2014.
pub const MANAGED_DATABASES_SA: &str = "-- chainwatch: managed databases
SELECT c.db_name FROM msdb.smart_admin.fn_backup_db_config(NULL) AS c";

/// The longest Managed Backup retention, which widens the window.
pub const MAX_RETENTION_MB: &str = "-- chainwatch: retention
SELECT MAX(c.retention_days) AS retention_days FROM msdb.managed_backup.fn_backup_db_config(NULL) AS c";

/// The same on 2014.
pub const MAX_RETENTION_SA: &str = "-- chainwatch: retention
SELECT MAX(c.retention_days) AS retention_days FROM msdb.smart_admin.fn_backup_db_config(NULL) AS c";

/// `msdb.dbo.backupset`: One row per backup. Bounded: everything from the anchoring full before the horizon on, and only ids above the last one already read (incremental refresh). LSN columns are `numeric(25,0)` and are read exactly through `Numeric::value()`.
///
/// Needs: SELECT in msdb.
pub const BACKUPSET: &str = "-- chainwatch: msdb.dbo.backupset
SELECT
    b.backup_finish_date, b.backup_set_id, b.backup_set_uuid, b.backup_size,
    b.backup_start_date, b.begins_log_chain, b.checkpoint_lsn, b.compressed_backup_size,
    b.database_backup_lsn, b.database_creation_date, b.database_guid, b.database_name,
    b.description, b.differential_base_guid, b.differential_base_lsn, b.encryptor_type,
    b.family_guid, b.first_lsn, b.first_recovery_fork_guid, b.fork_point_lsn,
    b.has_backup_checksums, b.has_bulk_logged_data, b.has_incomplete_metadata, b.is_copy_only, b.is_damaged,
    b.is_force_offline, b.is_snapshot, b.key_algorithm, b.last_lsn, b.last_recovery_fork_guid,
    b.machine_name, b.media_set_id, b.name, b.position, b.recovery_model, b.server_name,
    b.software_build_version, b.software_major_version, b.software_minor_version, b.time_zone,
    b.type, b.user_name
FROM msdb.dbo.backupset AS b
WHERE b.backup_set_id > {after_id} AND b.backup_set_id >= {window_start}
ORDER BY b.backup_set_id";

/// `msdb.dbo.backupmediaset`: Media sets of the backups in the window (compression, encryption, family count).
///
/// Needs: SELECT in msdb.
pub const BACKUPMEDIASET: &str = "-- chainwatch: msdb.dbo.backupmediaset
SELECT
    m.is_compressed, m.is_encrypted, m.media_family_count, m.media_set_id, m.media_uuid,
    m.mirror_count, m.name, m.software_name, m.software_vendor_id
FROM msdb.dbo.backupmediaset AS m
WHERE m.media_set_id IN (SELECT b.media_set_id FROM msdb.dbo.backupset AS b WHERE b.backup_set_id > {after_id} AND b.backup_set_id >= {window_start})
ORDER BY m.media_set_id";

/// `msdb.dbo.backupmediafamily`: Files and URLs of the backups in the window, one row per family and mirror.
///
/// Needs: SELECT in msdb.
pub const BACKUPMEDIAFAMILY: &str = "-- chainwatch: msdb.dbo.backupmediafamily
SELECT
    f.device_type, f.family_sequence_number, f.logical_device_name, f.media_family_id,
    f.media_set_id, f.mirror, f.physical_block_size, f.physical_device_name
FROM msdb.dbo.backupmediafamily AS f
WHERE f.media_set_id IN (SELECT b.media_set_id FROM msdb.dbo.backupset AS b WHERE b.backup_set_id > {after_id} AND b.backup_set_id >= {window_start})
ORDER BY f.media_set_id, f.family_sequence_number, f.mirror";

/// `msdb.dbo.backupfile`: Data and log files inside the backups in the window (for MOVE targets).
///
/// Needs: SELECT in msdb.
pub const BACKUPFILE: &str = "-- chainwatch: msdb.dbo.backupfile
SELECT
    f.backup_set_id, f.backup_size, f.file_number, f.file_size, f.file_type, f.filegroup_name,
    f.is_present, f.logical_name, f.physical_name, f.state_desc
FROM msdb.dbo.backupfile AS f
WHERE f.backup_set_id IN (SELECT b.backup_set_id FROM msdb.dbo.backupset AS b WHERE b.backup_set_id > {after_id} AND b.backup_set_id >= {window_start})
ORDER BY f.backup_set_id, f.file_number";

/// `msdb.dbo.restorehistory`: Restores done on this instance inside the horizon (a restore may start a new recovery fork).
///
/// Needs: SELECT in msdb.
pub const RESTOREHISTORY: &str = "-- chainwatch: msdb.dbo.restorehistory
SELECT
    r.backup_set_id, r.destination_database_name, r.device_count, r.recovery, r.replace,
    r.restart, r.restore_date, r.restore_history_id, r.restore_type, r.stop_at,
    r.stop_at_mark_name, r.stop_before, r.user_name
FROM msdb.dbo.restorehistory AS r
WHERE r.restore_date >= DATEADD(DAY, -{horizon_days}, GETDATE())
ORDER BY r.restore_history_id";

/// `msdb.dbo.logmarkhistory`: Marked transactions (BEGIN TRAN … WITH MARK) inside the horizon: the restore wizard offers them as STOPATMARK targets.
///
/// Columns: docs page "logmarkhistory (Transact-SQL)" (ms180087): lsn is
/// numeric(25,0), mark_time is the commit time in server local time.
///
/// Needs: SELECT in msdb.
pub const LOGMARKHISTORY: &str = "-- chainwatch: msdb.dbo.logmarkhistory
SELECT
    m.database_name, m.mark_name, m.description, m.user_name, m.lsn, m.mark_time
FROM msdb.dbo.logmarkhistory AS m
WHERE m.mark_time >= DATEADD(DAY, -{horizon_days}, GETDATE())
ORDER BY m.lsn";

/// `sys.databases`: Every database: state, recovery model, AG membership (2012+ columns). 2016+ adds Stretch, see `DATABASES_2016`.
///
/// Needs: VIEW ANY DATABASE.
pub const DATABASES: &str = "-- chainwatch: sys.databases
SELECT
    d.compatibility_level, d.create_date, d.database_id, d.group_database_id, d.is_encrypted,
    d.is_in_standby, d.is_read_only, d.log_reuse_wait_desc, d.name, d.recovery_model,
    d.recovery_model_desc, d.replica_id, d.source_database_id, d.state, d.state_desc
FROM sys.databases AS d
ORDER BY d.database_id";

/// `sys.databases`: `sys.databases` on 2016+, with `is_remote_data_archive_enabled` (Stretch).
///
/// Needs: VIEW ANY DATABASE.
pub const DATABASES_2016: &str = "-- chainwatch: sys.databases
SELECT
    d.compatibility_level, d.create_date, d.database_id, d.group_database_id, d.is_encrypted,
    d.is_in_standby, d.is_read_only, d.log_reuse_wait_desc, d.name, d.recovery_model,
    d.recovery_model_desc, d.replica_id, d.source_database_id, d.state, d.state_desc,
    d.is_remote_data_archive_enabled
FROM sys.databases AS d
ORDER BY d.database_id";

/// `sys.database_recovery_status`: Recovery fork and last log backup LSN of every database (NULL in SIMPLE or before the first full).
///
/// Needs: VIEW ANY DATABASE.
pub const RECOVERY_STATUS: &str = "-- chainwatch: sys.database_recovery_status
SELECT
    s.database_guid, s.database_id, s.family_guid, s.first_recovery_fork_guid,
    s.fork_point_lsn, s.last_log_backup_lsn, s.recovery_fork_guid
FROM sys.database_recovery_status AS s
ORDER BY s.database_id";

/// `sys.database_mirroring`: Mirroring role per database: a mirror cannot be backed up.
///
/// Needs: VIEW ANY DATABASE (sysadmin for mirror-side values).
pub const MIRRORING: &str = "-- chainwatch: sys.database_mirroring
SELECT
    m.database_id, m.mirroring_connection_timeout, m.mirroring_end_of_log_lsn,
    m.mirroring_failover_lsn, m.mirroring_guid, m.mirroring_partner_instance,
    m.mirroring_partner_name, m.mirroring_redo_queue, m.mirroring_replication_lsn,
    m.mirroring_role, m.mirroring_role_desc, m.mirroring_role_sequence,
    m.mirroring_safety_level, m.mirroring_safety_level_desc, m.mirroring_state,
    m.mirroring_state_desc, m.mirroring_witness_name, m.mirroring_witness_state,
    m.mirroring_witness_state_desc
FROM sys.database_mirroring AS m
ORDER BY m.database_id";

/// `sys.dm_hadr_database_replica_states`: Availability database states on this replica.
///
/// Needs: VIEW SERVER STATE.
pub const HADR_REPLICA_STATES: &str = "-- chainwatch: sys.dm_hadr_database_replica_states
SELECT
    s.database_id, s.database_state_desc, s.group_database_id, s.group_id, s.is_local,
    s.is_primary_replica, s.is_suspended, s.replica_id, s.synchronization_health,
    s.synchronization_health_desc, s.synchronization_state, s.synchronization_state_desc
FROM sys.dm_hadr_database_replica_states AS s
WHERE s.is_local = 1";

/// `sys.availability_groups`: Availability groups and their automated backup preference (2012–2014 columns).
///
/// Columns per version from the docs page "sys.availability_groups (Transact-SQL)":
/// `basic_features` and `is_distributed` came with 2016, `cluster_type` and
/// `cluster_type_desc` with 2017; naming them on an older server fails the
/// whole query (error 207), so each version gets only what it has.
///
/// Needs: VIEW ANY DEFINITION.
pub const AVAILABILITY_GROUPS: &str = "-- chainwatch: sys.availability_groups
SELECT
    g.automated_backup_preference, g.automated_backup_preference_desc, g.group_id, g.name
FROM sys.availability_groups AS g";

/// `sys.availability_groups` on 2016: adds `basic_features`, `is_distributed`.
///
/// Needs: VIEW ANY DEFINITION.
pub const AVAILABILITY_GROUPS_2016: &str = "-- chainwatch: sys.availability_groups
SELECT
    g.automated_backup_preference, g.automated_backup_preference_desc, g.basic_features,
    g.group_id, g.is_distributed, g.name
FROM sys.availability_groups AS g";

/// `sys.availability_groups` on 2017+: adds `cluster_type`, `cluster_type_desc`.
///
/// Needs: VIEW ANY DEFINITION.
pub const AVAILABILITY_GROUPS_2017: &str = "-- chainwatch: sys.availability_groups
SELECT
    g.automated_backup_preference, g.automated_backup_preference_desc, g.basic_features,
    g.cluster_type, g.cluster_type_desc, g.group_id, g.is_distributed, g.name
FROM sys.availability_groups AS g";

/// `sys.availability_replicas`: Replicas with backup priority: with the group's preference they decide the preferred backup replica.
///
/// Needs: VIEW ANY DEFINITION.
pub const AVAILABILITY_REPLICAS: &str = "-- chainwatch: sys.availability_replicas
SELECT
    r.availability_mode, r.availability_mode_desc, r.backup_priority, r.endpoint_url,
    r.failover_mode, r.failover_mode_desc, r.group_id, r.replica_id, r.replica_server_name,
    r.secondary_role_allow_connections, r.secondary_role_allow_connections_desc
FROM sys.availability_replicas AS r";

/// `sys.credentials`: Server credentials (names only matter: Managed Backup SAS credentials are named after the container URL). Secrets are never readable.
///
/// Needs: VIEW ANY DEFINITION.
pub const CREDENTIALS: &str = "-- chainwatch: sys.credentials
SELECT
    c.create_date, c.credential_id, c.credential_identity, c.modify_date, c.name, c.target_id,
    c.target_type
FROM sys.credentials AS c";

/// `sys.dm_os_volume_stats`: size and free space of each volume that holds a
/// database file, for the restore pre-flight. The function takes a
/// database and file id, so it is applied to every row of `sys.master_files`
/// (the docs page's own example); DISTINCT keeps one row per volume. On
/// Linux the mount point can be NULL.
///
/// Needs: VIEW SERVER STATE (VIEW SERVER PERFORMANCE STATE on 2022).
pub const VOLUME_STATS: &str = "-- chainwatch: sys.dm_os_volume_stats
SELECT DISTINCT
    v.available_bytes, v.total_bytes, v.volume_mount_point
FROM sys.master_files AS f
CROSS APPLY sys.dm_os_volume_stats(f.database_id, f.file_id) AS v";

/// `sys.database_scoped_credentials`: Database scoped credential names, per user database (Stretch uses one).
///
/// Needs: CONTROL on the database.
pub const SCOPED_CREDENTIALS: &str = "-- chainwatch: sys.database_scoped_credentials
SELECT {db_name} AS database_name,
    c.create_date, c.credential_id, c.credential_identity, c.modify_date, c.name,
    c.principal_id, c.target_id, c.target_type
FROM {db}.sys.database_scoped_credentials AS c";

/// `sys.remote_data_archive_databases`: Stretch: the remote Azure database of a stretched database (2016+).
///
/// Needs: VIEW ANY DATABASE.
pub const STRETCH_DATABASES: &str = "-- chainwatch: sys.remote_data_archive_databases
SELECT {db_name} AS database_name,
    r.data_source_id, r.remote_database_id, r.remote_database_name
FROM {db}.sys.remote_data_archive_databases AS r";

/// `sys.remote_data_archive_tables`: Stretch: the stretched tables of a database and their migration state (2016+).
///
/// Needs: VIEW ANY DATABASE.
pub const STRETCH_TABLES: &str = "-- chainwatch: sys.remote_data_archive_tables
SELECT {db_name} AS database_name,
    r.filter_predicate, r.is_migration_paused, r.is_reconciled, r.migration_direction,
    r.migration_direction_desc, r.object_id, r.remote_database_id, r.remote_table_name
FROM {db}.sys.remote_data_archive_tables AS r";

/// `msdb.dbo.log_shipping_primary_databases`: Log shipping primaries: their backup job conflicts with Managed Backup.
///
/// Needs: SELECT in msdb.
pub const LOG_SHIPPING_PRIMARY: &str = "-- chainwatch: msdb.dbo.log_shipping_primary_databases
SELECT
    l.backup_compression, l.backup_directory, l.backup_job_id, l.backup_retention_period,
    l.backup_share, l.last_backup_date, l.last_backup_file, l.monitor_server,
    l.monitor_server_security_mode, l.primary_database, l.primary_id, l.user_specified_monitor
FROM msdb.dbo.log_shipping_primary_databases AS l";

/// `msdb.dbo.sysjobs`: Agent jobs that have a step running BACKUP (the steps are in `SYSJOBSTEPS`). `owner_sid` is shown as 0x hex.
///
/// Needs: SELECT in msdb.
pub const SYSJOBS: &str = "-- chainwatch: msdb.dbo.sysjobs
SELECT
    j.category_id, j.date_created, j.date_modified, j.description, j.enabled, j.job_id, j.name,
    j.originating_server_id, CONVERT(varchar(172), j.owner_sid, 1) AS owner_sid,
    j.start_step_id, j.version_number
FROM msdb.dbo.sysjobs AS j
WHERE j.job_id IN (SELECT s.job_id FROM msdb.dbo.sysjobsteps AS s WHERE s.command LIKE N'%BACKUP%')";

/// `msdb.dbo.sysjobsteps`: Agent job steps whose command runs BACKUP (T-SQL, PowerShell, CmdExec, SSIS maintenance plans).
///
/// Needs: SELECT in msdb.
pub const SYSJOBSTEPS: &str = "-- chainwatch: msdb.dbo.sysjobsteps
SELECT
    s.command, s.database_name, s.job_id, s.last_run_date, s.last_run_duration,
    s.last_run_outcome, s.last_run_time, s.output_file_name, s.proxy_id, s.step_id,
    s.step_name, s.step_uid, s.subsystem
FROM msdb.dbo.sysjobsteps AS s
WHERE s.command LIKE N'%BACKUP%'
ORDER BY s.job_id, s.step_id";

/// `msdb.dbo.sysmaintplan_plans`: Maintenance plans (undocumented msdb objects; column list from public schema dumps, see domain.md §4.2).
///
/// Needs: SELECT in msdb.
pub const MAINTPLAN_PLANS: &str = "-- chainwatch: msdb.dbo.sysmaintplan_plans
SELECT
    p.name, p.id, p.description, p.create_date, p.owner, p.version_major, p.version_minor,
    p.version_build, p.version_comments, p.from_msx, p.has_targets
FROM msdb.dbo.sysmaintplan_plans AS p";

/// `msdb.dbo.sysmaintplan_subplans`: Maintenance plans (undocumented msdb objects; column list from public schema dumps, see domain.md §4.2).
///
/// Needs: SELECT in msdb.
pub const MAINTPLAN_SUBPLANS: &str = "-- chainwatch: msdb.dbo.sysmaintplan_subplans
SELECT
    p.subplan_id, p.subplan_name, p.subplan_description, p.plan_id, p.job_id, p.msx_job_id,
    p.schedule_id, p.msx_plan
FROM msdb.dbo.sysmaintplan_subplans AS p";

/// `msdb.dbo.sysmaintplan_log`: Maintenance plans (undocumented msdb objects; column list from public schema dumps, see domain.md §4.2). Only the horizon's runs.
///
/// Needs: SELECT in msdb.
pub const MAINTPLAN_LOG: &str = "-- chainwatch: msdb.dbo.sysmaintplan_log
SELECT
    p.task_detail_id, p.plan_id, p.subplan_id, p.start_time, p.end_time, p.succeeded,
    p.logged_remotely, p.source_server_name, p.plan_name, p.subplan_name
FROM msdb.dbo.sysmaintplan_log AS p
WHERE p.start_time >= DATEADD(DAY, -{horizon_days}, GETDATE())";

/// `msdb.dbo.sysmaintplan_logdetail`: Maintenance plans (undocumented msdb objects; column list from public schema dumps, see domain.md §4.2). Only the horizon's runs.
///
/// Needs: SELECT in msdb.
pub const MAINTPLAN_LOGDETAIL: &str = "-- chainwatch: msdb.dbo.sysmaintplan_logdetail
SELECT
    p.task_detail_id, p.line1, p.line2, p.line3, p.line4, p.line5, p.server_name, p.start_time,
    p.end_time, p.error_number, p.error_message, p.command, p.succeeded
FROM msdb.dbo.sysmaintplan_logdetail AS p
WHERE p.start_time >= DATEADD(DAY, -{horizon_days}, GETDATE())";

/// The text of a Managed Backup function's query, for one schema: 2014's
/// `smart_admin` and 2016+'s `managed_backup` functions read the same
/// columns, so both constants come from one spelling.
macro_rules! managed_sql {
    (db_config, $schema:literal) => {
        concat!(
            "-- chainwatch: msdb.",
            $schema,
            ".fn_backup_db_config
SELECT
    c.credential_name, c.db_guid, c.db_name, c.Encryption_algorithm AS encryption_algorithm,
    c.Encryptor_name AS encryptor_name, c.Encryptor_type AS encryptor_type,
    c.is_availability_database, c.is_dropped, c.is_smart_backup_enabled, c.retention_days,
    c.storage_url
FROM msdb.",
            $schema,
            ".fn_backup_db_config(NULL) AS c"
        )
    };
    (instance_config, $schema:literal) => {
        concat!(
            "-- chainwatch: msdb.",
            $schema,
            ".fn_backup_instance_config
SELECT
    c.credential_name, c.encryption_algorithm, c.encryptor_name, c.encryptor_type,
    c.is_smart_backup_enabled, c.retention_days, c.storage_url
FROM msdb.",
            $schema,
            ".fn_backup_instance_config() AS c"
        )
    };
    (master_switch, $schema:literal) => {
        concat!(
            "-- chainwatch: msdb.",
            $schema,
            ".fn_is_master_switch_on
SELECT msdb.",
            $schema,
            ".fn_is_master_switch_on() AS is_master_switch_on"
        )
    };
    (available, $schema:literal) => {
        concat!(
            "-- chainwatch: msdb.",
            $schema,
            ".fn_available_backups
SELECT {db_name} AS database_name,
    a.Backup_path, a.availability_group_guid, a.backup_finish_date, a.backup_start_date,
    a.backup_type, a.database_guid, a.expiration_date, a.first_lsn, a.first_recovery_fork_id,
    a.fork_point_lsn, a.last_lsn, a.last_recovery_fork_id, a.machine_name
FROM msdb.",
            $schema,
            ".fn_available_backups({db_name}) AS a"
        )
    };
}

/// `msdb.managed_backup.fn_backup_db_config`: Managed Backup settings of every database, 2016+: retention, container URL, credential.
///
/// Two shapes exist: the docs page ("managed_backup.fn_backup_db_config")
/// lists `is_smart_backup_enabled` and `storage_url`; msdb's own code for
/// the 2016+ function returns `is_managed_backup_enabled` and
/// `container_url`. This one is the documented shape, tried first;
/// [`MB_DB_CONFIG_MSDB`] follows when the server says a column is unknown
/// (207). The encryption columns are spelled as documented
/// (`Encryption_algorithm`) and aliased to one snapshot spelling, so a
/// case-sensitive server collation finds them.
///
/// Needs: db_backupoperator in msdb + ALTER ANY CREDENTIAL (an empty result, not an error, without them).
pub const MB_DB_CONFIG: &str = managed_sql!(db_config, "managed_backup");

/// `msdb.managed_backup.fn_backup_db_config` in the shape msdb's code returns
/// (`is_managed_backup_enabled`, `container_url`): only the columns both
/// shapes are known to share plus those two.
///
/// Needs: db_backupoperator in msdb + ALTER ANY CREDENTIAL.
pub const MB_DB_CONFIG_MSDB: &str = "-- chainwatch: msdb.managed_backup.fn_backup_db_config
SELECT
    c.container_url, c.db_guid, c.db_name, c.is_availability_database, c.is_dropped,
    c.is_managed_backup_enabled, c.retention_days
FROM msdb.managed_backup.fn_backup_db_config(NULL) AS c";

/// `msdb.managed_backup.fn_backup_instance_config`: Managed Backup instance defaults, 2016+ (documented shape).
///
/// Needs: db_backupoperator in msdb + ALTER ANY CREDENTIAL.
pub const MB_INSTANCE_CONFIG: &str = managed_sql!(instance_config, "managed_backup");

/// `msdb.managed_backup.fn_backup_instance_config` in msdb's shape.
///
/// Needs: db_backupoperator in msdb + ALTER ANY CREDENTIAL.
pub const MB_INSTANCE_CONFIG_MSDB: &str =
    "-- chainwatch: msdb.managed_backup.fn_backup_instance_config
SELECT
    c.container_url, c.is_managed_backup_enabled, c.retention_days
FROM msdb.managed_backup.fn_backup_instance_config() AS c";

/// `msdb.managed_backup.fn_is_master_switch_on`: Whether Managed Backup runs at all (the master switch), 2016+.
/// A scalar function (RETURNS bit): selected as a value, never used in FROM.
///
/// Needs: EXECUTE on the function.
pub const MB_MASTER_SWITCH: &str = managed_sql!(master_switch, "managed_backup");

/// `msdb.managed_backup.fn_available_backups`: Backups Managed Backup still keeps in the container for one database, 2016+.
///
/// Needs: SELECT on the function.
pub const MB_AVAILABLE: &str = managed_sql!(available, "managed_backup");

/// `msdb.smart_admin.fn_backup_db_config`: Managed Backup settings of every database, 2014 only: on 2016+ the
/// smart_admin functions pass through to managed_backup's, so reading both would count every row twice.
///
/// Needs: db_backupoperator in msdb + ALTER ANY CREDENTIAL.
pub const SA_DB_CONFIG: &str = managed_sql!(db_config, "smart_admin");

/// `msdb.smart_admin.fn_backup_instance_config`: Managed Backup instance defaults, 2014.
///
/// Needs: db_backupoperator in msdb + ALTER ANY CREDENTIAL.
pub const SA_INSTANCE_CONFIG: &str = managed_sql!(instance_config, "smart_admin");

/// `msdb.smart_admin.fn_is_master_switch_on`: the master switch, 2014 (a scalar function).
///
/// Needs: EXECUTE on the function.
pub const SA_MASTER_SWITCH: &str = managed_sql!(master_switch, "smart_admin");

/// `msdb.smart_admin.fn_available_backups`: Backups Managed Backup still keeps in the container for one database, 2014.
///
/// Needs: SELECT on the function.
pub const SA_AVAILABLE: &str = managed_sql!(available, "smart_admin");

/// Every catalog query, in collection order.
pub const ALL: &[CatalogQuery] = &[
    CatalogQuery {
        name: "BACKUPSET",
        table: catalog::BACKUPSET,
        sql: BACKUPSET,
        needs: "SELECT in msdb",
        scope: Scope::Window,
    },
    CatalogQuery {
        name: "BACKUPMEDIASET",
        table: catalog::BACKUPMEDIASET,
        sql: BACKUPMEDIASET,
        needs: "SELECT in msdb",
        scope: Scope::Window,
    },
    CatalogQuery {
        name: "BACKUPMEDIAFAMILY",
        table: catalog::BACKUPMEDIAFAMILY,
        sql: BACKUPMEDIAFAMILY,
        needs: "SELECT in msdb",
        scope: Scope::Window,
    },
    CatalogQuery {
        name: "BACKUPFILE",
        table: catalog::BACKUPFILE,
        sql: BACKUPFILE,
        needs: "SELECT in msdb",
        scope: Scope::Window,
    },
    CatalogQuery {
        name: "RESTOREHISTORY",
        table: catalog::RESTOREHISTORY,
        sql: RESTOREHISTORY,
        needs: "SELECT in msdb",
        scope: Scope::Window,
    },
    CatalogQuery {
        name: "LOGMARKHISTORY",
        table: catalog::LOGMARKHISTORY,
        sql: LOGMARKHISTORY,
        needs: "SELECT in msdb",
        scope: Scope::Window,
    },
    CatalogQuery {
        name: "DATABASES",
        table: catalog::DATABASES,
        sql: DATABASES,
        needs: "VIEW ANY DATABASE",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "DATABASES_2016",
        table: catalog::DATABASES,
        sql: DATABASES_2016,
        needs: "VIEW ANY DATABASE",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "RECOVERY_STATUS",
        table: catalog::RECOVERY_STATUS,
        sql: RECOVERY_STATUS,
        needs: "VIEW ANY DATABASE",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "MIRRORING",
        table: catalog::MIRRORING,
        sql: MIRRORING,
        needs: "VIEW ANY DATABASE (sysadmin for mirror-side values)",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "HADR_REPLICA_STATES",
        table: catalog::HADR_REPLICA_STATES,
        sql: HADR_REPLICA_STATES,
        needs: "VIEW SERVER STATE",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "AVAILABILITY_GROUPS",
        table: catalog::AVAILABILITY_GROUPS,
        sql: AVAILABILITY_GROUPS,
        needs: "VIEW ANY DEFINITION",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "AVAILABILITY_GROUPS_2016",
        table: catalog::AVAILABILITY_GROUPS,
        sql: AVAILABILITY_GROUPS_2016,
        needs: "VIEW ANY DEFINITION",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "AVAILABILITY_GROUPS_2017",
        table: catalog::AVAILABILITY_GROUPS,
        sql: AVAILABILITY_GROUPS_2017,
        needs: "VIEW ANY DEFINITION",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "AVAILABILITY_REPLICAS",
        table: catalog::AVAILABILITY_REPLICAS,
        sql: AVAILABILITY_REPLICAS,
        needs: "VIEW ANY DEFINITION",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "CREDENTIALS",
        table: catalog::SERVER_CREDENTIALS,
        sql: CREDENTIALS,
        needs: "VIEW ANY DEFINITION",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "VOLUME_STATS",
        table: catalog::VOLUME_STATS,
        sql: VOLUME_STATS,
        needs: "VIEW SERVER STATE",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "SCOPED_CREDENTIALS",
        table: catalog::SCOPED_CREDENTIALS,
        sql: SCOPED_CREDENTIALS,
        needs: "CONTROL on the database",
        scope: Scope::PerDatabase,
    },
    CatalogQuery {
        name: "STRETCH_DATABASES",
        table: catalog::RDA_DATABASES,
        sql: STRETCH_DATABASES,
        needs: "VIEW ANY DATABASE",
        scope: Scope::PerDatabase,
    },
    CatalogQuery {
        name: "STRETCH_TABLES",
        table: catalog::RDA_TABLES,
        sql: STRETCH_TABLES,
        needs: "VIEW ANY DATABASE",
        scope: Scope::PerDatabase,
    },
    CatalogQuery {
        name: "LOG_SHIPPING_PRIMARY",
        table: catalog::LOG_SHIPPING_PRIMARY,
        sql: LOG_SHIPPING_PRIMARY,
        needs: "SELECT in msdb",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "SYSJOBS",
        table: catalog::SYSJOBS,
        sql: SYSJOBS,
        needs: "SELECT in msdb",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "SYSJOBSTEPS",
        table: catalog::SYSJOBSTEPS,
        sql: SYSJOBSTEPS,
        needs: "SELECT in msdb",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "MAINTPLAN_PLANS",
        table: catalog::MAINTPLAN_PLANS,
        sql: MAINTPLAN_PLANS,
        needs: "SELECT in msdb",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "MAINTPLAN_SUBPLANS",
        table: catalog::MAINTPLAN_SUBPLANS,
        sql: MAINTPLAN_SUBPLANS,
        needs: "SELECT in msdb",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "MAINTPLAN_LOG",
        table: catalog::MAINTPLAN_LOG,
        sql: MAINTPLAN_LOG,
        needs: "SELECT in msdb",
        scope: Scope::Window,
    },
    CatalogQuery {
        name: "MAINTPLAN_LOGDETAIL",
        table: catalog::MAINTPLAN_LOGDETAIL,
        sql: MAINTPLAN_LOGDETAIL,
        needs: "SELECT in msdb",
        scope: Scope::Window,
    },
    CatalogQuery {
        name: "MB_DB_CONFIG",
        table: catalog::MB_DB_CONFIG,
        sql: MB_DB_CONFIG,
        needs: "db_backupoperator in msdb + ALTER ANY CREDENTIAL",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "MB_DB_CONFIG_MSDB",
        table: catalog::MB_DB_CONFIG,
        sql: MB_DB_CONFIG_MSDB,
        needs: "db_backupoperator in msdb + ALTER ANY CREDENTIAL",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "MB_INSTANCE_CONFIG",
        table: catalog::MB_INSTANCE_CONFIG,
        sql: MB_INSTANCE_CONFIG,
        needs: "db_backupoperator in msdb + ALTER ANY CREDENTIAL",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "MB_INSTANCE_CONFIG_MSDB",
        table: catalog::MB_INSTANCE_CONFIG,
        sql: MB_INSTANCE_CONFIG_MSDB,
        needs: "db_backupoperator in msdb + ALTER ANY CREDENTIAL",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "MB_MASTER_SWITCH",
        table: catalog::MB_MASTER_SWITCH,
        sql: MB_MASTER_SWITCH,
        needs: "EXECUTE on the function",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "MB_AVAILABLE",
        table: catalog::MB_AVAILABLE,
        sql: MB_AVAILABLE,
        needs: "SELECT on the function",
        scope: Scope::PerManagedDatabase,
    },
    CatalogQuery {
        name: "SA_DB_CONFIG",
        table: catalog::SA_DB_CONFIG,
        sql: SA_DB_CONFIG,
        needs: "db_backupoperator in msdb + ALTER ANY CREDENTIAL",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "SA_INSTANCE_CONFIG",
        table: catalog::SA_INSTANCE_CONFIG,
        sql: SA_INSTANCE_CONFIG,
        needs: "db_backupoperator in msdb + ALTER ANY CREDENTIAL",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "SA_MASTER_SWITCH",
        table: catalog::SA_MASTER_SWITCH,
        sql: SA_MASTER_SWITCH,
        needs: "EXECUTE on the function",
        scope: Scope::Server,
    },
    CatalogQuery {
        name: "SA_AVAILABLE",
        table: catalog::SA_AVAILABLE,
        sql: SA_AVAILABLE,
        needs: "SELECT on the function",
        scope: Scope::PerManagedDatabase,
    },
];

impl CatalogQuery {
    /// The SQL Server major versions the query is sent to: `(from, before)`
    /// (`before` exclusive). One place for the collector, the `--print-sql`
    /// script and `doctor`.
    pub fn versions(&self) -> (u32, u32) {
        match self.name {
            "DATABASES" => (0, 13),
            "DATABASES_2016" | "STRETCH_DATABASES" | "STRETCH_TABLES" => (13, u32::MAX),
            "SCOPED_CREDENTIALS" => (13, u32::MAX),
            "AVAILABILITY_GROUPS" => (11, 13),
            "AVAILABILITY_GROUPS_2016" => (13, 14),
            "AVAILABILITY_GROUPS_2017" => (14, u32::MAX),
            "HADR_REPLICA_STATES" | "AVAILABILITY_REPLICAS" => (11, u32::MAX),
            n if n.starts_with("MB_") => (13, u32::MAX),
            // On 2016+ smart_admin's functions pass through to managed_backup's.
            n if n.starts_with("SA_") => (12, 13),
            _ => (0, u32::MAX),
        }
    }

    /// Whether the query is sent to a server of this major version.
    pub fn applies(&self, major: u32) -> bool {
        let (from, before) = self.versions();
        major >= from && major < before
    }

    /// Which documented shape of a function's result this query reads, when
    /// there are several (`docs` or `msdb`, see [`MB_DB_CONFIG`]).
    pub fn shape(&self) -> Option<&'static str> {
        match self.name {
            "MB_DB_CONFIG" | "MB_INSTANCE_CONFIG" => Some("docs"),
            "MB_DB_CONFIG_MSDB" | "MB_INSTANCE_CONFIG_MSDB" => Some("msdb"),
            _ => None,
        }
    }
}

/// Fills the placeholders in one pass over the template: text put in for a
/// placeholder is never searched again, so a name containing `{db}` stays
/// part of its literal. `db` is a database name, written as `[...]` like
/// QUOTENAME for `{db}` and as `N'...'` for `{db_name}`.
pub fn render(
    sql: &str,
    after_id: i64,
    horizon_days: u32,
    db: Option<&str>,
) -> Result<String, crate::tsql::QuoteError> {
    let quoted = match db {
        Some(d) => Some((
            crate::tsql::quote_ident(d)?,
            crate::tsql::try_quote_string(d)?,
        )),
        None => None,
    };
    let window_start = fill(WINDOW_START, &|name| match name {
        "horizon_days" => Some(horizon_days.to_string()),
        _ => None,
    });
    Ok(fill(sql, &|name| match name {
        "window_start" => Some(window_start.clone()),
        "after_id" => Some(after_id.to_string()),
        "horizon_days" => Some(horizon_days.to_string()),
        "db" => quoted.as_ref().map(|q| q.0.clone()),
        "db_name" => quoted.as_ref().map(|q| q.1.clone()),
        _ => None,
    }))
}

/// Replaces every `{name}` the lookup knows, left to right, without
/// rescanning what it put in; unknown `{...}` stay as they are.
pub fn fill(template: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        match (after[name_len..].starts_with('}'), value(name)) {
            (true, Some(v)) => {
                out.push_str(&v);
                rest = &after[name_len + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What the login may see, asked once per instance: several catalog objects
/// answer an empty result (not an error) to a login without the permission,
/// and "none" must then read "not visible". `HAS_PERMS_BY_NAME` and
/// `IS_SRVROLEMEMBER` return 1, 0 or NULL; msdb's role is asked in msdb.
pub const PERMISSIONS: &str = "-- chainwatch: permissions
SELECT
    SUSER_SNAME() AS login_name,
    IS_SRVROLEMEMBER('sysadmin') AS is_sysadmin,
    HAS_PERMS_BY_NAME(NULL, NULL, 'ALTER ANY DATABASE') AS alter_any_database,
    HAS_PERMS_BY_NAME('master', 'DATABASE', 'CREATE DATABASE') AS create_database,
    HAS_PERMS_BY_NAME(NULL, NULL, 'ALTER ANY CREDENTIAL') AS alter_any_credential,
    HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW ANY DEFINITION') AS view_any_definition,
    HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW SERVER STATE') AS view_server_state";

/// Whether the login is in msdb's db_backupoperator role (run in msdb).
pub const MSDB_BACKUPOPERATOR: &str = "-- chainwatch: permissions in msdb
EXEC msdb.sys.sp_executesql N'SELECT IS_ROLEMEMBER(N''db_backupoperator'') AS is_backupoperator'";

/// The snapshot table a batch is for, from its first line.
pub fn table_of(sql: &str) -> Option<&str> {
    sql.trim_start()
        .strip_prefix("-- chainwatch: ")
        .map(|rest| rest.lines().next().unwrap_or("").trim())
}

/// Catalog SELECTs that verify the Stretch link in the restored database
/// (`{db}` is replaced by the quoted name). The `-- chainwatch:` line names
/// the catalog object, as every collection query does.
pub const VERIFY_RDA_DATABASES: &str = "-- chainwatch: sys.remote_data_archive_databases\nUSE {db};\nSELECT remote_database_id, remote_database_name, data_source_id FROM sys.remote_data_archive_databases;";
pub const VERIFY_RDA_TABLES: &str = "-- chainwatch: sys.remote_data_archive_tables\nUSE {db};\nSELECT object_id, OBJECT_SCHEMA_NAME(object_id) AS schema_name, OBJECT_NAME(object_id) AS table_name, remote_table_name, migration_direction_desc, is_migration_paused, is_reconciled FROM sys.remote_data_archive_tables;";
