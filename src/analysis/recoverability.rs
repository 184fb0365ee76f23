//! The one recoverability answer per database: what can be restored, to
//! when, and how much of the retention period is lost. Every surface (the
//! databases table, the detail header, the retention line, the timeline's
//! recoverable lane, `check` in every format, plans) reads this.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::findings::Severity;
use super::health::{ChainState, Health};
use super::window::Window;

/// Recoverability of one database at `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recoverability {
    /// now − latest recoverable point (what a restore now would lose).
    pub rpo_seconds: Option<i64>,
    pub latest_recoverable: Option<DateTime<Utc>>,
    /// The newest point plain RESTORE reaches without another tool.
    pub latest_native: Option<DateTime<Utc>>,
    /// Start of the retention period the database is judged on (Managed
    /// Backup's retention, else the default horizon).
    pub retention_from: DateTime<Utc>,
    /// The earliest recoverable point inside the retention period.
    pub recoverable_since: Option<DateTime<Utc>>,
    /// Seconds inside [retention_from, latest_recoverable] that no restore reaches.
    pub lost_seconds_in_retention: i64,
    pub last_full: Option<DateTime<Utc>>,
    pub last_diff: Option<DateTime<Utc>>,
    pub last_log: Option<DateTime<Utc>>,
    /// Serialized beside it as `state` and `worst` (check JSON).
    #[serde(skip)]
    pub state: ChainState,
    /// The worst finding's severity (None: no finding at all).
    #[serde(skip)]
    pub severity: Option<Severity>,
}

/// The earliest recoverable point at or after `from`.
pub fn recoverable_since(windows: &[Window], from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    windows
        .iter()
        .filter(|w| w.to >= from)
        .map(|w| w.from.max(from))
        .min()
}

/// Seconds of [from, to] that no window covers.
pub fn lost_seconds(windows: &[Window], from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    if to <= from {
        return 0;
    }
    let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = windows
        .iter()
        .filter(|w| w.to > from && w.from < to)
        .map(|w| (w.from.max(from), w.to.min(to)))
        .collect();
    spans.sort();
    let mut covered = Duration::zero();
    let mut cursor = from;
    for (a, b) in spans {
        let a = a.max(cursor);
        if b > a {
            covered += b - a;
            cursor = b;
        }
    }
    ((to - from) - covered).num_seconds().max(0)
}

/// Retention days a database is judged on.
pub fn retention_days(db: &crate::model::Database) -> i64 {
    db.managed_backup
        .as_ref()
        .filter(|m| m.enabled)
        .and_then(|m| m.retention_days)
        .map(i64::from)
        .unwrap_or(super::health::DEFAULT_HORIZON_DAYS)
}

pub fn summarize(
    db: &crate::model::Database,
    health: &Health,
    windows: &[Window],
    severity: Option<Severity>,
    now: DateTime<Utc>,
) -> Recoverability {
    let retention_from = now - Duration::days(retention_days(db));
    let latest = health.latest_recoverable;
    let since = recoverable_since(windows, retention_from);
    let lost = match (since, latest) {
        (Some(s), Some(l)) => {
            (s - retention_from).num_seconds().max(0) + lost_seconds(windows, s, l)
        }
        _ => 0,
    };
    Recoverability {
        rpo_seconds: health.rpo_now_seconds,
        latest_recoverable: latest,
        latest_native: windows.iter().filter(|w| w.is_native()).map(|w| w.to).max(),
        retention_from,
        recoverable_since: since,
        lost_seconds_in_retention: lost,
        last_full: health.last_full,
        last_diff: health.last_diff,
        last_log: health.last_log,
        state: health.state,
        severity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Lsn;

    fn w(from_h: i64, to_h: i64) -> Window {
        let t = |h| DateTime::<Utc>::UNIX_EPOCH + Duration::hours(h);
        Window {
            fork: None,
            from: t(from_h),
            to: t(to_h),
            from_lsn: Lsn::default(),
            to_lsn: Lsn::default(),
            abandoned: false,
            needs: None,
        }
    }

    #[test]
    fn lost_time_counts_only_what_no_window_covers() {
        let t = |h| DateTime::<Utc>::UNIX_EPOCH + Duration::hours(h);
        let ws = [w(0, 10), w(8, 12), w(15, 20)];
        assert_eq!(lost_seconds(&ws, t(0), t(20)), 3 * 3600);
        assert_eq!(lost_seconds(&ws, t(13), t(14)), 3600);
        assert_eq!(lost_seconds(&ws, t(0), t(12)), 0);
        // A bulk-logged split (touching windows) loses nothing.
        assert_eq!(lost_seconds(&[w(0, 5), w(5, 9)], t(0), t(9)), 0);
        assert_eq!(recoverable_since(&ws, t(11)), Some(t(11)));
        assert_eq!(recoverable_since(&ws, t(13)), Some(t(15)));
        assert_eq!(recoverable_since(&ws, t(21)), None);
    }
}
