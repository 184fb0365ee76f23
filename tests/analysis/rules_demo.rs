//! The interoperability rules on the demo estate: each rule's positive
//! scenario, its negative, and the exact rows its evidence names.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::support::now;
use chainwatch::analysis::{analyze_estate, EstateReport, Finding, Severity};
use chainwatch::model::{BackupSet, Estate};

const PROD: &str = "SQL16\\PROD";
const LEGACY: &str = "SQL14\\LEGACY";
const AG14_PRIMARY: &str = "SQL14AG1";
const AG14_SECONDARY: &str = "SQL14AG2";

fn estate() -> &'static Estate {
    static ESTATE: OnceLock<Estate> = OnceLock::new();
    ESTATE.get_or_init(|| chainwatch::sources::demo_estate(now()).expect("demo estate"))
}

fn report() -> &'static EstateReport {
    static REPORT: OnceLock<EstateReport> = OnceLock::new();
    REPORT.get_or_init(|| analyze_estate(estate(), now()))
}

fn findings<'a>(r: &'a EstateReport, instance: &str, db: &str) -> Vec<&'a Finding> {
    r.databases
        .iter()
        .find(|d| d.instance == instance && d.database.name == db)
        .unwrap_or_else(|| panic!("{instance} {db} in the report"))
        .findings
        .iter()
        .collect()
}

fn one<'a>(r: &'a EstateReport, instance: &str, db: &str, id: &str) -> &'a Finding {
    let all = findings(r, instance, db);
    let hits: Vec<&&Finding> = all.iter().filter(|f| f.id == id).collect();
    assert_eq!(hits.len(), 1, "{db}: one {id} in {:#?}", ids_of(&all));
    hits[0]
}

fn ids_of(f: &[&Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.id).collect()
}

fn none_of(r: &EstateReport, instance: &str, db: &str, prefix: &str) {
    let all = findings(r, instance, db);
    assert!(
        all.iter().all(|f| !f.id.starts_with(prefix)),
        "{db}: no {prefix}* expected, got {:?}",
        ids_of(&all)
    );
}

fn backups<'a>(instance: &str, db: &str) -> Vec<&'a BackupSet> {
    estate()
        .instance(instance)
        .unwrap()
        .backups
        .iter()
        .filter(|b| b.database_name == db)
        .collect()
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

fn file_starts(b: &BackupSet, prefix: &str) -> bool {
    b.files().iter().any(|f| {
        f.to_ascii_lowercase()
            .starts_with(&prefix.to_ascii_lowercase())
    })
}

// ------------------------------------------------------------- rule 1

#[test]
fn log_shipping_beside_managed_backup_is_critical_with_its_job_and_files() {
    let r = report();
    let f = one(r, PROD, "Inventory", "interop.log_shipping");
    assert_eq!(f.severity, Severity::Critical);
    let expected: Vec<i64> = backups(PROD, "Inventory")
        .into_iter()
        .filter(|b| b.is_log() && file_starts(b, "\\\\fs01\\logship\\"))
        .map(|b| b.backup_set_id)
        .collect();
    assert!(expected.len() > 20);
    assert_eq!(set(&f.evidence), set(&expected));
    assert!(f
        .rows
        .iter()
        .any(|r| r.table == "msdb.dbo.log_shipping_primary_databases" && r.row == Some(0)));
    assert!(f
        .rows
        .iter()
        .any(|r| r.table == "msdb.dbo.sysjobs" && r.text.contains("LSBackup_Inventory")));
    let sql = f.sql.as_deref().unwrap();
    assert!(sql.contains("@job_name = N'LSBackup_Inventory'"), "{sql}");
    assert!(sql.contains("sp_delete_log_shipping_primary_database @database = N'Inventory'"));
    // One finding per cause: the chain's "other producer" finding is folded in.
    none_of(r, PROD, "Inventory", "chain.other_producer");
    none_of(r, PROD, "Inventory", "interop.adhoc_log");
}

#[test]
fn no_log_shipping_finding_without_log_shipping() {
    for db in ["Sales", "Orders", "Reporting"] {
        none_of(report(), PROD, db, "interop.log_shipping");
    }
}

// ------------------------------------------------------------- rule 2

#[test]
fn maintenance_plan_fulls_on_a_managed_database_warn_and_name_plan_job_and_rows() {
    let r = report();
    let f = one(r, LEGACY, "HR", "interop.maint_plan");
    assert_eq!(f.severity, Severity::Warning);
    let expected: Vec<i64> = backups(LEGACY, "HR")
        .into_iter()
        .filter(|b| b.is_full() && !b.is_copy_only && file_starts(b, "E:\\MP\\"))
        .map(|b| b.backup_set_id)
        .collect();
    assert_eq!(expected.len(), 21);
    assert_eq!(set(&f.evidence), set(&expected));
    assert!(f.title.contains("HR Nightly"));
    assert!(f
        .rows
        .iter()
        .any(|r| r.table == "msdb.dbo.sysmaintplan_plans" && r.text.contains("HR Nightly")));
    assert!(f
        .rows
        .iter()
        .any(|r| r.table == "msdb.dbo.sysjobs" && r.text.contains("HR Nightly.Subplan_1")));
    let details = f
        .rows
        .iter()
        .filter(|r| r.table == "msdb.dbo.sysmaintplan_logdetail")
        .count();
    assert_eq!(details, 21);
    assert!(f
        .sql
        .as_deref()
        .unwrap()
        .contains("smart_admin.sp_backup_on_demand"));
    none_of(r, LEGACY, "HR", "interop.foreign_full");
}

#[test]
fn copy_only_maintenance_plan_is_fine_and_says_so() {
    let r = report();
    let f = one(r, LEGACY, "Payroll", "interop.maint_plan_copy_only");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.title.contains("fine"));
    let expected: Vec<i64> = backups(LEGACY, "Payroll")
        .into_iter()
        .filter(|b| b.is_copy_only && file_starts(b, "E:\\MP\\"))
        .map(|b| b.backup_set_id)
        .collect();
    assert_eq!(set(&f.evidence), set(&expected));
    assert!(findings(r, LEGACY, "Payroll")
        .iter()
        .all(|f| f.id != "interop.maint_plan"));
    assert!(findings(r, LEGACY, "Payroll")
        .iter()
        .all(|f| f.severity == Severity::Info));
}

