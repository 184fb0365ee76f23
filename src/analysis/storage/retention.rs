//! Retention windows: what Managed Backup promises (`retention_days`)
//! against what is recoverable now from the files really present. Pure.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::crosscheck::{ContainerCheck, StorageFile};
use super::history::blob_of_url;
use super::names::BlobKind;
use crate::analysis::history::history_for;
use crate::analysis::{analyze_history, Window};
use crate::model::time::fmt_time;
use crate::model::{container_of_url, BackupSet, Estate};

/// One file as a tick on the retention bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileTick {
    pub name: String,
    pub kind: Option<BlobKind>,
    pub time: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
}

/// Files that Managed Backup deletes together, and what recoverability goes with them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expiry {
    pub at: DateTime<Utc>,
    pub files: Vec<String>,
    /// The earliest recoverable point once they are gone (the next full).
    pub earliest_after: Option<DateTime<Utc>>,
}

/// Promised vs recoverable for one Managed Backup database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionWindow {
    pub instance: String,
    pub database: String,
    pub retention_days: u32,
    pub now: DateTime<Utc>,
    /// `now - retention_days` (whole days of 24 hours, UTC).
    pub promised_from: DateTime<Utc>,
    /// Recoverable intervals with the files present (clipped to the promise).
    pub recoverable: Vec<Window>,
    /// The earliest recoverable point inside the promise (with the files present).
    pub recoverable_from: Option<DateTime<Utc>>,
    pub latest_recoverable: Option<DateTime<Utc>>,
    /// How much of the promise is missing at the start (zero when kept).
    pub shortfall_minutes: i64,
    /// Why the window is shorter than promised (empty when it is not).
    pub reasons: Vec<String>,
    /// The only shortfall is inside bulk-logged log backups (restorable to
    /// their end only): a new full would not mend it.
    pub only_bulk_logged: bool,
    pub files: Vec<FileTick>,
    /// The next deletions, soonest first (at most three).
    pub next_expiring: Vec<Expiry>,
}

impl RetentionWindow {
    pub fn is_short(&self) -> bool {
        self.shortfall_minutes > 0
    }
}

/// Windows of the Managed Backup databases writing to the checked container.
pub fn retention_windows(
    estate: &Estate,
    check: &ContainerCheck,
    now: DateTime<Utc>,
) -> Vec<RetentionWindow> {
    let present: HashSet<&str> = check.files.iter().map(|f| f.entry.name.as_str()).collect();
    let mut out = Vec::new();
    for inst in &estate.instances {
        for db in &inst.databases {
            let Some(mb) = &db.managed_backup else {
                continue;
            };
            let Some(days) = mb.retention_days else {
                continue;
            };
            let here = mb
                .storage_url
                .as_deref()
                .and_then(container_of_url)
                .is_some_and(|c| c.eq_ignore_ascii_case(&check.container));
            if !here {
                continue;
            }
            let history = history_for(estate, inst, db);
            let all = analyze_history(inst.name.clone(), db.clone(), true, history.clone(), now);
            let mut kept = history.clone();
            let mut missing_files: Vec<String> = Vec::new();
            kept.rows.retain(|b| {
                let gone = missing_here(b, &check.container, &present);
                missing_files.extend(gone.iter().cloned());
                gone.is_empty()
            });
            let with_files = analyze_history(inst.name.clone(), db.clone(), true, kept, now);
            let files: Vec<&StorageFile> = check
                .files
                .iter()
                .filter(|f| {
                    f.instance.as_deref() == Some(&inst.name)
                        && f.database.as_deref() == Some(&db.name)
                })
                .collect();
            out.push(window_of(
                &inst.name,
                &db.name,
                days,
                now,
                &all.windows,
                &with_files.windows,
                &all.chain.breaks,
                &missing_files,
                &files,
            ));
        }
    }
    out
}

/// Blob names of `b` that belong to `container` but are not present.
fn missing_here(b: &BackupSet, container: &str, present: &HashSet<&str>) -> Vec<String> {
    b.files()
        .iter()
        .filter(|u| container_of_url(u).is_some_and(|c| c.eq_ignore_ascii_case(container)))
        .filter_map(|u| blob_of_url(u))
        .filter(|name| !present.contains(name.as_str()))
        .collect()
}

/// The unbroken stretch of windows that ends at the latest recoverable point.
fn tail_span(windows: &[Window]) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut sorted: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        windows.iter().map(|w| (w.from, w.to)).collect();
    sorted.sort();
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (from, to) in sorted {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged.into_iter().max_by_key(|m| m.1)
}

