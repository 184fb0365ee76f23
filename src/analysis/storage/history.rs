//! What history says about blobs: URL backups in msdb and the rows of
//! `fn_available_backups`, with the files the latest restore needs marked.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::analysis::{analyze_database, plan, Target};
use crate::model::catalog::{self, parse_datetime};
use crate::model::{container_of_url, BackupType, Cell, DeviceType, Estate, Instance};

/// One file (blob) that history knows, from msdb or `fn_available_backups`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryFile {
    pub instance: String,
    pub database: String,
    pub database_guid: Option<Uuid>,
    /// The URL as history wrote it, without any query string.
    pub url: String,
    /// `account/container` of the URL (see [`container_of_url`]).
    pub container: Option<String>,
    /// Blob name inside the container.
    pub blob: Option<String>,
    pub backup_set_id: Option<i64>,
    pub backup_type: BackupType,
    pub is_copy_only: bool,
    pub finish: Option<DateTime<Utc>>,
    /// Stripe position (1-based) and count.
    pub family: u8,
    pub families: u8,
    /// Groups the stripes of one backup.
    pub set_key: String,
    pub in_msdb: bool,
    pub in_available: bool,
    /// Part of the restore plan to the latest point (restore fails without it).
    pub needed: bool,
    /// `fn_available_backups.expiration_date`.
    pub expires: Option<DateTime<Utc>>,
}

/// A database whose Managed Backup writes to a container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagedDb {
    pub instance: String,
    pub database: String,
    pub database_guid: Option<Uuid>,
    pub retention_days: Option<u32>,
    /// `account/container` of the configured storage URL.
    pub container: Option<String>,
}

/// Everything history says about blobs, for every instance of an estate.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StorageHistory {
    pub files: Vec<HistoryFile>,
    pub managed: Vec<ManagedDb>,
}

/// Collects URL backups (device_type 9) from msdb and `fn_available_backups`
/// rows, and marks the files the latest restore plan needs.
pub fn history_files(estate: &Estate, now: DateTime<Utc>) -> StorageHistory {
    let mut out = StorageHistory::default();
    for inst in &estate.instances {
        let mut needed: BTreeSet<i64> = BTreeSet::new();
        for db in &inst.databases {
            let a = analyze_database(estate, inst, db, now);
            let p = plan(&a, Target::Latest);
            if p.recoverable {
                needed.extend(p.steps.iter().map(|s| s.backup_set_id));
            }
            if let Some(mb) = &db.managed_backup {
                out.managed.push(ManagedDb {
                    instance: inst.name.clone(),
                    database: db.name.clone(),
                    database_guid: db.database_guid,
                    retention_days: mb.retention_days,
                    container: mb.storage_url.as_deref().and_then(container_of_url),
                });
            }
        }
        let mut by_url: HashMap<String, usize> = HashMap::new();
        for b in &inst.backups {
            let families = b.families.len().min(u8::MAX as usize) as u8;
            for f in &b.families {
                let Some(name) = f.physical_device_name.as_deref() else {
                    continue;
                };
                let is_url = f.device_type == Some(DeviceType::Url)
                    || name.starts_with("https://")
                    || name.starts_with("http://");
                if !is_url {
                    continue;
                }
                let url = strip_query(name);
                by_url.insert(url.to_ascii_lowercase(), out.files.len());
                out.files.push(HistoryFile {
                    instance: inst.name.clone(),
                    database: b.database_name.clone(),
                    database_guid: b.database_guid,
                    container: container_of_url(&url),
                    blob: blob_of_url(&url),
                    url,
                    backup_set_id: Some(b.backup_set_id),
                    backup_type: b.backup_type,
                    is_copy_only: b.is_copy_only,
                    finish: b.finish,
                    family: f.family_sequence_number.max(1),
                    families: families.max(1),
                    set_key: format!("{}#{}", inst.name, b.backup_set_id),
                    in_msdb: true,
                    in_available: false,
                    needed: needed.contains(&b.backup_set_id),
                    expires: None,
                });
            }
        }
        available_rows(inst, &mut by_url, &mut out.files);
    }
    out
}

