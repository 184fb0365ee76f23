//! The interoperability rules on edited copies of the demo estate: the cases
//! the demo does not show (and the "not collected" answers).

use std::sync::OnceLock;

use crate::support::now;
use chainwatch::analysis::{analyze_estate, EstateReport, Finding, Severity};
use chainwatch::model::{Estate, Instance, MirroringRole, RecoveryModel, Table};
use chrono::Duration;
use serde_json::{json, Value};

const PROD: &str = "SQL16\\PROD";
const LEGACY: &str = "SQL14\\LEGACY";

fn demo() -> Estate {
    static ESTATE: OnceLock<Estate> = OnceLock::new();
    ESTATE
        .get_or_init(|| chainwatch::sources::demo_estate(now()).expect("demo estate"))
        .clone()
}

fn inst<'a>(e: &'a mut Estate, name: &str) -> &'a mut Instance {
    e.instances.iter_mut().find(|i| i.name == name).unwrap()
}

/// A table's rows as JSON objects to edit; written back when dropped.
struct Edit<'a> {
    table: &'a mut Table,
    rows: Vec<serde_json::Map<String, Value>>,
}

impl std::ops::Deref for Edit<'_> {
    type Target = Vec<serde_json::Map<String, Value>>;
    fn deref(&self) -> &Self::Target {
        &self.rows
    }
}

impl std::ops::DerefMut for Edit<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.rows
    }
}

impl Drop for Edit<'_> {
    fn drop(&mut self) {
        *self.table = Table::from_maps(std::mem::take(&mut self.rows));
    }
}

fn rows<'a>(e: &'a mut Estate, instance: &str, table: &str) -> Edit<'a> {
    let table = inst(e, instance).tables.get_mut(table).unwrap();
    Edit {
        rows: table.to_maps(),
        table,
    }
}

fn db_findings<'a>(r: &'a EstateReport, instance: &str, db: &str) -> Vec<&'a Finding> {
    r.databases
        .iter()
        .find(|d| d.instance == instance && d.database.name == db)
        .unwrap()
        .findings
        .iter()
        .collect()
}

fn find<'a>(r: &'a EstateReport, instance: &str, db: &str, id: &str) -> Option<&'a Finding> {
    db_findings(r, instance, db)
        .into_iter()
        .find(|f| f.id == id)
}

fn instance_findings<'a>(r: &'a EstateReport, instance: &str) -> &'a [Finding] {
    &r.instances
        .iter()
        .find(|i| i.instance == instance)
        .unwrap()
        .findings
}

#[test]
fn log_shipping_on_a_database_without_managed_backup_is_not_a_conflict() {
    let mut e = demo();
    rows(&mut e, PROD, "msdb.dbo.log_shipping_primary_databases")[0]
        .insert("primary_database".into(), json!("Reporting"));
    let r = analyze_estate(&e, now());
    assert!(find(&r, PROD, "Reporting", "interop.log_shipping").is_none());
    assert!(find(&r, PROD, "Inventory", "interop.log_shipping").is_none());
}

#[test]
fn missing_log_shipping_table_is_unknown_not_fine() {
    let mut e = demo();
    inst(&mut e, PROD)
        .tables
        .remove("msdb.dbo.log_shipping_primary_databases");
    let r = analyze_estate(&e, now());
    let unknown: Vec<&Finding> = instance_findings(&r, PROD)
        .iter()
        .filter(|f| f.id == "rules.not_collected")
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert!(unknown[0].title.contains("unknown"));
    assert!(unknown[0].title.contains("log_shipping_primary_databases"));
    assert!(unknown[0].explanation.contains("Inventory"));
    // The log shipping backups are still a second producer, from history alone.
    let f = find(&r, PROD, "Inventory", "interop.adhoc_log").expect("history still shows them");
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.title.contains("fs01"), "{}", f.title);
}

