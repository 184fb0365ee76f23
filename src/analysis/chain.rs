//! Log-chain continuity: walk the log backups of every recovery path in
//! LSN order (across fork points, see [`super::forks`]), find contiguous
//! runs, and explain every break.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

pub use super::forks::fork_of;
use super::forks::{
    continues, covers, depth, end_state, first_fork_of, fork_links, lineage, log_on_lineage,
    on_lineage, spanned_fork, ForkLink, Reach, State,
};
use crate::model::time::fmt_time;
use crate::model::{BackupSet, BackupType, Destination, Lsn, Producer, RecoveryModel};

/// Why the log chain is not continuous at a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// Log records were backed up somewhere this history does not show.
    Gap,
    /// The database went to SIMPLE, which ended the chain; a new one began later.
    SimpleSwitch,
    /// A restore or recovery started a new recovery path (fork).
    NewFork,
    /// The logs start without a full backup in this history to anchor them.
    HistoryMissing,
    /// The chain passes through log backups made by another producer.
    OtherProducer,
}

impl BreakReason {
    pub fn code(self) -> &'static str {
        match self {
            BreakReason::Gap => "gap",
            BreakReason::SimpleSwitch => "simple_switch",
            BreakReason::NewFork => "new_fork",
            BreakReason::HistoryMissing => "history_missing",
            BreakReason::OtherProducer => "other_producer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BreakReason::Gap => "gap in the log chain",
            BreakReason::SimpleSwitch => "switch to SIMPLE recovery",
            BreakReason::NewFork => "new recovery fork",
            BreakReason::HistoryMissing => "history missing",
            BreakReason::OtherProducer => "log backup by another producer",
        }
    }

    /// Whether backups on both sides still chain together in msdb (only
    /// the producer differs), so recovery across it is possible with the files.
    pub fn keeps_continuity(self) -> bool {
        matches!(self, BreakReason::OtherProducer)
    }
}

/// A discontinuity, with the LSNs on both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Break {
    pub reason: BreakReason,
    pub after_backup_set_id: Option<i64>,
    pub before_backup_set_id: Option<i64>,
    /// End of what is covered before the break (`last_lsn` of the log before).
    pub from_lsn: Option<Lsn>,
    /// Start of what is covered after the break (`first_lsn` of the log after).
    pub to_lsn: Option<Lsn>,
    /// Wall-clock span of the break (finish of the log before, finish of the log after).
    pub from_time: Option<DateTime<Utc>>,
    pub to_time: Option<DateTime<Utc>>,
    /// Plain-words explanation naming the evidence.
    pub detail: String,
    /// The backup sets that prove it.
    pub evidence: Vec<i64>,
    /// On the database's current recovery path (false: on an abandoned branch).
    pub on_current_path: bool,
}

/// A contiguous stretch of log backups: each starts where the previous ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The fork the run ends on.
    pub fork: Option<Uuid>,
    /// Range into [`ChainAnalysis::logs`].
    pub start: usize,
    pub end: usize,
    pub first_lsn: Lsn,
    pub last_lsn: Lsn,
    /// Not on the database's current recovery path (an abandoned branch or
    /// an older incarnation): restorable only when asked for explicitly.
    pub abandoned: bool,
    /// The log (index into [`ChainAnalysis::logs`]) this run continues
    /// when it branches off another run.
    pub branch_of: Option<usize>,
}

/// Why a log backup is not a step of any restore path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcludedKind {
    /// Copy-only, and the regular log backups hold its records.
    CopyOnly,
    /// Its records are all in other log backups of the chain.
    Redundant,
    /// Written to the NUL device.
    Nul,
    /// A row the analysis cannot use (missing or inconsistent LSNs).
    BadRow,
    /// A family of its media set is missing: RESTORE cannot read it.
    IncompleteMedia,
}

/// A log backup left out of the chain walk, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Excluded {
    pub backup_set_id: i64,
    pub why: String,
    pub kind: ExcludedKind,
}

