//! The storage view: per instance, the containers its backups go to, each
//! with its blobs checked against history.

use chrono::{DateTime, Utc};

use super::Filter;
use crate::analysis::storage::names_blob;
use crate::analysis::storage::{CheckedContainer, ListingOrigin, ParsedName, RetentionWindow};
use crate::analysis::storage::{StorageFile, RETENTION_GRACE_HOURS};
use crate::analysis::Finding;

/// Where one container's listing stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Listing {
    Loading,
    Loaded(Box<CheckedContainer>),
    /// Why it could not be listed (never a secret).
    Failed(String),
}

/// One container as the storage view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerView {
    pub instance: String,
    /// URL (no token) or `account/container` for history-only containers.
    pub display: String,
    /// `account/container` as history names it.
    pub history_key: String,
    pub listing: Listing,
}

/// State of the storage view.
#[derive(Debug, Clone, Default)]
pub struct StorageState {
    pub containers: Vec<ContainerView>,
    /// Index into `containers`.
    pub current: usize,
    /// Indices into the current container's files, after the filter.
    pub rows: Vec<usize>,
    pub selected: usize,
    pub filter: Filter,
    /// Whether the containers were (or are being) found.
    pub(crate) started: bool,
    /// The container list is still being built in the background.
    pub planning: bool,
    /// `F` moved the cursor into the container's findings (Enter: evidence).
    pub findings_focus: bool,
    /// Index into `findings()` while they have the focus.
    pub finding: usize,
}

impl StorageState {
    /// The container shown.
    pub fn current(&self) -> Option<&ContainerView> {
        self.containers.get(self.current)
    }

    /// The files of the current container, when listed.
    pub fn files(&self) -> &[StorageFile] {
        match self.current().map(|c| &c.listing) {
            Some(Listing::Loaded(c)) => &c.check.files,
            _ => &[],
        }
    }

    /// The current container's findings, worst first (the order shown).
    pub fn findings(&self) -> Vec<&Finding> {
        let mut sorted: Vec<&Finding> = match self.current().map(|c| &c.listing) {
            Some(Listing::Loaded(c)) => c.findings.iter().collect(),
            _ => Vec::new(),
        };
        sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
        sorted
    }

    /// The finding the cursor is on (findings focused), else the worst one
    /// naming the selected blob.
    pub fn selected_finding(&self) -> Option<&Finding> {
        let findings = self.findings();
        if self.findings_focus {
            return findings.get(self.finding).copied();
        }
        let blob = self.files().get(*self.rows.get(self.selected)?)?;
        findings
            .into_iter()
            .find(|f| names_blob(f, &blob.entry.name))
    }

    /// The retention window of one database, from whichever container has it.
    pub fn window_for(
        &self,
        instance: &str,
        database: &str,
    ) -> Option<(&RetentionWindow, ListingOrigin)> {
        self.containers.iter().find_map(|c| match &c.listing {
            Listing::Loaded(l) => l
                .retention
                .iter()
                .find(|w| w.instance == instance && w.database == database)
                .map(|w| (w, l.origin)),
            _ => None,
        })
    }
}

/// The cross-check status of one blob, as a short word.
pub fn file_status(f: &StorageFile, now: DateTime<Utc>) -> &'static str {
    match (f.history, f.expires) {
        (None, _) => "unknown",
        (Some(_), Some(e)) if e + chrono::Duration::hours(RETENTION_GRACE_HOURS) <= now => {
            "past retention"
        }
        (Some(_), _) => "in history",
    }
}

/// The blob's kind as shown: full, log, or other.
pub fn file_kind(f: &StorageFile) -> &'static str {
    match &f.parsed {
        ParsedName::Managed(m) => match m.kind {
            crate::analysis::storage::BlobKind::Full => "full",
            crate::analysis::storage::BlobKind::Log => "log",
        },
        ParsedName::Other => "other",
    }
}
