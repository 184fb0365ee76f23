//! Snapshot rows → typed instances, databases and backup sets.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::{
    BackupSet, BackupType, Database, DeviceType, Estate, Instance, ManagedBackupConfig,
    ManagedBackupSchema, MediaFamily, MirroringRole, MissingTable, RecoveryModel,
};

use super::{Snapshot, SnapshotError, SnapshotInstance};
use crate::model::catalog::{self, Row, RowError};

/// Tables whose absence the console should mention.
const EXPECTED_TABLES: &[&str] = &[
    catalog::BACKUPSET,
    catalog::BACKUPMEDIAFAMILY,
    catalog::DATABASES,
    catalog::RECOVERY_STATUS,
];

/// Builds the typed estate. A bad value anywhere is an error naming the
/// instance, table, row and column: a silently skipped history row would
/// show as a false chain break, which is worse than no answer.
pub fn to_estate(snapshot: Snapshot, source: &str, is_demo: bool) -> Result<Estate, SnapshotError> {
    let collected_at = snapshot.collected_at()?;
    let mut instances = Vec::with_capacity(snapshot.instances.len());
    for raw in snapshot.instances {
        let mut instance = build_instance(&raw).map_err(|error| SnapshotError::Row {
            instance: raw.name.clone(),
            error,
        })?;
        // Keep the raw rows for later layers, minus the history now typed.
        let mut tables = raw.tables;
        for typed in [
            catalog::BACKUPSET,
            catalog::BACKUPMEDIAFAMILY,
            catalog::BACKUPMEDIASET,
        ] {
            tables.remove(typed);
        }
        instance.tables = tables;
        instances.push(instance);
    }
    Ok(Estate {
        collected_at,
        source: source.to_string(),
        is_demo,
        instances,
        policies: Default::default(),
    })
}

fn rows<'a>(raw: &'a SnapshotInstance, name: &'a str) -> impl Iterator<Item = Row<'a>> + 'a {
    raw.tables
        .get(name)
        .into_iter()
        .flat_map(|t| t.rows())
        .enumerate()
        .map(move |(index, row)| Row {
            table: name,
            index,
            row,
        })
}

struct MediaSetInfo {
    software_name: Option<String>,
    is_encrypted: bool,
    family_count: Option<u8>,
}

/// Families of a media set by mirror, then by sequence number.
type Mirrors = BTreeMap<u8, BTreeMap<u8, MediaFamily>>;

/// The mirror a restore reads: the first that has every family (any
/// complete mirror will do), else the one with the most families.
fn restore_mirror(mirrors: &Mirrors, count: Option<u8>) -> Vec<MediaFamily> {
    let complete = |m: &BTreeMap<u8, MediaFamily>| match count {
        Some(n) => (1..=n).all(|k| m.contains_key(&k)),
        None => m.keys().copied().eq(1..=m.len() as u8),
    };
    mirrors
        .values()
        .find(|m| complete(m))
        .or_else(|| mirrors.values().max_by_key(|m| m.len()))
        .map(|m| m.values().cloned().collect())
        .unwrap_or_default()
}

