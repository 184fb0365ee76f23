//! Recovery paths: the tree of recovery forks and which backups lie on
//! the path a database is on now.
//!
//! SQL Server starts a new recovery fork whenever a database is recovered
//! at a point other than the end of its log (STOPAT, an older log, a full
//! alone). The first log backup taken afterwards *spans* the fork: it
//! begins on the old fork (`first_recovery_fork_guid`, at the end of the
//! last log applied) and ends on the new one (`last_recovery_fork_guid`),
//! with `fork_point_lsn` where the two part. A full from before the fork
//! point, the old fork's logs up to it, the spanning log and the new fork's
//! logs are one valid restore sequence ("Recovery Paths", SQL Server docs;
//! shared/domain.md §2.5). Old-fork logs past the fork point are the
//! abandoned branch: reachable only when asked for.

use std::collections::HashMap;

use serde::Serialize;
use uuid::Uuid;

use crate::model::{BackupSet, Lsn};

/// A point a database can be at: a recovery fork and an LSN on it. LSNs
/// past a fork point repeat on both branches, so the fork is part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct State {
    pub fork: Option<Uuid>,
    pub lsn: Lsn,
}

/// The recovery fork a backup ends on.
pub fn fork_of(b: &BackupSet) -> Option<Uuid> {
    b.last_recovery_fork_guid
}

/// The recovery fork a backup begins on.
pub fn first_fork_of(b: &BackupSet) -> Option<Uuid> {
    b.first_recovery_fork_guid.or(b.last_recovery_fork_guid)
}

/// For a log that spans a fork point: the fork it begins on and the point.
pub fn spanned_fork(b: &BackupSet) -> Option<(Option<Uuid>, Lsn)> {
    let first = b.first_recovery_fork_guid?;
    if Some(first) == b.last_recovery_fork_guid {
        return None;
    }
    b.fork_point_lsn.map(|p| (Some(first), p))
}

/// Where the database is after restoring this backup.
pub fn end_state(b: &BackupSet) -> State {
    State {
        fork: fork_of(b),
        lsn: b.last_lsn.unwrap_or_default(),
    }
}

/// Whether a log backup can be restored onto a database at `s`: its
/// records begin at or before `s` on the same path and do not end before it
/// (an empty log at exactly `s` applies and changes nothing).
pub fn continues(log: &BackupSet, s: State) -> bool {
    let (Some(first), Some(last)) = (log.first_lsn, log.last_lsn) else {
        return false;
    };
    let ahead = s.lsn < last || (first == last && s.lsn == last);
    match spanned_fork(log) {
        Some((from, point)) => {
            (s.fork == from && first <= s.lsn && s.lsn <= point)
                || (s.fork == fork_of(log) && point <= s.lsn && ahead)
        }
        None => s.fork == fork_of(log) && first <= s.lsn && ahead,
    }
}

/// Whether restoring `log` onto a database at `s` moves it forward (the
/// log that a restore starting at `s` applies first).
pub fn covers(log: &BackupSet, s: State) -> bool {
    continues(log, s) && log.last_lsn.is_some_and(|l| s.lsn < l)
}

/// A fork's parent: the fork it branched from, at which LSN, and the
/// spanning log that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ForkLink {
    pub parent: Option<Uuid>,
    pub point: Lsn,
    pub via_backup_set_id: i64,
}

/// Parent links from the spanning logs; the lowest backup_set_id wins
/// when two disagree (later ones are then off every path, and say so).
pub fn fork_links(logs: &[&BackupSet]) -> HashMap<Option<Uuid>, ForkLink> {
    let mut links: HashMap<Option<Uuid>, ForkLink> = HashMap::new();
    let mut spanning: Vec<&&BackupSet> =
        logs.iter().filter(|b| spanned_fork(b).is_some()).collect();
    spanning.sort_by_key(|b| b.backup_set_id);
    for b in spanning {
        let Some((from, point)) = spanned_fork(b) else {
            continue;
        };
        links.entry(fork_of(b)).or_insert(ForkLink {
            parent: from,
            point,
            via_backup_set_id: b.backup_set_id,
        });
    }
    links
}

/// One fork of a lineage and how far along it the lineage goes (None:
/// to its end, for the lineage's own fork).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub fork: Option<Uuid>,
    pub until: Option<Lsn>,
}

/// The forks a database at the end of `fork` has passed through, newest
/// first, each with the point where the lineage left it.
pub fn lineage(fork: Option<Uuid>, links: &HashMap<Option<Uuid>, ForkLink>) -> Vec<Reach> {
    let mut out = vec![Reach { fork, until: None }];
    let mut cursor = fork;
    while let Some(link) = links.get(&cursor) {
        if out.iter().any(|r| r.fork == link.parent) {
            break; // a cycle in bad data: stop rather than loop
        }
        out.push(Reach {
            fork: link.parent,
            until: Some(link.point),
        });
        cursor = link.parent;
    }
    out
}

/// Whether a database state lies on a lineage.
pub fn on_lineage(lineage: &[Reach], s: State) -> bool {
    lineage
        .iter()
        .any(|r| r.fork == s.fork && r.until.is_none_or(|u| s.lsn <= u))
}

/// Whether every record of a log lies on a lineage (a spanning log must
/// leave its first fork exactly where the lineage does).
pub fn log_on_lineage(lineage: &[Reach], log: &BackupSet) -> bool {
    let (Some(_), Some(last)) = (log.first_lsn, log.last_lsn) else {
        return false;
    };
    let end_fits = on_lineage(
        lineage,
        State {
            fork: fork_of(log),
            lsn: last,
        },
    );
    match spanned_fork(log) {
        None => end_fits,
        Some((from, point)) => {
            end_fits
                && lineage
                    .iter()
                    .any(|r| r.fork == from && r.until == Some(point))
        }
    }
}

/// Rank of a fork in a lineage from its root (0 = oldest ancestor), for
/// ordering a path's logs; forks off the lineage sort last.
pub fn depth(lineage: &[Reach], fork: Option<Uuid>) -> usize {
    match lineage.iter().position(|r| r.fork == fork) {
        Some(i) => lineage.len() - 1 - i,
        None => usize::MAX,
    }
}
