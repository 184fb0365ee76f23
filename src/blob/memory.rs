//! An in-memory [`BlobSource`] for tests and offline use.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use super::{BlobEntry, BlobError, BlobPage, BlobSource};

/// Body, last-modified and metadata of one stored blob.
type Stored = (Vec<u8>, Option<DateTime<Utc>>, BTreeMap<String, String>);

/// Blobs in a sorted map, listed in name order like Azure lists them.
#[derive(Debug, Default)]
pub struct MemoryBlobSource {
    blobs: BTreeMap<String, Stored>,
    /// Bytes handed out by `read_range` (to count what a reader costs).
    pub bytes_read: AtomicU64,
    /// Requests served (list pages + ranged reads).
    pub requests: AtomicU64,
}

impl MemoryBlobSource {
    pub fn new() -> MemoryBlobSource {
        MemoryBlobSource::default()
    }

    pub fn insert(&mut self, name: &str, body: Vec<u8>, last_modified: Option<DateTime<Utc>>) {
        self.blobs
            .insert(name.to_string(), (body, last_modified, BTreeMap::new()));
    }

    pub fn remove(&mut self, name: &str) -> bool {
        self.blobs.remove(name).is_some()
    }
}

impl BlobSource for MemoryBlobSource {
    async fn list_page(
        &self,
        prefix: Option<&str>,
        marker: Option<&str>,
        max: Option<u32>,
    ) -> Result<BlobPage, BlobError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let max = max.unwrap_or(5000).max(1) as usize;
        let mut matching = self
            .blobs
            .iter()
            .filter(|(name, _)| prefix.is_none_or(|p| name.starts_with(p)))
            .filter(|(name, _)| marker.is_none_or(|m| name.as_str() >= m));
        let entries: Vec<BlobEntry> = matching
            .by_ref()
            .take(max)
            .map(|(name, (body, modified, metadata))| BlobEntry {
                name: name.clone(),
                size: body.len() as u64,
                last_modified: *modified,
                metadata: metadata.clone(),
            })
            .collect();
        let next_marker = matching.next().map(|(name, _)| name.clone());
        Ok(BlobPage {
            entries,
            next_marker,
        })
    }

    async fn read_range(&self, name: &str, offset: u64, len: u64) -> Result<Vec<u8>, BlobError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let (body, _, _) = self
            .blobs
            .get(name)
            .ok_or_else(|| BlobError::NotFound(name.to_string()))?;
        let start = (offset as usize).min(body.len());
        let end = start.saturating_add(len as usize).min(body.len());
        self.bytes_read
            .fetch_add((end - start) as u64, Ordering::Relaxed);
        Ok(body[start..end].to_vec())
    }

    fn display_url(&self) -> String {
        "memory://".into()
    }
}