// ------------------------------------------------------------- rules 3, 4

#[test]
fn dpm_log_backups_on_a_managed_database_are_critical() {
    let r = report();
    let f = one(r, LEGACY, "Finance", "interop.third_party_log");
    assert_eq!(f.severity, Severity::Critical);
    let dpm: Vec<i64> = backups(LEGACY, "Finance")
        .into_iter()
        .filter(|b| b.is_log() && b.software_name.as_deref() == Some("DPM"))
        .map(|b| b.backup_set_id)
        .collect();
    assert!(dpm.len() > 30);
    assert_eq!(set(&f.evidence), set(&dpm));
    assert!(f
        .rows
        .iter()
        .any(|r| r.text.contains("CONTOSO\\DPMService")));
    let vss = one(r, LEGACY, "Finance", "interop.foreign_full");
    let snapshots: Vec<i64> = backups(LEGACY, "Finance")
        .into_iter()
        .filter(|b| b.is_full() && b.is_snapshot)
        .map(|b| b.backup_set_id)
        .collect();
    assert_eq!(set(&vss.evidence), set(&snapshots));
    none_of(r, LEGACY, "Finance", "chain.other_producer");
}

#[test]
fn ad_hoc_log_to_disk_is_critical_and_explains_the_forced_full() {
    let r = report();
    let f = one(r, PROD, "Orders", "interop.adhoc_log");
    assert_eq!(f.severity, Severity::Critical);
    let adhoc: Vec<i64> = backups(PROD, "Orders")
        .into_iter()
        .filter(|b| file_starts(b, "D:\\adhoc\\"))
        .map(|b| b.backup_set_id)
        .collect();
    assert_eq!(adhoc.len(), 1);
    assert_eq!(f.evidence, adhoc);
    assert!(f.sql.as_deref().unwrap().contains(
        "EXEC msdb.managed_backup.sp_backup_on_demand @database_name = N'Orders', @type = N'Log';"
    ));
    let forced = one(r, PROD, "Orders", "managed.forced_full");
    assert!(forced.evidence.contains(&adhoc[0]));
    none_of(r, PROD, "Orders", "chain.other_producer");
}

#[test]
fn copy_only_and_healthy_databases_have_no_producer_findings() {
    let r = report();
    for (inst, db) in [
        (PROD, "Billing"),
        (PROD, "Sales"),
        (PROD, "Warehouse"),
        (LEGACY, "Accounts"),
        ("SQLAG02", "Portal"),
    ] {
        none_of(r, inst, db, "interop.");
        none_of(r, inst, db, "managed.");
    }
}

