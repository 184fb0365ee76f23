//! The target-point cursor: it only stops where a restore is possible.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::Window;

/// How the target point is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointMode {
    Latest,
    Time,
    Lsn,
    /// A marked transaction from msdb.dbo.logmarkhistory.
    Mark,
}

impl PointMode {
    pub fn label(self) -> &'static str {
        match self {
            PointMode::Latest => "latest",
            PointMode::Time => "point in time",
            PointMode::Lsn => "LSN",
            PointMode::Mark => "marked transaction",
        }
    }

    pub fn step(self, forward: bool) -> PointMode {
        const ALL: [PointMode; 4] = [
            PointMode::Latest,
            PointMode::Time,
            PointMode::Lsn,
            PointMode::Mark,
        ];
        let n = ALL.len();
        let i = ALL.iter().position(|m| *m == self).unwrap_or(0);
        ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

/// `from` moved by `delta`, snapped into a recoverable window: a time in a
/// gap jumps to the nearest window edge in the direction of travel (a
/// bulk-logged log's window is a single point at its end). None when
/// there is no window at all.
pub fn moved(windows: &[Window], from: DateTime<Utc>, delta: Duration) -> Option<DateTime<Utc>> {
    let first = windows.iter().map(|w| w.from).min()?;
    let last = windows.iter().map(|w| w.to).max()?;
    let t = (from + delta).clamp(first, last);
    if windows.iter().any(|w| w.contains_time(t)) {
        return Some(t);
    }
    if delta >= Duration::zero() {
        windows.iter().map(|w| w.from).filter(|f| *f > t).min()
    } else {
        windows.iter().map(|w| w.to).filter(|e| *e < t).max()
    }
    .or(Some(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Lsn;
    use chrono::TimeZone;

    fn w(from_h: u32, to_h: u32) -> Window {
        let t = |h| Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap();
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
    fn cursor_skips_gaps_and_stops_on_points() {
        let ws = vec![w(0, 2), w(5, 5), w(8, 10)];
        let at = |h| Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap();
        // Forward out of the first window lands on the bulk-logged point at 05:00.
        assert_eq!(moved(&ws, at(2), Duration::minutes(5)), Some(at(5)));
        // Then on to the start of the next window.
        assert_eq!(moved(&ws, at(5), Duration::minutes(5)), Some(at(8)));
        // Backward into the gap lands on the previous end.
        assert_eq!(moved(&ws, at(8), -Duration::minutes(5)), Some(at(5)));
        // Clamped at the ends.
        assert_eq!(moved(&ws, at(10), Duration::hours(6)), Some(at(10)));
        assert_eq!(moved(&[], at(1), Duration::hours(1)), None);
    }
}