/// One recovery path: the logs a restore to the end of `fork` applies,
/// in order, across the fork points of its lineage.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryPath {
    /// The path's newest fork.
    pub fork: Option<Uuid>,
    /// Its forks, newest first, with where the path left each.
    pub lineage: Vec<Reach>,
    /// The path the database is on now.
    pub current: bool,
    /// Indices into [`ChainAnalysis::logs`], in restore order.
    pub logs: Vec<usize>,
    /// Contiguous stretches: ranges into `logs`.
    pub runs: Vec<(usize, usize)>,
}

impl RecoveryPath {
    /// Whether a database state lies on this path.
    pub fn holds(&self, s: State) -> bool {
        on_lineage(&self.lineage, s)
    }
}

/// A fork point the history shows: `fork` began as a branch of `parent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ForkPoint {
    pub fork: Option<Uuid>,
    pub parent: Option<Uuid>,
    pub fork_point_lsn: Lsn,
    /// The spanning log backup: the first log taken after the recovery.
    pub spanning_backup_set_id: i64,
}

/// The result of walking one database's log backups.
#[derive(Debug, Clone)]
pub struct ChainAnalysis<'a> {
    /// Chain logs: the current path's in restore order, then the logs of
    /// other paths that the current one does not share.
    pub logs: Vec<&'a BackupSet>,
    pub runs: Vec<Run>,
    pub breaks: Vec<Break>,
    pub excluded: Vec<Excluded>,
    /// The producer that made most chain logs.
    pub main_producer: Option<Producer>,
    /// Forks in order of first appearance.
    pub forks: Vec<Option<Uuid>>,
    /// Every recovery path; the current one first.
    pub paths: Vec<RecoveryPath>,
    /// Fork points, oldest first.
    pub fork_points: Vec<ForkPoint>,
    /// Copy-only log backups used as the last step of a run (tail-log backups).
    pub tails: Vec<i64>,
}

impl ChainAnalysis<'_> {
    /// The run holding chain log `index`.
    pub fn run_of(&self, index: usize) -> Option<usize> {
        self.runs
            .iter()
            .position(|r| r.start <= index && index < r.end)
    }

    /// The path the database is on now.
    pub fn current_path(&self) -> Option<&RecoveryPath> {
        self.paths.iter().find(|p| p.current)
    }

    /// Whether a state lies on the current recovery path.
    pub fn on_current_path(&self, s: State) -> bool {
        self.current_path().is_none_or(|p| p.holds(s))
    }

    /// Whether a copy-only log is used as a tail.
    pub fn is_tail(&self, backup_set_id: i64) -> bool {
        self.tails.contains(&backup_set_id)
    }
}

/// Orders forks by when they first appear (a restore creates the later one).
pub fn fork_order(rows: &[&BackupSet]) -> Vec<Option<Uuid>> {
    let mut first_seen: HashMap<Option<Uuid>, (Option<DateTime<Utc>>, i64)> = HashMap::new();
    for b in rows {
        let key = (b.finish.or(b.start), b.backup_set_id);
        first_seen
            .entry(fork_of(b))
            .and_modify(|k| {
                if key < *k {
                    *k = key
                }
            })
            .or_insert(key);
    }
    let mut forks: Vec<_> = first_seen.into_iter().collect();
    forks.sort_by_key(|(fork, key)| (*key, *fork));
    forks.into_iter().map(|(f, _)| f).collect()
}

/// The fork of the newest backup: the path a database is on when nothing
/// better (sys.database_recovery_status) says so.
pub fn newest_fork(rows: &[&BackupSet]) -> Option<Option<Uuid>> {
    rows.iter()
        .max_by_key(|b| (b.finish.or(b.start), b.backup_set_id))
        .map(|b| fork_of(b))
}

/// Walks the log backups of one database's history, taking the newest
/// backup's fork as the current recovery path.
pub fn analyze_chain<'a>(rows: &[&'a BackupSet]) -> ChainAnalysis<'a> {
    analyze_chain_on(rows, None)
}