// ------------------------------------------------------------- rule 5

#[test]
fn managed_backup_on_the_mirror_is_skipped() {
    let r = report();
    let f = one(r, LEGACY, "Claims", "interop.mirroring_mirror");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.explanation.contains("SQL14B\\LEGACY"));
    assert!(f.explanation.contains("unknown"));
    assert!(f
        .rows
        .iter()
        .any(|r| r.table == "sys.database_mirroring" && r.text.contains("MIRROR")));
    none_of(r, LEGACY, "Claims", "database.passive");
    none_of(r, PROD, "Sales", "interop.mirroring");
}

// ------------------------------------------------------------- rule 6

#[test]
fn availability_group_backups_on_the_preferred_replica_are_fine() {
    let r = report();
    for inst in ["SQLAG01", "SQLAG02"] {
        none_of(r, inst, "Portal", "interop.ag");
    }
}

#[test]
fn a_2014_ag_log_job_on_the_primary_is_off_the_preferred_replica() {
    let r = report();
    let f = one(r, AG14_PRIMARY, "Ledger", "interop.ag_non_preferred");
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.explanation.contains("SQL14AG2 the preferred replica"),
        "{}",
        f.explanation
    );
    // Evidence: the regular logs SQL14AG1 wrote in the 24 h before its newest; all of them
    // are the job's (URL ledgerstore/ledger-logs), none copy-only, none Managed Backup's.
    let mine: Vec<&BackupSet> = backups(AG14_PRIMARY, "Ledger");
    let newest = mine.iter().filter_map(|b| b.finish).max().unwrap();
    let expected: Vec<i64> = mine
        .iter()
        .filter(|b| b.finish >= Some(newest - chrono::Duration::hours(24)))
        .map(|b| b.backup_set_id)
        .collect();
    assert!(expected.len() >= 10, "{expected:?}");
    assert_eq!(set(&f.evidence), set(&expected));
    for b in &mine {
        assert!(b.is_log() && !b.is_copy_only, "#{}", b.backup_set_id);
        assert!(
            file_starts(b, "https://ledgerstore.blob.core.windows.net/ledger-logs/"),
            "#{}",
            b.backup_set_id
        );
    }
    // The rows that prove the preference: the group (SECONDARY) and both replicas.
    assert!(f.rows.iter().any(|r| r.table == "sys.availability_groups"
        && r.text.contains("automated_backup_preference = SECONDARY")));
    let replicas = f
        .rows
        .iter()
        .filter(|r| r.table == "sys.availability_replicas")
        .count();
    assert_eq!(replicas, 2);
    // Reported once, where the backups are; the secondary's own backups are preferred.
    none_of(r, AG14_SECONDARY, "Ledger", "interop.ag_non_preferred");
    // The job itself is named by the job rule, with the backups it left.
    let job = one(r, AG14_PRIMARY, "Ledger", "interop.job_log_backup");
    assert_eq!(job.severity, Severity::Critical);
    assert_eq!(
        set(&job.evidence),
        set(&mine.iter().map(|b| b.backup_set_id).collect::<Vec<_>>())
    );
}

#[test]
fn a_2014_ag_with_different_retention_per_replica_says_so_once() {
    let r = report();
    let f = one(r, AG14_PRIMARY, "Ledger", "interop.ag_settings_differ");
    assert_eq!(f.severity, Severity::Warning);
    let texts: Vec<(&str, &str)> = f
        .rows
        .iter()
        .map(|r| (r.table.as_str(), r.text.as_str()))
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[0].0.starts_with("SQL14AG1") && texts[0].1.contains("retention_days 30"));
    assert!(texts[1].0.starts_with("SQL14AG2") && texts[1].1.contains("retention_days 15"));
    for inst in [AG14_PRIMARY, AG14_SECONDARY] {
        let e = estate().instance(inst).unwrap();
        let ledger = e.database("Ledger").unwrap();
        let cfg = ledger.managed_backup.as_ref().unwrap();
        assert!(cfg.enabled);
        let want = if inst == AG14_PRIMARY { 30 } else { 15 };
        assert_eq!(cfg.retention_days, Some(want));
        // Both replicas: the 2014 on-premises AG caveat.
        one(r, inst, "Ledger", "interop.ag_2014");
    }
    none_of(r, AG14_SECONDARY, "Ledger", "interop.ag_settings_differ");
}

