//! The demo estate's SQL16\PROD Managed Backup container as a blob listing.

#![allow(dead_code)]

use chainwatch::analysis::storage::{history_files, parse_blob_name, BlobKind, StorageHistory};
use chainwatch::model::Estate;
use chrono::{DateTime, Duration, Utc};

/// `account/container` the demo's SQL16\PROD history names.
pub const CONTAINER: &str = "prodstore/sql16-prod";
pub const INSTANCE: &str = "SQL16\\PROD";

pub struct Fixture {
    pub estate: Estate,
    pub now: DateTime<Utc>,
    pub history: StorageHistory,
    /// What Managed Backup keeps in the container now: (blob name, body).
    pub blobs: Vec<(String, Vec<u8>)>,
}

pub fn now() -> DateTime<Utc> {
    "2026-11-24T06:00:00Z".parse().unwrap()
}

/// A small body that differs per blob (so ranged reads can be checked).
pub fn body(name: &str) -> Vec<u8> {
    let mut b = format!("TAPE chainwatch test body for {name}\n").into_bytes();
    b.extend((0..=255u8).cycle().take(700));
    b
}

pub fn demo() -> Fixture {
    demo_at(now())
}

/// The same container for the demo estate generated at `now`.
pub fn demo_at(now: DateTime<Utc>) -> Fixture {
    let estate = chainwatch::sources::demo_estate(now).expect("demo estate");
    let history = history_files(&estate, now);
    let mut names: Vec<String> = history
        .files
        .iter()
        .filter(|f| f.container.as_deref() == Some(CONTAINER))
        .filter(|f| f.needed || (f.in_available && f.expires.is_none_or(|e| e > now)))
        .filter_map(|f| f.blob.clone())
        .collect();
    names.sort();
    names.dedup();
    let blobs = names
        .into_iter()
        .map(|n| {
            let b = body(&n);
            (n, b)
        })
        .collect();
    Fixture {
        estate,
        now,
        history,
        blobs,
    }
}

impl Fixture {
    /// History files of the container (by blob name).
    pub fn file(&self, name: &str) -> &chainwatch::analysis::storage::HistoryFile {
        self.history
            .files
            .iter()
            .find(|f| f.container.as_deref() == Some(CONTAINER) && f.blob.as_deref() == Some(name))
            .expect("history file")
    }

    /// A needed log backup blob (the restore to latest uses it).
    pub fn needed_log(&self) -> String {
        self.blobs
            .iter()
            .map(|(n, _)| n)
            .filter(|n| {
                matches!(
                    parse_blob_name(n).managed().map(|m| m.kind),
                    Some(BlobKind::Log)
                )
            })
            .find(|n| self.file(n).needed)
            .cloned()
            .expect("a needed log")
    }

    /// A blob Managed Backup still lists but no restore to latest needs.
    pub fn claimed_not_needed(&self) -> String {
        self.blobs
            .iter()
            .map(|(n, _)| n)
            .find(|n| {
                let f = self.file(n);
                f.in_available && !f.needed && f.families == 1
            })
            .cloned()
            .expect("an available, unneeded blob")
    }

    /// One stripe of a striped backup, if the demo has one in the container.
    pub fn a_stripe(&self) -> Option<String> {
        self.blobs
            .iter()
            .map(|(n, _)| n)
            .find(|n| self.file(n).families > 1)
            .cloned()
    }

    /// A Managed Backup-shaped name of the demo's database, written long ago.
    pub fn old_managed_name(&self, days_ago: i64) -> String {
        let f = self
            .history
            .managed
            .iter()
            .find(|m| {
                m.instance == INSTANCE
                    && m.container.as_deref() == Some(CONTAINER)
                    && m.database_guid.is_some()
            })
            .expect("a managed database");
        let t = self.now - Duration::days(days_ago);
        format!(
            "{}_{}_{}000.bak",
            f.database.chars().take(40).collect::<String>(),
            f.database_guid.unwrap().simple(),
            t.format("%Y%m%d%H%M%S")
        )
    }
}