/// Why a log cannot be a step at all, if it cannot.
pub fn unusable(b: &BackupSet) -> Option<(ExcludedKind, String)> {
    match (b.first_lsn, b.last_lsn) {
        (None, _) | (_, None) => Some((
            ExcludedKind::BadRow,
            "history incomplete: first_lsn or last_lsn missing".to_string(),
        )),
        (Some(f), Some(l)) if f > l => Some((
            ExcludedKind::BadRow,
            format!("first_lsn {f} is after last_lsn {l}: the row is inconsistent"),
        )),
        _ if b.destination() == Destination::Nul => Some((
            ExcludedKind::Nul,
            "written to the NUL device: its log records are gone".to_string(),
        )),
        _ if !b.families.is_empty() && !b.media_complete() => {
            Some((ExcludedKind::IncompleteMedia, missing_media_text(b)))
        }
        _ => None,
    }
}

/// "media family 2 of 3 missing …" for an incomplete media set.
pub fn missing_media_text(b: &BackupSet) -> String {
    let missing = b.missing_families();
    let of = b
        .media_family_count
        .map(|n| format!(" of {n}"))
        .unwrap_or_default();
    format!(
        "media famil{} {}{of} missing from msdb.dbo.backupmediafamily: RESTORE needs every stripe (error 3132), so this backup cannot be restored",
        if missing.len() == 1 { "y" } else { "ies" },
        missing
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Walks the log backups of one database's history. `current` is the
/// database's recovery fork when known (sys.database_recovery_status).
pub fn analyze_chain_on<'a>(rows: &[&'a BackupSet], current: Option<Uuid>) -> ChainAnalysis<'a> {
    let mut excluded = Vec::new();
    let mut unusable_logs = Vec::new();
    let mut candidates: Vec<&BackupSet> = Vec::new();
    let mut copy_only: Vec<&BackupSet> = Vec::new();
    for b in rows.iter().copied().filter(|b| b.is_log()) {
        match unusable(b) {
            Some((kind, why)) => {
                unusable_logs.push(b);
                excluded.push(Excluded {
                    backup_set_id: b.backup_set_id,
                    why,
                    kind,
                });
            }
            None if b.is_copy_only => copy_only.push(b),
            None => candidates.push(b),
        }
    }

    let forks = fork_order(rows);
    let links = fork_links(&candidates);
    let current_fork = match current {
        Some(c) if forks.contains(&Some(c)) => Some(c),
        _ => newest_fork(rows).flatten(),
    };
    let mut path_forks = vec![current_fork];
    path_forks.extend(forks.iter().copied().filter(|f| *f != current_fork));

    let data: Vec<&BackupSet> = rows
        .iter()
        .copied()
        .filter(|b| {
            matches!(b.backup_type, BackupType::Full | BackupType::Diff)
                && !b.is_damaged
                && b.last_lsn.is_some()
        })
        .collect();

    let ctx = WalkInput {
        candidates: &candidates,
        copy_only: &copy_only,
        rows,
        unusable_logs: &unusable_logs,
        data: &data,
    };
    let walks: Vec<PathWalk> = path_forks
        .iter()
        .enumerate()
        .map(|(i, fork)| walk_path(*fork, lineage(*fork, &links), i == 0, &ctx))
        .collect();
    let mut chain = assemble(walks, &forks, &links, excluded, &copy_only);
    chain.main_producer = main_producer(&chain.logs);
    if let Some(main) = chain.main_producer.clone() {
        let extra = other_producer_breaks(&chain.logs, &chain.runs, &main);
        chain.breaks.extend(extra);
    }
    chain.breaks.sort_by(|a, b| {
        (a.from_time, a.from_lsn, a.reason).cmp(&(b.from_time, b.from_lsn, b.reason))
    });
    chain
}

/// What every path's walk reads.
struct WalkInput<'r, 'a> {
    candidates: &'r [&'a BackupSet],
    copy_only: &'r [&'a BackupSet],
    rows: &'r [&'a BackupSet],
    unusable_logs: &'r [&'a BackupSet],
    data: &'r [&'a BackupSet],
}

/// One path's walk before the paths are put together.
struct PathWalk<'a> {
    fork: Option<Uuid>,
    lineage: Vec<Reach>,
    current: bool,
    logs: Vec<&'a BackupSet>,
    runs: Vec<(usize, usize)>,
    breaks: Vec<Break>,
    redundant: Vec<Excluded>,
    tails: Vec<i64>,
}