fn build_instance(raw: &SnapshotInstance) -> Result<Instance, RowError> {
    let offset = raw.server.utc_offset_minutes.unwrap_or(0);
    let mut row_problems = Vec::new();

    let mut media_sets = HashMap::new();
    for row in rows(raw, catalog::BACKUPMEDIASET) {
        if let Some(id) = row.int("media_set_id")? {
            media_sets.insert(
                id,
                MediaSetInfo {
                    software_name: row.string("software_name")?,
                    is_encrypted: row.flag("is_encrypted")?,
                    family_count: match row.int("media_family_count")? {
                        None => None,
                        Some(n) => Some(u8::try_from(n).map_err(|_| RowError {
                            table: row.table.into(),
                            row: row.index,
                            column: "media_family_count".into(),
                            message: format!("{n} is out of range (0..255)"),
                        })?),
                    },
                },
            );
        }
    }

    let mut families: HashMap<i64, Mirrors> = HashMap::new();
    for row in rows(raw, catalog::BACKUPMEDIAFAMILY) {
        let Some(media_set_id) = row.int("media_set_id")? else {
            continue;
        };
        // Mirrors repeat the same families; a restore reads one complete mirror.
        let mirror = row.int("mirror")?.unwrap_or(0);
        let mirror = u8::try_from(mirror).map_err(|_| RowError {
            table: row.table.into(),
            row: row.index,
            column: "mirror".into(),
            message: format!("{mirror} is out of range (0..3)"),
        })?;
        let seq = row.int("family_sequence_number")?.unwrap_or(1);
        let seq = u8::try_from(seq).map_err(|_| RowError {
            table: row.table.into(),
            row: row.index,
            column: "family_sequence_number".into(),
            message: format!("{seq} is out of range"),
        })?;
        let device_type = row
            .int("device_type")?
            .map(|d| DeviceType::from_code(u8::try_from(d).unwrap_or(u8::MAX)));
        families
            .entry(media_set_id)
            .or_default()
            .entry(mirror)
            .or_default()
            .insert(
                seq,
                MediaFamily {
                    family_sequence_number: seq,
                    device_type,
                    physical_device_name: row.string("physical_device_name")?,
                    logical_device_name: row.string("logical_device_name")?,
                },
            );
    }

    let mut backups = Vec::new();
    let mut seen_ids = HashSet::new();
    for row in rows(raw, catalog::BACKUPSET) {
        let Some(set) = read_backup_set(
            &row,
            offset,
            &raw.name,
            &media_sets,
            &families,
            &mut row_problems,
        )?
        else {
            continue;
        };
        // A joined export repeats a set once per family: count it once.
        if seen_ids.insert(set.backup_set_id) {
            backups.push(set);
        }
    }
    backups.sort_by_key(|b| b.backup_set_id);
    let local = LocalNames::of(raw)?;
    for b in &mut backups {
        b.written_elsewhere = local.written_elsewhere(b);
    }

    let databases = read_databases(raw, &backups)?;

    let mut missing_tables: Vec<MissingTable> = EXPECTED_TABLES
        .iter()
        .filter(|t| !raw.tables.contains_key(**t))
        .map(|t| MissingTable {
            table: t.to_string(),
            reason: raw
                .missing
                .get(*t)
                .and_then(|v| v.as_str())
                .map(String::from),
        })
        .collect();
    for (table, reason) in &raw.missing {
        if !missing_tables.iter().any(|m| &m.table == table) {
            missing_tables.push(MissingTable {
                table: table.clone(),
                reason: reason.as_str().map(String::from),
            });
        }
    }

    Ok(Instance {
        name: raw.name.clone(),
        server: raw.server.clone(),
        databases,
        backups,
        history_collected: raw.tables.contains_key(catalog::BACKUPSET),
        missing_tables,
        row_problems,
        not_visible: not_visible(raw),
        tables: Default::default(),
    })
}

/// The collector's `not_visible` field: `{ table: { database: reason } }`;
/// anything else there is ignored (it only ever adds a reason).
fn not_visible(raw: &SnapshotInstance) -> BTreeMap<String, BTreeMap<String, String>> {
    let Some(serde_json::Value::Object(tables)) = raw.extra.get("not_visible") else {
        return Default::default();
    };
    tables
        .iter()
        .filter_map(|(table, dbs)| {
            let dbs = dbs.as_object()?;
            let reasons = dbs
                .iter()
                .filter_map(|(db, why)| Some((db.clone(), why.as_str()?.to_string())))
                .collect();
            Some((table.clone(), reasons))
        })
        .collect()
}

/// The names this instance writes its own backup rows under, and the rows
/// RESTORE wrote (restorehistory points at them).
struct LocalNames {
    names: Vec<String>,
    /// `None` when restorehistory was not collected.
    restored: Option<HashSet<i64>>,
}

