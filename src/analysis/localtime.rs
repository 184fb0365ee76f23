//! Server local time ↔ UTC from what the history recorded.
//!
//! msdb writes backup times in the server's local time with `time_zone`
//! (15-minute steps) beside them, so every backup is an observation of the
//! offset in force then. Where two neighbouring backups disagree, the
//! clock changed between them (daylight saving); the change is placed on
//! the first whole local hour in between, as DST rules do. A local time in
//! the repeated autumn hour has two UTC readings; one in the skipped
//! spring hour has none. Both are said, never guessed.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};

use crate::model::zone::ServerClock;
use crate::model::BackupSet;

/// What a server local time means in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    Unique(DateTime<Utc>),
    /// The clock went back: the local time happened twice (earlier, later).
    Ambiguous(DateTime<Utc>, DateTime<Utc>),
    /// The clock went forward: the local time never happened. `next` is
    /// the first valid local time after it and `utc` the instant it names.
    Skipped {
        next: NaiveDateTime,
        utc: DateTime<Utc>,
    },
}

/// A change of the server's UTC offset seen in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The estimated instant of the change.
    pub at: DateTime<Utc>,
    /// The two backups it lies between (UTC finish times).
    pub after: DateTime<Utc>,
    pub before: DateTime<Utc>,
    pub from_minutes: i64,
    pub to_minutes: i64,
}

/// (UTC finish, offset in minutes) of every row that has both, for the
/// instance that wrote most of the rows (replicas may sit in other zones).
fn observations(rows: &[&BackupSet]) -> Vec<(DateTime<Utc>, i64)> {
    let mut per_instance: HashMap<&str, usize> = HashMap::new();
    for b in rows {
        *per_instance.entry(b.collected_from.as_str()).or_default() += 1;
    }
    let main = per_instance
        .into_iter()
        .max_by_key(|(name, n)| (*n, std::cmp::Reverse(*name)))
        .map(|(name, _)| name);
    let mut out: Vec<(DateTime<Utc>, i64)> = rows
        .iter()
        .filter(|b| Some(b.collected_from.as_str()) == main)
        .filter_map(|b| {
            let (local, utc) = (b.finish_local?, b.finish?);
            Some((utc, (local - utc.naive_utc()).num_minutes()))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Offset changes, oldest first.
pub fn transitions(rows: &[&BackupSet]) -> Vec<Transition> {
    let obs = observations(rows);
    obs.windows(2)
        .filter(|w| w[0].1 != w[1].1)
        .map(|w| {
            let ((after, from), (before, to)) = (w[0], w[1]);
            Transition {
                at: change_instant(after, before, from),
                after,
                before,
                from_minutes: from,
                to_minutes: to,
            }
        })
        .collect()
}

/// The first instant after `after` (and not after `before`) that is a
/// whole hour on the old local clock; `before` when there is none.
fn change_instant(after: DateTime<Utc>, before: DateTime<Utc>, old: i64) -> DateTime<Utc> {
    let local = after.naive_utc() + Duration::minutes(old);
    let next_hour = local
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .map(|t| t + Duration::hours(1))
        .unwrap_or(local);
    let candidate = (next_hour - Duration::minutes(old)).and_utc();
    if candidate > after && candidate <= before {
        candidate
    } else {
        before
    }
}

fn offset_at(t: DateTime<Utc>, changes: &[Transition], fallback: i64) -> i64 {
    match changes.iter().rev().find(|c| c.at <= t) {
        Some(c) => c.to_minutes,
        None => changes.first().map(|c| c.from_minutes).unwrap_or(fallback),
    }
}

/// The offset recorded nearest a local time (the rule when the history shows no change).
fn nearest_offset(rows: &[&BackupSet], local: NaiveDateTime, default: Option<i32>) -> i64 {
    rows.iter()
        .filter_map(|b| Some((b.finish_local?, b.finish?)))
        .min_by_key(|(l, _)| ((*l - local).num_seconds().abs(), *l))
        .map(|(l, u)| (l - u.naive_utc()).num_minutes())
        .unwrap_or_else(|| i64::from(default.unwrap_or(0)))
}

/// The server's clock as its backups recorded it: each offset change the
/// history shows (placed as `transitions` places it), and the instance's
/// current offset from `now` on when it differs from the last recorded one
/// (the change then lies after the newest backup). Empty when neither is
/// known.
pub fn server_clock(rows: &[&BackupSet], current: Option<i32>, now: DateTime<Utc>) -> ServerClock {
    let obs = observations(rows);
    let mut changes: Vec<(DateTime<Utc>, i32)> = Vec::new();
    if let Some(&(at, minutes)) = obs.first() {
        changes.push((at, minutes as i32));
    }
    changes.extend(
        transitions(rows)
            .iter()
            .map(|t| (t.at, t.to_minutes as i32)),
    );
    match (obs.last(), current) {
        (Some(&(last, minutes)), Some(cur)) if i64::from(cur) != minutes && last < now => {
            changes.push((change_instant(last, now, minutes), cur));
        }
        (None, Some(cur)) => changes.push((now, cur)),
        _ => {}
    }
    ServerClock::new(changes)
}

/// What a server local time means, from the history's offsets.
pub fn resolve_local(rows: &[&BackupSet], local: NaiveDateTime, default: Option<i32>) -> Local {
    let changes = transitions(rows);
    let fallback = nearest_offset(rows, local, default);
    if changes.is_empty() {
        return Local::Unique((local - Duration::minutes(fallback)).and_utc());
    }
    let mut offsets: Vec<i64> = changes
        .iter()
        .flat_map(|c| [c.from_minutes, c.to_minutes])
        .collect();
    offsets.sort();
    offsets.dedup();
    let mut readings: Vec<DateTime<Utc>> = offsets
        .iter()
        .map(|o| (local - Duration::minutes(*o)).and_utc())
        .filter(|u| {
            let o = (local - u.naive_utc()).num_minutes();
            offset_at(*u, &changes, fallback) == o
        })
        .collect();
    readings.sort();
    readings.dedup();
    match readings.as_slice() {
        [one] => Local::Unique(*one),
        [first, .., last] => Local::Ambiguous(*first, *last),
        [] => {
            // In a gap: the change that skipped over this local time.
            let gap = changes
                .iter()
                .filter(|c| c.to_minutes > c.from_minutes)
                .min_by_key(|c| {
                    ((c.at.naive_utc() + Duration::minutes(c.from_minutes)) - local)
                        .num_seconds()
                        .abs()
                });
            match gap {
                Some(c) => Local::Skipped {
                    next: c.at.naive_utc() + Duration::minutes(c.to_minutes),
                    utc: c.at,
                },
                None => Local::Unique((local - Duration::minutes(fallback)).and_utc()),
            }
        }
    }
}
