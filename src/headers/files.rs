//! Backup files → a `chainwatch.snapshot.v1`: msdb history rebuilt from the
//! headers alone (backupset, backupmediaset, backupmediafamily rows).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::{read_file, BackupHeader, HeaderError, ReadCost, Refusal};
use crate::model::catalog;
use crate::model::Estate;
use crate::snapshot::{to_estate, Snapshot, SnapshotInstance, FORMAT};

/// The result of reading one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub path: PathBuf,
    pub result: Result<Vec<BackupHeader>, HeaderError>,
    pub cost: ReadCost,
}

/// Every file under the given paths (folders recursively), sorted; a path
/// that does not exist is an error naming it.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, HeaderError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| HeaderError::new(Refusal::Io, format!("{}: {e}", p.display())))?;
        if meta.is_dir() {
            walk(p, &mut out)
                .map_err(|e| HeaderError::new(Refusal::Io, format!("{}: {e}", p.display())))?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for e in entries {
        let ft = std::fs::symlink_metadata(&e)?.file_type();
        if ft.is_dir() {
            walk(&e, out)?;
        } else if ft.is_file() || ft.is_symlink() && e.is_file() {
            // Notes beside the backups are not backups.
            let name = e
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_lowercase();
            if !(name.ends_with(".md") || name.ends_with(".txt") || name.starts_with('.')) {
                out.push(e);
            }
        }
    }
    Ok(())
}

/// Reads every file under the paths.
pub fn read_paths(paths: &[PathBuf]) -> Result<Vec<FileResult>, HeaderError> {
    Ok(collect_files(paths)?
        .into_iter()
        .map(|path| {
            let (result, cost) = match read_file(&path) {
                Ok((h, c)) => (Ok(h), c),
                Err(e) => (Err(e), ReadCost::default()),
            };
            FileResult { path, result, cost }
        })
        .collect())
}

/// One backup set gathered from all its family files.
struct SetRows<'a> {
    header: &'a BackupHeader,
    /// (family sequence number, path), first copy of each family first.
    families: Vec<(u16, &'a str)>,
}

/// backupset, backupmediafamily and backupmediaset rows, and the newest header.
type InstanceRows<'a> = (Vec<Value>, Vec<Value>, Vec<Value>, &'a BackupHeader);

/// The snapshot and what could not be used.
pub struct FilesEstate {
    pub snapshot: Snapshot,
    /// Backup sets whose stripes are not all present: (backup_set_uuid, message).
    pub incomplete: Vec<(Uuid, String)>,
    pub files_read: usize,
    pub files_refused: usize,
}

fn date(d: Option<chrono::NaiveDateTime>) -> Value {
    d.map(|d| Value::String(d.format("%Y-%m-%dT%H:%M:%S").to_string()))
        .unwrap_or(Value::Null)
}

fn opt<T: ToString>(v: Option<T>) -> Value {
    v.map(|v| Value::String(v.to_string()))
        .unwrap_or(Value::Null)
}

