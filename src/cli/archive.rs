//! `chainwatch archive import SNAPSHOT…`, `archive export [-o FILE]` and
//! `archive info`: snapshots and archives interchange.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::DateTime;
use clap::Subcommand;
use serde::Serialize;

use super::{print_json, Format, SourceArgs};
use crate::archive::{self, ArchiveError};
use crate::snapshot::{to_estate, Snapshot};
use crate::sources::Loaded;

/// Which archive file: `--archive FILE`, else the estate's default one.
pub fn path(source: &SourceArgs) -> anyhow::Result<PathBuf> {
    if let Some(f) = &source.archive {
        return Ok(f.clone());
    }
    let config = crate::config::resolve_path(source.config.as_deref());
    archive::default_path(config.as_deref())
        .context("no data directory on this system: give --archive FILE")
}

#[derive(Debug, Subcommand)]
pub enum ArchiveAction {
    /// Stores snapshots in the archive (each file all or nothing).
    Import {
        #[arg(required = true, value_name = "SNAPSHOT")]
        files: Vec<PathBuf>,
    },
    /// Writes everything the archive holds as one snapshot.
    Export {
        /// Where to write it (default: stdout).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The archive's instances, how far their history reaches, and a consistency check.
    Info {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run(action: &ArchiveAction, source: &SourceArgs) -> anyhow::Result<u8> {
    match action {
        ArchiveAction::Import { files } => import(&path(source)?, files),
        ArchiveAction::Export { output } => export(&path(source)?, output.as_deref()),
        ArchiveAction::Info { format } => info(&path(source)?, *format),
    }
}

/// Each file in its own transaction: a file that cannot be read is named
/// and skipped; a full disk stops the run.
fn import(path: &Path, files: &[PathBuf]) -> anyhow::Result<u8> {
    let mut store = archive::create_store(path)?;
    let mut failed = 0;
    for file in files {
        let snapshot = match Snapshot::from_file(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("chainwatch: {}: {e}", file.display());
                failed += 1;
                continue;
            }
        };
        match store.import(&snapshot) {
            Ok(s) => eprintln!(
                "imported {}: {} instances, {} new rows ({} read)",
                file.display(),
                s.instances,
                s.new_rows,
                s.rows_read
            ),
            Err(e @ (ArchiveError::Full { .. } | ArchiveError::Busy { .. })) => {
                return Err(anyhow::Error::new(e).context(format!("importing {}", file.display())))
            }
            Err(e) => {
                eprintln!("chainwatch: {}: {e}", file.display());
                failed += 1;
            }
        }
    }
    Ok(u8::from(failed > 0))
}

fn export(path: &Path, output: Option<&Path>) -> anyhow::Result<u8> {
    let snapshot = archive::open_store(path)?.export()?;
    let text = snapshot.to_json_pretty() + "\n";
    match output {
        None => out!("{text}"),
        Some(out) => {
            // Through a temporary file and a rename: never half a snapshot.
            let tmp = out.with_extension("tmp");
            std::fs::write(&tmp, text)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("wrote the archive {} to {}", path.display(), out.display());
        }
    }
    Ok(0)
}

#[derive(Serialize)]
struct InfoJson {
    archive: String,
    schema_version: i64,
    integrity: Vec<String>,
    instances: Vec<InstanceJson>,
}

#[derive(Serialize)]
struct InstanceJson {
    name: String,
    collected_at: Option<String>,
    backup_sets: u64,
    max_backup_set_id: Option<i64>,
    /// When `check` last read its whole history (a re-read is due
    /// `archive_reread_hours` after it).
    full_read_at: Option<String>,
}

fn info(path: &Path, format: Format) -> anyhow::Result<u8> {
    let store = archive::open_store(path)?;
    let integrity = store.integrity_check()?;
    let ok = integrity == ["ok"];
    let info = InfoJson {
        archive: path.display().to_string(),
        schema_version: store.schema_version()?,
        integrity,
        instances: store
            .instances()?
            .into_iter()
            .map(|i| InstanceJson {
                name: i.name,
                collected_at: i
                    .collected_at_ms
                    .and_then(DateTime::from_timestamp_millis)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                backup_sets: i.backup_sets,
                max_backup_set_id: i.max_backup_set_id,
                full_read_at: i
                    .full_read_at_ms
                    .and_then(DateTime::from_timestamp_millis)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            })
            .collect(),
    };
    match format {
        Format::Json => print_json(&info)?,
        Format::Text => {
            outln!(
                "{} (schema {}, {})",
                info.archive,
                info.schema_version,
                if ok { "consistent" } else { "NOT consistent" }
            );
            for line in info.integrity.iter().filter(|_| !ok) {
                outln!("  {line}");
            }
            for i in &info.instances {
                outln!(
                    "  {:<30} {:>8} backup sets  last id {:<10} collected {}  read whole {}",
                    i.name,
                    i.backup_sets,
                    i.max_backup_set_id.map_or("-".into(), |v| v.to_string()),
                    i.collected_at.as_deref().unwrap_or("-"),
                    i.full_read_at.as_deref().unwrap_or("never")
                );
            }
        }
    }
    Ok(u8::from(!ok))
}

/// The archive as an estate, judged at its newest collection.
pub fn load(path: &Path) -> anyhow::Result<Loaded> {
    let snapshot = archive::open_store(path)?.export()?;
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let estate = to_estate(snapshot, &label, false).with_context(|| path.display().to_string())?;
    let now = estate.collected_at.unwrap_or_else(chrono::Utc::now);
    Ok(Loaded::of(estate, now))
}

/// `check` on configured instances through the archive: start from what
/// it holds, read only newer backup history, store it, judge the archive's
/// view. An instance that cannot be reached is UNKNOWN, as without an archive.
pub fn load_live(
    config_path: &Path,
    archive_path: &Path,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<Loaded> {
    let config = crate::config::Config::load(config_path)?;
    let mut warnings: Vec<String> = config
        .warnings()
        .into_iter()
        .map(|w| format!("warning: {w}"))
        .collect();
    let names: Vec<String> = config.instances.iter().map(|i| i.name.clone()).collect();
    // Every `archive_reread_hours` an instance is read whole (catching msdb
    // edits to rows already archived); otherwise only past the archive.
    let every = i64::try_from(config.defaults.archive_reread_hours)
        .ok()
        .and_then(chrono::Duration::try_hours)
        .unwrap_or(chrono::Duration::MAX);
    let whole = archive::refresh::full_read_due(archive_path, &names, every, chrono::Utc::now())?;
    let previous: std::collections::BTreeMap<_, _> =
        archive::refresh::archived(archive_path, &names)?
            .into_iter()
            .filter(|(name, _)| !whole.contains(name))
            .map(|(name, (inst, _))| (name, inst))
            .collect();
    let settings = crate::sqlserver::Settings::from(&config.defaults);
    let instances = config.instances.clone();
    let (mut results, previous) = crate::sqlserver::block_on(async move {
        let r = crate::sqlserver::collect_all_since(&instances, &settings, &previous).await;
        (r, previous)
    });
    warnings.extend(
        results
            .iter()
            .filter(|r| r.status != crate::sqlserver::Status::Ok)
            .map(|r| format!("{}: {}", r.name, r.status)),
    );
    let at = chrono::Utc::now();
    archive::refresh::store_round(archive_path, &mut results, at, |n| previous.get(n))?;
    drop(previous);
    let snapshot = crate::sqlserver::to_snapshot(&results, at);
    let label = config_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut estate = to_estate(snapshot, &label, false)?;
    estate.policies = config.policies.clone().into();
    let now = now.or(estate.collected_at).unwrap_or_else(chrono::Utc::now);
    Ok(Loaded {
        config: Some(config),
        warnings,
        ..Loaded::of(estate, now)
    })
}
