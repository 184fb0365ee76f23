//! Restore starting points (full, or full + differential) and the windows
//! of time and LSN that are recoverable from them, per recovery path.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::chain::{ChainAnalysis, RecoveryPath};
use super::forks::{continues, depth, end_state, first_fork_of, fork_of, State};
use crate::model::{BackupSet, BackupType, Lsn, Restorability};

/// Where a restore sequence can begin: a full, optionally with one differential on it.
#[derive(Debug, Clone, Copy)]
pub struct StartPoint<'a> {
    pub full: &'a BackupSet,
    pub diff: Option<&'a BackupSet>,
}

impl<'a> StartPoint<'a> {
    /// The data backup restored last (the diff when there is one).
    pub fn last(&self) -> &'a BackupSet {
        self.diff.unwrap_or(self.full)
    }

    pub fn lsn(&self) -> Lsn {
        self.last().last_lsn.unwrap_or_default()
    }

    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.last().finish
    }

    pub fn fork(&self) -> Option<Uuid> {
        fork_of(self.last())
    }

    /// Where the database is once the start is restored.
    pub fn state(&self) -> State {
        end_state(self.last())
    }

    /// What restoring the start takes (the full's need wins).
    pub fn restorability(&self) -> Restorability {
        let full = self.full.restorability();
        match (&full, self.diff) {
            (Restorability::Native, Some(d)) => d.restorability(),
            _ => full,
        }
    }
}

/// Whether a data backup can start a restore at all: undamaged, with its
/// LSNs and finish time, and every family of its media set known.
pub fn usable_data_backup(b: &BackupSet) -> bool {
    !b.is_damaged
        && b.first_lsn.is_some()
        && b.last_lsn.is_some()
        && b.finish.is_some()
        && (b.families.is_empty() || b.media_complete())
}

/// The non-copy-only full a differential is based on, if it is in history.
///
/// Matches on the base GUID (the full's `backup_set_uuid`) and the base LSN
/// (seen to equal the full's checkpoint LSN; the docs say first LSN, so
/// either is accepted). Without either, falls back to the latest earlier
/// full on the same fork.
pub fn differential_base<'a>(diff: &BackupSet, fulls: &[&'a BackupSet]) -> Option<&'a BackupSet> {
    let bases = fulls.iter().copied().filter(|f| !f.is_copy_only);
    match (diff.differential_base_guid, diff.differential_base_lsn) {
        (Some(guid), _) if fulls.iter().any(|f| f.backup_set_uuid.is_some()) => {
            bases.into_iter().find(|f| f.backup_set_uuid == Some(guid))
        }
        (_, Some(lsn)) => bases
            .into_iter()
            .find(|f| f.checkpoint_lsn == Some(lsn) || f.first_lsn == Some(lsn)),
        _ => bases
            .filter(|f| fork_of(f) == fork_of(diff) && f.finish <= diff.start)
            .max_by_key(|f| (f.finish, f.backup_set_id)),
    }
}

/// Every full and every (full, differential) pair that can begin a restore.
pub fn start_points<'a>(rows: &[&'a BackupSet]) -> Vec<StartPoint<'a>> {
    let fulls: Vec<&BackupSet> = rows
        .iter()
        .copied()
        .filter(|b| b.backup_type == BackupType::Full && usable_data_backup(b))
        .collect();
    let mut points: Vec<StartPoint> = fulls
        .iter()
        .map(|f| StartPoint {
            full: f,
            diff: None,
        })
        .collect();
    for diff in rows
        .iter()
        .copied()
        .filter(|b| b.backup_type == BackupType::Diff && usable_data_backup(b))
    {
        if let Some(full) = differential_base(diff, &fulls) {
            points.push(StartPoint {
                full,
                diff: Some(diff),
            });
        }
    }
    points.sort_by_key(|p| (p.time(), p.lsn(), p.last().backup_set_id));
    points
}

/// Position in `path.logs` of the log a restore from `s` applies first:
/// the earliest that continues it (an empty log at exactly `s` counts, as
/// RESTORE accepts it).
///
/// A path's logs are sorted by (fork depth, first LSN), so candidates end
/// just before the binary-search point; the scan back stops a few logs
/// after the last candidate (a spanning log sorts with its first fork).
pub fn covering_in_path(chain: &ChainAnalysis<'_>, path: &RecoveryPath, s: State) -> Option<usize> {
    let key = |b: &BackupSet| {
        (
            depth(&path.lineage, first_fork_of(b)),
            b.first_lsn.unwrap_or_default(),
        )
    };
    let goal = (depth(&path.lineage, s.fork), s.lsn);
    let after = path.logs.partition_point(|&i| key(chain.logs[i]) <= goal);
    let mut best = None;
    let mut misses = 0;
    for k in (0..after).rev() {
        if continues(chain.logs[path.logs[k]], s) {
            best = Some(k);
            misses = 0;
        } else {
            misses += 1;
            if misses > 3 {
                break;
            }
        }
    }
    best
}