impl<'a> PathWalk<'a> {
    fn extend_run(&mut self, b: &'a BackupSet) {
        self.logs.push(b);
        if let Some(run) = self.runs.last_mut() {
            run.1 += 1;
        }
    }
}

/// Whether `b` adds nothing to a database at `s` (all its records are
/// already restored).
fn redundant(b: &BackupSet, s: State) -> bool {
    let (Some(first), Some(last)) = (b.first_lsn, b.last_lsn) else {
        return false;
    };
    fork_of(b) == s.fork
        && spanned_fork(b).is_none()
        && first <= s.lsn
        && last <= s.lsn
        && !(first == last && last == s.lsn)
}

/// The copy-only log that carries a database at `s` furthest, if any: a
/// tail-log backup (WITH NO_TRUNCATE or COPY_ONLY) at the end of a run.
fn best_tail<'a>(
    copy_only: &[&'a BackupSet],
    lineage: &[Reach],
    s: State,
) -> Option<&'a BackupSet> {
    copy_only
        .iter()
        .copied()
        .filter(|c| covers(c, s) && log_on_lineage(lineage, c))
        .max_by_key(|c| (c.last_lsn, std::cmp::Reverse(c.backup_set_id)))
}

fn walk_path<'a>(
    fork: Option<Uuid>,
    lineage: Vec<Reach>,
    current: bool,
    input: &WalkInput<'_, 'a>,
) -> PathWalk<'a> {
    let mut seq: Vec<&BackupSet> = input
        .candidates
        .iter()
        .copied()
        .filter(|b| log_on_lineage(&lineage, b))
        .collect();
    seq.sort_by_key(|b| {
        (
            depth(&lineage, first_fork_of(b)),
            b.first_lsn,
            b.last_lsn,
            b.backup_set_id,
        )
    });
    let mut walk = PathWalk {
        fork,
        lineage,
        current,
        logs: Vec::with_capacity(seq.len()),
        runs: Vec::new(),
        breaks: Vec::new(),
        redundant: Vec::new(),
        tails: Vec::new(),
    };
    if seq.is_empty() {
        // No regular log: a tail-log backup right after a data backup.
        let tail = input
            .data
            .iter()
            .filter(|d| on_lineage(&walk.lineage, end_state(d)))
            .filter_map(|d| best_tail(input.copy_only, &walk.lineage, end_state(d)))
            .max_by_key(|c| c.last_lsn);
        if let Some(t) = tail {
            walk.logs.push(t);
            walk.runs.push((0, 1));
            walk.tails.push(t.backup_set_id);
        }
        return walk;
    }
    for b in seq {
        if let Some(prev) = walk.logs.last().copied() {
            let s = end_state(prev);
            if redundant(b, s) {
                walk.redundant.push(Excluded {
                    backup_set_id: b.backup_set_id,
                    why: format!(
                        "covers LSNs {}..{}, already covered by the chain: redundant",
                        fmt_lsn(b.first_lsn),
                        fmt_lsn(b.last_lsn)
                    ),
                    kind: ExcludedKind::Redundant,
                });
                continue;
            }
            if continues(b, s) {
                walk.extend_run(b);
                continue;
            }
            // The run ends here: a tail-log backup may still extend it.
            let prev = extend_with_tail(&mut walk, input.copy_only, prev);
            if continues(b, end_state(prev)) {
                walk.extend_run(b);
                continue;
            }
            walk.breaks
                .push(classify_break(prev, b, input.rows, input.unusable_logs));
        }
        walk.runs.push((walk.logs.len(), walk.logs.len() + 1));
        walk.logs.push(b);
    }
    if let Some(last) = walk.logs.last().copied() {
        extend_with_tail(&mut walk, input.copy_only, last);
    }
    let first_break = unanchored_first_run(&walk, input.data, input.rows);
    walk.breaks.extend(first_break);
    walk
}

/// Appends the best tail after `prev` (the end of the walk's last run);
/// returns the run's new last log.
fn extend_with_tail<'a>(
    walk: &mut PathWalk<'a>,
    copy_only: &[&'a BackupSet],
    prev: &'a BackupSet,
) -> &'a BackupSet {
    match best_tail(copy_only, &walk.lineage, end_state(prev)) {
        Some(t) => {
            walk.extend_run(t);
            walk.tails.push(t.backup_set_id);
            t
        }
        None => prev,
    }
}

