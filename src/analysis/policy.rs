//! The thresholds behind every backup expectation, as data in one place:
//! defaults that fit the common setups (weekly or monthly fulls, daily
//! differentials, log backups every 15 minutes to 2 hours) without any
//! configuration. A per-database policy from the config can replace them.

use chrono::Duration;
use serde::Serialize;

/// How late is late, when history does not tell a database's own rhythm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    /// A new database, one just restored or switched back to FULL gets
    /// this long for its first full backup.
    pub first_full_grace: Duration,
    /// After its first full, this long for the first log backup.
    pub first_log_grace: Duration,
    /// A full older than this is late (weekly fulls and a day of slack)...
    pub full_late: Duration,
    /// ... unless differentials are in use: then the full may be monthly.
    pub full_late_with_diffs: Duration,
    /// The newest full or differential may be this old at least (a nightly job and its slack).
    pub base_late_floor: Duration,
    /// A log backup older than this is late when history shows no rhythm.
    pub log_late: Duration,
    /// Never warn about logs sooner than this, however frequent they are.
    pub log_late_floor: Duration,
    /// A log backup older than this is critical.
    pub log_critical: Duration,
    /// How far back history is read to learn a database's rhythm.
    pub cadence_window: Duration,
    /// Thresholds set in the config (`policy_book`): each replaces the
    /// learned or built-in one for its kind.
    pub full_max_age: Option<Duration>,
    pub diff_max_age: Option<Duration>,
    pub log_max_age: Option<Duration>,
    /// RPO now above these is a warning / critical (`rpo.exceeded`).
    pub rpo_warn: Option<Duration>,
    pub rpo_crit: Option<Duration>,
    /// What "no backups in history" is (None: critical; warning for system databases).
    #[serde(skip)]
    pub never_backed_up: Option<crate::model::policy::NeverBackedUp>,
    /// `ignore = true`: where the config says so; the database is not judged.
    pub ignored_by: Option<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            first_full_grace: Duration::hours(24),
            first_log_grace: Duration::hours(6),
            full_late: Duration::days(8),
            full_late_with_diffs: Duration::days(35),
            base_late_floor: Duration::hours(26),
            log_late: Duration::hours(6),
            log_late_floor: Duration::hours(1),
            log_critical: Duration::hours(24),
            cadence_window: Duration::days(35),
            full_max_age: None,
            diff_max_age: None,
            log_max_age: None,
            rpo_warn: None,
            rpo_crit: None,
            never_backed_up: None,
            ignored_by: None,
        }
    }
}

/// How often backups of one kind came, from their finish times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    /// The median interval: what the schedule is.
    pub typical: Duration,
    /// The 90th percentile: the longest interval that is still routine
    /// (weekends, a quiet night for Managed Backup).
    pub long: Duration,
}

impl Cadence {
    /// Needs at least three backups (two intervals); `times` in any order.
    pub fn of(mut times: Vec<chrono::DateTime<chrono::Utc>>) -> Option<Cadence> {
        times.sort();
        times.dedup();
        let mut gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        if gaps.len() < 2 {
            return None;
        }
        gaps.sort();
        let at = |q: f64| gaps[((gaps.len() - 1) as f64 * q).round() as usize];
        Some(Cadence {
            typical: at(0.5),
            long: at(0.9),
        })
    }
}

impl Policy {
    /// Log backups are late after twice their longest routine interval and
    /// half an hour, never sooner than the floor (a job every 15 minutes: 1 h).
    pub fn log_late_after(&self, c: Option<Cadence>) -> Duration {
        match c {
            Some(c) => (c.long * 2 + Duration::minutes(30)).max(self.log_late_floor),
            None => self.log_late,
        }
    }

    pub fn log_critical_after(&self, late: Duration) -> Duration {
        (late * 3).max(self.log_critical)
    }

