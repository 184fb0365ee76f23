//! History vs storage: what msdb and Managed Backup claim, against what a
//! container really holds. Pure: (history files, listing, now) → findings.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::names::{parse_blob_name, BlobKind, ParsedName};
use super::BlobEntry;
use crate::analysis::chain::fmt_time;
use crate::analysis::findings::EvidenceRow;
use crate::analysis::{analyze_database, plan, Finding, Severity, Target};
use crate::model::catalog;
use crate::model::catalog::parse_datetime;
use crate::model::{container_of_url, BackupType, Cell, DeviceType, Estate, Instance};

/// A blob is "past retention" only this long after its expected deletion:
/// Managed Backup's retention loop runs periodically, not at the instant.
pub const RETENTION_GRACE_HOURS: i64 = 24;

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

/// A blob of the listing with what history says about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageFile {
    pub entry: BlobEntry,
    pub parsed: ParsedName,
    /// Index into the history files, when history knows the blob.
    pub history: Option<usize>,
    pub instance: Option<String>,
    pub database: Option<String>,
    /// When Managed Backup should delete it (expected).
    pub expires: Option<DateTime<Utc>>,
    /// The time the file stands for: history finish, name timestamp or last-modified.
    pub time: Option<DateTime<Utc>>,
}

/// The result of checking one container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerCheck {
    /// `account/container` as history names it.
    pub container: String,
    pub files: Vec<StorageFile>,
    pub findings: Vec<Finding>,
}