/// Puts the paths together: the current path's logs first, then what
/// each other path does not share with the ones before it.
fn assemble<'a>(
    walks: Vec<PathWalk<'a>>,
    forks: &[Option<Uuid>],
    links: &HashMap<Option<Uuid>, ForkLink>,
    mut excluded: Vec<Excluded>,
    copy_only: &[&'a BackupSet],
) -> ChainAnalysis<'a> {
    let mut logs: Vec<&BackupSet> = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut runs: Vec<Run> = Vec::new();
    let mut breaks: Vec<Break> = Vec::new();
    let mut tails: Vec<i64> = Vec::new();
    let mut paths = Vec::new();
    let mut redundant: Vec<Excluded> = Vec::new();
    for walk in walks {
        let mut path_logs = Vec::with_capacity(walk.logs.len());
        for &(lo, hi) in &walk.runs {
            let mut open: Option<usize> = None;
            for k in lo..hi {
                let b = walk.logs[k];
                if let Some(&i) = index.get(&b.backup_set_id) {
                    path_logs.push(i);
                    open = None;
                    continue;
                }
                let i = logs.len();
                logs.push(b);
                index.insert(b.backup_set_id, i);
                path_logs.push(i);
                match open {
                    Some(r) => {
                        let run: &mut Run = &mut runs[r];
                        run.end = i + 1;
                        run.last_lsn = b.last_lsn.unwrap_or_default();
                        run.fork = fork_of(b);
                    }
                    None => {
                        let branch_of = (k > lo)
                            .then(|| index.get(&walk.logs[k - 1].backup_set_id).copied())
                            .flatten();
                        runs.push(Run {
                            fork: fork_of(b),
                            start: i,
                            end: i + 1,
                            first_lsn: b.first_lsn.unwrap_or_default(),
                            last_lsn: b.last_lsn.unwrap_or_default(),
                            abandoned: !walk.current,
                            branch_of,
                        });
                        open = Some(runs.len() - 1);
                    }
                }
            }
        }
        for mut b in walk.breaks {
            b.on_current_path = walk.current;
            let same = |x: &Break| {
                x.reason == b.reason
                    && x.after_backup_set_id == b.after_backup_set_id
                    && x.before_backup_set_id == b.before_backup_set_id
            };
            if !breaks.iter().any(same) {
                breaks.push(b);
            }
        }
        for t in walk.tails {
            if !tails.contains(&t) {
                tails.push(t);
            }
        }
        redundant.extend(walk.redundant);
        paths.push(RecoveryPath {
            fork: walk.fork,
            lineage: walk.lineage,
            current: walk.current,
            logs: path_logs,
            runs: walk.runs,
        });
    }
    for r in redundant {
        if !index.contains_key(&r.backup_set_id)
            && !excluded.iter().any(|e| e.backup_set_id == r.backup_set_id)
        {
            excluded.push(r);
        }
    }
    for c in copy_only {
        if !index.contains_key(&c.backup_set_id) {
            excluded.push(Excluded {
                backup_set_id: c.backup_set_id,
                why: "copy-only log: outside the chain (the regular log backups hold its records)"
                    .to_string(),
                kind: ExcludedKind::CopyOnly,
            });
        }
    }
    excluded.sort_by_key(|e| e.backup_set_id);
    let mut fork_points: Vec<ForkPoint> = links
        .iter()
        .map(|(fork, l)| ForkPoint {
            fork: *fork,
            parent: l.parent,
            fork_point_lsn: l.point,
            spanning_backup_set_id: l.via_backup_set_id,
        })
        .collect();
    fork_points.sort_by_key(|f| (f.fork_point_lsn, f.spanning_backup_set_id));
    ChainAnalysis {
        logs,
        runs,
        breaks,
        excluded,
        main_producer: None,
        forks: forks.to_vec(),
        paths,
        fork_points,
        tails,
    }
}

