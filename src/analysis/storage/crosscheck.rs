//! History vs storage: what msdb and Managed Backup claim, against what a
//! container really holds. Pure: (history files, listing, now) → findings,
//! one function per finding kind, called in turn by [`cross_check`].

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::history::{HistoryFile, ManagedDb, StorageHistory};
use super::names::{parse_blob_name, BlobKind, ParsedName};
use crate::analysis::findings::EvidenceRow;
use crate::analysis::{Finding, Severity};
use crate::model::time::fmt_time;
use crate::model::{catalog, BackupType, BlobEntry};

/// A blob is "past retention" only this long after its expected deletion:
/// Managed Backup's retention loop runs periodically, not at the instant.
pub const RETENTION_GRACE_HOURS: i64 = 24;

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

/// What every finding of one container's check reads.
struct Ctx<'a> {
    /// `account/container`, lower case.
    container: String,
    history: &'a StorageHistory,
    files: Vec<StorageFile>,
    present: HashMap<&'a str, usize>,
    managed_here: Vec<&'a ManagedDb>,
    /// Who a finding without a known instance is about.
    owner: String,
    now: DateTime<Utc>,
}

impl Ctx<'_> {
    fn here(&self, c: &Option<String>) -> bool {
        c.as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&self.container))
    }
}

/// Checks one container's listing against history. `container` is the
/// `account/container` key history uses for it (see [`crate::blob::ContainerUrl::key`]).
pub fn cross_check(
    container: &str,
    history: &StorageHistory,
    listing: &[BlobEntry],
    now: DateTime<Utc>,
) -> ContainerCheck {
    let ctx = context(container, history, listing, now);
    let mut findings = missing_files(&ctx);
    findings.extend(unknown_files(&ctx));
    findings.extend(past_retention(&ctx));
    findings.extend(other_container(&ctx));
    findings.sort_by(|a, b| {
        (b.severity, &a.instance, &a.database, a.id).cmp(&(
            a.severity,
            &b.instance,
            &b.database,
            b.id,
        ))
    });
    ContainerCheck {
        container: ctx.container,
        files: ctx.files,
        findings,
    }
}

/// The listing joined with history: each blob's database and expected deletion.
fn context<'a>(
    container: &str,
    history: &'a StorageHistory,
    listing: &'a [BlobEntry],
    now: DateTime<Utc>,
) -> Ctx<'a> {
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
    Ctx {
        container,
        history,
        files,
        present,
        managed_here,
        owner,
        now,
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    id: &'static str,
    severity: Severity,
    instance: &str,
    database: Option<&str>,
    title: String,
    explanation: String,
    evidence: Vec<i64>,
    remedy: &str,
    rows: Vec<EvidenceRow>,
) -> Finding {
    Finding {
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
    }
}

/// The evidence table name of a row about one blob.
const BLOB_ROW: &str = "blob";

fn blob_row(name: &str, text: String) -> EvidenceRow {
    EvidenceRow {
        table: BLOB_ROW.into(),
        row: None,
        text: format!("{name}: {text}"),
    }
}

/// Whether one of the finding's evidence rows is about the blob `name`.
pub fn names_blob(finding: &Finding, name: &str) -> bool {
    finding.rows.iter().any(|r| {
        r.table == BLOB_ROW
            && r.text
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(": "))
    })
}

/// Backup sets of one kind and database with a blob missing, grouped.
#[derive(Default)]
struct Missing<'h> {
    evidence: Vec<i64>,
    rows: Vec<EvidenceRow>,
    sets: Vec<&'h HistoryFile>,
}