impl LocalNames {
    fn of(raw: &SnapshotInstance) -> Result<LocalNames, RowError> {
        let s = &raw.server;
        let mut names: Vec<String> = [Some(&raw.name), s.server_name.as_ref()]
            .into_iter()
            .flatten()
            .map(|n| n.trim().to_ascii_lowercase())
            .collect();
        if let Some(machine) = &s.machine_name {
            names.push(match &s.instance_name {
                Some(i) => format!("{machine}\\{i}").to_ascii_lowercase(),
                None => machine.to_ascii_lowercase(),
            });
        }
        let restored = match raw.tables.contains_key(catalog::RESTOREHISTORY) {
            false => None,
            true => {
                let mut ids = HashSet::new();
                for row in rows(raw, catalog::RESTOREHISTORY) {
                    if let Some(id) = row.int("backup_set_id")? {
                        ids.insert(id);
                    }
                }
                Some(ids)
            }
        };
        Ok(LocalNames { names, restored })
    }

    /// A row whose `server_name` is not this server's and that a restore
    /// wrote (when restorehistory is known; a renamed host's own rows keep
    /// its old name but no restore points at them).
    fn written_elsewhere(&self, b: &BackupSet) -> bool {
        let Some(server) = b.server_name.as_deref().map(str::trim) else {
            return false;
        };
        if server.is_empty() || self.names.iter().any(|n| n.eq_ignore_ascii_case(server)) {
            return false;
        }
        self.restored
            .as_ref()
            .is_none_or(|ids| ids.contains(&b.backup_set_id))
    }
}

fn read_backup_set(
    row: &Row<'_>,
    instance_offset: i32,
    instance_name: &str,
    media_sets: &HashMap<i64, MediaSetInfo>,
    families: &HashMap<i64, Mirrors>,
    problems: &mut Vec<String>,
) -> Result<Option<BackupSet>, RowError> {
    let Some(backup_set_id) = row.int("backup_set_id")? else {
        problems.push(format!(
            "{} row {}: no backup_set_id; row ignored (history incomplete)",
            row.table, row.index
        ));
        return Ok(None);
    };
    let Some(type_code) = row.string("type")? else {
        problems.push(format!("{} row {}: backup_set_id {backup_set_id} has no type; row ignored (history incomplete)", row.table, row.index));
        return Ok(None);
    };
    let backup_type = BackupType::from_code(&type_code).ok_or_else(|| RowError {
        table: row.table.into(),
        row: row.index,
        column: "type".into(),
        message: format!("{type_code:?} is not a backup type (D, I, L, F, G, P, Q)"),
    })?;
    let Some(database_name) = row.string("database_name")? else {
        problems.push(format!("{} row {}: backup_set_id {backup_set_id} has no database_name; row ignored (history incomplete)", row.table, row.index));
        return Ok(None);
    };
    // time_zone is in 15-minute steps; 127 means unknown.
    let time_zone = match row.int("time_zone")? {
        None | Some(127) => None,
        Some(tz) if (-48..=48).contains(&tz) => Some(tz as i16),
        Some(tz) => {
            return Err(RowError {
                table: row.table.into(),
                row: row.index,
                column: "time_zone".into(),
                message: format!(
                    "{tz} is not a time zone: backupset.time_zone is -48..48 (15-minute steps) or 127 (unknown)"
                ),
            })
        }
    };
    let offset = time_zone
        .map(|tz| i32::from(tz) * 15)
        .unwrap_or(instance_offset);
    let start = row.datetime("backup_start_date")?;
    let finish = row.datetime("backup_finish_date")?;
    let recovery_model = match row.string("recovery_model")? {
        None => None,
        Some(text) => Some(RecoveryModel::parse(&text).ok_or_else(|| RowError {
            table: row.table.into(),
            row: row.index,
            column: "recovery_model".into(),
            message: format!("{text:?} is not a recovery model"),
        })?),
    };
    let media_set_id = row.int("media_set_id")?;
    let media = media_set_id.and_then(|id| media_sets.get(&id));
    let family_count = media.and_then(|m| m.family_count);
    let set_families = media_set_id
        .and_then(|id| families.get(&id))
        .map(|m| restore_mirror(m, family_count))
        .unwrap_or_default();
    Ok(Some(BackupSet {
        backup_set_id,
        backup_set_uuid: row.uuid("backup_set_uuid")?,
        media_set_id,
        position: row.int("position")?,
        backup_type,
        database_name,
        server_name: row.string("server_name")?,
        machine_name: row.string("machine_name")?,
        first_lsn: row.lsn("first_lsn")?,
        last_lsn: row.lsn("last_lsn")?,
        checkpoint_lsn: row.lsn("checkpoint_lsn")?,
        database_backup_lsn: row.lsn("database_backup_lsn")?,
        differential_base_lsn: row.lsn("differential_base_lsn")?,
        differential_base_guid: row.uuid("differential_base_guid")?,
        first_recovery_fork_guid: row.uuid("first_recovery_fork_guid")?,
        last_recovery_fork_guid: row.uuid("last_recovery_fork_guid")?,
        fork_point_lsn: row.lsn("fork_point_lsn")?,
        database_guid: row.uuid("database_guid")?,
        family_guid: row.uuid("family_guid")?,
        is_copy_only: row.flag("is_copy_only")?,
        is_snapshot: row.flag("is_snapshot")?,
        has_bulk_logged_data: row.flag("has_bulk_logged_data")?,
        begins_log_chain: row.flag("begins_log_chain")?,
        is_damaged: row.flag("is_damaged")?,
        has_incomplete_metadata: row.flag("has_incomplete_metadata")?,
        recovery_model,
        time_zone,
        start_local: start.map(|t| t.to_local(offset)),
        finish_local: finish.map(|t| t.to_local(offset)),
        start: start.map(|t| t.to_utc(offset)),
        finish: finish.map(|t| t.to_utc(offset)),
        user_name: row.string("user_name")?,
        name: row.string("name")?,
        description: row.string("description")?,
        backup_size: row.unsigned("backup_size")?,
        compressed_backup_size: row.unsigned("compressed_backup_size")?,
        has_backup_checksums: row.bit("has_backup_checksums")?,
        software_major_version: row
            .unsigned("software_major_version")?
            .map(|v| u32::try_from(v).unwrap_or(u32::MAX)),
        software_name: media.and_then(|m| m.software_name.clone()),
        is_encrypted: media.map(|m| m.is_encrypted).unwrap_or(false),
        families: set_families,
        media_family_count: family_count,
        collected_from: instance_name.to_string(),
        written_elsewhere: false,
    }))
}

