//! Every demo scenario shows its chain, break, window and plan facts.

use crate::support::now;
use chainwatch::analysis::{
    analyze_database, find_database, plan, BreakReason, ChainState, DatabaseAnalysis, Target,
};
use chainwatch::model::{Destination, Estate};
use chrono::Duration;
use std::sync::OnceLock;

fn estate() -> &'static Estate {
    static ESTATE: OnceLock<Estate> = OnceLock::new();
    ESTATE.get_or_init(|| chainwatch::sources::demo_estate(now()).expect("demo estate loads"))
}

fn db(instance: &str, name: &str) -> DatabaseAnalysis<'static> {
    let e = estate();
    let (i, d) = find_database(e, Some(instance), name).expect("scenario database");
    analyze_database(e, i, d, now())
}

fn breaks(a: &DatabaseAnalysis<'_>, reason: BreakReason) -> usize {
    a.chain.breaks.iter().filter(|b| b.reason == reason).count()
}

fn real_breaks(a: &DatabaseAnalysis<'_>) -> usize {
    a.chain
        .breaks
        .iter()
        .filter(|b| b.reason != BreakReason::HistoryMissing)
        .count()
}

#[test]
fn every_scenario_is_in_the_estate() {
    assert!(chainwatch::demo::SCENARIOS.len() >= 15);
    for s in chainwatch::demo::SCENARIOS {
        assert!(
            find_database(estate(), Some(s.instance), s.database).is_ok(),
            "{} {}",
            s.instance,
            s.database
        );
    }
    assert!(estate().instances.len() >= 3);
    assert!(estate().is_demo);
}

#[test]
fn healthy_managed_backup() {
    for (inst, name) in [
        ("SQL16\\PROD", "Sales"),
        ("SQL14\\LEGACY", "Accounts"),
        ("SQL16\\PROD", "Archive"),
    ] {
        let a = db(inst, name);
        assert_eq!(a.health.state, ChainState::Ok, "{name}");
        assert_eq!(real_breaks(&a), 0, "{name}: {:?}", a.chain.breaks);
        assert_eq!(a.windows.len(), 1, "{name}");
        assert!(a.health.rpo_now_seconds.unwrap() < 3 * 3600, "{name}");
        let p = plan(&a, Target::Latest);
        assert!(p.recoverable);
        assert_eq!(p.steps[0].kind, "full");
        assert!(
            p.steps
                .iter()
                .all(|s| s.files.iter().all(|f| f.starts_with("https://"))),
            "{name}"
        );
    }
    let sales = db("SQL16\\PROD", "Sales");
    assert!(
        sales.chain.logs.iter().any(|l| l.is_empty_log()),
        "Sales has empty logs"
    );
    assert!(
        sales.starts.iter().any(|s| sales
            .chain
            .logs
            .iter()
            .any(|l| l.start < s.full.finish && l.finish > s.full.finish)),
        "Sales has a log that started during a full"
    );
}

#[test]
fn ad_hoc_log_backup_to_disk() {
    let a = db("SQL16\\PROD", "Orders");
    assert_eq!(breaks(&a, BreakReason::OtherProducer), 1);
    let b = a
        .chain
        .breaks
        .iter()
        .find(|b| b.reason == BreakReason::OtherProducer)
        .unwrap();
    let adhoc = a
        .history
        .rows
        .iter()
        .find(|r| r.backup_set_id == b.evidence[0])
        .unwrap();
    assert!(matches!(adhoc.destination(), Destination::Disk(_)));
    assert!(b.detail.contains("CONTOSO\\jdoe"), "{}", b.detail);
    assert_eq!(a.health.state, ChainState::Degraded);
    // A restore to just after the ad hoc log needs the disk file.
    let p = plan(
        &a,
        Target::Time(adhoc.finish.unwrap() + Duration::minutes(1)),
    );
    assert!(p.recoverable, "{}", p.reason);
    assert!(p
        .steps
        .iter()
        .any(|s| s.backup_set_id == adhoc.backup_set_id));
}

#[test]
fn second_log_producers_log_shipping_and_dpm() {
    for (inst, name, user_hint) in [
        ("SQL16\\PROD", "Inventory", "logship"),
        ("SQL14\\LEGACY", "Finance", "DPM"),
    ] {
        let a = db(inst, name);
        assert_eq!(breaks(&a, BreakReason::OtherProducer), 1, "{name}");
        let b = a
            .chain
            .breaks
            .iter()
            .find(|b| b.reason == BreakReason::OtherProducer)
            .unwrap();
        assert!(b.evidence.len() > 10, "{name}: many foreign logs");
        assert!(
            b.detail.contains(user_hint)
                || a.history
                    .rows
                    .iter()
                    .any(|r| b.evidence.contains(&r.backup_set_id)
                        && r.files().iter().any(|f| f.contains(user_hint))),
            "{name}: {}",
            b.detail
        );
        assert_eq!(
            a.chain.runs.len(),
            1,
            "{name}: one LSN chain over both producers"
        );
        assert_eq!(a.health.state, ChainState::Degraded);
    }
    let finance = db("SQL14\\LEGACY", "Finance");
    let b = finance
        .chain
        .breaks
        .iter()
        .find(|b| b.reason == BreakReason::OtherProducer)
        .unwrap();
    assert!(finance
        .history
        .rows
        .iter()
        .filter(|r| b.evidence.contains(&r.backup_set_id))
        .all(|r| r.destination() == Destination::VirtualDevice));
    // Latest restore goes through DPM's virtual-device logs: the script must say so.
    let p = plan(&finance, Target::Latest);
    assert!(p.steps.iter().any(|s| s.virtual_device));
}