/// History files not in the container, per finding kind and database:
/// `storage.stripe_missing`, `storage.missing_needed`, `storage.missing_claimed`.
fn missing_files(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut sets: BTreeMap<&str, Vec<&HistoryFile>> = BTreeMap::new();
    for f in ctx.history.files.iter().filter(|f| ctx.here(&f.container)) {
        sets.entry(f.set_key.as_str()).or_default().push(f);
    }
    let mut groups: BTreeMap<(&'static str, String, String), Missing<'_>> = BTreeMap::new();
    for stripes in sets.values() {
        let missing: Vec<&&HistoryFile> = stripes
            .iter()
            .filter(|f| {
                f.blob
                    .as_deref()
                    .is_none_or(|b| !ctx.present.contains_key(b))
            })
            .collect();
        if missing.is_empty() {
            continue;
        }
        let f = stripes[0];
        let needed = stripes.iter().any(|f| f.needed);
        let claimed = stripes
            .iter()
            .any(|f| f.in_available && f.expires.is_none_or(|e| e > ctx.now));
        let total = stripes.len().max(usize::from(f.families));
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
        g.evidence.extend(f.backup_set_id);
        g.rows.extend(missing.iter().map(|m| {
            blob_row(
                m.blob.as_deref().unwrap_or(&m.url),
                "not in the container".into(),
            )
        }));
        g.sets.push(f);
    }
    groups
        .into_iter()
        .map(|((id, instance, database), mut g)| {
            g.evidence.sort_unstable();
            g.evidence.dedup();
            let says = match id {
                "storage.stripe_missing" => stripe_missing(&g),
                "storage.missing_needed" => missing_needed(&g),
                _ => missing_claimed(&g),
            };
            finding(
                id,
                says.severity,
                &instance,
                Some(&database),
                says.title,
                says.explanation,
                g.evidence,
                says.remedy,
                g.rows,
            )
        })
        .collect()
}

/// What one kind of missing-file finding says about its group.
struct Says {
    severity: Severity,
    title: String,
    explanation: String,
    remedy: &'static str,
}

/// `storage.stripe_missing`: a striped backup with some of its stripes gone.
fn stripe_missing(g: &Missing<'_>) -> Says {
    let needed = g.sets.iter().any(|f| f.needed);
    let claimed = g.sets.iter().any(|f| f.in_available);
    let first = g.sets.iter().filter_map(|f| f.finish).min();
    Says {
        severity: if needed || claimed { Severity::Critical } else { Severity::Warning },
        title: format!("{} striped backup(s) with a blob missing (first finished {})", g.sets.len(), fmt_time(first)),
        explanation: "a striped backup restores only with every stripe; the remaining blobs are useless without the missing one".to_string(),
        remedy: "take a full backup now; find out who deleted the blob (soft delete or versioning may still hold it)",
    }
}

/// `storage.missing_needed`: files the restore to the latest point needs, gone from storage.
fn missing_needed(g: &Missing<'_>) -> Says {
    let first = g.sets.iter().filter_map(|f| f.finish).min();
    Says {
        severity: Severity::Critical,
        title: format!("{} backup(s) needed to restore are not in storage (first finished {})", g.sets.len(), fmt_time(first)),
        explanation: "msdb shows an unbroken chain, but the restore to the latest point needs these files and the container does not have them: RESTORE would fail".to_string(),
        remedy: "take a full backup now to start a restorable chain; check the container's soft delete, lifecycle rules and who deletes blobs",
    }
}

/// `storage.missing_claimed`: files `fn_available_backups` still counts on, gone from storage.
fn missing_claimed(g: &Missing<'_>) -> Says {
    Says {
        severity: Severity::Warning,
        title: format!("{} backup(s) listed by Managed Backup but not in storage", g.sets.len()),
        explanation: format!(
            "fn_available_backups still lists them (the first expires {}), so Managed Backup counts on them for point-in-time restores inside retention",
            fmt_time(g.sets.iter().filter_map(|f| f.expires).min())
        ),
        remedy: "check who deletes blobs (lifecycle management rules, other tools); take a full backup if the window matters",
    }
}

/// `storage.unknown_file`: blobs no history knows, grouped by database GUID (or shape).
fn unknown_files(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut strangers: BTreeMap<String, Vec<&StorageFile>> = BTreeMap::new();
    for f in ctx.files.iter().filter(|f| f.history.is_none()) {
        let key = match f.parsed.managed() {
            Some(m) => format!("{} {}", m.db_prefix, m.database_guid.simple()),
            None => String::new(),
        };
        strangers.entry(key).or_default().push(f);
    }
    let mut findings = Vec::new();
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
                .unwrap_or(&ctx.owner),
            db.as_deref(),
            title,
            explanation,
            Vec::new(),
            "find the writer (blob metadata, last-modified times); keep one producer per container",
            rows,
        ));
    }
    findings
}

/// `storage.past_retention`: blobs Managed Backup should have deleted, per database.
fn past_retention(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut expired: BTreeMap<(String, String), Vec<&StorageFile>> = BTreeMap::new();
    for f in &ctx.files {
        if let (Some(exp), Some(inst), Some(db)) = (f.expires, &f.instance, &f.database) {
            if exp + Duration::hours(RETENTION_GRACE_HOURS) <= ctx.now {
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
            group.iter().filter_map(|f| f.history.and_then(|i| ctx.history.files[i].backup_set_id)).collect(),
            "check msdb.managed_backup.fn_is_master_switch_on() and fn_get_health_status(); resume with sp_backup_master_switch @new_state = 1",
            group
                .iter()
                .map(|f| blob_row(&f.entry.name, format!("expired {}", fmt_time(f.expires))))
                .collect(),
        ));
    }
    findings
}

/// `storage.other_container`: history of a Managed Backup database in another container.
fn other_container(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for m in &ctx.managed_here {
        let mut elsewhere: BTreeMap<String, Vec<&HistoryFile>> = BTreeMap::new();
        for f in ctx.history.files.iter().filter(|f| {
            f.instance == m.instance
                && f.database == m.database
                && f.in_msdb
                && !ctx.here(&f.container)
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
    findings
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

#[cfg(test)]
mod tests {
    use super::super::history::history_files;
    use super::*;
    use crate::model::{Estate, Instance, ServerInfo};

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
                not_visible: Default::default(),
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
}
