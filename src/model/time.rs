//! Times and durations as people read them: one spelling for findings, the
//! CLI and the console. It sits in `model` because analysis writes these
//! into findings and `text` is above analysis.

use chrono::{DateTime, Duration, Utc};

/// `2026-11-22 10:00Z`.
pub fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%MZ").to_string()
}

/// `2026-11-22 10:00:00Z`.
pub fn utc_seconds(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// `11-22 10:00Z`, for narrow places.
pub fn utc_short(t: DateTime<Utc>) -> String {
    t.format("%m-%d %H:%MZ").to_string()
}

/// `2026-11-22 10:00:00Z`, or `?` when unknown (the findings' spelling).
pub fn fmt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(utc_seconds).unwrap_or_else(|| "?".into())
}

/// An age or span: `42m`, `3h05m`, `2d04h`.
pub fn human_age(d: Duration) -> String {
    let mins = d.num_minutes();
    if mins < 0 {
        return "in the future".into();
    }
    if mins < 60 {
        format!("{mins}m")
    } else if mins < 48 * 60 {
        format!("{}h{:02}m", mins / 60, mins % 60)
    } else {
        format!("{}d{:02}h", mins / 1440, (mins % 1440) / 60)
    }
}