fn classify_break(
    prev: &BackupSet,
    next: &BackupSet,
    rows: &[&BackupSet],
    unusable_logs: &[&BackupSet],
) -> Break {
    let from_lsn = prev.last_lsn;
    let to_lsn = next.first_lsn;
    let mut evidence = vec![prev.backup_set_id, next.backup_set_id];
    let (reason, detail) = if fork_of(prev) != first_fork_of(next)
        || (prev.database_guid.is_some()
            && next.database_guid.is_some()
            && prev.database_guid != next.database_guid
            && spanned_fork(next).is_none())
    {
        let point = next
            .fork_point_lsn
            .map(|p| format!(" at fork point LSN {p}"))
            .unwrap_or_default();
        (
            BreakReason::NewFork,
            format!(
                "the database was restored or recovered to another point{point}: backup set {} starts recovery fork {}; logs of the earlier fork do not continue into it",
                next.backup_set_id,
                short_guid(fork_of(next)),
            ),
        )
    } else if let Some(nul) = unusable_logs
        .iter()
        .filter(|n| n.destination() == Destination::Nul)
        .find(|n| n.first_lsn <= from_lsn && n.last_lsn >= to_lsn && fork_of(n) == fork_of(next))
    {
        evidence.insert(1, nul.backup_set_id);
        (
            BreakReason::OtherProducer,
            format!(
                "backup set {} was a log backup to NUL{}: the log records from LSN {} to {} were thrown away",
                nul.backup_set_id,
                nul.user_name.as_deref().map(|u| format!(" by {u}")).unwrap_or_default(),
                fmt_lsn(from_lsn),
                fmt_lsn(to_lsn),
            ),
        )
    } else if let Some(simple) = simple_evidence(prev, next, rows) {
        evidence.extend(simple.iter().copied());
        (
            BreakReason::SimpleSwitch,
            format!(
                "the database was switched to SIMPLE between {} and {}; backup set {} begins a new log chain{}",
                fmt_time(prev.finish),
                fmt_time(next.start),
                next.backup_set_id,
                if simple.is_empty() { String::new() } else { format!(" (SIMPLE backups: {})", join_ids(&simple)) },
            ),
        )
    } else {
        // Rows in the gap that the analysis could not use say why it is one.
        let in_gap: Vec<&BackupSet> = unusable_logs
            .iter()
            .copied()
            .filter(|n| n.destination() != Destination::Nul)
            .filter(|n| match (n.first_lsn, n.last_lsn) {
                (Some(f), Some(l)) => {
                    Some(f.min(l)) <= to_lsn
                        && Some(f.max(l)) >= from_lsn
                        && fork_of(n) == first_fork_of(next)
                }
                _ => n.finish.is_some() && n.finish >= prev.finish && n.finish <= next.finish,
            })
            .collect();
        for n in &in_gap {
            evidence.insert(evidence.len() - 1, n.backup_set_id);
        }
        let because: Vec<String> = in_gap
            .iter()
            .map(|n| {
                format!(
                    "log #{} belongs there but cannot be used ({})",
                    n.backup_set_id,
                    unusable(n).map(|(_, why)| why).unwrap_or_default()
                )
            })
            .collect();
        (
            BreakReason::Gap,
            if because.is_empty() {
                format!(
                    "log records from LSN {} to {} are in no log backup in this history: backed up elsewhere (another tool, another replica's msdb) or history rows deleted",
                    fmt_lsn(from_lsn),
                    fmt_lsn(to_lsn),
                )
            } else {
                format!(
                    "log records from LSN {} to {} are in no usable log backup: {}",
                    fmt_lsn(from_lsn),
                    fmt_lsn(to_lsn),
                    because.join("; "),
                )
            },
        )
    };
    Break {
        reason,
        after_backup_set_id: Some(prev.backup_set_id),
        before_backup_set_id: Some(next.backup_set_id),
        from_lsn,
        to_lsn,
        from_time: prev.finish,
        to_time: next.finish,
        detail,
        evidence,
        on_current_path: true,
    }
}