/// Index into `chain.logs` of the current path's log that holds `lsn`
/// (first_lsn ≤ lsn < last_lsn) on `fork`.
pub fn covering_log(chain: &ChainAnalysis<'_>, fork: Option<Uuid>, lsn: Lsn) -> Option<usize> {
    let path = chain.current_path()?;
    covering_in_path(chain, path, State { fork, lsn }).map(|k| path.logs[k])
}

/// The path's run (range into `path.logs`) holding position `k`.
pub fn path_run(path: &RecoveryPath, k: usize) -> Option<(usize, usize)> {
    path.runs
        .iter()
        .copied()
        .find(|&(lo, hi)| lo <= k && k < hi)
}

/// Finish time of a chain log, falling back to its start.
pub fn log_time(log: &BackupSet) -> Option<DateTime<Utc>> {
    log.finish.or(log.start)
}

/// A stretch of time (and LSN) to which the database can be restored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    /// The fork the window ends on (a window of the current path may
    /// begin on an older fork and cross its fork point).
    pub fork: Option<Uuid>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub from_lsn: Lsn,
    pub to_lsn: Lsn,
    /// On a branch the database is no longer on (restorable when asked for).
    #[serde(default)]
    pub abandoned: bool,
    /// What else a restore into this window needs (another tool, a storage
    /// snapshot); None when plain RESTORE can do it.
    #[serde(default)]
    pub needs: Option<String>,
}

impl Window {
    pub fn contains_time(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t <= self.to
    }

    pub fn contains_lsn(&self, lsn: Lsn) -> bool {
        self.from_lsn <= lsn && lsn <= self.to_lsn
    }

    pub fn is_point(&self) -> bool {
        self.from == self.to
    }

    pub fn is_native(&self) -> bool {
        self.needs.is_none()
    }
}

/// The windows of the database's current recovery path: natively
/// restorable stretches, and the rest tagged with what it needs.
pub fn recoverable_windows(chain: &ChainAnalysis<'_>, starts: &[StartPoint<'_>]) -> Vec<Window> {
    let Some(path) = chain.current_path() else {
        return Vec::new();
    };
    windows_of_path(chain, path, starts, None)
}

/// A path's windows, native stretches and those that need a tool told
/// apart (computed twice only when the path has a non-native backup).
fn windows_of_path(
    chain: &ChainAnalysis<'_>,
    path: &RecoveryPath,
    starts: &[StartPoint<'_>],
    clip_to: Option<&RecoveryPath>,
) -> Vec<Window> {
    let all = merge(path_windows(chain, path, starts, false, clip_to));
    let needs = needs_label(chain, path, starts);
    let Some(needs) = needs else {
        return all;
    };
    let native = merge(path_windows(chain, path, starts, true, clip_to));
    tag_needs(all, native, &needs)
}

/// Windows on the other recovery paths (abandoned branches, older
/// incarnations), without the part they share with the current path.
pub fn abandoned_windows(chain: &ChainAnalysis<'_>, starts: &[StartPoint<'_>]) -> Vec<Window> {
    let current = chain.current_path();
    let mut out = Vec::new();
    for path in chain.paths.iter().filter(|p| !p.current) {
        out.extend(windows_of_path(chain, path, starts, current));
    }
    out.sort_by_key(|w| (w.from, w.to));
    out
}

