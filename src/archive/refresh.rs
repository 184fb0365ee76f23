//! Live collection through the archive: start from what it holds, read
//! only backup history past its newest `backup_set_id` per instance, store
//! what came in, and show the archive's view (so rows msdb purged since stay).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::keys::{self, Kind};
use super::{create_store, open_store, ArchiveError};
use crate::snapshot::SnapshotInstance;
use crate::sqlserver::{self, InstanceResult};

/// The archived instances among `names`, with when each was collected.
pub fn archived(
    path: &Path,
    names: &[String],
) -> Result<BTreeMap<String, (SnapshotInstance, DateTime<Utc>)>, ArchiveError> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let store = open_store(path)?;
    let when: BTreeMap<String, DateTime<Utc>> = store
        .instances()?
        .into_iter()
        .filter_map(|i| Some((i.name, DateTime::from_timestamp_millis(i.collected_at_ms?)?)))
        .collect();
    let snapshot = store.export_only(Some(names))?;
    Ok(snapshot
        .instances
        .into_iter()
        .filter_map(|i| {
            let at = *when.get(&i.name)?;
            let name = names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(&i.name))?
                .clone();
            Some((name, (i, at)))
        })
        .collect())
}

/// The instances among `names` to read whole this round: never read whole
/// through the archive, or last read whole longer than `every` before `now`.
pub fn full_read_due(
    path: &Path,
    names: &[String],
    every: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<BTreeSet<String>, ArchiveError> {
    if !path.exists() {
        return Ok(names.iter().cloned().collect());
    }
    let read: BTreeMap<String, Option<i64>> = open_store(path)?
        .instances()?
        .into_iter()
        .map(|i| (i.name.to_ascii_lowercase(), i.full_read_at_ms))
        .collect();
    let due = |name: &String| {
        let last = read
            .get(&name.to_ascii_lowercase())
            .copied()
            .flatten()
            .and_then(DateTime::from_timestamp_millis);
        last.is_none_or(|t| now - t >= every)
    };
    Ok(names.iter().filter(|n| due(n)).cloned().collect())
}

/// Stores the instances collected this round, then replaces each one's
/// snapshot by the archive's (the whole archived history). `previous` gives
/// the snapshot an instance's round read on top of (none for a whole
/// re-read): only what came after it is written.
pub fn store_round<'p>(
    path: &Path,
    results: &mut [InstanceResult],
    at: DateTime<Utc>,
    previous: impl Fn(&str) -> Option<&'p SnapshotInstance>,
) -> Result<(), ArchiveError> {
    let collected: Vec<InstanceResult> = results
        .iter()
        .filter(|r| r.status.collected() && r.snapshot.is_some())
        .cloned()
        .collect();
    if collected.is_empty() {
        return Ok(());
    }
    // Read whole (nothing to read on from): marked, so `check` knows when
    // the next whole read is due.
    let whole: Vec<String> = collected
        .iter()
        .filter(|r| previous(&r.name).is_none())
        .map(|r| r.name.clone())
        .collect();
    let new: Vec<InstanceResult> = collected
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let (Some(s), Some(p)) = (&r.snapshot, previous(&r.name)) {
                r.snapshot = Some(delta(s, p));
            }
            r
        })
        .collect();
    let mut store = create_store(path)?;
    store.import(&sqlserver::to_snapshot(&new, at))?;
    drop(new);
    if !whole.is_empty() {
        store.mark_full_read(&whole, at)?;
    }
    // An instance whose collection already holds every archived history row
    // (an incremental read on top of the archive) is shown as collected;
    // the others (a whole re-read after msdb purged) from the archive.
    let stored = store.history_rows()?;
    let names: Vec<String> = collected
        .iter()
        .filter(|r| {
            let held = r.snapshot.as_ref().map_or(0, history_rows);
            stored
                .get(&r.name.to_ascii_lowercase())
                .copied()
                .unwrap_or(0)
                != held
        })
        .map(|r| r.name.clone())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let mut back: BTreeMap<String, SnapshotInstance> = store
        .export_only(Some(&names))?
        .instances
        .into_iter()
        .map(|i| (i.name.to_ascii_lowercase(), i))
        .collect();
    for r in results.iter_mut().filter(|r| names.contains(&r.name)) {
        if let Some(mut i) = back.remove(&r.name.to_ascii_lowercase()) {
            i.name = r.name.clone();
            r.snapshot = Some(i);
        }
    }
    Ok(())
}

/// The rows of a collection's history tables (the archive keys each once).
fn history_rows(inst: &SnapshotInstance) -> u64 {
    inst.tables
        .iter()
        .filter(|(name, _)| matches!(keys::kind(name), Kind::History(_)))
        .map(|(_, t)| t.len() as u64)
        .sum()
}

/// What a collection added on top of `previous`. The collector appends new
/// history after the previous rows, so a history table that starts with
/// exactly the previous rows is new only after them; any other table is
/// stored whole (always correct, only slower).
fn delta(collected: &SnapshotInstance, previous: &SnapshotInstance) -> SnapshotInstance {
    let mut out = collected.clone();
    for (name, table) in out.tables.iter_mut() {
        if !matches!(keys::kind(name), Kind::History(_)) {
            continue;
        }
        let Some(prev) = previous.tables.get(name) else {
            continue;
        };
        let n = prev.len();
        if table.len() < n {
            continue;
        }
        let mut head = table.clone();
        let mut i = 0;
        head.retain(|_| {
            i += 1;
            i <= n
        });
        if head != *prev {
            continue;
        }
        let mut i = 0;
        table.retain(|_| {
            i += 1;
            i > n
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog;

    #[test]
    fn only_rows_after_the_previous_ones_are_new() {
        let snap = crate::demo::snapshot(chrono::Utc::now());
        let full = snap.instances[0].clone();
        let mut prev = full.clone();
        let sets = prev.tables.get_mut(catalog::BACKUPSET).unwrap();
        let keep = sets.len() - 5;
        let mut i = 0;
        sets.retain(|_| {
            i += 1;
            i <= keep
        });
        let d = delta(&full, &prev);
        assert_eq!(d.tables[catalog::BACKUPSET].len(), 5);
        // State tables and tables equal to the previous ones.
        assert_eq!(
            d.tables[catalog::DATABASES],
            full.tables[catalog::DATABASES]
        );
        assert!(d.tables[catalog::BACKUPMEDIAFAMILY].is_empty());
        // Rows that do not start with the previous ones are stored whole.
        let mut other = prev.clone();
        other
            .tables
            .get_mut(catalog::BACKUPSET)
            .unwrap()
            .set(0, "name", "changed");
        let d = delta(&full, &other);
        assert_eq!(
            d.tables[catalog::BACKUPSET].len(),
            full.tables[catalog::BACKUPSET].len()
        );
    }
}