/// Backup sets showing a SIMPLE period between two logs, if any.
fn simple_evidence(prev: &BackupSet, next: &BackupSet, rows: &[&BackupSet]) -> Option<Vec<i64>> {
    let between: Vec<i64> = rows
        .iter()
        .filter(|b| b.recovery_model == Some(RecoveryModel::Simple))
        .filter(|b| b.finish >= prev.finish && b.start <= next.start)
        .map(|b| b.backup_set_id)
        .collect();
    (next.begins_log_chain || !between.is_empty()).then_some(between)
}

/// A break before a path's first run when no data backup on the path
/// reaches it: a gap after the last data backup before it, a fork this
/// history cannot connect, or missing history when there is nothing.
fn unanchored_first_run(
    walk: &PathWalk<'_>,
    data: &[&BackupSet],
    rows: &[&BackupSet],
) -> Vec<Break> {
    let Some(&(lo, hi)) = walk.runs.first() else {
        return Vec::new();
    };
    let on_path: Vec<&BackupSet> = data
        .iter()
        .copied()
        .filter(|d| on_lineage(&walk.lineage, end_state(d)))
        .collect();
    let reached = walk.logs[lo..hi]
        .iter()
        .any(|log| on_path.iter().any(|d| covers(log, end_state(d))));
    if reached {
        return Vec::new();
    }
    let first_log = walk.logs[lo];
    let first_fork = first_fork_of(first_log);
    let before = on_path
        .iter()
        .filter(|b| {
            fork_of(b) == first_fork && b.last_lsn.is_some_and(|l| Some(l) < first_log.first_lsn)
        })
        .max_by_key(|b| b.last_lsn);
    let earlier_fork = rows
        .iter()
        .filter(|b| fork_of(b) != first_fork && b.finish.is_some() && b.finish < first_log.start)
        .max_by_key(|b| (b.finish, b.backup_set_id));
    let b = match (before, earlier_fork) {
        (Some(b), _) => Break {
            reason: BreakReason::Gap,
            after_backup_set_id: Some(b.backup_set_id),
            before_backup_set_id: Some(first_log.backup_set_id),
            from_lsn: b.last_lsn,
            to_lsn: first_log.first_lsn,
            from_time: b.finish,
            to_time: first_log.finish,
            detail: format!(
                "no log backup in this history continues {} #{} (ends at LSN {}); the next log starts at LSN {}",
                b.backup_type.label(),
                b.backup_set_id,
                fmt_lsn(b.last_lsn),
                fmt_lsn(first_log.first_lsn),
            ),
            evidence: vec![b.backup_set_id, first_log.backup_set_id],
            on_current_path: true,
        },
        (None, Some(prev)) => Break {
            reason: BreakReason::NewFork,
            after_backup_set_id: Some(prev.backup_set_id),
            before_backup_set_id: Some(first_log.backup_set_id),
            from_lsn: prev.last_lsn,
            to_lsn: first_log.first_lsn,
            from_time: prev.finish,
            to_time: first_log.finish,
            detail: format!(
                "log backups from #{} on are on recovery fork {}, which began with a restore or recovery this history cannot connect to the backups before it (no log backup spans the fork point, and no full on the new fork comes before #{})",
                first_log.backup_set_id,
                short_guid(first_fork),
                first_log.backup_set_id,
            ),
            evidence: vec![prev.backup_set_id, first_log.backup_set_id],
            on_current_path: true,
        },
        (None, None) => Break {
            reason: BreakReason::HistoryMissing,
            after_backup_set_id: None,
            before_backup_set_id: Some(first_log.backup_set_id),
            from_lsn: first_log.database_backup_lsn,
            to_lsn: first_log.first_lsn,
            from_time: None,
            to_time: first_log.finish,
            detail: format!(
                "log backups from #{} (LSN {}) on have no full backup in this history that reaches them{}: older history was purged or the full was taken elsewhere",
                first_log.backup_set_id,
                fmt_lsn(first_log.first_lsn),
                first_log
                    .database_backup_lsn
                    .map(|l| format!("; they are based on a full with checkpoint LSN {l}"))
                    .unwrap_or_default(),
            ),
            evidence: vec![first_log.backup_set_id],
            on_current_path: true,
        },
    };
    vec![b]
}