/// Builds msdb rows from headers: one instance per server name, one
/// backupset row per backup set GUID (stripes and duplicate copies merged).
pub fn to_snapshot(results: &[FileResult], collected_at: DateTime<Utc>) -> FilesEstate {
    let mut sets: BTreeMap<(String, Uuid), SetRows<'_>> = BTreeMap::new();
    let mut refused = 0;
    for r in results {
        let Ok(headers) = &r.result else {
            refused += 1;
            continue;
        };
        for h in headers {
            let server = h
                .server_name
                .clone()
                .unwrap_or_else(|| "(unknown server)".into());
            let entry = sets.entry((server, h.backup_set_uuid)).or_insert(SetRows {
                header: h,
                families: Vec::new(),
            });
            entry
                .families
                .push((h.family_sequence_number, h.file.as_str()));
        }
    }
    // Oldest first: backup_set_id grows with time as in msdb.
    let mut ordered: Vec<(&(String, Uuid), &SetRows<'_>)> = sets.iter().collect();
    ordered.sort_by_key(|((server, uuid), s)| {
        (
            server.clone(),
            s.header.backup_start_date,
            s.header.first_lsn,
            s.header.position,
            *uuid,
        )
    });
    let mut instances: BTreeMap<String, InstanceRows<'_>> = BTreeMap::new();
    let mut media_ids: HashMap<Uuid, i64> = HashMap::new();
    let mut incomplete = Vec::new();
    for (i, ((server, uuid), s)) in ordered.into_iter().enumerate() {
        let h = s.header;
        let id = i as i64 + 1;
        let next_media = media_ids.len() as i64 + 1;
        let media_set_id = *media_ids.entry(h.media_set_guid).or_insert(next_media);
        let inst = instances
            .entry(server.clone())
            .or_insert_with(|| (Vec::new(), Vec::new(), Vec::new(), h));
        if h.backup_start_date > inst.3.backup_start_date {
            inst.3 = h;
        }
        let mut families = s.families.clone();
        families.sort();
        let mut missing: Vec<u16> = (1..=h.family_count)
            .filter(|n| !families.iter().any(|(f, _)| f == n))
            .collect();
        missing.dedup();
        if !missing.is_empty() {
            incomplete.push((
                *uuid,
                format!(
                    "{} {} backup of {} started {}: family {:?} of {} not among the files; not restorable from them",
                    server,
                    h.backup_type.label(),
                    h.database_name,
                    date(h.backup_start_date).as_str().unwrap_or("?"),
                    missing,
                    h.family_count
                ),
            ));
        }
        inst.0.push(json!({
            "backup_set_id": id,
            "backup_set_uuid": h.backup_set_uuid.to_string(),
            "media_set_id": media_set_id,
            "position": h.position,
            "type": h.backup_type.code(),
            "database_name": h.database_name,
            "server_name": h.server_name,
            "machine_name": h.machine_name,
            "user_name": h.user_name,
            "name": h.name,
            "description": h.description,
            "first_lsn": h.first_lsn.to_string(),
            "last_lsn": h.last_lsn.to_string(),
            "checkpoint_lsn": h.checkpoint_lsn.to_string(),
            "database_backup_lsn": h.database_backup_lsn.to_string(),
            "differential_base_lsn": opt(h.differential_base_lsn),
            "differential_base_guid": opt(h.differential_base_guid),
            "first_recovery_fork_guid": h.first_recovery_fork_guid.to_string(),
            "last_recovery_fork_guid": h.recovery_fork_guid.to_string(),
            "fork_point_lsn": opt(h.fork_point_lsn),
            "database_guid": h.database_guid.to_string(),
            "family_guid": h.family_guid.to_string(),
            "is_copy_only": h.is_copy_only,
            "backup_start_date": date(h.backup_start_date),
            "backup_finish_date": date(h.backup_finish_date),
            "time_zone": h.time_zone,
            "backup_size": h.backup_size,
            "software_major_version": h.software_major_version,
            "software_minor_version": h.software_minor_version,
            "software_build_version": h.software_build_version,
            "database_version": h.database_version,
            "compatibility_level": h.compatibility_level,
            "database_creation_date": date(h.database_creation_date),
            "flags": h.flags,
        }));
        // Every copy of a family: the first is mirror 0, further copies mirrors 1, 2, ...
        let mut mirror_of: HashMap<u16, i64> = HashMap::new();
        for (seq, path) in s.families.iter() {
            let m = mirror_of.entry(*seq).or_insert(0);
            // A blob read through its URL is a URL backup device (9), as msdb records it.
            let url = path.starts_with("https://") || path.starts_with("http://");
            inst.1.push(json!({
                "media_set_id": media_set_id,
                "family_sequence_number": seq,
                "mirror": *m,
                "device_type": if url { 9 } else { 2 },
                "physical_device_name": path,
                "media_family_id": h.media_family_id,
            }));
            *m += 1;
        }
        if !inst
            .2
            .iter()
            .any(|m| m["media_set_id"] == json!(media_set_id))
        {
            inst.2.push(json!({
                "media_set_id": media_set_id,
                "media_uuid": h.media_set_guid.to_string(),
                "media_family_count": h.family_count,
                "software_name": h.software_name,
                "is_compressed": h.is_compressed,
                "is_encrypted": false,
            }));
        }
    }
    let instances = instances
        .into_iter()
        .map(|(name, (sets, fams, media, newest))| {
            let mut tables = BTreeMap::new();
            tables.insert(catalog::BACKUPSET.to_string(), to_table(sets));
            tables.insert(catalog::BACKUPMEDIAFAMILY.to_string(), to_table(fams));
            tables.insert(catalog::BACKUPMEDIASET.to_string(), to_table(media));
            let machine = newest.machine_name.clone();
            let instance_name = name.split_once('\\').map(|(_, i)| i.to_string());
            let mut missing = Map::new();
            for t in [catalog::DATABASES, catalog::RECOVERY_STATUS] {
                missing.insert(
                    t.to_string(),
                    Value::String("history from backup files: no server to ask".into()),
                );
            }
            SnapshotInstance {
                name: name.clone(),
                server: crate::model::ServerInfo {
                    server_name: Some(name),
                    machine_name: machine,
                    instance_name,
                    product_version: Some(newest.software_version()),
                    edition: None,
                    utc_offset_minutes: newest.time_zone.map(|t| i32::from(t) * 15),
                },
                tables,
                missing,
                extra: Map::new(),
            }
        })
        .collect();
    let files_read = results.len() - refused;
    FilesEstate {
        snapshot: Snapshot {
            format: FORMAT.to_string(),
            collected_at: Some(collected_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            source: Some(format!("backup files: {files_read} files")),
            instances,
            extra: Map::new(),
        },
        incomplete,
        files_read,
        files_refused: refused,
    }
}

fn to_table(rows: Vec<Value>) -> crate::model::Table {
    rows.into_iter()
        .filter_map(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .collect()
}

impl FilesEstate {
    /// The typed estate, labelled as history from backup files. Sets with a
    /// missing stripe are marked damaged (not restorable from these files).
    pub fn to_estate(&self) -> anyhow::Result<Estate> {
        let label = format!(
            "history from backup files: {} files{}",
            self.files_read,
            if self.files_refused > 0 {
                format!(", {} refused", self.files_refused)
            } else {
                String::new()
            }
        );
        let mut estate = to_estate(self.snapshot.clone(), &label, false)?;
        for inst in &mut estate.instances {
            for b in &mut inst.backups {
                if let Some((_, msg)) = self
                    .incomplete
                    .iter()
                    .find(|(u, _)| Some(*u) == b.backup_set_uuid)
                {
                    b.is_damaged = true;
                    inst.row_problems.push(msg.clone());
                }
            }
        }
        Ok(estate)
    }
}
