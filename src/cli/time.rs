//! Reading the operator's target time.

use chrono::{DateTime, Utc};

use crate::analysis::localtime::{resolve_local, Local};
use crate::analysis::DatabaseAnalysis;
use crate::model::catalog::{parse_datetime, LocalOrUtc};
use crate::model::time::fmt_time;

/// Parses `--at`: server local time unless it carries `Z` or an offset.
///
/// Local time is converted with the UTC offsets the server recorded on its
/// backups (so a daylight-saving change between then and now does not
/// shift the target), else the instance's current offset. A local time the
/// clock went through twice, or skipped, is refused with what it could mean.
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
    match resolve_local(&analysis.history.rows, local, instance_offset_minutes) {
        Local::Unique(t) => Ok(t),
        Local::Ambiguous(first, second) => anyhow::bail!(
            "--at {text:?} is ambiguous: the server's clock went back and showed {local} twice, at {} and at {}; give the time with Z or an offset (e.g. {} or {})",
            fmt_time(Some(first)),
            fmt_time(Some(second)),
            first.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            second.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        Local::Skipped { next, utc } => anyhow::bail!(
            "--at {text:?} never happened on the server: its clock jumped forward over it; the next valid local time is {next} ({})",
            fmt_time(Some(utc)),
        ),
    }
}
