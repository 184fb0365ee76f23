//! Recoverability over the past: the windows, breaks and RPO of a database
//! as they stood at each moment, from the rows that existed then.
//!
//! The latest recoverable point only changes when a backup finishes, so the
//! analysis runs once per distinct finish time inside the range (on the rows
//! finished by then, with `now` = that moment); between two of them the RPO
//! grows by the clock. Time outside the policy is then exact, not sampled.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::roles::Roles;
use super::{analyze_with_roles, BreakReason, ChainState, History};
use crate::model::{BackupSet, Database};

/// The default policy: a FULL database whose last log backup is older than
/// this is late (the age the chain findings warn at).
pub const DEFAULT_RPO_LIMIT: Duration = Duration::hours(6);

/// The state at one moment (a backup finish, or the start of the range).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moment {
    pub at: DateTime<Utc>,
    pub latest_recoverable: Option<DateTime<Utc>>,
    /// `at` − latest recoverable point; `None` when nothing was recoverable.
    pub rpo_seconds: Option<i64>,
    pub state: ChainState,
    pub windows: usize,
    pub breaks: usize,
    /// The backups that finished at this moment.
    pub finished: Vec<i64>,
}

/// A break, by the backups on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakRef {
    pub reason: BreakReason,
    pub after_backup_set_id: Option<i64>,
    pub before_backup_set_id: Option<i64>,
}

/// A stretch of time during which the RPO exceeded the limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub seconds: i64,
    /// The largest RPO reached; `None` when no point at all was recoverable.
    pub worst_rpo_seconds: Option<i64>,
    /// The latest recoverable point when the breach began.
    pub recoverable_to: Option<DateTime<Utc>>,
    /// The backup that made `recoverable_to` reachable.
    pub last_good_backup_set_id: Option<i64>,
    /// The backups whose finish ended the breach (empty when it lasts to the end).
    pub ended_by: Vec<i64>,
    /// Chain breaks inside the breach.
    pub breaks: Vec<BreakRef>,
    /// Every backup_set_id above, once, ascending.
    pub evidence: Vec<i64>,
}

/// Recoverability of one database over `[from, to]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Past {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Where judging began: `from`, or later when the database did not exist yet.
    pub judged_from: DateTime<Utc>,
    pub rpo_limit_seconds: i64,
    pub seconds_outside_policy: i64,
    /// Of those, seconds with no recoverable point at all.
    pub seconds_unrecoverable: i64,
    /// The largest RPO reached while some point was recoverable.
    pub worst_rpo_seconds: Option<i64>,
    pub worst_rpo_at: Option<DateTime<Utc>>,
    pub moments: Vec<Moment>,
    pub breaches: Vec<Breach>,
    /// Rows with neither a start nor a finish time (cannot be placed in time).
    pub undated_rows: usize,
}

/// When a backup became known: its finish (the start when that is missing).
fn known_at(b: &BackupSet) -> Option<DateTime<Utc>> {
    b.finish.or(b.start)
}

/// What to judge: a range, a policy, and since when history was watched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The largest acceptable RPO.
    pub limit: Duration,
    /// The oldest row the archive holds for the instance: before it nothing
    /// is known, so a database older than that is judged from its own first
    /// backup, and a younger one from its creation.
    pub watched_since: Option<DateTime<Utc>>,
}

/// What the analysis knows of the database's place in the estate (as
/// `analyze_database` passes it).
pub struct Context<'c> {
    pub roles: &'c Roles,
    /// Whether a server name is an instance of the estate.
    pub in_estate: &'c dyn Fn(&str) -> bool,
    /// The policy the database is judged by (config or defaults).
    pub policy: super::policy::Policy,
}

