//! One container judged against an estate: listing → cross-check →
//! retention windows → findings. Shared by `chainwatch check` and the
//! console's storage view, so both say the same thing.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::crosscheck::{cross_check, ContainerCheck};
use super::history::StorageHistory;
use super::retention::{retention_windows, RetentionWindow};
use crate::analysis::{EvidenceRow, Finding, Severity};
use crate::model::time::fmt_time;
use crate::model::{BlobEntry, Estate};

/// Where a listing came from: the container itself, or (demo, no
/// container configured) the blobs history names, which is not storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingOrigin {
    Storage,
    History,
}

impl ListingOrigin {
    pub fn label(self) -> &'static str {
        match self {
            ListingOrigin::Storage => "listed from storage",
            ListingOrigin::History => "from history, not storage",
        }
    }
}

/// A container's listing checked against history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedContainer {
    pub origin: ListingOrigin,
    pub check: ContainerCheck,
    pub retention: Vec<RetentionWindow>,
    /// Cross-check findings, then one per retention window that falls short.
    pub findings: Vec<Finding>,
}

/// Judges a listing of the container history calls `history_key`.
pub fn check_listing(
    history_key: &str,
    estate: &Estate,
    history: &StorageHistory,
    listing: &[BlobEntry],
    origin: ListingOrigin,
    now: DateTime<Utc>,
) -> CheckedContainer {
    let check = cross_check(history_key, history, listing, now);
    let retention = retention_windows(estate, &check, now);
    let mut findings = check.findings.clone();
    findings.extend(retention.iter().filter_map(retention_finding));
    CheckedContainer {
        origin,
        check,
        retention,
        findings,
    }
}

/// A window shorter than promised, as a finding: a warning, critical when
/// nothing at all is recoverable from the files present.
pub fn retention_finding(w: &RetentionWindow) -> Option<Finding> {
    if !w.is_short() {
        return None;
    }
    let hours = w.shortfall_minutes / 60;
    let nothing = w.recoverable_from.is_none();
    Some(Finding {
        id: "storage.retention_short",
        severity: if nothing {
            Severity::Critical
        } else {
            Severity::Warning
        },
        instance: w.instance.clone(),
        database: Some(w.database.clone()),
        title: match (nothing, w.recoverable_from) {
            (true, _) => format!(
                "retention promises {} days; nothing is recoverable from the files present",
                w.retention_days
            ),
            // The promise's start is reached; stretches inside it are not.
            (false, Some(from)) if from <= w.promised_from => format!(
                "retention promises {} days; {} h inside it cannot be reached",
                w.retention_days, hours
            ),
            (false, _) => format!(
                "retention promises {} days; recoverable only from {} ({} h short)",
                w.retention_days,
                fmt_time(w.recoverable_from),
                hours
            ),
        },
        explanation: if w.reasons.is_empty() {
            "the recoverable window is shorter than Managed Backup's retention".into()
        } else {
            w.reasons.join("; ")
        },
        evidence: Vec::new(),
        remedy: match w.only_bulk_logged {
            // Only bulk-logged stretches are out of reach: no full fixes that.
            true => "points inside a bulk-logged log backup are restorable only to its end: keep the database in FULL recovery outside bulk operations, or accept those stretches".into(),
            false => "take a full backup to start a chain the container holds completely; fix the cause named above".into(),
        },
        rows: window_rows(w),
        sql: None,
        expectation: None,
    })
}

/// The rows a short window rests on: the promise, what the files present
/// recover, and which files of the database the container holds.
fn window_rows(w: &RetentionWindow) -> Vec<EvidenceRow> {
    const SHOWN: usize = 5;
    let row = |table: &str, text: String| EvidenceRow {
        table: table.into(),
        row: None,
        text,
    };
    let mut rows = vec![row(
        "managed backup",
        format!(
            "retention_days = {}: every point since {} is promised",
            w.retention_days,
            fmt_time(Some(w.promised_from))
        ),
    )];
    rows.extend(w.recoverable.iter().take(SHOWN).map(|r| {
        row(
            "recoverable",
            format!(
                "{} → {} with the files present",
                fmt_time(Some(r.from)),
                fmt_time(Some(r.to))
            ),
        )
    }));
    if w.recoverable.len() > SHOWN {
        rows.push(row(
            "recoverable",
            format!("and {} more windows", w.recoverable.len() - SHOWN),
        ));
    }
    let oldest = w.files.iter().filter_map(|f| f.time).min();
    rows.push(row(
        "container",
        match oldest {
            Some(t) => format!(
                "{} files of this database, the oldest from {}",
                w.files.len(),
                fmt_time(Some(t))
            ),
            None => format!("{} files of this database", w.files.len()),
        },
    ));
    rows
}

