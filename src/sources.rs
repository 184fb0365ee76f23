//! Where an estate comes from: the embedded demo or a snapshot file.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};

use crate::model::Estate;
use crate::snapshot::{to_estate, Snapshot};

/// The SOURCE of every command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Demo,
    Snapshot(PathBuf),
    Config(PathBuf),
    /// Backup files or folders (recursive): history rebuilt from their headers.
    Files(Vec<PathBuf>),
}

/// An estate and the instant to judge it at.
pub struct Loaded {
    pub estate: Estate,
    /// `--now` if given, else the snapshot's `collected_at`, else the clock.
    pub now: DateTime<Utc>,
    /// How each instance's collection went, when this source collected them (live).
    pub runs: Vec<crate::monitor::InstanceRun>,
    /// The config the estate was collected with (`--config`), for write
    /// permissions and connections; loaded once, here.
    pub config: Option<crate::config::Config>,
    /// What went wrong without stopping the load (a file that could not be
    /// read, an instance that could not be collected, a config warning), for
    /// the caller to show: the library never prints.
    pub warnings: Vec<String>,
}

impl Loaded {
    /// An estate with nothing else to say about it.
    pub fn of(estate: Estate, now: DateTime<Utc>) -> Loaded {
        Loaded {
            estate,
            now,
            runs: Vec::new(),
            config: None,
            warnings: Vec::new(),
        }
    }
}

/// Loads a source. `now` pins the analysis clock (and the demo's contents).
pub fn load(source: &Source, now: Option<DateTime<Utc>>) -> anyhow::Result<Loaded> {
    match source {
        Source::Demo => {
            let now = now.unwrap_or_else(Utc::now);
            Ok(Loaded::of(demo_estate(now)?, now))
        }
        Source::Snapshot(path) => load_snapshot(path, now),
        Source::Files(paths) => load_files(paths, now),
        Source::Config(path) => load_config(path, now),
    }
}

/// The embedded demo estate at `now`.
pub fn demo_estate(now: DateTime<Utc>) -> anyhow::Result<Estate> {
    // Typed directly: the same as loading `demo::generate`, without the JSON.
    let snapshot = crate::demo::snapshot(now);
    Ok(to_estate(snapshot, "demo estate", true)?)
}

fn load_snapshot(path: &Path, now: Option<DateTime<Utc>>) -> anyhow::Result<Loaded> {
    // A file that cannot be read names itself; one that does not parse is named here.
    let snapshot = match Snapshot::from_file(path) {
        Err(e @ crate::snapshot::SnapshotError::Io { .. }) => return Err(e.into()),
        r => r.with_context(|| path.display().to_string())?,
    };
    let is_demo = snapshot.source.as_deref() == Some("demo");
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let estate =
        to_estate(snapshot, &label, is_demo).with_context(|| path.display().to_string())?;
    let now = now.or(estate.collected_at).unwrap_or_else(Utc::now);
    Ok(Loaded::of(estate, now))
}

/// History from the backup files themselves (no msdb): one instance per
/// server name found in the headers; files that cannot be read are named.
fn load_files(paths: &[PathBuf], now: Option<DateTime<Utc>>) -> anyhow::Result<Loaded> {
    // Local files and folders, and container URLs (two ranged GETs per blob).
    let results = crate::headers::blob::read_any(paths, None)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let warnings: Vec<String> = results
        .iter()
        .filter_map(|r| {
            r.result
                .as_ref()
                .err()
                .map(|e| format!("{}: {e}", r.path.display()))
        })
        .collect();
    let now = now.unwrap_or_else(Utc::now);
    let files = crate::headers::to_snapshot(&results, now);
    if files.files_read == 0 {
        bail!(
            "--files: no readable backup file among {} files",
            results.len()
        );
    }
    Ok(Loaded {
        warnings,
        ..Loaded::of(files.to_estate()?, now)
    })
}

/// Collects every configured instance (concurrently, bounded) into an estate.
/// Instances that fail stay in the estate with their status as the reason
/// their tables are absent, so `check` says UNKNOWN (3) for them.
fn load_config(path: &Path, now: Option<DateTime<Utc>>) -> anyhow::Result<Loaded> {
    let config = crate::config::Config::load(path)?;
    let mut warnings: Vec<String> = config
        .warnings()
        .into_iter()
        .map(|w| format!("warning: {w}"))
        .collect();
    let (snapshot, results) = crate::sqlserver::collect_config_blocking(&config);
    warnings.extend(
        results
            .iter()
            .filter(|r| r.status != crate::sqlserver::Status::Ok)
            .map(|r| format!("{}: {}", r.name, r.status)),
    );
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut estate = to_estate(snapshot, &label, false)?;
    estate.policies = config.policies.clone().into();
    let now = now.or(estate.collected_at).unwrap_or_else(Utc::now);
    let runs = results
        .iter()
        .map(|r| crate::monitor::InstanceRun {
            name: r.name.clone(),
            ok: r.status.collected(),
            status: r.status.label().to_string(),
            elapsed: r.elapsed,
            collected_at: r
                .status
                .collected()
                .then_some(estate.collected_at)
                .flatten(),
        })
        .collect();
    Ok(Loaded {
        estate,
        now,
        runs,
        config: Some(config),
        warnings,
    })
}