    /// Data backups are late a quarter interval (at least a day) after the
    /// longest routine interval, never sooner than `floor`.
    pub fn data_late_after(&self, c: Option<Cadence>, floor: Duration) -> Duration {
        match c {
            Some(c) => (c.long + (c.long / 4).max(Duration::days(1))).max(floor),
            None => floor,
        }
    }
}

/// "15 min", "2 h", "daily", "weekly", "monthly": a schedule in words.
pub fn every_label(d: Duration) -> String {
    let mins = d.num_minutes().max(1);
    let near = |target: i64, pct: i64| (mins - target).abs() * 100 <= target * pct;
    if near(30 * 1440, 15) {
        "monthly".into()
    } else if near(7 * 1440, 15) {
        "weekly".into()
    } else if near(1440, 15) {
        "daily".into()
    } else if mins < 55 {
        format!("{} min", round_to(mins, if mins < 10 { 1 } else { 5 }))
    } else if mins < 48 * 60 {
        let halves = (mins + 15) / 30;
        match halves % 2 {
            0 => format!("{} h", halves / 2),
            _ => format!("{}.5 h", halves / 2),
        }
    } else {
        format!("{} days", (mins + 720) / 1440)
    }
}

/// "6 h", "8 days", "45 min": a threshold in words.
pub fn within_label(d: Duration) -> String {
    let mins = d.num_minutes();
    if mins < 120 {
        format!("{mins} min")
    } else if mins < 72 * 60 {
        let h = mins as f64 / 60.0;
        if (h - h.round()).abs() < 0.05 {
            format!("{} h", h.round() as i64)
        } else {
            format!("{h:.1} h")
        }
    } else {
        format!("{} days", (mins + 720) / 1440)
    }
}

fn round_to(v: i64, step: i64) -> i64 {
    ((v + step / 2) / step).max(1) * step
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn times(step_min: i64, n: i64) -> Vec<chrono::DateTime<Utc>> {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        (0..n)
            .map(|i| t0 + Duration::minutes(i * step_min))
            .collect()
    }

    #[test]
    fn cadence_needs_two_intervals() {
        assert_eq!(Cadence::of(times(15, 2)), None);
        let c = Cadence::of(times(15, 3)).unwrap();
        assert_eq!(c.typical, Duration::minutes(15));
    }

    #[test]
    fn thresholds_follow_the_rhythm() {
        let p = Policy::default();
        let quarter = Cadence::of(times(15, 100));
        assert_eq!(p.log_late_after(quarter), Duration::hours(1));
        let two_hours = Cadence::of(times(120, 100));
        assert_eq!(p.log_late_after(two_hours), Duration::minutes(270));
        assert_eq!(p.log_late_after(None), Duration::hours(6));
        let weekly = Cadence::of(times(7 * 1440, 5));
        assert_eq!(
            p.data_late_after(weekly, p.full_late),
            Duration::days(7) + Duration::hours(42)
        );
        let daily = Cadence::of(times(1440, 30));
        assert_eq!(
            p.data_late_after(daily, p.base_late_floor),
            Duration::days(2)
        );
    }

    #[test]
    fn labels() {
        assert_eq!(every_label(Duration::minutes(15)), "15 min");
        assert_eq!(every_label(Duration::minutes(16)), "15 min");
        assert_eq!(every_label(Duration::hours(2)), "2 h");
        assert_eq!(every_label(Duration::minutes(60)), "1 h");
        assert_eq!(every_label(Duration::minutes(95)), "1.5 h");
        assert_eq!(every_label(Duration::days(1)), "daily");
        assert_eq!(every_label(Duration::days(7)), "weekly");
        assert_eq!(every_label(Duration::days(31)), "monthly");
        assert_eq!(within_label(Duration::hours(6)), "6 h");
        assert_eq!(within_label(Duration::days(8)), "8 days");
        assert_eq!(within_label(Duration::minutes(60)), "60 min");
    }
}
