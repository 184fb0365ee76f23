//! Backup ages, RPO and the one-word chain state of a database.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::chain::{BreakReason, ChainAnalysis};
use super::expectation::{Basis, Expectation, Judged};
use super::findings::Severity;
use super::window::Window;
use crate::model::{BackupSet, BackupType, Database, RecoveryModel};

/// The state shown in the databases table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ChainState {
    /// Latest backups restorable, no break inside the horizon.
    Ok,
    /// SIMPLE recovery: fulls/diffs only, by design.
    Simple,
    /// Restorable now, but a break or a second producer inside the horizon.
    Degraded,
    /// The newest backups cannot be restored (gap, fork, switch after the last base).
    Broken,
    /// FULL/BULK_LOGGED but no log backups: the log is not protected.
    NoLogBackups,
    /// No full backup in history to start any restore.
    NoFull,
    /// No backup history at all for this database.
    NoHistory,
    /// A mirror or an AG secondary that does not take backups itself.
    Passive,
    /// Dropped or detached: only history and files remain.
    Dropped,
    /// The history table was not collected.
    Unknown,
    /// New, just restored or just switched to FULL: its first backups are not due yet.
    Pending,
    /// No backups possible or needed: tempdb, a database snapshot.
    Exempt,
    /// OFFLINE: nothing changes and nothing can be backed up.
    Offline,
    /// SUSPECT, EMERGENCY, RECOVERY_PENDING or RECOVERING.
    Unavailable,
    /// RESTORING without log shipping: a restore in progress or left WITH NORECOVERY.
    Restoring,
}

impl ChainState {
    /// The least severity a database in this state always has: a state
    /// never sounds more alarming than the database's worst finding, so
    /// STATE and SEV cannot disagree. States whose urgency depends on the
    /// policy or on more than the chain (no history, unavailable) carry it
    /// in their findings instead.
    pub fn concern(self) -> Option<Severity> {
        match self {
            ChainState::Broken | ChainState::NoFull => Some(Severity::Critical),
            ChainState::Degraded | ChainState::NoLogBackups => Some(Severity::Warning),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChainState::Ok => "OK",
            ChainState::Simple => "SIMPLE",
            ChainState::Degraded => "DEGRADED",
            ChainState::Broken => "BROKEN",
            ChainState::NoLogBackups => "NO LOGS",
            ChainState::NoFull => "NO FULL",
            ChainState::NoHistory => "NO BACKUPS",
            ChainState::Passive => "PASSIVE",
            ChainState::Dropped => "DROPPED",
            ChainState::Unknown => "UNKNOWN",
            ChainState::Pending => "PENDING",
            ChainState::Exempt => "EXEMPT",
            ChainState::Offline => "OFFLINE",
            ChainState::Unavailable => "UNAVAILABLE",
            ChainState::Restoring => "RESTORING",
        }
    }
}

/// An interval with no recoverable point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Uncovered {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Uncovered {
    pub fn length(&self) -> Duration {
        self.to - self.from
    }
}

/// Ages and recoverability at `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub state: ChainState,
    pub last_full: Option<DateTime<Utc>>,
    pub last_diff: Option<DateTime<Utc>>,
    pub last_log: Option<DateTime<Utc>>,
    pub latest_recoverable: Option<DateTime<Utc>>,
    /// How much would be lost restoring now: now − latest recoverable point.
    pub rpo_now_seconds: Option<i64>,
    /// The largest stretch inside the horizon with no recoverable point,
    /// counting a chain gap as loss however often backups ran.
    pub worst_uncovered: Option<Uncovered>,
    pub horizon_start: DateTime<Utc>,
    /// Breaks inside the horizon (excluding the unanchored oldest logs).
    pub recent_breaks: usize,
    /// What the database is expected to have; the findings measure against it.
    pub expectation: Expectation,
}

/// How far back breaks count against a database without Managed Backup retention.
pub const DEFAULT_HORIZON_DAYS: i64 = 14;

pub fn newest(rows: &[&BackupSet], kind: BackupType) -> Option<DateTime<Utc>> {
    rows.iter()
        .filter(|b| b.backup_type == kind)
        .filter_map(|b| b.finish)
        .max()
}

