//! One container judged against an estate: listing → cross-check →
//! retention windows → findings. Shared by `chainwatch check` and the
//! console's storage view, so both say the same thing.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::crosscheck::{cross_check, ContainerCheck};
use super::history::StorageHistory;
use super::retention::{retention_windows, RetentionWindow};
use crate::analysis::{Finding, Severity};
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
        title: if nothing {
            format!(
                "retention promises {} days; nothing is recoverable from the files present",
                w.retention_days
            )
        } else {
            format!(
                "retention promises {} days; recoverable only from {} ({} h short)",
                w.retention_days,
                fmt_time(w.recoverable_from),
                hours
            )
        },
        explanation: if w.reasons.is_empty() {
            "the recoverable window is shorter than Managed Backup's retention".into()
        } else {
            w.reasons.join("; ")
        },
        evidence: Vec::new(),
        remedy: "take a full backup to start a chain the container holds completely; fix the cause named above".into(),
        rows: Vec::new(),
        sql: None,
        expectation: None,
    })
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
}
