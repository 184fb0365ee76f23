//! Property tests of chain invariants.

mod common;

use chainwatch::analysis::history::history_of;
use chainwatch::analysis::{analyze_history, plan, BreakReason, DatabaseAnalysis, Target};
use chainwatch::model::{BackupSet, Database};
use common::{at, Hist};
use proptest::prelude::*;

fn analyse(rows: &[BackupSet]) -> DatabaseAnalysis<'_> {
    let mut db = Database::new_named("Sales");
    db.exists = true;
    analyze_history(
        "SQL01".into(),
        db,
        true,
        history_of(rows, "Sales"),
        at(60 * 24 * 30),
    )
}

/// What a history step does.
#[derive(Debug, Clone)]
enum Op {
    Log { activity: u8 },
    Full,
    Diff,
    CopyOnlyFull,
    CopyOnlyLog,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u8..5).prop_map(|activity| Op::Log { activity }),
        1 => Just(Op::Full),
        1 => Just(Op::Diff),
        1 => Just(Op::CopyOnlyFull),
        1 => Just(Op::CopyOnlyLog),
    ]
}

/// A continuous history: a full first, then the ops, one per hour.
fn build(ops: &[Op]) -> Hist {
    let mut h = Hist::new();
    h.full(0, 20);
    for (i, op) in ops.iter().enumerate() {
        let start = 60 * (i as i64 + 1);
        match op {
            Op::Log { activity } => {
                h.activity(u128::from(*activity));
                h.log(start, 1);
            }
            Op::Full => {
                h.full(start, 10);
            }
            Op::Diff => {
                h.diff(start, 5);
            }
            Op::CopyOnlyFull => {
                h.copy_only_full(start, 10);
            }
            Op::CopyOnlyLog => {
                h.activity(1);
                h.copy_only_log(start);
            }
        }
    }
    h
}

/// Everything observable about an analysis, for comparisons.
fn fingerprint(a: &DatabaseAnalysis<'_>) -> String {
    let p = plan(a, Target::Latest);
    let mid = a.windows.first().map(|w| w.from + (w.to - w.from) / 2);
    let pm = mid.map(|t| plan(a, Target::Time(t)));
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        a.chain.runs,
        a.chain.breaks,
        a.windows,
        a.health,
        p.steps.iter().map(|s| s.backup_set_id).collect::<Vec<_>>(),
        pm.map(|p| p.steps.iter().map(|s| s.backup_set_id).collect::<Vec<_>>())
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn shuffling_rows_never_changes_the_result(ops in prop::collection::vec(op(), 1..40), seed in any::<u64>()) {
        let h = build(&ops);
        let expected = fingerprint(&analyse(&h.rows));
        let mut rows = h.rows.clone();
        // Deterministic Fisher–Yates from the seed.
        let mut state = seed | 1;
        for i in (1..rows.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            rows.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(fingerprint(&analyse(&rows)), expected);
    }

    #[test]
    fn removing_one_log_gives_exactly_one_break_at_the_right_lsns(
        ops in prop::collection::vec((1u8..5).prop_map(|activity| Op::Log { activity }), 3..40),
        pick in any::<prop::sample::Index>(),
    ) {
        let h = build(&ops);
        let logs: Vec<&BackupSet> = h.rows.iter().filter(|b| b.is_log()).collect();
        // Not the last log: removing the tail shortens the chain without a break.
        let victim = logs[pick.index(logs.len() - 1)];
        let rows: Vec<BackupSet> = h.rows.iter().filter(|b| b.backup_set_id != victim.backup_set_id).cloned().collect();
        let a = analyse(&rows);
        let breaks: Vec<_> = a.chain.breaks.iter().filter(|b| b.reason != BreakReason::HistoryMissing).collect();
        prop_assert_eq!(breaks.len(), 1, "{:?}", breaks);
        prop_assert_eq!(breaks[0].reason, BreakReason::Gap);
        prop_assert_eq!(breaks[0].to_lsn, victim.last_lsn);
        if victim.backup_set_id == logs[0].backup_set_id {
            // The first log held the full's end: the break runs from the full.
            let full = h.rows.iter().find(|b| b.is_full()).unwrap();
            prop_assert_eq!(breaks[0].after_backup_set_id, Some(full.backup_set_id));
            prop_assert_eq!(breaks[0].from_lsn, full.last_lsn);
        } else {
            prop_assert_eq!(breaks[0].from_lsn, victim.first_lsn);
        }
    }

    #[test]
    fn adding_a_copy_only_log_never_changes_continuity(ops in prop::collection::vec(op(), 1..30), when in 0i64..2000) {
        let h = build(&ops);
        let before = analyse(&h.rows);
        let (runs, breaks, windows) = (before.chain.runs.clone(), before.chain.breaks.clone(), before.windows.clone());
        let mut h2 = build(&ops);
        h2.activity(1);
        // Taken after everything else, as a tail-log backup would be.
        h2.copy_only_log(60 * (ops.len() as i64 + 1) + when % 60);
        let after = analyse(&h2.rows);
        // A copy-only log never breaks anything; at the end of a run it is
        // a tail-log backup and may only extend what is recoverable.
        prop_assert_eq!(&after.chain.breaks, &breaks);
        prop_assert!(after.chain.runs.len() == runs.len() || (runs.is_empty() && after.chain.runs.len() == 1));
        for w in &windows {
            prop_assert!(
                after.windows.iter().any(|n| n.from <= w.from && w.to <= n.to),
                "{:?} lost in {:?}", w, after.windows
            );
        }
        let tail = h2.rows.last().unwrap().backup_set_id;
        if !after.chain.is_tail(tail) {
            prop_assert_eq!(&after.chain.runs, &runs);
            prop_assert_eq!(&after.windows, &windows);
        }
    }

    #[test]
    fn every_point_inside_a_window_has_a_plan(ops in prop::collection::vec(op(), 1..30), frac in 0.0f64..=1.0) {
        let h = build(&ops);
        let a = analyse(&h.rows);
        for w in &a.windows {
            let offset = ((w.to - w.from).num_seconds() as f64 * frac) as i64;
            let t = w.from + chrono::Duration::seconds(offset);
            let p = plan(&a, Target::Time(t));
            prop_assert!(p.recoverable, "{} in {:?}: {}", t, w, p.reason);
            // Steps chain by LSN: each log starts at or before where the previous step ended.
            let mut end = None;
            for s in p.steps.iter().filter(|s| s.kind == "log") {
                if let Some(e) = end { prop_assert!(s.first_lsn <= Some(e)); }
                end = s.last_lsn;
            }
        }
    }
}
