//! The `chainwatch.snapshot.v1` document: reading, writing, and turning it
//! into the typed estate.
//!
//! A table key that is absent means "not collected"; an empty array means
//! "collected, no rows". Column names are the catalog's own.

mod typed;

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use typed::to_estate;

use crate::model::catalog::{parse_datetime, RowError};
use crate::model::{ServerInfo, Tables};

pub const FORMAT: &str = "chainwatch.snapshot.v1";

/// One instance as stored in the snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotInstance {
    pub name: String,
    #[serde(default)]
    pub server: ServerInfo,
    #[serde(default)]
    pub tables: Tables,
    /// Why a table is absent ("needs VIEW SERVER STATE"), when known.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub missing: Map<String, Value>,
    /// Everything else the producer wrote, kept as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: String,
    #[serde(default)]
    pub collected_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub instances: Vec<SnapshotInstance>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Why a snapshot could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    // The cause is in the message, not also a `source` (which would print it twice).
    #[error("cannot read {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("not a chainwatch snapshot: {0}")]
    Json(String),
    /// The document stops mid-way (a copy cut short, a full disk).
    #[error("the snapshot is truncated: it ends at line {line}, column {column}, before the document is complete")]
    Truncated { line: usize, column: usize },
    #[error("unsupported snapshot format {0:?} (expected {FORMAT:?})")]
    Format(String),
    #[error("instance {instance}: {error}")]
    Row { instance: String, error: RowError },
    #[error("collected_at {0:?} is not an ISO-8601 date")]
    CollectedAt(String),
}

impl Snapshot {
    /// Parses a snapshot document; structural problems name line and column.
    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
        let snapshot: Snapshot = serde_json::from_str(text).map_err(|e| match e.classify() {
            // serde_json's message already ends "at line L column C".
            serde_json::error::Category::Eof => SnapshotError::Truncated {
                line: e.line(),
                column: e.column(),
            },
            _ => SnapshotError::Json(e.to_string()),
        })?;
        if snapshot.format != FORMAT {
            return Err(SnapshotError::Format(snapshot.format));
        }
        Ok(snapshot)
    }

    pub fn from_value(value: Value) -> Result<Snapshot, SnapshotError> {
        let snapshot: Snapshot =
            serde_json::from_value(value).map_err(|e| SnapshotError::Json(e.to_string()))?;
        if snapshot.format != FORMAT {
            return Err(SnapshotError::Format(snapshot.format));
        }
        Ok(snapshot)
    }

    pub fn from_file(path: &Path) -> Result<Snapshot, SnapshotError> {
        let text = std::fs::read_to_string(path).map_err(|error| SnapshotError::Io {
            path: path.display().to_string(),
            error,
        })?;
        Snapshot::from_json(&text)
    }

    pub fn collected_at(&self) -> Result<Option<DateTime<Utc>>, SnapshotError> {
        match &self.collected_at {
            None => Ok(None),
            Some(text) => match parse_datetime(text) {
                Some(t) => Ok(Some(t.to_utc(0))),
                None => Err(SnapshotError::CollectedAt(text.clone())),
            },
        }
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