fn available_rows(
    inst: &Instance,
    by_url: &mut HashMap<String, usize>,
    files: &mut Vec<HistoryFile>,
) {
    let offset = inst.server.utc_offset_minutes.unwrap_or(0);
    let time = |v: Option<&Cell>| {
        v.and_then(Cell::as_text)
            .and_then(|s| parse_datetime(&s))
            .map(|t| t.to_utc(offset))
    };
    for t in [catalog::MB_AVAILABLE, catalog::SA_AVAILABLE] {
        let Some(rows) = inst.tables.get(t) else {
            continue;
        };
        // Stripes of one backup share guid + start + type.
        let mut stripes: HashMap<String, u8> = HashMap::new();
        let keyed: Vec<_> = rows
            .rows()
            .filter_map(|row| {
                let path = row.get("Backup_path").and_then(Cell::as_text)?;
                if path.trim().is_empty() {
                    return None; // a chain-gap marker row
                }
                let key = format!(
                    "{}#{}#{}#{}",
                    inst.name,
                    row.get("database_guid")
                        .and_then(Cell::as_text)
                        .unwrap_or_default(),
                    row.get("backup_start_date")
                        .map(|v| v.to_value().to_string())
                        .unwrap_or_default(),
                    row.get("backup_type")
                        .and_then(Cell::as_text)
                        .unwrap_or_default(),
                );
                *stripes.entry(key.clone()).or_default() += 1;
                Some((row, path, key))
            })
            .collect();
        let mut seen: HashMap<String, u8> = HashMap::new();
        for (row, path, key) in keyed {
            let url = strip_query(&path);
            let expires = time(row.get("expiration_date"));
            if let Some(&i) = by_url.get(&url.to_ascii_lowercase()) {
                files[i].in_available = true;
                files[i].expires = expires;
                continue;
            }
            let n = seen.entry(key.clone()).or_default();
            *n += 1;
            let is_log = row
                .get("backup_type")
                .and_then(Cell::as_text)
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("LOG"));
            by_url.insert(url.to_ascii_lowercase(), files.len());
            files.push(HistoryFile {
                instance: inst.name.clone(),
                database: row
                    .get("database_name")
                    .and_then(Cell::as_text)
                    .unwrap_or_default()
                    .into_owned(),
                database_guid: row
                    .get("database_guid")
                    .and_then(Cell::as_text)
                    .and_then(|s| Uuid::try_parse(s.trim_matches(['{', '}'])).ok()),
                container: container_of_url(&url),
                blob: blob_of_url(&url),
                url,
                backup_set_id: None,
                backup_type: if is_log {
                    BackupType::Log
                } else {
                    BackupType::Full
                },
                is_copy_only: false,
                finish: time(row.get("backup_finish_date")),
                family: *n,
                families: stripes[&key],
                set_key: key,
                in_msdb: false,
                in_available: true,
                needed: false,
                expires,
            });
        }
    }
}

fn strip_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_string()
}

/// The blob name of a URL: everything after the container (after the account for emulators).
pub fn blob_of_url(url: &str) -> Option<String> {
    let rest = strip_query(url);
    let rest = rest.split_once("://")?.1;
    let (host, path) = rest.split_once('/')?;
    let skip = if host.starts_with("127.") || host.starts_with("localhost") {
        2
    } else {
        1
    };
    let name = path.splitn(skip + 1, '/').nth(skip)?;
    (!name.is_empty()).then(|| percent_decode(name))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_names_of_urls() {
        assert_eq!(
            blob_of_url("https://a.blob.core.windows.net/c/dir/x%20y.bak?sig=1").as_deref(),
            Some("dir/x y.bak")
        );
        assert_eq!(
            blob_of_url("http://127.0.0.1:10000/devstoreaccount1/c/x.log").as_deref(),
            Some("x.log")
        );
        assert_eq!(blob_of_url("https://a.blob.core.windows.net/c/"), None);
        assert_eq!(
            blob_of_url("https://a.blob.core.windows.net/c/%zz%4").as_deref(),
            Some("%zz%4")
        );
    }
}
