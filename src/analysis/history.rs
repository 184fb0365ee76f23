//! Which backup rows belong to one database, merged across AG replicas.

use std::collections::HashSet;

use uuid::Uuid;

use crate::model::{BackupSet, Database, Estate, Instance};

/// The rows of one database's history, and how well they could be keyed.
#[derive(Debug, Clone)]
pub struct History<'a> {
    pub rows: Vec<&'a BackupSet>,
    /// Rows with the same name that belong to another database (another
    /// `family_guid`): an earlier database restored over or recreated.
    pub other_lineages: Vec<&'a BackupSet>,
    /// Rows RESTORE wrote for backups another server took (`server_name` is
    /// not the instance): where the database came from, not its local chain.
    pub foreign: Vec<&'a BackupSet>,
    /// Instances whose msdb contributed rows (more than one for AG databases).
    pub sources: Vec<String>,
    /// True when some rows lacked `database_guid`/`family_guid` and were matched by name.
    pub matched_by_name_only: bool,
}

/// Collects a database's history from its own instance and, for an
/// availability database, from every replica in the estate: each replica's
/// msdb holds only the backups taken there.
pub fn history_for<'a>(estate: &'a Estate, instance: &'a Instance, db: &Database) -> History<'a> {
    let mut sources = vec![instance.name.clone()];
    let mut candidates: Vec<&BackupSet> = instance
        .backups
        .iter()
        .filter(|b| b.database_name == db.name)
        .collect();
    if let Some(group_db) = db.group_database_id {
        for other in &estate.instances {
            if other.name == instance.name {
                continue;
            }
            let Some(replica_db) = other
                .databases
                .iter()
                .find(|d| d.group_database_id == Some(group_db))
            else {
                continue;
            };
            sources.push(other.name.clone());
            candidates.extend(
                other
                    .backups
                    .iter()
                    .filter(|b| b.database_name == replica_db.name),
            );
        }
    }
    select(candidates, db.family_guid, sources)
}

/// History for a bare list of rows (used by tests and the file source).
pub fn history_of<'a>(rows: &'a [BackupSet], database_name: &str) -> History<'a> {
    let candidates = rows
        .iter()
        .filter(|b| b.database_name == database_name)
        .collect();
    select(candidates, None, Vec::new())
}

fn select<'a>(
    candidates: Vec<&'a BackupSet>,
    family: Option<Uuid>,
    sources: Vec<String>,
) -> History<'a> {
    let (foreign, mut candidates): (Vec<_>, Vec<_>) =
        candidates.into_iter().partition(|b| b.written_elsewhere);
    // The same backup seen in two replicas' msdb (or twice in one export) counts once.
    let mut seen = HashSet::new();
    candidates.retain(|b| match b.backup_set_uuid {
        Some(uuid) => seen.insert(uuid),
        None => true,
    });
    // The lineage to analyse: the live database's family, else the newest backup's.
    let family = family.or_else(|| {
        candidates
            .iter()
            .filter(|b| b.family_guid.is_some())
            .max_by_key(|b| (b.finish, b.backup_set_id))
            .and_then(|b| b.family_guid)
    });
    let (rows, other_lineages): (Vec<_>, Vec<_>) = candidates
        .into_iter()
        .partition(|b| family.is_none() || b.family_guid.is_none() || b.family_guid == family);
    let matched_by_name_only = rows
        .iter()
        .any(|b| b.family_guid.is_none() && b.database_guid.is_none());
    History {
        rows,
        other_lineages,
        foreign,
        sources,
        matched_by_name_only,
    }
}
