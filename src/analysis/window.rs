//! Restore starting points (full, or full + differential) and the windows
//! of time and LSN that are recoverable from them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::chain::{fork_of, ChainAnalysis};
use crate::model::{BackupSet, BackupType, Lsn};

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
}

/// Whether a data backup can start a restore at all.
fn usable_data_backup(b: &BackupSet) -> bool {
    !b.is_damaged && b.first_lsn.is_some() && b.last_lsn.is_some() && b.finish.is_some()
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

/// Index of the chain log that holds `lsn` (first_lsn ≤ lsn < last_lsn) on `fork`.
pub fn covering_log(chain: &ChainAnalysis<'_>, fork: Option<Uuid>, lsn: Lsn) -> Option<usize> {
    let (lo, hi) = fork_range(chain, fork)?;
    let slice = &chain.logs[lo..hi];
    let after = slice.partition_point(|l| l.first_lsn.unwrap_or_default() <= lsn);
    let idx = after.checked_sub(1)?;
    let log = slice[idx];
    (log.last_lsn.unwrap_or_default() > lsn).then_some(lo + idx)
}

/// The contiguous index range of `fork`'s logs in the chain.
fn fork_range(chain: &ChainAnalysis<'_>, fork: Option<Uuid>) -> Option<(usize, usize)> {
    let lo = chain.logs.iter().position(|l| fork_of(l) == fork)?;
    let len = chain.logs[lo..]
        .iter()
        .take_while(|l| fork_of(l) == fork)
        .count();
    Some((lo, lo + len))
}

/// Finish time of a chain log, falling back to its start.
pub fn log_time(log: &BackupSet) -> Option<DateTime<Utc>> {
    log.finish.or(log.start)
}

/// A stretch of time (and LSN) to which the database can be restored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    pub fork: Option<Uuid>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub from_lsn: Lsn,
    pub to_lsn: Lsn,
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
}

/// Recoverable windows from every start point, merged per fork, oldest first.
pub fn recoverable_windows(chain: &ChainAnalysis<'_>, starts: &[StartPoint<'_>]) -> Vec<Window> {
    let mut raw = Vec::new();
    let mut run_reached_from: Vec<Option<usize>> = vec![None; chain.runs.len()];
    for start in starts {
        let (Some(time), lsn) = (start.time(), start.lsn()) else {
            continue;
        };
        raw.push(Window {
            fork: start.fork(),
            from: time,
            to: time,
            from_lsn: lsn,
            to_lsn: lsn,
        });
        let Some(i) = covering_log(chain, start.fork(), lsn) else {
            continue;
        };
        let Some(r) = chain.run_of(i) else { continue };
        // The earliest start reaching a run at the earliest log covers what later ones would.
        if run_reached_from[r].is_none_or(|prev| prev > i) {
            run_reached_from[r] = Some(i);
            raw.extend(windows_from(chain, r, i, time, lsn));
        }
    }
    merge(raw)
}

/// Windows reachable from a start point that joins run `r` at log `i`:
/// a log with bulk-logged data can be restored only to its end.
fn windows_from(
    chain: &ChainAnalysis<'_>,
    r: usize,
    i: usize,
    start_time: DateTime<Utc>,
    start_lsn: Lsn,
) -> Vec<Window> {
    let run = &chain.runs[r];
    let mut out = Vec::new();
    let (mut from, mut from_lsn) = (start_time, start_lsn);
    let (mut to, mut to_lsn) = (start_time, start_lsn);
    for log in &chain.logs[i..run.end] {
        let Some(end) = log_time(log) else { continue };
        let end_lsn = log.last_lsn.unwrap_or_default();
        if log.has_bulk_logged_data && !log.is_empty_log() {
            out.push(Window {
                fork: run.fork,
                from,
                to,
                from_lsn,
                to_lsn,
            });
            from = end.max(to);
            from_lsn = end_lsn;
        }
        to = end.max(to);
        to_lsn = end_lsn.max(to_lsn);
    }
    out.push(Window {
        fork: run.fork,
        from,
        to,
        from_lsn,
        to_lsn,
    });
    out
}

/// Merges overlapping or touching windows of the same fork.
fn merge(mut raw: Vec<Window>) -> Vec<Window> {
    raw.sort_by_key(|w| (w.from, w.to, w.from_lsn));
    let mut out: Vec<Window> = Vec::new();
    for w in raw {
        if let Some(cur) = out.iter_mut().rev().find(|c| c.fork == w.fork) {
            if w.from <= cur.to && w.from >= cur.from {
                if w.to > cur.to {
                    cur.to = w.to;
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
