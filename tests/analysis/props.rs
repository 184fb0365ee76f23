//! Property tests of chain invariants.

use crate::support::history::{at, Hist};
use chainwatch::analysis::history::history_of;
use chainwatch::analysis::{analyze_history, plan, BreakReason, DatabaseAnalysis, Target};
use chainwatch::model::{BackupSet, Database};
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

/// A history step with restores: logs, or a point-in-time restore into one
/// of the recent logs of the current path.
#[derive(Debug, Clone)]
enum ForkOp {
    Log {
        activity: u8,
    },
    /// Restore into the `back`-th newest restorable log, at `frac` of it.
    Restore {
        back: u8,
        frac: u8,
    },
}

fn fork_op() -> impl Strategy<Value = ForkOp> {
    prop_oneof![
        6 => (1u8..5).prop_map(|activity| ForkOp::Log { activity }),
        1 => (0u8..4, 1u8..99).prop_map(|(back, frac)| ForkOp::Restore { back, frac }),
    ]
}

/// One full, then the ops: returns the history and the logs a restore to
/// the end of the current path applies, in order.
fn build_forked(ops: &[ForkOp]) -> (Hist, i64, Vec<i64>) {
    let mut h = Hist::new();
    let full = h.full(0, 20);
    let mut current: Vec<i64> = Vec::new();
    let mut minute = 60;
    for op in ops {
        match op {
            ForkOp::Log { activity } => {
                h.activity(u128::from(*activity));
                current.push(h.log(minute, 1));
                minute += 60;
            }
            ForkOp::Restore { back, frac } => {
                // Only into a plain log of the current fork that has records.
                let k = current.len().checked_sub(1 + *back as usize);
                let Some(k) = k else { continue };
                let id = current[k];
                let row = h.row(id).clone();
                let (first, last) = (
                    row.first_lsn.unwrap().value(),
                    row.last_lsn.unwrap().value(),
                );
                if row.last_recovery_fork_guid != Some(h.fork)
                    || row.first_recovery_fork_guid != row.last_recovery_fork_guid
                    || last - first < 2
                    || k == 0 && first < h.row(full).last_lsn.unwrap().value()
                {
                    continue;
                }
                let offset = 1 + (last - first - 2) * u128::from(*frac) / 100;
                h.restore_into_log(id, offset);
                current.truncate(k);
                // The spanning log comes next, after some activity.
                h.activity(1);
                current.push(h.log(minute, 1));
                minute += 60;
            }
        }
    }
    (h, full, current)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_point_on_the_current_path_is_reachable_and_branches_only_when_asked(
        ops in prop::collection::vec(fork_op(), 1..25),
        frac in 0.0f64..=1.0,
    ) {
        let (h, full, current) = build_forked(&ops);
        let a = analyse(&h.rows);
        // Latest follows exactly the current path from the only full.
        let p = plan(&a, Target::Latest);
        prop_assert!(p.recoverable, "{}", p.reason);
        let mut expected = vec![full];
        expected.extend(&current);
        let got: Vec<i64> = p.steps.iter().map(|s| s.backup_set_id).collect();
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(p.path, "current");
        // One unbroken window on the current path, from the full to its end.
        prop_assert_eq!(a.windows.len(), 1, "{:?}", a.windows);
        prop_assert!(a.chain.breaks.iter().all(|b| !b.on_current_path), "{:?}", a.chain.breaks);
        // Any point in it has a plan on the current path whose logs chain.
        let w = &a.windows[0];
        let t = w.from + chrono::Duration::seconds(((w.to - w.from).num_seconds() as f64 * frac) as i64);
        let p = plan(&a, Target::Time(t));
        prop_assert!(p.recoverable, "{} in {:?}: {}", t, w, p.reason);
        prop_assert_eq!(p.path, "current");
        let logs: Vec<&BackupSet> = p.steps.iter().filter(|s| s.kind == "log")
            .map(|s| h.row(s.backup_set_id)).collect();
        for pair in logs.windows(2) {
            prop_assert!(
                chainwatch::analysis::forks::continues(pair[1], chainwatch::analysis::forks::end_state(pair[0])),
                "#{} does not continue #{}", pair[1].backup_set_id, pair[0].backup_set_id
            );
        }
        // Abandoned branches: never planned unasked; with their fork, planned there.
        for w in &a.other_windows {
            let mid = w.from + (w.to - w.from) / 2;
            let unasked = plan(&a, Target::Time(mid));
            prop_assert!(!unasked.recoverable || unasked.path == "current");
            let asked = chainwatch::analysis::plan_on(&a, Target::Time(w.to), w.fork);
            prop_assert!(asked.recoverable, "{:?}: {}", w, asked.reason);
            prop_assert_eq!(asked.path, "abandoned");
            prop_assert_eq!(asked.fork, w.fork);
        }
    }
}