#[allow(clippy::too_many_arguments)]
fn window_of(
    instance: &str,
    database: &str,
    days: u32,
    now: DateTime<Utc>,
    all_windows: &[Window],
    windows: &[Window],
    breaks: &[crate::analysis::Break],
    missing_files: &[String],
    files: &[&StorageFile],
) -> RetentionWindow {
    let promised_from = now - Duration::days(i64::from(days));
    let span = tail_span(windows);
    let all_span = tail_span(all_windows);
    let recoverable: Vec<Window> = windows
        .iter()
        .filter(|w| w.to >= promised_from)
        .map(|w| {
            let mut w = w.clone();
            w.from = w.from.max(promised_from);
            w
        })
        .collect();
    // The same answer as the database's recoverability: the earliest
    // recoverable point inside the promise (not the start of the last
    // unbroken stretch, which a bulk-logged log would cut short).
    let recoverable_from =
        crate::analysis::recoverability::recoverable_since(windows, promised_from);
    // What the promise misses: its start, and any stretch inside it that
    // no restore reaches (a gap, a missing file, a bulk-logged log).
    let shortfall = match (recoverable_from, span) {
        (Some(f), Some((_, latest))) => {
            (f - promised_from).num_minutes().max(0)
                + crate::analysis::recoverability::lost_seconds(windows, f, latest) / 60
        }
        (Some(f), None) => (f - promised_from).num_minutes().max(0),
        (None, _) => (now - promised_from).num_minutes(),
    };
    let mut reasons = Vec::new();
    let mut only_bulk_logged = false;
    if shortfall > 0 {
        let cut = recoverable_from.unwrap_or(now);
        let latest = span.map_or(now, |(_, l)| l);
        let all_from = all_span.map(|(f, _)| f);
        // Stretches inside the promise that no restore reaches, with every
        // file and with the files present: more with the files present
        // means a missing file opened a hole.
        let holes = |ws: &[Window]| match recoverable_from {
            Some(f) => crate::analysis::recoverability::lost_seconds(ws, f, latest),
            None => 0,
        };
        let files_cut_start = all_from.is_none_or(|a| a < cut);
        let files_opened_hole = holes(windows) > holes(all_windows);
        if !missing_files.is_empty() && (files_cut_start || files_opened_hole) {
            let shown: Vec<&str> = missing_files.iter().take(3).map(String::as_str).collect();
            let more = missing_files.len().saturating_sub(shown.len());
            reasons.push(format!(
                "missing file{} in storage: {}{}",
                if missing_files.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        // Breaks that cut the promise's start, or open a hole inside it.
        for b in breaks
            .iter()
            .filter(|b| !b.reason.keeps_continuity() && b.on_current_path)
        {
            let t = b.to_time.or(b.from_time);
            if t.is_some_and(|t| t > promised_from && t <= latest) {
                reasons.push(format!(
                    "{} {}: {}",
                    b.reason.label(),
                    fmt_time(t),
                    b.detail
                ));
            }
        }
        if reasons.is_empty() {
            let first = all_windows.iter().map(|w| w.from).min();
            // No break and no missing file: what is left out of reach inside
            // the windows is bulk-logged logs, restorable to their end only.
            let inside = recoverable_from.is_some_and(|f| f <= promised_from);
            only_bulk_logged = inside;
            reasons.push(match first {
                _ if inside => "points inside bulk-logged log backups cannot be reached (restore to their end only)".to_string(),
                Some(f) if f > promised_from => format!(
                    "the oldest restorable backup starts {}: Managed Backup has not run for {days} days yet (or history was cleaned)",
                    fmt_time(Some(f))
                ),
                Some(_) => format!("recoverable only from {}", fmt_time(recoverable_from)),
                None => "nothing is recoverable: no full backup with its files present".into(),
            });
        }
    }
    let mut ticks: Vec<FileTick> = files
        .iter()
        .map(|f| FileTick {
            name: f.entry.name.clone(),
            kind: f.parsed.managed().map(|m| m.kind),
            time: f.time,
            expires: f.expires,
        })
        .collect();
    ticks.sort_by(|a, b| (a.time, &a.name).cmp(&(b.time, &b.name)));
    let mut next: Vec<Expiry> = Vec::new();
    let mut upcoming: Vec<&FileTick> = ticks
        .iter()
        .filter(|t| t.expires.is_some_and(|e| e > now))
        .collect();
    upcoming.sort_by_key(|t| t.expires);
    for t in upcoming {
        let at = t.expires.expect("filtered");
        if let Some(e) = next.last_mut().filter(|e| e.at == at) {
            e.files.push(t.name.clone());
            continue;
        }
        match next.len() {
            3 => break,
            _ => next.push(Expiry {
                at,
                files: vec![t.name.clone()],
                earliest_after: None,
            }),
        }
    }
    for e in &mut next {
        // Once these go, the oldest full left is the first one after them.
        let newest_gone = ticks
            .iter()
            .filter(|t| e.files.contains(&t.name))
            .filter_map(|t| t.time)
            .max();
        e.earliest_after = ticks
            .iter()
            .filter(|t| t.kind == Some(BlobKind::Full))
            .filter_map(|t| t.time)
            .filter(|&t| newest_gone.is_none_or(|g| t > g))
            .min();
    }
    RetentionWindow {
        instance: instance.to_string(),
        database: database.to_string(),
        retention_days: days,
        now,
        promised_from,
        recoverable,
        recoverable_from,
        latest_recoverable: span.map(|(_, t)| t),
        shortfall_minutes: shortfall,
        reasons,
        only_bulk_logged,
        files: ticks,
        next_expiring: next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::storage::names::parse_blob_name;
    use crate::model::BlobEntry;
    use crate::model::Lsn;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn w(from: &str, to: &str) -> Window {
        Window {
            fork: None,
            from: t(from),
            to: t(to),
            from_lsn: Lsn::new(1).unwrap(),
            to_lsn: Lsn::new(2).unwrap(),
            abandoned: false,
            needs: None,
        }
    }

    fn file(name: &str, time: &str, expires: Option<&str>) -> StorageFile {
        StorageFile {
            entry: BlobEntry {
                name: name.into(),
                size: 1,
                last_modified: None,
                metadata: Default::default(),
            },
            parsed: parse_blob_name(name),
            history: None,
            instance: Some("I".into()),
            database: Some("D".into()),
            expires: expires.map(t),
            time: Some(t(time)),
        }
    }

    const G: &str = "6f9619ff8b86d011b42d00c04fc964ff";

    #[test]
    fn promise_kept_to_the_minute_at_a_day_boundary() {
        let now = t("2026-11-24T00:00:00Z");
        let kept = window_of(
            "I",
            "D",
            14,
            now,
            &[w("2026-11-10T00:00:00Z", "2026-11-23T23:50:00Z")],
            &[w("2026-11-10T00:00:00Z", "2026-11-23T23:50:00Z")],
            &[],
            &[],
            &[],
        );
        assert_eq!(kept.promised_from, t("2026-11-10T00:00:00Z"));
        assert_eq!(kept.shortfall_minutes, 0);
        assert!(kept.reasons.is_empty());
        // One minute later start: short by one minute, with a reason.
        let short = window_of(
            "I",
            "D",
            14,
            now,
            &[w("2026-11-10T00:01:00Z", "2026-11-23T23:50:00Z")],
            &[w("2026-11-10T00:01:00Z", "2026-11-23T23:50:00Z")],
            &[],
            &[],
            &[],
        );
        assert_eq!(short.shortfall_minutes, 1);
        assert!(
            short.reasons[0].contains("oldest restorable backup"),
            "{:?}",
            short.reasons
        );
        // Windows that touch merge into one span; a gap cuts it.
        let joined = window_of(
            "I",
            "D",
            1,
            now,
            &[],
            &[
                w("2026-11-22T00:00:00Z", "2026-11-23T06:00:00Z"),
                w("2026-11-23T06:00:00Z", "2026-11-23T23:00:00Z"),
            ],
            &[],
            &[],
            &[],
        );
        assert_eq!(joined.recoverable_from, Some(t("2026-11-23T00:00:00Z")));
        let cut = window_of(
            "I",
            "D",
            1,
            now,
            &[w("2026-11-22T00:00:00Z", "2026-11-23T23:00:00Z")],
            &[
                w("2026-11-22T00:00:00Z", "2026-11-23T05:00:00Z"),
                w("2026-11-23T06:00:00Z", "2026-11-23T23:00:00Z"),
            ],
            &[],
            &["x.log".into()],
            &[],
        );
        // The promise starts recoverable; the hour with the missing file is lost.
        assert_eq!(cut.recoverable_from, Some(t("2026-11-23T00:00:00Z")));
        assert_eq!(cut.shortfall_minutes, 60);
        assert_eq!(
            cut.reasons,
            vec!["missing file in storage: x.log".to_string()]
        );
    }

    #[test]
    fn next_expiring_groups_files_that_go_together() {
        let now = t("2026-11-24T00:00:00Z");
        let full1 = format!("D_{G}_20261101000000000.bak");
        let log1 = format!("D_{G}_20261101020000000.log");
        let full2 = format!("D_{G}_20261108000000000.bak");
        let log2 = format!("D_{G}_20261108020000000.log");
        let files = [
            file(&full1, "2026-11-01T00:30:00Z", Some("2026-11-22T00:30:00Z")),
            file(&log1, "2026-11-01T02:05:00Z", Some("2026-11-24T00:00:01Z")),
            file(
                &format!("D_{G}_20261101040000000.log"),
                "2026-11-01T04:05:00Z",
                Some("2026-11-24T00:00:01Z"),
            ),
            file(&full2, "2026-11-08T00:30:00Z", Some("2026-12-01T00:00:00Z")),
            file(&log2, "2026-11-08T02:05:00Z", Some("2026-12-01T00:00:00Z")),
        ];
        let refs: Vec<&StorageFile> = files.iter().collect();
        let r = window_of("I", "D", 14, now, &[], &[], &[], &[], &refs);
        // Already expired (past, not future) files are not "next".
        assert_eq!(r.next_expiring.len(), 2);
        assert_eq!(r.next_expiring[0].at, t("2026-11-24T00:00:01Z"));
        assert_eq!(r.next_expiring[0].files.len(), 2);
        assert_eq!(
            r.next_expiring[0].earliest_after,
            Some(t("2026-11-08T00:30:00Z"))
        );
        assert_eq!(r.next_expiring[1].earliest_after, None);
        assert_eq!(
            r.files.first().map(|f| f.name.as_str()),
            Some(full1.as_str())
        );
    }
}
