//! The named scenarios of the demo estate, one database each.

/// A database of the demo estate set up to show one situation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub instance: &'static str,
    pub database: &'static str,
    pub key: &'static str,
    pub title: &'static str,
    /// The chain facts a test should assert, in one sentence.
    pub expect: &'static str,
}

const fn sc(
    instance: &'static str,
    database: &'static str,
    key: &'static str,
    title: &'static str,
    expect: &'static str,
) -> Scenario {
    Scenario {
        instance,
        database,
        key,
        title,
        expect,
    }
}

const PROD: &str = "SQL16\\PROD";
const LEGACY: &str = "SQL14\\LEGACY";

pub const SCENARIOS: &[Scenario] = &[
    sc(PROD, "Sales", "sales-healthy", "Healthy Managed Backup",
        "Weekly managed fulls and a log about every 2 h form one continuous chain; one log starts while a full runs and ends after it (first_lsn <= full.last_lsn < last_lsn); a few weekend-night logs are empty (first_lsn = last_lsn)."),
    sc(PROD, "Orders", "orders-adhoc-log", "Ad hoc log backup to disk",
        "A non-copy-only log by CONTOSO\\jdoe to D:\\adhoc about 3 days ago keeps msdb continuous but is missing from fn_available_backups (a hole in the blob chain); Managed Backup takes a forced full 41 minutes later."),
    sc(PROD, "Inventory", "inventory-log-shipping", "Log shipping beside Managed Backup",
        "Log shipping (log_shipping_primary_databases, job LSBackup_Inventory) writes a log every 30 min to \\\\fs01\\logship for the last ~2 days, interleaved with managed logs in one continuous msdb chain; the managed blobs alone have holes."),
    sc(PROD, "Staging", "staging-simple-switch", "Recovery model switched to SIMPLE and back",
        "FULL until ~8 days ago, one SIMPLE full, no logs for ~2 days, then FULL with a new full: exactly one chain break, where the next log has begins_log_chain = 1 and first_lsn = the new full's first_lsn, above the previous log's last_lsn."),
    sc(PROD, "CRM", "crm-restore-fork", "Point-in-time restore over itself",
        "Restored with STOPAT ~4 days ago (restorehistory D then L, recovery on the last): new database_guid and recovery fork, same family_guid; the first log after has first/last fork = old/new, fork_point_lsn inside the restored log and first_lsn = that log's first_lsn; each fork is continuous; a new full follows ~1 h after the restore."),
    sc(PROD, "Warehouse", "warehouse-striped", "Striped fulls",
        "Weekly managed fulls are striped over 4 blobs (_1.bak.._4.bak, media_family_count 4, ~1.5 TB backup_size); logs are single blobs; the chain is continuous."),
    sc(PROD, "Billing", "billing-copy-only", "Copy-only backups by a DBA",
        "A copy-only full and a copy-only log by CONTOSO\\dba_maria to the same container mid-week: no differentials, not in fn_available_backups, later logs keep the previous database_backup_lsn and the regular chain is continuous."),
    sc(PROD, "Reporting", "reporting-ola", "Ola Hallengren jobs, no Managed Backup",
        "Not managed (is_managed_backup_enabled 0, retention null): weekly Sunday fulls, daily differentials and 30-minute logs to \\\\fs01\\backup; differentials before the latest full keep the superseded base; the chain is continuous."),
    sc(PROD, "ETL", "etl-bulk-logged", "BULK_LOGGED with minimally logged work",
        "Recovery model BULK-LOGGED on every row; exactly one log about a day ago has has_bulk_logged_data = 1, so no point-in-time stop inside it; the chain is continuous."),
    sc(PROD, "Archive", "archive-stretch", "Stretch Database",
        "Stretch-enabled (remote database RDAArchive1A2B, two OUTBOUND reconciled tables, scoped credential StretchCred) with healthy Managed Backup; the chain is continuous."),
    sc(PROD, "Telemetry", "telemetry-gap", "Missing log backups",
        "Retention 14 days, but the logs started in a 5-hour window about 6 days ago (2-3 files, 4-6 hours of log) are gone from msdb and fn_available_backups: exactly one LSN gap, so the chain window ends at the gap and restarts at the forced full ~5 days ago."),
    sc(PROD, "OldCRM", "oldcrm-dropped", "Dropped database",
        "Dropped ~5 days ago: no sys.databases row, backupset rows up to the drop, fn_backup_db_config is_dropped = 1, and its blobs still in fn_available_backups until they expire."),
    sc(LEGACY, "Accounts", "accounts-2014-managed", "SQL Server 2014 Managed Backup",
        "smart_admin Managed Backup (retention 30) to page blobs in legacystore/sql14-legacy with a storage-key credential; LSNs are bare JSON numbers; the chain is continuous."),
    sc(LEGACY, "HR", "hr-maintenance-plan", "Maintenance plan fulls beside Managed Backup",
        "Maintenance plan 'HR Nightly' writes nightly non-copy-only fulls to E:\\MP as CONTOSO\\svc_sqlagent; each becomes the database_backup_lsn of later logs (a conflicting producer) while the log chain stays continuous."),
    sc(LEGACY, "Payroll", "payroll-copy-only-plan", "Copy-only maintenance plan",
        "Maintenance plan 'Payroll CopyOnly' writes nightly COPY_ONLY fulls to E:\\MP (logdetail commands say COPY_ONLY), which Managed Backup tolerates; the chain is continuous."),
    sc(LEGACY, "Finance", "finance-dpm", "DPM and Managed Backup",
        "Nightly VSS fulls (device_type 7, is_snapshot 1, NT AUTHORITY\\SYSTEM) and, for the last 2 days, hourly DPM logs (software DPM, CONTOSO\\DPMService) interleaved with managed logs: two log producers in one continuous chain."),
    sc(LEGACY, "Claims", "claims-mirror", "Mirror side of database mirroring",
        "Mirroring role MIRROR, SYNCHRONIZED, state RESTORING; Managed Backup enabled but the only backups are 20-21 days old, from before the failover."),
    sc("SQLAG02", "Portal", "portal-ag", "Availability group, backups on the secondary",
        "In AG_Sales on both replicas with one group_database_id: SQLAG02 (preferred backup replica) has weekly copy-only fulls and regular logs every 20-30 min to agstore/ag-sales; SQLAG01 has one copy-only full and a few logs from ~21 days ago; the chain is continuous from SQLAG02 alone and from both."),
    sc("SQL14AG2", "Ledger", "ledger-ag-2014", "SQL Server 2014 AG, backups off the preferred replica, settings differ",
        "In AG_Ledger (on-premises, SQL Server 2014, automated_backup_preference SECONDARY, both replicas backup_priority 50 and READ_ONLY): smart_admin on the secondary SQL14AG2 takes weekly copy-only fulls and 2-hourly regular logs; since this morning an Agent job on the primary SQL14AG1 also takes a regular log every 15 min to ledgerstore/ledger-logs, interleaved in one continuous chain; fn_backup_db_config says retention 30 on SQL14AG1 and 15 on SQL14AG2 (interop.ag_non_preferred, interop.ag_settings_differ, interop.job_log_backup, interop.ag_2014); SQL14AG1 also has smart_admin's instance defaults on (fn_backup_instance_config is_smart_backup_enabled = 1) beside that availability database (interop.instance_defaults, an instance finding with no database)."),
    sc("SQL14AG1", "Intranet", "intranet-2014-simple", "SQL Server 2014 Managed Backup database now SIMPLE",
        "smart_admin-enabled (retention 30) but switched to SIMPLE ~5 days ago: weekly managed fulls and 2-hourly logs until then, no backup since (2014 Managed Backup supports FULL and BULK_LOGGED only); last_log_backup_lsn is null (recovery.now_simple)."),
    sc("SQLAG01", "Ops", "ops-simple", "SIMPLE recovery, daily fulls",
        "SIMPLE recovery with a daily full to disk and no log backups; last_log_backup_lsn is null; healthy."),
];