#[test]
fn maintenance_plans_do_not_break_the_log_chain() {
    for name in ["HR", "Payroll"] {
        let a = db("SQL14\\LEGACY", name);
        assert_eq!(real_breaks(&a), 0, "{name}");
        assert_eq!(a.health.state, ChainState::Ok, "{name}");
    }
    // Payroll's copy-only disk fulls can start a restore.
    let a = db("SQL14\\LEGACY", "Payroll");
    let cof = a
        .history
        .rows
        .iter()
        .filter(|r| r.is_full() && r.is_copy_only)
        .max_by_key(|r| r.finish)
        .expect("copy-only full");
    let p = plan(
        &a,
        Target::Time(cof.finish.unwrap() + Duration::minutes(10)),
    );
    assert!(p.recoverable);
    assert_eq!(p.steps[0].backup_set_id, cof.backup_set_id);
}

#[test]
fn switched_to_simple_and_back() {
    let a = db("SQL16\\PROD", "Staging");
    assert_eq!(
        breaks(&a, BreakReason::SimpleSwitch),
        1,
        "{:?}",
        a.chain.breaks
    );
    let b = a
        .chain
        .breaks
        .iter()
        .find(|b| b.reason == BreakReason::SimpleSwitch)
        .unwrap();
    assert!(b.from_lsn < b.to_lsn);
    assert!(a.windows.len() >= 2);
    // Inside the SIMPLE period no point in time is reachable.
    let mid = b.from_time.unwrap() + (b.to_time.unwrap() - b.from_time.unwrap()) / 2;
    let p = plan(&a, Target::Time(mid));
    if !a.windows.iter().any(|w| w.contains_time(mid)) {
        assert!(!p.recoverable);
    }
    assert_ne!(a.health.state, ChainState::Broken);
}

#[test]
fn restored_over_starts_a_new_fork() {
    let a = db("SQL16\\PROD", "CRM");
    // Restored over itself to a point: a fork point on the current path, not a break.
    assert_eq!(breaks(&a, BreakReason::NewFork), 0);
    assert_eq!(a.chain.forks.len(), 2);
    assert_eq!(a.chain.fork_points.len(), 1);
    assert!(a
        .chain
        .runs
        .iter()
        .any(|r| r.abandoned && r.branch_of.is_some()));
    assert!(!a.other_windows.is_empty());
    let newest_fork = a.database.recovery_fork_guid;
    let p = plan(&a, Target::Latest);
    assert!(p.recoverable);
    let first = a
        .history
        .rows
        .iter()
        .find(|r| r.backup_set_id == p.steps[0].backup_set_id)
        .unwrap();
    assert_eq!(
        first.last_recovery_fork_guid, newest_fork,
        "latest restore starts on the current fork"
    );
    assert!(
        !estate().instance("SQL16\\PROD").unwrap().tables["msdb.dbo.restorehistory"].is_empty()
    );
}

#[test]
fn striped_fulls_restore_every_stripe() {
    let a = db("SQL16\\PROD", "Warehouse");
    let p = plan(&a, Target::Latest);
    assert_eq!(p.steps[0].files.len(), 4);
    assert_eq!(a.health.state, ChainState::Ok);
}

#[test]
fn copy_only_full_in_the_middle() {
    let a = db("SQL16\\PROD", "Billing");
    assert_eq!(real_breaks(&a), 0);
    let cof = a
        .history
        .rows
        .iter()
        .find(|r| r.is_full() && r.is_copy_only)
        .expect("copy-only full");
    let p = plan(
        &a,
        Target::Time(cof.finish.unwrap() + Duration::minutes(30)),
    );
    assert_eq!(p.steps[0].backup_set_id, cof.backup_set_id);
    assert!(p.steps[0].is_copy_only);
}

