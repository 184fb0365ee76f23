//! `SQL19\OPS`, the demo's instance without Managed Backup: one problem per
//! database, each showing exactly the findings its scenario names, and the
//! msdb facts behind them. The finding ids every scenario's sentence names
//! are checked for the whole estate.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::support::now;
use chainwatch::analysis::{
    analyze_database, analyze_estate, find_database, plan, BreakReason, ChainState,
    DatabaseAnalysis, EstateReport, Severity, Target,
};
use chainwatch::demo::SCENARIOS;
use chainwatch::model::Estate;

const OPS: &str = "SQL19\\OPS";

fn estate() -> &'static Estate {
    static ESTATE: OnceLock<Estate> = OnceLock::new();
    ESTATE.get_or_init(|| chainwatch::sources::demo_estate(now()).expect("demo estate loads"))
}

fn report() -> &'static EstateReport {
    static REPORT: OnceLock<EstateReport> = OnceLock::new();
    REPORT.get_or_init(|| analyze_estate(estate(), now()))
}

fn db(name: &str) -> DatabaseAnalysis<'static> {
    let e = estate();
    let (i, d) = find_database(e, Some(OPS), name).expect("scenario database");
    analyze_database(e, i, d, now())
}

fn ids_of(instance: &str, database: &str) -> BTreeSet<&'static str> {
    report()
        .databases
        .iter()
        .filter(|d| d.instance == instance && d.database.name == database)
        .flat_map(|d| d.findings.iter().map(|f| f.id))
        .collect()
}

fn severity(database: &str, id: &str) -> Severity {
    report()
        .databases
        .iter()
        .find(|d| d.instance == OPS && d.database.name == database)
        .and_then(|d| d.findings.iter().find(|f| f.id == id))
        .unwrap_or_else(|| panic!("{database}: {id}"))
        .severity
}