/// What the non-native backups of a path need, in words; None when every
/// start and log on it restores natively.
fn needs_label(
    chain: &ChainAnalysis<'_>,
    path: &RecoveryPath,
    starts: &[StartPoint<'_>],
) -> Option<String> {
    let mut needs: Vec<String> = starts
        .iter()
        .filter(|s| path.holds(s.state()))
        .filter_map(|s| s.restorability().needs())
        .chain(
            path.logs
                .iter()
                .filter_map(|&i| chain.logs[i].restorability().needs()),
        )
        .collect();
    needs.sort();
    needs.dedup();
    (!needs.is_empty()).then(|| needs.join(" or "))
}

/// Windows reachable on one path. `native_only` leaves out starts and logs
/// that need another tool; `clip_to` (the current path) leaves out what a
/// non-current path shares with it.
fn path_windows(
    chain: &ChainAnalysis<'_>,
    path: &RecoveryPath,
    starts: &[StartPoint<'_>],
    native_only: bool,
    clip_to: Option<&RecoveryPath>,
) -> Vec<Window> {
    let shared = |s: State| clip_to.is_some_and(|c| c.holds(s));
    let mut raw = Vec::new();
    let mut run_reached_from: Vec<Option<usize>> = vec![None; path.runs.len()];
    for start in starts {
        let state = start.state();
        if !path.holds(state) || (native_only && !start.restorability().is_native()) {
            continue;
        }
        let Some(time) = start.time() else { continue };
        if !shared(state) {
            raw.push(point(path, time, state.lsn));
        }
        let Some(k) = covering_in_path(chain, path, state) else {
            continue;
        };
        let Some(r) = path.runs.iter().position(|&(lo, hi)| lo <= k && k < hi) else {
            continue;
        };
        // The earliest start reaching a run at the earliest log covers what later ones would.
        if run_reached_from[r].is_none_or(|prev| prev > k) {
            run_reached_from[r] = Some(k);
            let logs: Vec<&BackupSet> = path.logs[k..path.runs[r].1]
                .iter()
                .map(|&i| chain.logs[i])
                .collect();
            raw.extend(windows_along(
                path,
                &logs,
                time,
                state,
                native_only,
                &shared,
            ));
        }
    }
    raw
}

fn point(path: &RecoveryPath, time: DateTime<Utc>, lsn: Lsn) -> Window {
    Window {
        fork: path.fork,
        from: time,
        to: time,
        from_lsn: lsn,
        to_lsn: lsn,
        abandoned: !path.current,
        needs: None,
    }
}

/// Windows along contiguous logs from a start: a log with bulk-logged
/// data can be restored only to its end; a log that needs another tool
/// ends a native window; states shared with the current path are skipped.
fn windows_along(
    path: &RecoveryPath,
    logs: &[&BackupSet],
    start_time: DateTime<Utc>,
    start: State,
    native_only: bool,
    shared: &dyn Fn(State) -> bool,
) -> Vec<Window> {
    let mut out = Vec::new();
    let mut open = !shared(start);
    let mut cur = point(path, start_time, start.lsn);
    for log in logs {
        if native_only && !log.restorability().is_native() {
            break;
        }
        let Some(end) = log_time(log) else { continue };
        let end_state = end_state(log);
        if !open {
            if shared(end_state) {
                // Still on the part shared with the current path.
                cur = point(path, end.max(cur.to), end_state.lsn);
                continue;
            }
            // The branch: its window begins at the last shared point.
            open = true;
        }
        if log.has_bulk_logged_data && !log.is_empty_log() {
            out.push(cur.clone());
            cur.from = end.max(cur.to);
            cur.from_lsn = end_state.lsn;
        }
        cur.to = end.max(cur.to);
        cur.to_lsn = end_state.lsn.max(cur.to_lsn);
        cur.fork = end_state.fork;
    }
    if open {
        out.push(cur);
    }
    out
}

/// Merges overlapping or touching windows of one path.
fn merge(mut raw: Vec<Window>) -> Vec<Window> {
    raw.sort_by_key(|w| (w.from, w.to, w.from_lsn));
    let mut out: Vec<Window> = Vec::new();
    for w in raw {
        let same_line = |c: &Window| !c.abandoned || c.fork == w.fork;
        if let Some(cur) = out.iter_mut().rev().find(|c| same_line(c)) {
            if w.from <= cur.to && w.from >= cur.from {
                if w.to > cur.to {
                    cur.to = w.to;
                    cur.fork = w.fork;
                }
                cur.to_lsn = cur.to_lsn.max(w.to_lsn);
                cur.from_lsn = cur.from_lsn.min(w.from_lsn);
                continue;
            }
        }
        out.push(w);
    }
    out.sort_by_key(|w| (w.from, w.to));
    out
}

/// The windows of `all` with the natively restorable stretches of
/// `native` kept as they are, and what only another tool reaches tagged.
fn tag_needs(all: Vec<Window>, native: Vec<Window>, needs: &str) -> Vec<Window> {
    let mut out = native.clone();
    for w in all {
        if w.is_point() {
            if !native.iter().any(|n| n.contains_time(w.from)) {
                out.push(piece(&w, (w.from, w.from_lsn), (w.to, w.to_lsn), needs));
            }
            continue;
        }
        let mut cursor = (w.from, w.from_lsn);
        let mut overlapping: Vec<&Window> = native
            .iter()
            .filter(|n| n.to >= w.from && n.from <= w.to)
            .collect();
        overlapping.sort_by_key(|n| n.from);
        for n in overlapping {
            if n.from > cursor.0 {
                out.push(piece(&w, cursor, (n.from, n.from_lsn), needs));
            }
            if n.to > cursor.0 {
                cursor = (n.to, n.to_lsn);
            }
        }
        if cursor.0 < w.to {
            out.push(piece(&w, cursor, (w.to, w.to_lsn), needs));
        }
    }
    out.sort_by_key(|w| (w.from, w.to));
    out
}

fn piece(w: &Window, from: (DateTime<Utc>, Lsn), to: (DateTime<Utc>, Lsn), needs: &str) -> Window {
    Window {
        fork: w.fork,
        from: from.0,
        to: to.0,
        from_lsn: from.1,
        to_lsn: to.1,
        abandoned: w.abandoned,
        needs: Some(needs.to_string()),
    }
}