#[test]
fn differential_restore() {
    let a = db("SQL16\\PROD", "Reporting");
    let newest_diff = a
        .history
        .rows
        .iter()
        .filter(|r| r.is_diff())
        .max_by_key(|r| r.finish)
        .expect("diffs");
    let p = plan(
        &a,
        Target::Time(newest_diff.finish.unwrap() + Duration::minutes(10)),
    );
    assert_eq!(p.steps[1].backup_set_id, newest_diff.backup_set_id);
    assert_eq!(
        p.steps.iter().map(|s| s.kind).take(2).collect::<Vec<_>>(),
        vec!["full", "diff"]
    );
    let full = a
        .history
        .rows
        .iter()
        .find(|r| r.backup_set_id == p.steps[0].backup_set_id)
        .unwrap();
    let diff = a
        .history
        .rows
        .iter()
        .find(|r| r.backup_set_id == p.steps[1].backup_set_id)
        .unwrap();
    assert_eq!(diff.differential_base_guid, full.backup_set_uuid);
    // A differential whose base was superseded is never paired with the newer full.
    let newest_full = a
        .history
        .rows
        .iter()
        .filter(|r| r.is_full() && !r.is_copy_only)
        .max_by_key(|r| r.finish)
        .unwrap();
    let stale = a
        .history
        .rows
        .iter()
        .filter(|r| r.is_diff() && r.differential_base_guid != newest_full.backup_set_uuid)
        .max_by_key(|r| r.finish)
        .expect("a diff of the older base");
    let p = plan(
        &a,
        Target::Time(stale.finish.unwrap() + Duration::minutes(20)),
    );
    if p.steps
        .iter()
        .any(|s| s.backup_set_id == stale.backup_set_id)
    {
        assert_ne!(p.steps[0].backup_set_id, newest_full.backup_set_id);
    }
    assert!(a
        .history
        .rows
        .iter()
        .all(|r| r.files().iter().all(|f| f.starts_with("\\\\fs01\\backup"))));
}

#[test]
fn bulk_logged_log_is_restorable_only_to_its_end() {
    let a = db("SQL16\\PROD", "ETL");
    let bulk = a
        .chain
        .logs
        .iter()
        .find(|l| l.has_bulk_logged_data)
        .expect("bulk-logged log");
    let inside = plan(
        &a,
        Target::Time(bulk.finish.unwrap() - Duration::seconds(30)),
    );
    assert!(!inside.recoverable);
    assert!(inside.reason.contains("bulk-logged"), "{}", inside.reason);
    let end = plan(&a, Target::Time(bulk.finish.unwrap()));
    assert!(end.recoverable);
    assert_eq!(end.steps.last().unwrap().backup_set_id, bulk.backup_set_id);
    assert_eq!(a.windows.len(), 2);
}

#[test]
fn mirror_and_dropped_and_simple() {
    assert_eq!(
        db("SQL14\\LEGACY", "Claims").health.state,
        ChainState::Passive
    );
    let old = db("SQL16\\PROD", "OldCRM");
    assert_eq!(old.health.state, ChainState::Dropped);
    assert!(!old.history.rows.is_empty());
    assert_eq!(db("SQLAG01", "Ops").health.state, ChainState::Simple);
}

#[test]
fn ag_secondary_copy_only_backups_merge_into_one_chain() {
    for inst in ["SQLAG01", "SQLAG02"] {
        let a = db(inst, "Portal");
        // The group prefers secondaries: the chain is judged on SQLAG02, and
        // the primary is passive (its backups are taken there).
        let expected = if inst == "SQLAG02" {
            ChainState::Ok
        } else {
            ChainState::Passive
        };
        assert_eq!(a.health.state, expected, "{inst}");
        assert_eq!(
            a.health.expectation.judged_on.as_deref(),
            (inst == "SQLAG01").then_some("SQLAG02"),
            "{inst}"
        );
        assert_eq!(a.history.sources.len(), 2, "{inst}: both replicas' msdb");
        let p = plan(&a, Target::Latest);
        assert!(p.recoverable);
        assert!(
            p.steps[0].is_copy_only,
            "the full is a copy-only full from the secondary"
        );
        assert_eq!(p.steps[0].source_instance, "SQLAG02");
    }
}

#[test]
fn stretch_database_is_flagged() {
    let a = db("SQL16\\PROD", "Archive");
    assert_eq!(a.database.stretch_enabled, Some(true));
    assert!(
        !estate().instance("SQL16\\PROD").unwrap().tables["sys.remote_data_archive_databases"]
            .is_empty()
    );
}

#[test]
fn retention_window_shorter_than_promised_because_of_a_gap() {
    let a = db("SQL16\\PROD", "Telemetry");
    assert_eq!(breaks(&a, BreakReason::Gap), 1);
    let retention = a
        .database
        .managed_backup
        .as_ref()
        .unwrap()
        .retention_days
        .unwrap();
    let promised_from = now() - Duration::days(i64::from(retention));
    let continuous_from = a.windows.last().unwrap().from;
    assert!(
        continuous_from > promised_from + Duration::days(3),
        "recoverable window is shorter than retention"
    );
    assert!(a.health.worst_uncovered.unwrap().length() >= Duration::hours(4));
    let b = a
        .chain
        .breaks
        .iter()
        .find(|b| b.reason == BreakReason::Gap)
        .unwrap();
    let inside = plan(
        &a,
        Target::Time(b.from_time.unwrap() + Duration::minutes(60)),
    );
    assert!(!inside.recoverable);
    assert!(inside.nearest_before.is_some() && inside.nearest_after.is_some());
}