/// The finding ids a scenario's sentence names: its words that are a
/// finding kind of `src/analysis`.
fn named_ids(expect: &str) -> BTreeSet<String> {
    static KINDS: OnceLock<BTreeSet<String>> = OnceLock::new();
    let kinds = KINDS.get_or_init(crate::demo_findings::source_ids);
    expect
        .split(|c: char| !(c.is_ascii_lowercase() || c == '_' || c == '.'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| kinds.contains(*w))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_finding_a_scenario_names_is_shown() {
    let instance_findings: BTreeSet<&str> = report()
        .instances
        .iter()
        .flat_map(|i| i.findings.iter().map(|f| f.id))
        .collect();
    let keys: BTreeSet<&str> = SCENARIOS.iter().map(|s| s.key).collect();
    assert_eq!(keys.len(), SCENARIOS.len(), "scenario keys are unique");
    for s in SCENARIOS {
        // An availability database's findings may sit on either replica.
        let shown: BTreeSet<&str> = report()
            .databases
            .iter()
            .filter(|d| d.database.name == s.database)
            .flat_map(|d| d.findings.iter().map(|f| f.id))
            .chain(instance_findings.iter().copied())
            .collect();
        for id in named_ids(s.expect) {
            assert!(
                shown.contains(id.as_str()),
                "{}: {id} not in {shown:?}",
                s.key
            );
        }
    }
}

#[test]
fn each_ops_database_is_one_scenario_with_exactly_its_findings() {
    let ops: Vec<_> = SCENARIOS.iter().filter(|s| s.instance == OPS).collect();
    let databases: BTreeSet<&str> = report()
        .databases
        .iter()
        .filter(|d| d.instance == OPS)
        .map(|d| d.database.name.as_str())
        .collect();
    let scenarios: BTreeSet<&str> = ops.iter().map(|s| s.database).collect();
    assert_eq!(databases, scenarios);
    for s in ops {
        let named = named_ids(s.expect);
        assert!(!named.is_empty(), "{}: names no finding", s.key);
        let shown: BTreeSet<String> = ids_of(OPS, s.database)
            .into_iter()
            .map(str::to_string)
            .collect();
        assert_eq!(shown, named, "{}", s.key);
    }
    let instance = report().instances.iter().find(|i| i.instance == OPS);
    assert!(instance.unwrap().findings.is_empty());
}

#[test]
fn late_backups_are_measured_against_the_rhythm_history_shows() {
    let t = db("Timecards");
    assert_eq!(t.health.state, ChainState::Ok);
    assert!(t.chain.breaks.is_empty(), "{:?}", t.chain.breaks);
    let log = t.health.expectation.log.as_ref().unwrap();
    assert_eq!(log.every.as_deref(), Some("4 h"));
    assert_eq!(severity("Timecards", "log.late"), Severity::Warning);

    let i = db("Invoices");
    assert_eq!(i.health.state, ChainState::Ok);
    assert!(i.health.expectation.diff.is_some(), "differentials in use");
    assert!(i.health.last_diff < i.health.last_full);
    // The latest restore needs no differential: none is based on the newest full.
    let p = plan(&i, Target::Latest);
    assert!(p.recoverable);
    assert_eq!(p.steps[1].kind, "log");

    let s = db("Shipping");
    assert_eq!(s.health.state, ChainState::Ok);
    assert_eq!(s.history.rows.iter().filter(|r| r.is_full()).count(), 1);
    let age = now() - s.health.last_full.unwrap();
    assert!(age > chrono::Duration::days(8), "{age}");
    assert!(plan(&s, Target::Latest).recoverable);

    let imports = db("Imports");
    assert_eq!(imports.health.state, ChainState::NoLogBackups);
    assert!(imports.history.rows.iter().all(|r| r.is_full()));
    assert_eq!(
        imports.database.log_reuse_wait_desc.as_deref(),
        Some("LOG_BACKUP")
    );
}

#[test]
fn a_full_missing_a_stripe_is_passed_over_for_the_one_before() {
    let a = db("Analytics");
    assert_eq!(a.health.state, ChainState::Ok);
    let fulls: Vec<_> = a.history.rows.iter().filter(|r| r.is_full()).collect();
    assert_eq!(fulls.len(), 2);
    let newest = fulls.iter().max_by_key(|r| r.finish).unwrap();
    assert_eq!(newest.media_family_count, Some(4));
    assert_eq!(newest.files().len(), 3);
    assert!(!newest.media_complete());
    let p = plan(&a, Target::Latest);
    assert!(p.recoverable);
    assert_ne!(p.steps[0].backup_set_id, newest.backup_set_id);
    assert_eq!(p.steps[0].files.len(), 4);
    assert!(p.steps[0].files.iter().all(|f| f.ends_with(".bak")));
}

#[test]
fn missing_logs_and_a_purged_full() {
    let t = db("Tickets");
    assert_eq!(t.health.state, ChainState::Broken);
    let gaps: Vec<_> = t
        .chain
        .breaks
        .iter()
        .filter(|b| b.reason == BreakReason::Gap)
        .collect();
    assert_eq!(gaps.len(), 1, "{:?}", t.chain.breaks);
    assert_eq!(t.chain.breaks.len(), 1);
    assert!(t.health.latest_recoverable < t.health.last_log);
    assert_eq!(t.health.latest_recoverable, gaps[0].from_time);

    let d = db("Documents");
    assert_eq!(d.health.state, ChainState::NoFull);
    assert!(d.history.rows.iter().all(|r| r.is_log()));
    let missing: Vec<_> = d
        .chain
        .breaks
        .iter()
        .filter(|b| b.reason == BreakReason::HistoryMissing)
        .collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(d.chain.runs.len(), 1, "the remaining logs are continuous");
    // Every log names the purged full as its base.
    let bases: BTreeSet<_> = d
        .history
        .rows
        .iter()
        .map(|r| r.database_backup_lsn)
        .collect();
    assert_eq!(bases.len(), 1);
    assert!(!plan(&d, Target::Latest).recoverable);
}

#[test]
fn switched_to_simple_and_dropped_without_managed_backup() {
    let l = db("Loader");
    assert_eq!(l.health.state, ChainState::Degraded);
    let b: Vec<_> = l.chain.breaks.iter().collect();
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].reason, BreakReason::SimpleSwitch);
    let next = l
        .history
        .rows
        .iter()
        .find(|r| Some(r.backup_set_id) == b[0].before_backup_set_id)
        .unwrap();
    assert!(next.begins_log_chain);
    assert!(l
        .database
        .managed_backup
        .as_ref()
        .is_some_and(|m| !m.enabled));

    let o = db("Kanban");
    assert_eq!(o.health.state, ChainState::Dropped);
    assert!(o.database.managed_backup.is_none());
    assert!(!o.history.rows.is_empty());
}