#[test]
fn missing_maintenance_plan_tables_fall_back_to_history() {
    let mut e = demo();
    for t in [
        "msdb.dbo.sysmaintplan_plans",
        "msdb.dbo.sysmaintplan_subplans",
        "msdb.dbo.sysmaintplan_log",
        "msdb.dbo.sysmaintplan_logdetail",
    ] {
        inst(&mut e, LEGACY).tables.remove(t);
    }
    let r = analyze_estate(&e, now());
    assert!(find(&r, LEGACY, "HR", "interop.maint_plan").is_none());
    let f = find(&r, LEGACY, "HR", "interop.foreign_full").expect("plain fulls to E:\\MP");
    assert_eq!(f.evidence.len(), 21);
    // Copy-only plan backups stay quiet even without the plan tables.
    assert!(find(&r, LEGACY, "Payroll", "interop.foreign_full").is_none());
    assert!(instance_findings(&r, LEGACY)
        .iter()
        .any(|f| f.id == "rules.not_collected" && f.title.contains("sysmaintplan_logdetail")));
}

#[test]
fn missing_managed_backup_config_is_one_unknown_finding() {
    let mut e = demo();
    inst(&mut e, PROD)
        .tables
        .remove("msdb.managed_backup.fn_backup_db_config");
    for d in &mut inst(&mut e, PROD).databases {
        d.managed_backup = None;
    }
    let r = analyze_estate(&e, now());
    let f: Vec<&Finding> = instance_findings(&r, PROD).iter().collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].id, "rules.not_collected");
    assert!(f[0].explanation.contains("does not mean they pass"));
    assert!(find(&r, PROD, "Inventory", "interop.log_shipping").is_none());
}

#[test]
fn principal_only_mirroring_warns() {
    let mut e = demo();
    let claims = inst(&mut e, LEGACY)
        .databases
        .iter_mut()
        .find(|d| d.name == "Claims")
        .unwrap();
    claims.mirroring_role = Some(MirroringRole::Principal);
    let id = claims.database_id.unwrap();
    for row in rows(&mut e, LEGACY, "sys.database_mirroring").iter_mut() {
        if row["database_id"] == json!(id) {
            row.insert("mirroring_partner_instance".into(), json!(PROD));
        }
    }
    let r = analyze_estate(&e, now());
    let f = find(&r, LEGACY, "Claims", "interop.mirroring_principal_only").expect("warning");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f
        .sql
        .as_deref()
        .unwrap()
        .contains("@database_name = N'Claims'"));
}

#[test]
fn backups_on_a_non_preferred_replica_warn_on_that_replica() {
    let mut e = demo();
    for i in ["SQLAG01", "SQLAG02"] {
        for row in rows(&mut e, i, "sys.availability_groups").iter_mut() {
            row.insert("automated_backup_preference".into(), json!(0));
            row.insert("automated_backup_preference_desc".into(), json!("PRIMARY"));
        }
    }
    let r = analyze_estate(&e, now());
    let f = find(&r, "SQLAG02", "Portal", "interop.ag_non_preferred").expect("warning");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.explanation.contains("SQLAG01"));
    // Exactly SQLAG02's Portal backups of the 24 hours before its newest log.
    let ag2 = e.instance("SQLAG02").unwrap();
    let newest = ag2
        .backups
        .iter()
        .filter(|b| b.database_name == "Portal" && b.is_log())
        .filter_map(|b| b.finish)
        .max()
        .unwrap();
    let mut expected: Vec<i64> = ag2
        .backups
        .iter()
        .filter(|b| b.database_name == "Portal")
        .filter(|b| b.finish.is_some_and(|t| t >= newest - Duration::hours(24)))
        .map(|b| b.backup_set_id)
        .collect();
    let mut got = f.evidence.clone();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected);
    assert!(find(&r, "SQLAG01", "Portal", "interop.ag_non_preferred").is_none());
}