/// What the scenario did, and the findings it must produce (id, severity, database).
pub struct Scenario {
    pub fx: Fixture,
    /// Blobs in the container after the changes.
    pub blobs: Vec<(String, Vec<u8>)>,
    pub deleted: Vec<String>,
    pub expected: Vec<(&'static str, chainwatch::analysis::Severity, Option<String>)>,
}

pub const GHOST_GUID: &str = "0badc0de0badc0de0badc0de0badc0de";

/// The demo container, then: a needed log deleted, a still-listed file
/// deleted, one stripe deleted (when the demo has a striped set), strangers
/// added (another tool's file, another database's Managed Backup file), a
/// file past retention left behind, and one Sales log sent to another
/// container.
pub fn scenario() -> Scenario {
    use chainwatch::analysis::Severity::*;
    let now = now();
    let mut estate = chainwatch::sources::demo_estate(now).expect("demo estate");
    // One Sales log backup of the restore chain went to another account.
    let before = history_files(&estate, now);
    let moved = before
        .files
        .iter()
        .find(|f| {
            f.database == "Sales"
                && f.needed
                && f.backup_type == chainwatch::model::BackupType::Log
                && f.container.as_deref() == Some(CONTAINER)
        })
        .expect("a needed Sales log")
        .clone();
    let inst = estate
        .instances
        .iter_mut()
        .find(|i| i.name == INSTANCE)
        .unwrap();
    let b = inst
        .backups
        .iter_mut()
        .find(|b| Some(b.backup_set_id) == moved.backup_set_id)
        .unwrap();
    for f in &mut b.families {
        f.physical_device_name = Some(format!(
            "https://otherstore.blob.core.windows.net/adhoc/{}",
            moved.blob.as_deref().unwrap()
        ));
    }
    // ... so Managed Backup's own list does not have it either.
    let moved_url = moved.url.clone();
    for rows in inst.tables.values_mut() {
        rows.retain(|r| {
            r.get("Backup_path").and_then(|v| v.as_text()).as_deref() != Some(moved_url.as_str())
        });
    }
    let history = history_files(&estate, now);
    let mut fx = demo();
    fx.estate = estate;
    fx.history = history;
    // The moved log is not in our container (and no longer in history there).
    fx.blobs
        .retain(|(n, _)| Some(n.as_str()) != moved.blob.as_deref());

    let mut expected = vec![(
        "storage.other_container",
        Critical,
        Some("Sales".to_string()),
    )];
    let mut deleted = Vec::new();
    let needed = fx
        .blobs
        .iter()
        .map(|(n, _)| n.clone())
        .find(|n| {
            n.starts_with("Orders_")
                && fx.file(n).needed
                && fx.file(n).backup_type == chainwatch::model::BackupType::Log
        })
        .expect("a needed Orders log");
    deleted.push(needed);
    expected.push(("storage.missing_needed", Critical, Some("Orders".into())));
    let claimed = fx
        .blobs
        .iter()
        .map(|(n, _)| n.clone())
        .find(|n| {
            n.starts_with("Billing_") && {
                let f = fx.file(n);
                f.in_available && !f.needed && f.families == 1
            }
        })
        .expect("a listed, unneeded Billing file");
    deleted.push(claimed);
    expected.push(("storage.missing_claimed", Warning, Some("Billing".into())));
    if let Some(stripe) = fx.a_stripe() {
        let f = fx.file(&stripe);
        expected.push((
            "storage.stripe_missing",
            if f.needed || f.in_available {
                Critical
            } else {
                Warning
            },
            Some(f.database.clone()),
        ));
        deleted.push(stripe);
    }
    let mut blobs: Vec<(String, Vec<u8>)> = fx
        .blobs
        .iter()
        .filter(|(n, _)| !deleted.contains(n))
        .cloned()
        .collect();
    // Strangers.
    for n in ["notes/readme.txt", "Sales_COPY_ONLY_20261120_0130.bak"] {
        blobs.push((n.to_string(), body(n)));
    }
    expected.push(("storage.unknown_file", Info, None));
    let ghost = format!("Ghost_{GHOST_GUID}_20261123010000000.bak");
    blobs.push((ghost.clone(), body(&ghost)));
    expected.push(("storage.unknown_file", Warning, None));
    // Left behind: a Managed Backup full of a managed database, 40 days old.
    let old = fx.old_managed_name(40);
    let db = fx
        .history
        .managed
        .iter()
        .find(|m| {
            m.instance == INSTANCE
                && m.container.as_deref() == Some(CONTAINER)
                && m.database_guid.is_some()
        })
        .unwrap()
        .database
        .clone();
    blobs.push((old.clone(), body(&old)));
    expected.push(("storage.unknown_file", Warning, Some(db.clone())));
    expected.push(("storage.past_retention", Warning, Some(db)));
    blobs.sort();
    Scenario {
        fx,
        blobs,
        deleted,
        expected,
    }
}

/// Findings reduced to (id, severity, database), sorted, for exact comparison.
pub fn shape(
    findings: &[chainwatch::analysis::Finding],
) -> Vec<(&'static str, chainwatch::analysis::Severity, Option<String>)> {
    let mut v: Vec<_> = findings
        .iter()
        .map(|f| (f.id, f.severity, f.database.clone()))
        .collect();
    v.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    v
}

pub fn sorted(
    mut v: Vec<(&'static str, chainwatch::analysis::Severity, Option<String>)>,
) -> Vec<(&'static str, chainwatch::analysis::Severity, Option<String>)> {
    v.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    v
}