/// Runs the analysis over the rows known at each moment of `[from, to]`.
pub fn recoverability(
    instance: &str,
    database: &Database,
    history_collected: bool,
    history: &History<'_>,
    context: &Context<'_>,
    span: Span,
) -> Past {
    let Span {
        from,
        to,
        limit,
        watched_since,
    } = span;
    let to = to.max(from);
    let mut rows: Vec<&BackupSet> = history
        .rows
        .iter()
        .copied()
        .filter(|b| known_at(b).is_some())
        .collect();
    let undated_rows = history.rows.len() - rows.len();
    rows.sort_by_key(|b| (known_at(b), b.backup_set_id));
    let first_row = rows.first().and_then(|b| known_at(b));
    // A database is judged from when it existed while history was watched:
    // its creation when that came later than the watch began (and before its
    // first backup), else its first backup. A new database gets the policy's
    // grace for its first backup (`grace_new_database`), as `check` gives it;
    // one with no backup at all is judged from when both it existed and
    // history was watched (never backed up is the worst case, not an
    // unjudged one).
    let grace = context.policy.first_full_grace;
    let born = match (database.create_date, first_row, watched_since) {
        (Some(c), Some(f), Some(w)) if c > w => Some(if f < c { f } else { (c + grace).min(f) }),
        (Some(c), None, Some(w)) if c > w => Some(c + grace),
        (Some(c), None, Some(w)) => Some(c.max(w)),
        (_, f, _) => f,
    };
    let judged_from = born.map_or(to, |b| b.clamp(from, to));

    // Moments: the start, and every distinct finish inside the range.
    let mut times = vec![judged_from];
    times.extend(
        rows.iter()
            .filter_map(|b| known_at(b))
            .filter(|t| *t > judged_from && *t <= to),
    );
    times.dedup();

    let mut moments = Vec::with_capacity(times.len());
    let mut analyses_breaks = Vec::with_capacity(times.len());
    for &at in &times {
        let known = rows.partition_point(|b| known_at(b).is_some_and(|t| t <= at));
        let known_by = |b: &&BackupSet| known_at(b).is_some_and(|t| t <= at);
        let mut prefix = history.clone();
        prefix.rows = rows[..known].to_vec();
        prefix.other_lineages.retain(known_by);
        prefix.foreign.retain(known_by);
        let a = analyze_with_roles(
            instance.to_string(),
            database.clone(),
            history_collected,
            prefix,
            context.roles,
            context.in_estate,
            context.policy.clone(),
            at,
        );
        let latest = a.health.latest_recoverable;
        moments.push(Moment {
            at,
            latest_recoverable: latest,
            rpo_seconds: latest.map(|l| (at - l).num_seconds().max(0)),
            state: a.health.state,
            windows: a.windows.len(),
            breaks: a.chain.breaks.len(),
            finished: rows[..known]
                .iter()
                .filter(|b| known_at(b) == Some(at))
                .map(|b| b.backup_set_id)
                .collect(),
        });
        analyses_breaks.push(
            a.chain
                .breaks
                .iter()
                .filter(|b| b.reason != BreakReason::HistoryMissing)
                .cloned()
                .collect::<Vec<_>>(),
        );
    }

    let mut past = Past {
        from,
        to,
        judged_from,
        rpo_limit_seconds: limit.num_seconds(),
        seconds_outside_policy: 0,
        seconds_unrecoverable: 0,
        worst_rpo_seconds: None,
        worst_rpo_at: None,
        moments: Vec::new(),
        breaches: Vec::new(),
        undated_rows,
    };
    let mut open: Option<Breach> = None;
    for (i, m) in moments.iter().enumerate() {
        let end = times.get(i + 1).copied().unwrap_or(to);
        // Is the policy met right at this moment? Then a breach open until now ends.
        let within = m.latest_recoverable.is_some_and(|l| l + limit > m.at);
        if within {
            if let Some(mut b) = open.take() {
                b.ended_by = m.finished.clone();
                past.breaches.push(finish_breach(b, &analyses_breaks[i]));
            }
        }
        if end <= m.at {
            continue;
        }
        if let Some(l) = m.latest_recoverable {
            let rpo_end = (end - l).num_seconds();
            if past.worst_rpo_seconds.is_none_or(|w| rpo_end > w) {
                past.worst_rpo_seconds = Some(rpo_end);
                past.worst_rpo_at = Some(end);
            }
        }
        let outside_from = match m.latest_recoverable {
            Some(l) => (l + limit).max(m.at),
            None => m.at,
        };
        if outside_from >= end {
            continue;
        }
        let seconds = (end - outside_from).num_seconds();
        past.seconds_outside_policy += seconds;
        if m.latest_recoverable.is_none() {
            past.seconds_unrecoverable += seconds;
        }
        let worst = m.latest_recoverable.map(|l| (end - l).num_seconds());
        match &mut open {
            Some(b) => {
                b.to = end;
                b.seconds += seconds;
                b.worst_rpo_seconds = match (b.worst_rpo_seconds, worst) {
                    (Some(a), Some(w)) => Some(a.max(w)),
                    _ => None,
                };
            }
            None => {
                open = Some(Breach {
                    from: outside_from,
                    to: end,
                    seconds,
                    worst_rpo_seconds: worst,
                    recoverable_to: m.latest_recoverable,
                    last_good_backup_set_id: m.latest_recoverable.and_then(|l| {
                        rows.iter()
                            .filter(|b| known_at(b) == Some(l))
                            .map(|b| b.backup_set_id)
                            .max()
                    }),
                    ended_by: Vec::new(),
                    breaks: Vec::new(),
                    evidence: Vec::new(),
                });
            }
        }
    }
    if let Some(b) = open.take() {
        let last = analyses_breaks.last().map(Vec::as_slice).unwrap_or(&[]);
        past.breaches.push(finish_breach(b, last));
    }
    past.moments = moments;
    past
}

/// Adds the breaks that fall inside the breach and gathers the evidence.
fn finish_breach(mut b: Breach, breaks: &[super::Break]) -> Breach {
    let since = b.recoverable_to.unwrap_or(b.from);
    for brk in breaks {
        let (from, to) = (brk.from_time, brk.to_time);
        let (Some(s), Some(e)) = (from.or(to), to.or(from)) else {
            continue;
        };
        if e >= since && s <= b.to {
            b.breaks.push(BreakRef {
                reason: brk.reason,
                after_backup_set_id: brk.after_backup_set_id,
                before_backup_set_id: brk.before_backup_set_id,
            });
            b.evidence.extend(brk.evidence.iter().copied());
            b.evidence.extend(brk.after_backup_set_id);
            b.evidence.extend(brk.before_backup_set_id);
        }
    }
    b.evidence.extend(b.last_good_backup_set_id);
    b.evidence.extend(b.ended_by.iter().copied());
    b.evidence.sort_unstable();
    b.evidence.dedup();
    b
}