#[test]
fn replica_settings_that_differ_warn_once() {
    let mut e = demo();
    let portal = inst(&mut e, "SQLAG02")
        .databases
        .iter_mut()
        .find(|d| d.name == "Portal")
        .unwrap();
    portal.managed_backup.as_mut().unwrap().retention_days = Some(7);
    let r = analyze_estate(&e, now());
    let f = find(&r, "SQLAG01", "Portal", "interop.ag_settings_differ").expect("warning");
    assert_eq!(f.rows.len(), 2);
    assert!(f.rows.iter().any(|r| r.text.contains("retention_days 7")));
    assert!(find(&r, "SQLAG02", "Portal", "interop.ag_settings_differ").is_none());
}

#[test]
fn availability_database_on_2014_cites_the_doc_conflict() {
    let mut e = demo();
    let accounts = inst(&mut e, LEGACY)
        .databases
        .iter_mut()
        .find(|d| d.name == "Accounts")
        .unwrap();
    accounts.group_database_id = Some(uuid::Uuid::from_u128(42));
    let r = analyze_estate(&e, now());
    let f = find(&r, LEGACY, "Accounts", "interop.ag_2014").expect("warning");
    assert!(f.explanation.contains("disagrees"));
    // SQL14 has no availability group tables: unknown, named.
    assert!(instance_findings(&r, LEGACY)
        .iter()
        .any(|f| f.id == "rules.not_collected" && f.title.contains("sys.availability_groups")));
    assert!(find(&r, PROD, "Sales", "interop.ag_2014").is_none());
}

#[test]
fn managed_database_now_in_simple_warns() {
    let mut e = demo();
    inst(&mut e, PROD)
        .databases
        .iter_mut()
        .find(|d| d.name == "Sales")
        .unwrap()
        .recovery_model = Some(RecoveryModel::Simple);
    let r = analyze_estate(&e, now());
    let f = find(&r, PROD, "Sales", "recovery.now_simple").expect("warning");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.evidence.len(), 1);
    assert!(f
        .sql
        .as_deref()
        .unwrap()
        .contains("ALTER DATABASE [Sales] SET RECOVERY FULL;"));
}

#[test]
fn instance_defaults_on_beside_availability_databases() {
    let mut e = demo();
    for row in rows(
        &mut e,
        "SQLAG01",
        "msdb.managed_backup.fn_backup_instance_config",
    )
    .iter_mut()
    {
        row.insert("is_smart_backup_enabled".into(), json!(1));
    }
    let r = analyze_estate(&e, now());
    let f = instance_findings(&r, "SQLAG01")
        .iter()
        .find(|f| f.id == "interop.instance_defaults")
        .expect("finding");
    assert!(f.database.is_none());
    assert!(f.explanation.contains("Portal"));
    assert_eq!(
        f.rows[0].table,
        "msdb.managed_backup.fn_backup_instance_config"
    );
    // SQL16 has defaults off and no mirrored or AG databases.
    assert!(instance_findings(&r, PROD)
        .iter()
        .all(|f| f.id != "interop.instance_defaults"));
    assert!(r.exit_code() >= 1);
}

#[test]
fn restored_stretch_database_needs_reauthorize_with_its_credential() {
    let mut e = demo();
    rows(&mut e, PROD, "msdb.dbo.restorehistory").push(
        json!({
            "restore_history_id": 99, "restore_date": "2026-11-21T08:00:00.000",
            "destination_database_name": "Archive", "backup_set_id": 12345,
            "restore_type": "D", "replace": true, "recovery": true,
        })
        .as_object()
        .unwrap()
        .clone(),
    );
    let r = analyze_estate(&e, now());
    let f = find(&r, PROD, "Archive", "stretch.restored").expect("warning");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.evidence, vec![12345]);
    assert!(f.explanation.contains("deprecated"));
    let sql = f.sql.as_deref().unwrap();
    assert!(sql.contains("USE [Archive];"), "{sql}");
    assert!(sql.contains("sp_rda_reauthorize_db @credential = N'StretchCred', @with_copy = 1;"));
    assert!(find(&r, PROD, "Sales", "stretch.restored").is_none());
}

