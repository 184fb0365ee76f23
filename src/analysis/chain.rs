//! Log-chain continuity: order log backups by LSN within each recovery
//! fork, find contiguous runs, and explain every break.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

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
}

/// A contiguous stretch of log backups: each starts where the previous ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub fork: Option<Uuid>,
    /// Range into [`ChainAnalysis::logs`].
    pub start: usize,
    pub end: usize,
    pub first_lsn: Lsn,
    pub last_lsn: Lsn,
}

/// A log backup left out of the chain walk, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Excluded {
    pub backup_set_id: i64,
    pub why: String,
}

/// The result of walking one database's log backups.
#[derive(Debug, Clone)]
pub struct ChainAnalysis<'a> {
    /// Chain logs in restore order: forks oldest first, then by LSN.
    pub logs: Vec<&'a BackupSet>,
    pub runs: Vec<Run>,
    pub breaks: Vec<Break>,
    pub excluded: Vec<Excluded>,
    /// The producer that made most chain logs.
    pub main_producer: Option<Producer>,
    /// Forks in order of first appearance.
    pub forks: Vec<Option<Uuid>>,
}

impl ChainAnalysis<'_> {
    /// The run holding chain log `index`.
    pub fn run_of(&self, index: usize) -> Option<usize> {
        self.runs
            .iter()
            .position(|r| r.start <= index && index < r.end)
    }
}

/// The recovery fork a backup ends on.
pub fn fork_of(b: &BackupSet) -> Option<Uuid> {
    b.last_recovery_fork_guid
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

/// Walks the log backups of one database's history.
pub fn analyze_chain<'a>(rows: &[&'a BackupSet]) -> ChainAnalysis<'a> {
    let mut excluded = Vec::new();
    let mut nul_logs = Vec::new();
    let mut candidates: Vec<&BackupSet> = Vec::new();
    for b in rows.iter().copied().filter(|b| b.is_log()) {
        let why = if b.is_copy_only {
            Some("copy-only log: outside the chain".to_string())
        } else if b.first_lsn.is_none() || b.last_lsn.is_none() {
            Some("history incomplete: first_lsn or last_lsn missing".to_string())
        } else if b.destination() == Destination::Nul {
            nul_logs.push(b);
            Some("written to the NUL device: its log records are gone".to_string())
        } else if b.first_lsn > b.last_lsn {
            Some("first_lsn is after last_lsn: row is inconsistent".to_string())
        } else {
            None
        };
        match why {
            Some(why) => excluded.push(Excluded {
                backup_set_id: b.backup_set_id,
                why,
            }),
            None => candidates.push(b),
        }
    }

    let forks = fork_order(rows);
    let fork_rank: HashMap<Option<Uuid>, usize> =
        forks.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    candidates.sort_by_key(|b| {
        (
            fork_rank.get(&fork_of(b)).copied().unwrap_or(usize::MAX),
            b.first_lsn,
            b.last_lsn,
            b.backup_set_id,
        )
    });

    let mut logs: Vec<&BackupSet> = Vec::with_capacity(candidates.len());
    let mut runs: Vec<Run> = Vec::new();
    let mut breaks = Vec::new();
    for b in candidates {
        let (first, last) = (
            b.first_lsn.unwrap_or_default(),
            b.last_lsn.unwrap_or_default(),
        );
        if let Some(run) = runs.last_mut() {
            if run.fork == fork_of(b) && first <= run.last_lsn {
                if last < run.last_lsn || (last == run.last_lsn && first < last) {
                    excluded.push(Excluded {
                        backup_set_id: b.backup_set_id,
                        why: format!(
                            "covers LSNs {first}..{last}, already covered by the chain: redundant"
                        ),
                    });
                    continue;
                }
                run.last_lsn = last;
                run.end += 1;
                logs.push(b);
                continue;
            }
            let prev = logs[logs.len() - 1];
            breaks.push(classify_break(prev, b, rows, &nul_logs));
        }
        runs.push(Run {
            fork: fork_of(b),
            start: logs.len(),
            end: logs.len() + 1,
            first_lsn: first,
            last_lsn: last,
        });
        logs.push(b);
    }

    breaks.extend(unanchored_runs(&logs, &runs, rows));

    let main_producer = main_producer(&logs);
    if let Some(main) = &main_producer {
        breaks.extend(other_producer_breaks(&logs, &runs, main));
    }
    breaks.sort_by(|a, b| {
        (a.from_time, a.from_lsn, a.reason).cmp(&(b.from_time, b.from_lsn, b.reason))
    });

    ChainAnalysis {
        logs,
        runs,
        breaks,
        excluded,
        main_producer,
        forks,
    }
}

fn classify_break(
    prev: &BackupSet,
    next: &BackupSet,
    rows: &[&BackupSet],
    nul_logs: &[&BackupSet],
) -> Break {
    let from_lsn = prev.last_lsn;
    let to_lsn = next.first_lsn;
    let mut evidence = vec![prev.backup_set_id, next.backup_set_id];
    let (reason, detail) = if fork_of(prev) != fork_of(next)
        || (prev.database_guid.is_some()
            && next.database_guid.is_some()
            && prev.database_guid != next.database_guid)
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
    } else if let Some(nul) = nul_logs
        .iter()
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
        (
            BreakReason::Gap,
            format!(
                "log records from LSN {} to {} are in no log backup in this history: backed up elsewhere (another tool, another replica's msdb) or history rows deleted",
                fmt_lsn(from_lsn),
                fmt_lsn(to_lsn),
            ),
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

/// A break before the first run of each fork when no data backup reaches it:
/// a gap after the last data backup before it, or missing history when
/// there is none.
fn unanchored_runs(logs: &[&BackupSet], runs: &[Run], rows: &[&BackupSet]) -> Vec<Break> {
    let mut out = Vec::new();
    let mut seen_forks = Vec::new();
    for run in runs {
        if seen_forks.contains(&run.fork) {
            continue;
        }
        seen_forks.push(run.fork);
        let data: Vec<&BackupSet> = rows
            .iter()
            .copied()
            .filter(|b| {
                matches!(b.backup_type, BackupType::Full | BackupType::Diff)
                    && fork_of(b) == run.fork
                    && !b.is_damaged
            })
            .collect();
        let reached = data.iter().any(|b| {
            b.last_lsn
                .is_some_and(|l| run.first_lsn <= l && l < run.last_lsn)
        });
        if reached {
            continue;
        }
        let first_log = logs[run.start];
        let before = data
            .iter()
            .filter(|b| b.last_lsn.is_some_and(|l| l < run.first_lsn))
            .max_by_key(|b| b.last_lsn);
        out.push(match before {
            Some(b) => Break {
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
            },
            None => Break {
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
            },
        });
    }
    out
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
/// to the last, may be interleaved with the main producer's.
fn other_producer_breaks(logs: &[&BackupSet], runs: &[Run], main: &Producer) -> Vec<Break> {
    let main_key = ProducerKey::of(main);
    let mut out = Vec::new();
    for run in runs {
        let mut groups: Vec<(ProducerKey, Vec<usize>)> = Vec::new();
        for (i, log) in logs.iter().enumerate().take(run.end).skip(run.start) {
            let key = ProducerKey::of(&log.producer());
            if key == main_key {
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

pub(crate) fn fmt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| "?".into())
}

fn short_guid(g: Option<Uuid>) -> String {
    g.map(|g| g.to_string()[..8].to_string())
        .unwrap_or_else(|| "?".into())
}