#[test]
fn states_where_no_backup_runs() {
    let s = db("Dispatch");
    assert_eq!(s.health.state, ChainState::Unavailable);
    assert_eq!(s.database.state_desc.as_deref(), Some("SUSPECT"));
    let tail = s
        .history
        .rows
        .iter()
        .find(|r| r.is_log() && r.is_copy_only)
        .expect("the tail-log backup");
    assert!(tail.is_damaged && tail.has_incomplete_metadata);
    assert!(s.chain.is_tail(tail.backup_set_id));
    let p = plan(&s, Target::Latest);
    assert!(p.recoverable);
    let last = p.steps.last().unwrap();
    assert_eq!(last.backup_set_id, tail.backup_set_id);
    assert!(last.tail && last.continue_after_error);
    assert_eq!(
        severity("Dispatch", "database.unavailable"),
        Severity::Critical
    );

    let h = db("Helpdesk");
    assert_eq!(h.health.state, ChainState::Offline);
    assert!(h.health.last_full.is_some());

    let e = db("Inv_snap");
    assert_eq!(e.health.state, ChainState::Exempt);
    assert_eq!(e.database.source_database_id, Some(6));
    assert!(e.history.rows.is_empty());
}

#[test]
fn new_and_never_backed_up_databases() {
    let s = db("Sandbox");
    assert_eq!(s.health.state, ChainState::Pending);
    assert!(s.history.rows.is_empty());
    assert!(s.health.expectation.in_full_grace(now()));

    let o = db("Hiring");
    assert_eq!(o.health.state, ChainState::Pending);
    assert_eq!(o.history.rows.len(), 1);
    assert!(o.health.expectation.in_log_grace(now()));

    let f = db("Warranty");
    assert_eq!(f.health.state, ChainState::NoHistory);
    assert!(!f.health.expectation.in_full_grace(now()));
    assert_eq!(severity("Warranty", "backup.none"), Severity::Critical);
}

#[test]
fn restored_from_another_server() {
    let b = db("Budget");
    assert_eq!(b.health.state, ChainState::Ok);
    assert_eq!(b.history.foreign.len(), 1);
    let foreign = b.history.foreign[0];
    assert_eq!(foreign.server_name.as_deref(), Some("SQL12\\FIN"));
    assert_eq!(foreign.family_guid, b.database.family_guid);
    assert_ne!(foreign.database_guid, b.database.database_guid);
    assert!(b
        .history
        .rows
        .iter()
        .all(|r| r.server_name.as_deref() == Some(OPS)));
    assert_eq!(b.chain.fork_points.len(), 1);
    assert_eq!(b.chain.runs.len(), 1);
    let p = plan(&b, Target::Latest);
    assert!(p.recoverable, "{}", p.reason);
    assert_ne!(p.steps[0].backup_set_id, foreign.backup_set_id);

    let e = db("ERP");
    assert_eq!(e.health.state, ChainState::Restoring);
    assert_eq!(e.history.foreign.len(), 1);
    assert!(e.history.rows.is_empty());
}