#[test]
fn unreconciled_stretch_table_warns() {
    let mut e = demo();
    rows(&mut e, PROD, "sys.remote_data_archive_tables")[1]
        .insert("is_reconciled".into(), json!(false));
    let r = analyze_estate(&e, now());
    let f = find(&r, PROD, "Archive", "stretch.unreconciled").expect("warning");
    assert_eq!(f.rows.len(), 1);
    assert_eq!(f.rows[0].row, Some(1));
}

#[test]
fn overdue_managed_log_backup_warns_before_the_chain_does() {
    let mut e = demo();
    let cut = now() - Duration::hours(3);
    inst(&mut e, PROD)
        .backups
        .retain(|b| !(b.database_name == "Sales" && b.finish.is_some_and(|f| f > cut)));
    let newest = e
        .instance(PROD)
        .unwrap()
        .backups
        .iter()
        .filter(|b| b.database_name == "Sales" && b.is_log())
        .max_by_key(|b| b.finish)
        .unwrap()
        .backup_set_id;
    let r = analyze_estate(&e, now());
    let f = find(&r, PROD, "Sales", "managed.log_overdue").expect("warning");
    assert_eq!(f.evidence, vec![newest]);
    assert!(find(&r, PROD, "Sales", "log.late").is_none());
    let untouched = analyze_estate(&demo(), now());
    assert!(find(&untouched, PROD, "Sales", "managed.log_overdue").is_none());
}

#[test]
fn nul_log_backup_is_critical() {
    let mut e = demo();
    let orders = inst(&mut e, PROD)
        .backups
        .iter_mut()
        .find(|b| {
            b.database_name == "Orders" && b.files().iter().any(|f| f.starts_with("D:\\adhoc"))
        })
        .unwrap();
    orders.families[0].physical_device_name = Some("NUL".into());
    let id = orders.backup_set_id;
    let r = analyze_estate(&e, now());
    let f = find(&r, PROD, "Orders", "interop.adhoc_log").expect("critical");
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.title.contains("NUL"));
    assert_eq!(f.evidence, vec![id]);
}

#[test]
fn repeated_forced_fulls_warn() {
    let mut e = demo();
    let forced_id = find(
        &analyze_estate(&e, now()),
        PROD,
        "Orders",
        "managed.forced_full",
    )
    .expect("one forced full in the demo")
    .evidence[0];
    let prod = inst(&mut e, PROD);
    let next_id = prod.backups.iter().map(|b| b.backup_set_id).max().unwrap() + 1;
    let forced = prod
        .backups
        .iter()
        .find(|b| b.backup_set_id == forced_id)
        .unwrap()
        .clone();
    assert!(forced.is_full());
    let mut again = forced.clone();
    again.backup_set_id = next_id;
    again.backup_set_uuid = Some(uuid::Uuid::from_u128(7));
    again.media_set_id = Some(next_id);
    again.start = forced.start.map(|t| t + Duration::hours(3));
    again.finish = forced.finish.map(|t| t + Duration::hours(3));
    prod.backups.push(again);
    let r = analyze_estate(&e, now());
    let f = find(&r, PROD, "Orders", "managed.forced_full").expect("forced fulls");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.evidence.contains(&next_id));
    assert!(f.explanation.contains("Repeated forced fulls"));
}

// ------------------------------------------------ rule 3b: Agent job steps