/// The producer of most chain logs; ties go to the producer of the newest log.
fn main_producer(logs: &[&BackupSet]) -> Option<Producer> {
    let mut counts: HashMap<ProducerKey, (usize, i64, Producer)> = HashMap::new();
    for (i, b) in logs.iter().enumerate() {
        let p = b.producer();
        let entry = counts.entry(ProducerKey::of(&p)).or_insert((0, 0, p));
        entry.0 += 1;
        entry.1 = i as i64;
    }
    counts
        .into_values()
        .max_by_key(|(n, last, _)| (*n, *last))
        .map(|(_, _, p)| p)
}

/// What makes two producers different for chain ownership: where the
/// backup went and which software wrote it (users are evidence only).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ProducerKey(Destination, String);

impl ProducerKey {
    fn of(p: &Producer) -> ProducerKey {
        ProducerKey(p.destination.clone(), p.software_name.clone())
    }
}

/// One break per foreign producer per run: its log backups, from the first
/// to the last, may be interleaved with the main producer's. A copy-only log
/// (a tail-log backup the chain ends with) takes no part of the chain from
/// its owner, whoever wrote it: the plan names its file like any other step.
fn other_producer_breaks(logs: &[&BackupSet], runs: &[Run], main: &Producer) -> Vec<Break> {
    let main_key = ProducerKey::of(main);
    let mut out = Vec::new();
    for run in runs {
        let mut groups: Vec<(ProducerKey, Vec<usize>)> = Vec::new();
        for (i, log) in logs.iter().enumerate().take(run.end).skip(run.start) {
            let key = ProducerKey::of(&log.producer());
            if key == main_key || log.is_copy_only {
                continue;
            }
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(i),
                None => groups.push((key, vec![i])),
            }
        }
        for (_, members) in groups {
            let (first, last) = (members[0], members[members.len() - 1]);
            let before = (first > run.start).then(|| logs[first - 1]);
            let after = (last + 1 < run.end).then(|| logs[last + 1]);
            let ids: Vec<i64> = members.iter().map(|&i| logs[i].backup_set_id).collect();
            let mut users: Vec<String> = members
                .iter()
                .filter_map(|&i| logs[i].user_name.clone())
                .collect();
            users.sort();
            users.dedup();
            let interleaved = members.len() < last - first + 1;
            out.push(Break {
                reason: BreakReason::OtherProducer,
                after_backup_set_id: before.map(|b| b.backup_set_id),
                before_backup_set_id: after.map(|b| b.backup_set_id),
                from_lsn: logs[first].first_lsn,
                to_lsn: logs[last].last_lsn,
                from_time: before.and_then(|b| b.finish).or(logs[first].start),
                to_time: logs[last].finish,
                detail: format!(
                    "{} log backup{} ({}) to {}{}{}, not by the chain's main producer ({}): restores need {} as well",
                    ids.len(),
                    if ids.len() == 1 { "" } else { "s" },
                    join_ids(&ids),
                    logs[first].producer().destination.label(),
                    if users.is_empty() { String::new() } else { format!(" by {}", users.join(", ")) },
                    if interleaved { format!(", interleaved with the main producer's between {} and {}", fmt_time(logs[first].finish), fmt_time(logs[last].finish)) } else { String::new() },
                    main.label(),
                    if ids.len() == 1 { "that file" } else { "those files" },
                ),
                evidence: ids,
                on_current_path: !run.abandoned,
            });
        }
    }
    out
}

pub(crate) fn join_ids(ids: &[i64]) -> String {
    const SHOWN: usize = 6;
    let mut text: Vec<String> = ids.iter().take(SHOWN).map(|i| format!("#{i}")).collect();
    if ids.len() > SHOWN {
        text.push(format!("… {} more", ids.len() - SHOWN));
    }
    text.join(", ")
}

pub(crate) fn fmt_lsn(lsn: Option<Lsn>) -> String {
    lsn.map(|l| l.to_string()).unwrap_or_else(|| "?".into())
}

pub(crate) fn short_guid(g: Option<Uuid>) -> String {
    g.map(|g| g.to_string()[..8].to_string())
        .unwrap_or_else(|| "?".into())
}