/// The blobs history names in a container, as a stand-in listing when the
/// container itself cannot be listed (demo estate, no credential). Files
/// `fn_available_backups` says have expired are left out, as Managed
/// Backup would have deleted them. Sizes are the backup sets' sizes.
pub fn history_listing(
    estate: &Estate,
    history: &StorageHistory,
    container: &str,
    now: DateTime<Utc>,
) -> Vec<BlobEntry> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for f in &history.files {
        let here = f
            .container
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(container));
        if !here || f.expires.is_some_and(|e| e <= now) {
            continue;
        }
        let Some(name) = f.blob.clone() else { continue };
        if !seen.insert(name.clone()) {
            continue;
        }
        let size = f
            .backup_set_id
            .and_then(|id| {
                estate
                    .instances
                    .iter()
                    .filter(|i| i.name == f.instance)
                    .flat_map(|i| i.backups.iter())
                    .find(|b| b.backup_set_id == id)
            })
            .and_then(|b| b.compressed_backup_size.or(b.backup_size))
            .map(|s| s / u64::from(f.families.max(1)))
            .unwrap_or(0);
        out.push(BlobEntry {
            name,
            size,
            last_modified: f.finish,
            metadata: Default::default(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The containers history names for one instance (Managed Backup's
/// configured container first), as `account/container` keys.
pub fn instance_containers(history: &StorageHistory, instance: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let managed = history
        .managed
        .iter()
        .filter(|m| m.instance == instance)
        .filter_map(|m| m.container.clone());
    let files = history
        .files
        .iter()
        .filter(|f| f.instance == instance)
        .filter_map(|f| f.container.clone());
    for c in managed.chain(files) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&c)) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::analysis::storage::history_files;

    #[test]
    fn demo_history_listing_is_labelled_and_checks_clean_for_its_files() {
        let now: DateTime<Utc> = "2026-11-24T06:00:00Z".parse().unwrap();
        let estate = crate::sources::demo_estate(now).unwrap();
        let history = history_files(&estate, now);
        let containers = instance_containers(&history, "SQL16\\PROD");
        assert_eq!(
            containers.first().map(String::as_str),
            Some("prodstore/sql16-prod")
        );
        let listing = history_listing(&estate, &history, &containers[0], now);
        assert!(!listing.is_empty());
        let c = check_listing(
            &containers[0],
            &estate,
            &history,
            &listing,
            ListingOrigin::History,
            now,
        );
        assert_eq!(c.origin.label(), "from history, not storage");
        // History cannot contradict itself: nothing it names is "unknown".
        assert!(c.findings.iter().all(|f| f.id != "storage.unknown_file"));
        assert!(!c.retention.is_empty());
    }

    #[test]
    fn a_short_window_names_its_promise_and_a_remedy_that_fits_the_cause() {
        let now: DateTime<Utc> = "2026-11-22T10:00:00Z".parse().unwrap();
        let estate = crate::sources::demo_estate(now).unwrap();
        let history = history_files(&estate, now);
        let container = &instance_containers(&history, "SQL16\\PROD")[0];
        let listing = history_listing(&estate, &history, container, now);
        let c = check_listing(
            container,
            &estate,
            &history,
            &listing,
            ListingOrigin::History,
            now,
        );
        let finding = |db: &str| {
            let w = c.retention.iter().find(|w| w.database == db).unwrap();
            (w.clone(), retention_finding(w).unwrap())
        };
        // ETL: every point since the promise's start is reached but those
        // inside its bulk-logged logs; a new full would not change that.
        let (w, f) = finding("ETL");
        assert!(w.only_bulk_logged, "{w:?}");
        assert!(
            f.title.contains("h inside it cannot be reached"),
            "{}",
            f.title
        );
        assert!(f.remedy.contains("FULL recovery"), "{}", f.remedy);
        assert!(
            f.rows[0].text.starts_with("retention_days = 14"),
            "{:?}",
            f.rows
        );
        assert!(
            f.rows.iter().any(|r| r.table == "recoverable"),
            "{:?}",
            f.rows
        );
        assert!(f
            .rows
            .last()
            .unwrap()
            .text
            .contains("files of this database"));
        // Telemetry's shortfall is a gap in its chain: a new full is the remedy.
        let (w, f) = finding("Telemetry");
        assert!(!w.only_bulk_logged, "{:?}", w.reasons);
        assert!(f.remedy.starts_with("take a full backup"), "{}", f.remedy);
        assert!(f.explanation.contains("2026-11-1"), "{}", f.explanation);
        assert!(!f.explanation.contains("bulk-logged"), "{}", f.explanation);
        assert!(
            f.explanation.contains("gap in the log chain"),
            "{}",
            f.explanation
        );
    }
}