/// Checks one container's listing against history. `container` is the
/// `account/container` key history uses for it (see [`crate::blob::ContainerUrl::key`]).
pub fn cross_check(
    container: &str,
    history: &StorageHistory,
    listing: &[BlobEntry],
    now: DateTime<Utc>,
) -> ContainerCheck {
    let container = container.to_ascii_lowercase();
    let here = |c: &Option<String>| {
        c.as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&container))
    };
    let present: HashMap<&str, usize> = listing
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.as_str(), i))
        .collect();
    let hist_by_blob: HashMap<&str, usize> = history
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| here(&f.container))
        .filter_map(|(i, f)| f.blob.as_deref().map(|b| (b, i)))
        .collect();
    let managed_here: Vec<&ManagedDb> = history
        .managed
        .iter()
        .filter(|m| here(&m.container))
        .collect();
    let owner = managed_here
        .first()
        .map(|m| m.instance.clone())
        .or_else(|| {
            history
                .files
                .iter()
                .find(|f| here(&f.container))
                .map(|f| f.instance.clone())
        })
        .unwrap_or_else(|| format!("storage {container}"));

    let mut files: Vec<StorageFile> = listing
        .iter()
        .map(|e| {
            let parsed = parse_blob_name(&e.name);
            let hist = hist_by_blob.get(e.name.as_str()).copied();
            let h = hist.map(|i| &history.files[i]);
            let db = h
                .map(|h| (h.instance.clone(), h.database.clone()))
                .or_else(|| {
                    let m = parsed.managed()?;
                    managed_here
                        .iter()
                        .find(|d| {
                            d.database_guid == Some(m.database_guid)
                                || (d.database_guid.is_none() && m.matches_database(&d.database))
                        })
                        .map(|d| (d.instance.clone(), d.database.clone()))
                });
            let time = h
                .and_then(|h| h.finish)
                .or_else(|| parsed.managed().and_then(|m| m.time))
                .or(e.last_modified);
            StorageFile {
                entry: e.clone(),
                parsed,
                history: hist,
                instance: db.as_ref().map(|d| d.0.clone()),
                database: db.map(|d| d.1),
                expires: h.and_then(|h| h.expires),
                time,
            }
        })
        .collect();
    compute_expiry(&mut files, &managed_here);

    let mut findings = Vec::new();
    let finding = |id: &'static str,
                   severity: Severity,
                   instance: &str,
                   database: Option<&str>,
                   title: String,
                   explanation: String,
                   evidence: Vec<i64>,
                   remedy: &str,
                   rows: Vec<EvidenceRow>| Finding {
        id,
        severity,
        instance: instance.to_string(),
        database: database.map(str::to_string),
        title,
        explanation,
        evidence,
        remedy: remedy.to_string(),
        rows,
        sql: None,
        expectation: None,
    };
    let blob_row = |name: &str, text: String| EvidenceRow {
        table: "blob".into(),
        row: None,
        text: format!("{name}: {text}"),
    };

    // 1. Missing files and striped sets with a blob missing.
    let mut sets: BTreeMap<&str, Vec<&HistoryFile>> = BTreeMap::new();
    for f in history.files.iter().filter(|f| here(&f.container)) {
        sets.entry(f.set_key.as_str()).or_default().push(f);
    }
    // Per backup set, then grouped per (kind, database) into one finding each.
    type Group<'h> = (Vec<i64>, Vec<EvidenceRow>, Vec<&'h HistoryFile>);
    let mut groups: BTreeMap<(&'static str, String, String), Group<'_>> = BTreeMap::new();
    for stripes in sets.values() {
        let missing: Vec<&&HistoryFile> = stripes
            .iter()
            .filter(|f| f.blob.as_deref().is_none_or(|b| !present.contains_key(b)))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let f = stripes[0];
        let needed = stripes.iter().any(|f| f.needed);
        let claimed = stripes
            .iter()
            .any(|f| f.in_available && f.expires.is_none_or(|e| e > now));
        let total = stripes.len().max(usize::from(f.families));
        let evidence: Vec<i64> = f.backup_set_id.into_iter().collect();
        let rows: Vec<EvidenceRow> = missing
            .iter()
            .map(|m| {
                blob_row(
                    m.blob.as_deref().unwrap_or(&m.url),
                    "not in the container".into(),
                )
            })
            .collect();
        let id = if total > 1 && missing.len() < total {
            "storage.stripe_missing"
        } else if needed {
            "storage.missing_needed"
        } else if claimed {
            "storage.missing_claimed"
        } else {
            continue; // purged by retention: history outlives the files
        };
        let g = groups
            .entry((id, f.instance.clone(), f.database.clone()))
            .or_default();
        g.0.extend(evidence);
        g.1.extend(rows);
        g.2.push(f);
    }
    for ((id, instance, database), (mut evidence, rows, sets)) in groups {
        let n = sets.len();
        let needed = sets.iter().any(|f| f.needed);
        let claimed = sets.iter().any(|f| f.in_available);
        let first = sets.iter().filter_map(|f| f.finish).min();
        let (severity, title, explanation, remedy) = match id {
            "storage.stripe_missing" => (
                if needed || claimed { Severity::Critical } else { Severity::Warning },
                format!("{n} striped backup(s) with a blob missing (first finished {})", fmt_time(first)),
                "a striped backup restores only with every stripe; the remaining blobs are useless without the missing one".to_string(),
                "take a full backup now; find out who deleted the blob (soft delete or versioning may still hold it)",
            ),
            "storage.missing_needed" => (
                Severity::Critical,
                format!("{n} backup(s) needed to restore are not in storage (first finished {})", fmt_time(first)),
                "msdb shows an unbroken chain, but the restore to the latest point needs these files and the container does not have them: RESTORE would fail".to_string(),
                "take a full backup now to start a restorable chain; check the container's soft delete, lifecycle rules and who deletes blobs",
            ),
            _ => (
                Severity::Warning,
                format!("{n} backup(s) listed by Managed Backup but not in storage"),
                format!(
                    "fn_available_backups still lists them (the first expires {}), so Managed Backup counts on them for point-in-time restores inside retention",
                    fmt_time(sets.iter().filter_map(|f| f.expires).min())
                ),
                "check who deletes blobs (lifecycle management rules, other tools); take a full backup if the window matters",
            ),
        };
        evidence.sort_unstable();
        evidence.dedup();
        findings.push(finding(
            id,
            severity,
            &instance,
            Some(&database),
            title,
            explanation,
            evidence,
            remedy,
            rows,
        ));
    }

    // 2. Files no history knows, grouped by database GUID (or shape).
    let mut strangers: BTreeMap<String, Vec<&StorageFile>> = BTreeMap::new();
    for f in files.iter().filter(|f| f.history.is_none()) {
        let key = match f.parsed.managed() {
            Some(m) => format!("{} {}", m.db_prefix, m.database_guid.simple()),
            None => String::new(),
        };
        strangers.entry(key).or_default().push(f);
    }
    for (key, group) in &strangers {
        let managed_shape = !key.is_empty();
        let db = group.iter().find_map(|f| f.database.clone());
        let rows = group
            .iter()
            .map(|f| {
                blob_row(
                    &f.entry.name,
                    format!(
                        "{} bytes, modified {}",
                        f.entry.size,
                        fmt_time(f.entry.last_modified)
                    ),
                )
            })
            .collect();
        let (title, explanation) = if managed_shape {
            (
                format!("{} Managed Backup-style blob(s) for {key} unknown to history", group.len()),
                "no msdb row and no fn_available_backups row names these blobs: another instance, a restored copy of the database, or a history cleanup wrote or forgot them; Managed Backup's retention will not manage them".into(),
            )
        } else {
            (
                format!("{} blob(s) not written by Managed Backup or unknown to history", group.len()),
                "these names do not follow Managed Backup's pattern and no collected history names them (another tool, a copy-only backup, a manual upload)".into(),
            )
        };
        findings.push(finding(
            "storage.unknown_file",
            if managed_shape {
                Severity::Warning
            } else {
                Severity::Info
            },
            group
                .iter()
                .find_map(|f| f.instance.as_deref())
                .unwrap_or(&owner),
            db.as_deref(),
            title,
            explanation,
            Vec::new(),
            "find the writer (blob metadata, last-modified times); keep one producer per container",
            rows,
        ));
    }

    // 3. Files past retention still present, per database.
    let mut expired: BTreeMap<(String, String), Vec<&StorageFile>> = BTreeMap::new();
    for f in &files {
        if let (Some(exp), Some(inst), Some(db)) = (f.expires, &f.instance, &f.database) {
            if exp + Duration::hours(RETENTION_GRACE_HOURS) <= now {
                expired
                    .entry((inst.clone(), db.clone()))
                    .or_default()
                    .push(f);
            }
        }
    }
    for ((inst, db), group) in &expired {
        let oldest = group.iter().filter_map(|f| f.expires).min();
        findings.push(finding(
            "storage.past_retention",
            Severity::Warning,
            inst,
            Some(db),
            format!("{} blob(s) past retention still in storage", group.len()),
            format!(
                "Managed Backup should have deleted them (the first on {}, grace {RETENTION_GRACE_HOURS}h): retention is not enforced while the master switch is paused or the agent is stuck; storage keeps costing",
                fmt_time(oldest)
            ),
            group.iter().filter_map(|f| f.history.and_then(|i| history.files[i].backup_set_id)).collect(),
            "check msdb.managed_backup.fn_is_master_switch_on() and fn_get_health_status(); resume with sp_backup_master_switch @new_state = 1",
            group
                .iter()
                .map(|f| blob_row(&f.entry.name, format!("expired {}", fmt_time(f.expires))))
                .collect(),
        ));
    }

    // 4. History of Managed Backup databases pointing at another container.
    for m in &managed_here {
        let mut elsewhere: BTreeMap<String, Vec<&HistoryFile>> = BTreeMap::new();
        for f in history.files.iter().filter(|f| {
            f.instance == m.instance && f.database == m.database && f.in_msdb && !here(&f.container)
        }) {
            let other = f.container.clone().unwrap_or_else(|| f.url.clone());
            elsewhere.entry(other).or_default().push(f);
        }
        for (other, group) in elsewhere {
            let chain_logs = group
                .iter()
                .filter(|f| f.backup_type == BackupType::Log && !f.is_copy_only)
                .count();
            let mut ids: Vec<i64> = group.iter().filter_map(|f| f.backup_set_id).collect();
            ids.dedup();
            findings.push(finding(
                "storage.other_container",
                if chain_logs > 0 { Severity::Critical } else { Severity::Warning },
                &m.instance,
                Some(&m.database),
                format!("{} backup(s) written to {other}, not to the Managed Backup container", ids.len()),
                if chain_logs > 0 {
                    format!("{chain_logs} log backup(s) in another container are part of the log chain: Managed Backup's container alone no longer restores, and its chain check will force a new full")
                } else {
                    "full or copy-only backups elsewhere do not break the log chain, but restores must fetch them from another account or container".into()
                },
                ids,
                "use sp_backup_on_demand (or COPY_ONLY) for extra backups; point every producer at one container",
                group.iter().map(|f| EvidenceRow {
                    table: catalog::BACKUPMEDIAFAMILY.into(),
                    row: None,
                    text: f.url.clone(),
                }).collect(),
            ));
        }
    }
    findings.sort_by(|a, b| {
        (b.severity, &a.instance, &a.database, a.id).cmp(&(
            a.severity,
            &b.instance,
            &b.database,
            b.id,
        ))
    });
    ContainerCheck {
        container,
        files,
        findings,
    }
}