/// Adds an Agent job with one step to SQL16\PROD.
fn add_job(e: &mut Estate, name: &str, enabled: bool, subsystem: &str, command: &str, ran: bool) {
    let inst = e.instances.iter_mut().find(|i| i.name == PROD).unwrap();
    let id = format!(
        "0F0E0D0C-0B0A-0908-0706-{:012X}",
        name.len() * 7919 + command.len()
    );
    inst.tables.get_mut("msdb.dbo.sysjobs").unwrap().push_map(
        json!({ "job_id": id, "name": name, "enabled": u8::from(enabled), "category_id": 0,
                "owner_sid": "0x01", "date_created": "2026-11-21T08:00:00", "date_modified": "2026-11-21T08:00:00",
                "description": "", "originating_server_id": 0, "start_step_id": 1, "version_number": 1 })
        .as_object()
        .unwrap()
        .clone(),
    );
    inst.tables
        .get_mut("msdb.dbo.sysjobsteps")
        .unwrap()
        .push_map(
            json!({ "job_id": id, "step_id": 1, "step_name": "backup", "subsystem": subsystem,
                "command": command, "database_name": "master",
                "last_run_date": if ran { 20261121 } else { 0 }, "last_run_time": 0,
                "last_run_outcome": 1, "last_run_duration": 5 })
            .as_object()
            .unwrap()
            .clone(),
        );
}

fn job_findings<'a>(r: &'a EstateReport, db: &str) -> Vec<&'a Finding> {
    db_findings(r, PROD, db)
        .into_iter()
        .filter(|f| f.id.starts_with("interop.job_"))
        .collect()
}

#[test]
fn the_demo_has_job_findings_on_crm_and_ledger_and_a_copy_only_job_gives_none() {
    // Positive: "DBA - CRM log to disk", scheduled yesterday, not run yet;
    // "Ledger - log backup to URL" on SQL14AG1, which has run since this morning.
    // Negative: "DBA - Billing copy for reporting" is COPY_ONLY; Ola's jobs
    // back up Reporting (not managed); log shipping and maintenance plan
    // jobs belong to their own rules.
    let r = analyze_estate(&demo(), now());
    let mut hits = Vec::new();
    for d in &r.databases {
        for f in d
            .findings
            .iter()
            .filter(|f| f.id.starts_with("interop.job_"))
        {
            hits.push((
                d.instance.clone(),
                d.database.name.clone(),
                f.id,
                f.severity,
            ));
        }
    }
    assert_eq!(
        hits,
        vec![
            (
                PROD.to_string(),
                "CRM".to_string(),
                "interop.job_log_backup",
                Severity::Warning
            ),
            // AG_Ledger's primary: its job has already left log backups (holes).
            (
                "SQL14AG1".to_string(),
                "Ledger".to_string(),
                "interop.job_log_backup",
                Severity::Critical
            ),
        ]
    );
    let crm = job_findings(&r, "CRM");
    assert!(crm[0].rows[1].text.contains("never run"));
    assert!(crm[0].evidence.is_empty());
}

#[test]
fn a_new_log_backup_job_is_a_warning_before_it_runs() {
    let mut e = demo();
    add_job(
        &mut e,
        "DBA - Telemetry log to disk",
        true,
        "TSQL",
        "BACKUP LOG [Telemetry] TO DISK = N'E:\\Backup\\T\\T_log.trn' WITH COMPRESSION, INIT;",
        false,
    );
    let r = analyze_estate(&e, now());
    let f = job_findings(&r, "Telemetry");
    assert_eq!(f.len(), 1, "{f:?}");
    let f = f[0];
    assert_eq!(f.id, "interop.job_log_backup");
    // A risk that has not happened yet (severity policy): a warning.
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.evidence.is_empty(), "it has not run: {:?}", f.evidence);
    assert!(
        f.explanation.contains("has not run yet"),
        "{}",
        f.explanation
    );
    assert_eq!(f.rows.len(), 2, "the job and its step");
    assert!(
        f.rows[0].text.contains("DBA - Telemetry log to disk")
            && f.rows[0].text.contains("enabled")
    );
    assert!(
        f.rows[1].text.contains("never run") && f.rows[1].text.contains("BACKUP LOG [Telemetry]")
    );
    let sql = f.sql.as_deref().unwrap();
    assert!(sql.contains(
        "EXEC msdb.dbo.sp_update_job @job_name = N'DBA - Telemetry log to disk', @enabled = 0;"
    ));
    assert!(sql.contains("sp_backup_on_demand @database_name = N'Telemetry', @type = N'Log';"));
    // Other databases are untouched.
    assert!(job_findings(&r, "Sales").is_empty());
}

