//! A listed blob: what the storage client returns and the storage analysis
//! reads, so neither has to know the other.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One blob of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlobEntry {
    /// Name inside the container (may contain `/`).
    pub name: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}