/// Expected deletion: a file lives until `retention_days` after the next
/// full of its database (or after itself when none follows), so the full that
/// covers the window start and its logs survive (domain §3.2).
fn compute_expiry(files: &mut [StorageFile], managed: &[&ManagedDb]) {
    let days: HashMap<(String, String), u32> = managed
        .iter()
        .filter_map(|m| Some(((m.instance.clone(), m.database.clone()), m.retention_days?)))
        .collect();
    let mut fulls: HashMap<(String, String), Vec<DateTime<Utc>>> = HashMap::new();
    for f in files.iter() {
        let is_full = matches!(f.parsed.managed().map(|m| m.kind), Some(BlobKind::Full));
        if let (true, Some(i), Some(d), Some(t)) = (is_full, &f.instance, &f.database, f.time) {
            fulls.entry((i.clone(), d.clone())).or_default().push(t);
        }
    }
    for f in files.iter_mut().filter(|f| f.expires.is_none()) {
        let (Some(i), Some(d), Some(t)) = (&f.instance, &f.database, f.time) else {
            continue;
        };
        let key = (i.clone(), d.clone());
        let Some(&r) = days.get(&key) else { continue };
        let until = fulls
            .get(&key)
            .and_then(|v| v.iter().filter(|&&x| x > t).min().copied())
            .unwrap_or(t);
        f.expires = Some(until + Duration::days(i64::from(r)));
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
    use crate::model::ServerInfo;

    const G: &str = "6f9619ff8b86d011b42d00c04fc964ff";

    /// One instance at `offset` minutes east of UTC whose fn_available_backups
    /// lists one full expiring at `local` (server time).
    fn estate(offset: i32, local: &str) -> Estate {
        let row = serde_json::json!({
            "database_name": "D",
            "Backup_path": format!("https://acct.blob.core.windows.net/c/D_{G}_20261110000000000.bak"),
            "backup_type": "DB",
            "database_guid": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
            "backup_start_date": "2026-11-10 00:00:00",
            "backup_finish_date": "2026-11-10 00:10:00",
            "expiration_date": local,
        });
        let mut tables = crate::model::Tables::new();
        tables.insert(
            catalog::MB_AVAILABLE.into(),
            crate::model::Table::from_maps([row.as_object().unwrap().clone()]),
        );
        Estate {
            collected_at: None,
            source: "test".into(),
            is_demo: false,
            policies: Default::default(),
            instances: vec![Instance {
                name: "I".into(),
                server: ServerInfo {
                    utc_offset_minutes: Some(offset),
                    ..Default::default()
                },
                databases: vec![],
                backups: vec![],
                history_collected: true,
                missing_tables: vec![],
                row_problems: vec![],
                tables,
            }],
        }
    }

    #[test]
    fn past_retention_across_time_zones_and_the_grace_boundary() {
        let listing = vec![BlobEntry {
            name: format!("D_{G}_20261110000000000.bak"),
            size: 10,
            last_modified: None,
            metadata: Default::default(),
        }];
        let expiry: DateTime<Utc> = "2026-11-24T00:00:00Z".parse().unwrap();
        for (offset, local) in [
            (600, "2026-11-24 10:00:00"),
            (-480, "2026-11-23 16:00:00"),
            (0, "2026-11-24T00:00:00"),
        ] {
            let now = expiry + Duration::hours(RETENTION_GRACE_HOURS);
            let h = history_files(&estate(offset, local), now);
            assert_eq!(h.files[0].expires, Some(expiry), "offset {offset}");
            assert_eq!(
                h.files[0].finish,
                Some(
                    "2026-11-10T00:10:00Z".parse::<DateTime<Utc>>().unwrap()
                        - Duration::minutes(offset.into())
                )
            );
            let due = cross_check("acct/c", &h, &listing, now);
            assert_eq!(
                due.findings.iter().map(|f| f.id).collect::<Vec<_>>(),
                vec!["storage.past_retention"],
                "offset {offset}"
            );
            let early = cross_check("acct/c", &h, &listing, now - Duration::seconds(1));
            assert!(
                early.findings.is_empty(),
                "offset {offset}: {:?}",
                early.findings
            );
            // Gone from storage but still listed: claimed until it expires.
            let gone = cross_check("acct/c", &h, &[], expiry - Duration::seconds(1));
            assert_eq!(
                gone.findings.iter().map(|f| f.id).collect::<Vec<_>>(),
                vec!["storage.missing_claimed"]
            );
            assert!(cross_check("acct/c", &h, &[], expiry).findings.is_empty());
        }
    }

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
