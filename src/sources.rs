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
}

/// An estate and the instant to judge it at.
pub struct Loaded {
    pub estate: Estate,
    /// `--now` if given, else the snapshot's `collected_at`, else the clock.
    pub now: DateTime<Utc>,
}

/// Loads a source. `now` pins the analysis clock (and the demo's contents).
pub fn load(source: &Source, now: Option<DateTime<Utc>>) -> anyhow::Result<Loaded> {
    match source {
        Source::Demo => {
            let now = now.unwrap_or_else(Utc::now);
            Ok(Loaded { estate: demo_estate(now)?, now })
        }
        Source::Snapshot(path) => load_snapshot(path, now),
        Source::Config(path) => bail!(
            "{}: live collection from configured instances is not available in this build; use --snapshot FILE or --demo",
            path.display()
        ),
    }
}

/// The embedded demo estate at `now`.
pub fn demo_estate(now: DateTime<Utc>) -> anyhow::Result<Estate> {
    let snapshot = Snapshot::from_value(crate::demo::generate(now)).context("demo estate")?;
    Ok(to_estate(snapshot, "demo estate", true)?)
}

fn load_snapshot(path: &Path, now: Option<DateTime<Utc>>) -> anyhow::Result<Loaded> {
    let snapshot = Snapshot::from_file(path)?;
    let is_demo = snapshot.source.as_deref() == Some("demo");
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let estate =
        to_estate(snapshot, &label, is_demo).with_context(|| path.display().to_string())?;
    let now = now.or(estate.collected_at).unwrap_or_else(Utc::now);
    Ok(Loaded { estate, now })
}
