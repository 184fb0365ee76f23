//! Rule 3b on edited copies of the demo estate: Agent job steps that run
//! BACKUP LOG (or a non-copy-only full) on a Managed Backup database, read
//! from the steps themselves, before or after they ran.

use std::sync::OnceLock;

use chainwatch::analysis::{analyze_estate, EstateReport, Finding, Severity};
use chainwatch::model::Estate;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

const PROD: &str = "SQL16\\PROD";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn demo() -> Estate {
    static ESTATE: OnceLock<Estate> = OnceLock::new();
    ESTATE
        .get_or_init(|| chainwatch::sources::demo_estate(now()).expect("demo estate"))
        .clone()
}

/// Adds an Agent job with one step to SQL16\PROD.
fn add_job(e: &mut Estate, name: &str, enabled: bool, subsystem: &str, command: &str, ran: bool) {
    let inst = e.instances.iter_mut().find(|i| i.name == PROD).unwrap();
    let id = format!(
        "0F0E0D0C-0B0A-0908-0706-{:012X}",
        name.len() * 7919 + command.len()
    );
    inst.tables.get_mut("msdb.dbo.sysjobs").unwrap().push(
        json!({ "job_id": id, "name": name, "enabled": u8::from(enabled), "category_id": 0,
                "owner_sid": "0x01", "date_created": "2026-11-21T08:00:00", "date_modified": "2026-11-21T08:00:00",
                "description": "", "originating_server_id": 0, "start_step_id": 1, "version_number": 1 })
        .as_object()
        .unwrap()
        .clone(),
    );
    inst.tables.get_mut("msdb.dbo.sysjobsteps").unwrap().push(
        json!({ "job_id": id, "step_id": 1, "step_name": "backup", "subsystem": subsystem,
                "command": command, "database_name": "master",
                "last_run_date": if ran { 20261121 } else { 0 }, "last_run_time": 0,
                "last_run_outcome": 1, "last_run_duration": 5 })
        .as_object()
        .unwrap()
        .clone(),
    );
}

fn findings<'a>(r: &'a EstateReport, db: &str) -> Vec<&'a Finding> {
    r.databases
        .iter()
        .find(|d| d.instance == PROD && d.database.name == db)
        .unwrap()
        .findings
        .iter()
        .collect()
}

fn job_findings<'a>(r: &'a EstateReport, db: &str) -> Vec<&'a Finding> {
    findings(r, db)
        .into_iter()
        .filter(|f| f.id.starts_with("interop.job_"))
        .collect()
}

#[test]
fn the_demo_has_one_job_finding_crm_and_a_copy_only_job_gives_none() {
    // Positive: "DBA - CRM log to disk", scheduled yesterday, not run yet.
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
        vec![(
            PROD.to_string(),
            "CRM".to_string(),
            "interop.job_log_backup",
            Severity::Critical
        )]
    );
    let crm = job_findings(&r, "CRM");
    assert!(crm[0].rows[1].text.contains("never run"));
    assert!(crm[0].evidence.is_empty());
}

#[test]
fn a_new_log_backup_job_is_critical_before_it_runs() {
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
    assert_eq!(f.severity, Severity::Critical);
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
    assert!(findings(&r, "Orders")
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