#[test]
fn disabled_copy_only_and_full_backups() {
    let mut e = demo();
    add_job(
        &mut e,
        "old log job",
        false,
        "TSQL",
        "BACKUP LOG [Billing] TO DISK = N'E:\\b\\x.trn'",
        false,
    );
    add_job(
        &mut e,
        "copy for dev",
        true,
        "TSQL",
        "BACKUP LOG [Sales] TO DISK = N'E:\\b\\s.trn' WITH COPY_ONLY",
        true,
    );
    add_job(&mut e, "weekly extra full", true, "CmdExec",
        "sqlcmd -S . -Q \"BACKUP DATABASE [Warehouse] TO DISK = N'F:\\full\\wh.bak' WITH COMPRESSION\"", true);
    let r = analyze_estate(&e, now());
    let billing = job_findings(&r, "Billing");
    assert_eq!(billing.len(), 1);
    assert_eq!(
        billing[0].severity,
        Severity::Warning,
        "disabled: not broken yet"
    );
    assert!(billing[0].explanation.contains("once enabled"));
    assert!(job_findings(&r, "Sales").is_empty(), "COPY_ONLY is fine");
    let wh = job_findings(&r, "Warehouse");
    assert_eq!(wh.len(), 1);
    assert_eq!(wh[0].id, "interop.job_full_backup");
    assert_eq!(wh[0].severity, Severity::Warning);
}

#[test]
fn ola_user_databases_with_exclusions() {
    let mut e = demo();
    add_job(&mut e, "DatabaseBackup - USER_DATABASES - LOG (new)", true, "TSQL",
        "EXECUTE [dbo].[DatabaseBackup] @Databases = 'USER_DATABASES, -Sales', @Directory = N'\\\\fs01\\backup', @BackupType = 'LOG'", false);
    let r = analyze_estate(&e, now());
    assert!(job_findings(&r, "Sales").is_empty(), "excluded with -Sales");
    for db in ["Telemetry", "Billing", "Warehouse"] {
        let f = job_findings(&r, db);
        assert_eq!(f.len(), 1, "{db}: {f:?}");
        assert!(f[0].explanation.contains("\\\\fs01\\backup"));
    }
    assert!(
        job_findings(&r, "Reporting").is_empty(),
        "Reporting is not managed"
    );
}

#[test]
fn a_job_that_already_ran_claims_its_backup_sets() {
    let mut e = demo();
    add_job(
        &mut e,
        "jdoe log",
        true,
        "TSQL",
        "BACKUP LOG [Orders] TO DISK = N'D:\\adhoc\\'",
        true,
    );
    let r = analyze_estate(&e, now());
    let f = job_findings(&r, "Orders");
    assert_eq!(f.len(), 1);
    let adhoc: Vec<i64> = e
        .instance(PROD)
        .unwrap()
        .backups
        .iter()
        .filter(|b| b.database_name == "Orders")
        .filter(|b| b.files().iter().any(|p| p.starts_with("D:\\adhoc\\")))
        .map(|b| b.backup_set_id)
        .collect();
    assert_eq!(adhoc.len(), 1);
    assert_eq!(f[0].evidence, adhoc);
    // One finding per cause: the ad hoc producer finding is now the job's.
    assert!(db_findings(&r, PROD, "Orders")
        .iter()
        .all(|x| x.id != "interop.adhoc_log"));
}

#[test]
fn job_steps_not_collected_is_unknown() {
    let mut e = demo();
    e.instances
        .iter_mut()
        .find(|i| i.name == PROD)
        .unwrap()
        .tables
        .remove("msdb.dbo.sysjobsteps");
    let r = analyze_estate(&e, now());
    let inst = r.instances.iter().find(|i| i.instance == PROD).unwrap();
    assert!(
        inst.findings
            .iter()
            .any(|f| f.id == "rules.not_collected" && f.title.contains("sysjobsteps")),
        "{:?}",
        inst.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
}