pub fn assess(
    db: &Database,
    history_collected: bool,
    rows: &[&BackupSet],
    chain: &ChainAnalysis<'_>,
    windows: &[Window],
    expectation: Expectation,
    now: DateTime<Utc>,
) -> Health {
    let horizon_days = db
        .managed_backup
        .as_ref()
        .filter(|m| m.enabled)
        .and_then(|m| m.retention_days)
        .map(i64::from)
        .unwrap_or(DEFAULT_HORIZON_DAYS);
    let horizon = now - Duration::days(horizon_days);
    let last_full = newest(rows, BackupType::Full);
    let last_diff = newest(rows, BackupType::Diff);
    let last_log = rows
        .iter()
        .filter(|b| b.is_log() && !b.is_copy_only)
        .filter_map(|b| b.finish)
        .max();
    let latest_recoverable = windows.iter().map(|w| w.to).max();
    let recent_breaks = chain
        .breaks
        .iter()
        .filter(|b| b.reason != BreakReason::HistoryMissing && b.on_current_path)
        .filter(|b| b.to_time.or(b.from_time).is_some_and(|t| t >= horizon))
        .count();
    let newest_backup = rows
        .iter()
        .filter(|b| !b.is_copy_only || b.is_full())
        .filter_map(|b| b.finish)
        .max();
    let model = db.recovery_model.or_else(|| {
        rows.iter()
            .filter(|b| b.finish.is_some())
            .max_by_key(|b| b.finish)
            .and_then(|b| b.recovery_model)
    });

    let e = &expectation;
    let broken = newest_backup
        .zip(latest_recoverable)
        .is_some_and(|(b, r)| r < b);
    let state = if !history_collected {
        ChainState::Unknown
    } else if db.dropped {
        ChainState::Dropped
    } else {
        match e.judged {
            Judged::Nowhere => match e.basis {
                Basis::Offline => ChainState::Offline,
                Basis::Unavailable => ChainState::Unavailable,
                Basis::Restoring => ChainState::Restoring,
                Basis::Dropped => ChainState::Dropped,
                _ => ChainState::Exempt,
            },
            Judged::Elsewhere => ChainState::Passive,
            Judged::Here if rows.is_empty() || windows.is_empty() => {
                if e.in_full_grace(now) {
                    ChainState::Pending
                } else if rows.is_empty() {
                    ChainState::NoHistory
                } else {
                    ChainState::NoFull
                }
            }
            Judged::Here if e.log.is_none() && model == Some(RecoveryModel::Simple) => {
                ChainState::Simple
            }
            Judged::Here if e.log.is_some() && last_log.is_none() => {
                if e.in_log_grace(now) {
                    ChainState::Pending
                } else {
                    ChainState::NoLogBackups
                }
            }
            Judged::Here if broken => ChainState::Broken,
            Judged::Here if recent_breaks > 0 => ChainState::Degraded,
            Judged::Here => ChainState::Ok,
        }
    };

    let horizon_start = windows
        .iter()
        .map(|w| w.from)
        .min()
        .map(|first| first.max(horizon))
        .unwrap_or(horizon);
    Health {
        state,
        last_full,
        last_diff,
        last_log,
        latest_recoverable,
        rpo_now_seconds: latest_recoverable.map(|t| (now - t).num_seconds().max(0)),
        worst_uncovered: worst_uncovered(windows, horizon_start, now),
        horizon_start,
        recent_breaks,
        expectation,
    }
}

/// The longest interval in [start, now] that no window covers.
pub fn worst_uncovered(
    windows: &[Window],
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Uncovered> {
    let mut sorted: Vec<&Window> = windows.iter().filter(|w| w.to >= start).collect();
    sorted.sort_by_key(|w| w.from);
    let mut cursor = sorted.first().map(|w| w.from.max(start))?;
    let mut worst: Option<Uncovered> = None;
    let mut consider = |from: DateTime<Utc>, to: DateTime<Utc>| {
        if to > from && worst.is_none_or(|w| to - from > w.length()) {
            worst = Some(Uncovered { from, to });
        }
    };
    for w in sorted {
        if w.from > cursor {
            consider(cursor, w.from);
        }
        cursor = cursor.max(w.to);
    }
    consider(cursor, now);
    worst
}

/// The stretch a break leaves unrecoverable inside [`start`, `now`]: the
/// part of the break's span that no window covers, if any.
pub fn lost_in(
    windows: &[Window],
    b: &super::chain::Break,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Uncovered> {
    if b.reason.keeps_continuity() && !splits(windows, b) {
        return None;
    }
    let from = b.from_time?.max(start);
    let to = b.to_time.unwrap_or(now).min(now);
    if to <= from {
        return None;
    }
    let mut sorted: Vec<&Window> = windows
        .iter()
        .filter(|w| w.to > from && w.from < to)
        .collect();
    sorted.sort_by_key(|w| w.from);
    let mut cursor = from;
    let mut worst: Option<Uncovered> = None;
    for w in sorted {
        if w.from > cursor && worst.is_none_or(|u| w.from - cursor > u.length()) {
            worst = Some(Uncovered {
                from: cursor,
                to: w.from,
            });
        }
        cursor = cursor.max(w.to);
    }
    if to > cursor && worst.is_none_or(|u| to - cursor > u.length()) {
        worst = Some(Uncovered { from: cursor, to });
    }
    worst.filter(|u| u.length() > Duration::zero())
}

/// Whether a continuity-keeping break still cuts the windows (a NUL log).
fn splits(windows: &[Window], b: &super::chain::Break) -> bool {
    match (b.from_time, b.to_time) {
        (Some(f), Some(t)) => !windows.iter().any(|w| w.from <= f && t <= w.to),
        _ => false,
    }
}