fn read_databases(
    raw: &SnapshotInstance,
    backups: &[BackupSet],
) -> Result<Vec<Database>, RowError> {
    let mut databases: Vec<Database> = Vec::new();
    for row in rows(raw, catalog::DATABASES) {
        let Some(name) = row.string("name")? else {
            continue;
        };
        let mut db = Database::new_named(&name);
        db.exists = true;
        db.database_id = row.int("database_id")?;
        db.state_desc = row.string("state_desc")?;
        db.recovery_model = match row.string("recovery_model_desc")? {
            Some(t) => RecoveryModel::parse(&t),
            None => row
                .int("recovery_model")?
                .and_then(|n| RecoveryModel::parse(&n.to_string())),
        };
        db.is_read_only = row.flag("is_read_only")?;
        db.is_in_standby = row.flag("is_in_standby")?;
        db.source_database_id = row.int("source_database_id")?;
        db.log_reuse_wait_desc = row.string("log_reuse_wait_desc")?;
        db.group_database_id = row.uuid("group_database_id")?;
        db.stretch_enabled = row.bit("is_remote_data_archive_enabled")?;
        db.create_date = row
            .datetime("create_date")?
            .map(|t| t.to_utc(raw.server.utc_offset_minutes.unwrap_or(0)));
        databases.push(db);
    }
    let by_id = |dbs: &mut Vec<Database>, id: Option<i64>| -> Option<usize> {
        id.and_then(|id| dbs.iter().position(|d| d.database_id == Some(id)))
    };
    for row in rows(raw, catalog::RECOVERY_STATUS) {
        if let Some(i) = by_id(&mut databases, row.int("database_id")?) {
            let db = &mut databases[i];
            db.database_guid = row.uuid("database_guid")?;
            db.family_guid = row.uuid("family_guid")?;
            db.recovery_fork_guid = row.uuid("recovery_fork_guid")?;
            db.last_log_backup_lsn = row.lsn("last_log_backup_lsn")?;
        }
    }
    for row in rows(raw, catalog::MIRRORING) {
        if let Some(i) = by_id(&mut databases, row.int("database_id")?) {
            let role = match row.string("mirroring_role_desc")?.as_deref() {
                Some("PRINCIPAL") => Some(MirroringRole::Principal),
                Some("MIRROR") => Some(MirroringRole::Mirror),
                _ => match row.int("mirroring_role")? {
                    Some(1) => Some(MirroringRole::Principal),
                    Some(2) => Some(MirroringRole::Mirror),
                    _ => None,
                },
            };
            databases[i].mirroring_role = role;
        }
    }
    for row in rows(raw, catalog::HADR_REPLICA_STATES) {
        if row.bit("is_local")? == Some(false) {
            continue;
        }
        if let Some(i) = by_id(&mut databases, row.int("database_id")?) {
            databases[i].is_primary_replica = row.bit("is_primary_replica")?;
        }
    }
    // Both shapes of the 2016+ function are read: the documented one
    // (`is_smart_backup_enabled`, `storage_url`) and msdb's own
    // (`is_managed_backup_enabled`, `container_url`).
    for (name, schema) in [
        (
            catalog::SA_DB_CONFIG,
            crate::model::ManagedBackupSchema::SmartAdmin,
        ),
        (catalog::MB_DB_CONFIG, ManagedBackupSchema::ManagedBackup),
    ] {
        for row in rows(raw, name) {
            let Some(db_name) = row.string("db_name")? else {
                continue;
            };
            let flag = match row.int("is_managed_backup_enabled")? {
                Some(f) => Some(f),
                None => row.int("is_smart_backup_enabled")?,
            };
            let storage_url = match row.string("storage_url")? {
                Some(u) => Some(u),
                None => row.string("container_url")?,
            };
            let config = ManagedBackupConfig {
                schema,
                enabled: flag.unwrap_or(0) != 0,
                retention_days: row
                    .int("retention_days")?
                    .and_then(|d| u32::try_from(d).ok()),
                storage_url,
                credential_name: row.string("credential_name")?,
                is_dropped: row.flag("is_dropped")?,
            };
            let index = match databases.iter().position(|d| d.name == db_name) {
                Some(i) => i,
                None => {
                    let mut db = Database::new_named(&db_name);
                    db.database_guid = row.uuid("db_guid")?;
                    databases.push(db);
                    databases.len() - 1
                }
            };
            // Both schemas can exist after an upgrade; an enabled row wins.
            let slot = &mut databases[index].managed_backup;
            if slot.as_ref().is_none_or(|c| !c.enabled || config.enabled) {
                *slot = Some(config);
            }
        }
    }
    // Databases known only from history (dropped, detached, renamed).
    // Rows RESTORE copied from another server's backups say where a database
    // came from; they are not a local database of their own.
    let mut history_only: Vec<&str> = backups
        .iter()
        .filter(|b| !b.written_elsewhere)
        .map(|b| b.database_name.as_str())
        .filter(|n| !databases.iter().any(|d| d.name == *n))
        .collect();
    history_only.sort_unstable();
    history_only.dedup();
    for name in history_only {
        databases.push(Database::new_named(name));
    }
    // A database list this login saw only in part (OFFLINE ones hidden) proves no drop.
    let listed = raw.tables.contains_key(catalog::DATABASES)
        && !raw.missing.contains_key(catalog::DATABASES);
    for db in databases.iter_mut().filter(|d| !d.exists) {
        db.dropped = listed || db.managed_backup.as_ref().is_some_and(|m| m.is_dropped);
    }
    databases.sort_by_key(|d| d.name.to_lowercase());
    Ok(databases)
}
