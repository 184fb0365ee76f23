//! Reading the operator's target time.

use chrono::{DateTime, Duration, Utc};

use crate::analysis::DatabaseAnalysis;
use crate::snapshot::{parse_datetime, LocalOrUtc};

/// Parses `--at`: server local time unless it carries `Z` or an offset.
///
/// Local time is converted with the UTC offset the server recorded on the
/// backup nearest to that time (so a daylight-saving change between then and
/// now does not shift the target), else the instance's current offset.
pub fn parse_target_time(
    text: &str,
    analysis: &DatabaseAnalysis<'_>,
    instance_offset_minutes: Option<i32>,
) -> anyhow::Result<DateTime<Utc>> {
    let Some(parsed) = parse_datetime(text) else {
        anyhow::bail!(
            "--at {text:?} is not a date and time (use e.g. 2026-11-20T14:30:00, add Z for UTC)"
        );
    };
    let local = match parsed {
        LocalOrUtc::Utc(t) => return Ok(t),
        LocalOrUtc::Local(n) => n,
    };
    let nearest = analysis
        .history
        .rows
        .iter()
        .filter_map(|b| Some((b.finish_local?, b.finish?)))
        .min_by_key(|(l, _)| (*l - local).num_seconds().abs());
    let offset = match nearest {
        Some((l, u)) => l - u.naive_utc(),
        None => Duration::minutes(i64::from(instance_offset_minutes.unwrap_or(0))),
    };
    Ok((local - offset).and_utc())
}