#[test]
fn a_2014_managed_database_now_simple_warns_that_backups_stopped() {
    let r = report();
    let f = one(r, AG14_PRIMARY, "Intranet", "recovery.now_simple");
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.explanation.contains("FULL and BULK_LOGGED only"),
        "{}",
        f.explanation
    );
    let all = backups(AG14_PRIMARY, "Intranet");
    let last = all
        .iter()
        .max_by_key(|b| (b.finish, b.backup_set_id))
        .unwrap();
    assert_eq!(f.evidence, vec![last.backup_set_id]);
    assert!(all
        .iter()
        .all(|b| b.recovery_model == Some(chainwatch::model::RecoveryModel::Full)));
    let db = estate()
        .instance(AG14_PRIMARY)
        .unwrap()
        .database("Intranet")
        .unwrap();
    assert_eq!(
        db.recovery_model,
        Some(chainwatch::model::RecoveryModel::Simple)
    );
    // The healthy SIMPLE database stays quiet.
    none_of(r, "SQLAG01", "Ops", "recovery.");
}

// ------------------------------------------------------------- rule 7

#[test]
fn simple_switch_on_a_managed_database_explains_purging_and_the_new_chain() {
    let r = report();
    let f = one(r, PROD, "Staging", "recovery.simple_period");
    // No point-in-time restore inside retention while it was SIMPLE: a loss.
    assert_eq!(f.severity, Severity::Critical);
    let analysis_breaks = &r
        .databases
        .iter()
        .find(|d| d.database.name == "Staging")
        .unwrap()
        .breaks;
    let b = analysis_breaks
        .iter()
        .find(|b| b.reason == chainwatch::analysis::BreakReason::SimpleSwitch)
        .unwrap();
    // The break's rows plus the full that starts the new chain, nothing else.
    let new_full = backups(PROD, "Staging")
        .into_iter()
        .filter(|x| x.is_full() && !x.is_copy_only)
        .filter(|x| x.recovery_model == Some(chainwatch::model::RecoveryModel::Full))
        .filter(|x| x.finish >= b.from_time && x.finish <= b.to_time)
        .max_by_key(|x| x.finish)
        .unwrap()
        .backup_set_id;
    let mut expected = b.evidence.clone();
    expected.push(new_full);
    assert_eq!(set(&f.evidence), set(&expected));
    assert!(f.explanation.contains("retention kept purging"));
    none_of(r, PROD, "Staging", "chain.simple_switch");
    none_of(r, PROD, "Staging", "managed.");
    none_of(r, PROD, "Sales", "recovery.");
    none_of(r, "SQLAG01", "Ops", "recovery.");
}

#[test]
fn bulk_logged_log_blocks_point_in_time_inside_it() {
    let r = report();
    let f = one(r, PROD, "ETL", "log.bulk_logged");
    let bulk: Vec<i64> = backups(PROD, "ETL")
        .into_iter()
        .filter(|b| b.has_bulk_logged_data)
        .map(|b| b.backup_set_id)
        .collect();
    assert_eq!(f.evidence, bulk);
    none_of(r, PROD, "Sales", "log.bulk_logged");
}

// ------------------------------------------------------------- rule 8

#[test]
fn dropped_database_says_when_its_files_go() {
    let r = report();
    let f = one(r, PROD, "OldCRM", "retention.dropped");
    assert_eq!(f.severity, Severity::Info);
    let inst = estate().instance(PROD).unwrap();
    let rows: Vec<usize> = inst.tables["msdb.managed_backup.fn_available_backups"]
        .to_maps()
        .iter()
        .enumerate()
        .filter(|(_, r)| r["database_name"] == "OldCRM")
        .map(|(i, _)| i)
        .collect();
    assert!(!rows.is_empty());
    let named: Vec<usize> = f.rows.iter().filter_map(|r| r.row).collect();
    assert_eq!(named, rows);
    assert!(f.title.contains("2026-12-01"), "{}", f.title);
    none_of(r, PROD, "OldCRM", "database.dropped");
    none_of(r, PROD, "Sales", "retention.");
}

// ------------------------------------------------------------- rule 9

#[test]
fn instance_defaults_on_beside_an_ag_database_is_an_instance_finding() {
    let r = report();
    for i in &r.instances {
        let hits: Vec<&Finding> = i
            .findings
            .iter()
            .filter(|f| f.id == "interop.instance_defaults")
            .collect();
        if i.instance != AG14_PRIMARY {
            assert!(hits.is_empty(), "{}: defaults are off", i.instance);
            continue;
        }
        assert_eq!(hits.len(), 1, "{:?}", i.findings);
        let f = hits[0];
        assert_eq!(f.database, None);
        // Ledger was created long before the last 7 days: a risk for the next one, Info.
        assert_eq!(f.severity, Severity::Info);
        assert!(f.explanation.contains("Ledger"), "{}", f.explanation);
        assert_eq!(f.rows.len(), 1);
        assert_eq!(
            f.rows[0].table,
            "msdb.smart_admin.fn_backup_instance_config"
        );
        let inst = estate().instance(AG14_PRIMARY).unwrap();
        let row = &inst.tables["msdb.smart_admin.fn_backup_instance_config"].to_maps()
            [f.rows[0].row.unwrap()];
        assert_eq!(row["is_smart_backup_enabled"], 1);
        assert!(f
            .sql
            .as_deref()
            .unwrap()
            .contains("smart_admin.sp_set_instance_backup"));
    }
}

// ------------------------------------------------------------- rule 10

#[test]
fn stretch_is_reported_as_deprecated_and_not_as_restored() {
    let r = report();
    let f = one(r, PROD, "Archive", "stretch.deprecated");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.explanation.contains("deprecated in SQL Server 2022"));
    none_of(r, PROD, "Archive", "stretch.restored");
    none_of(r, PROD, "Archive", "stretch.unreconciled");
    none_of(r, PROD, "Sales", "stretch.");
}

// ------------------------------------------------------------- rule 11

#[test]
fn gap_rows_in_fn_available_backups_name_the_rows_around_the_gap() {
    let r = report();
    let f = one(r, PROD, "Telemetry", "managed.available_gap");
    // Points inside the gap, inside retention, are lost: critical (severity policy).
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.rows.len(), 2);
    let inst = estate().instance(PROD).unwrap();
    let table = &inst.tables["msdb.managed_backup.fn_available_backups"].to_maps();
    let before = &table[f.rows[0].row.unwrap()];
    let after = &table[f.rows[1].row.unwrap()];
    assert_eq!(before["database_name"], "Telemetry");
    assert_eq!(after["database_name"], "Telemetry");
    let lsn = |v: &serde_json::Value| v.as_str().unwrap().parse::<u128>().unwrap();
    assert!(lsn(&before["last_lsn"]) < lsn(&after["first_lsn"]));
    // No log file in the list lies between the two.
    assert!(table
        .iter()
        .filter(|r| r["database_name"] == "Telemetry" && r["backup_type"] == "LOG")
        .all(|r| {
            lsn(&r["last_lsn"]) <= lsn(&before["last_lsn"])
                || lsn(&r["first_lsn"]) >= lsn(&after["first_lsn"])
        }));
    none_of(r, PROD, "Telemetry", "chain.gap");
    let forced = one(r, PROD, "Telemetry", "managed.forced_full");
    assert!(forced.evidence.iter().any(|id| f.evidence.contains(id)));
}

#[test]
fn no_unknown_findings_on_the_demo() {
    for i in &report().instances {
        assert!(
            i.findings
                .iter()
                .all(|f| f.id != "rules.not_collected" && f.id != "rules.row_unreadable"),
            "{}: {:?}",
            i.instance,
            i.findings
        );
    }
}

#[test]
fn remedies_quote_names() {
    for d in &report().databases {
        for f in &d.findings {
            if let Some(sql) = &f.sql {
                assert!(!sql.contains("''"), "{sql}");
                assert!(!sql.contains("= '"), "strings are N'…': {sql}");
            }
        }
    }
}

#[test]
fn the_full_after_a_restore_to_a_point_is_not_a_forced_full() {
    // CRM was restored over itself to a point (a fork point joined by its
    // spanning log, not a break); Managed Backup's full after it is expected.
    let r = report();
    let crm = r
        .databases
        .iter()
        .find(|d| d.instance == PROD && d.database.name == "CRM")
        .unwrap();
    assert!(crm.findings.iter().any(|f| f.id == "chain.fork_point"));
    assert!(
        !crm.findings.iter().any(|f| f.id == "managed.forced_full"),
        "{:?}",
        crm.findings.iter().map(|f| f.id).collect::<Vec<_>>()
    );
}
