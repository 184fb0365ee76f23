//! Azure Blob Storage: what is really in a backup container (the
//! client; `analysis::storage` checks a listing against msdb).
//!
//! - [`BlobSource`]: our small trait (list with prefix and paging, ranged
//!   read). [`AzureBlobSource`] implements it on the official
//!   `azure_storage_blob` SDK; [`MemoryBlobSource`] is an in-memory twin for
//!   tests. Nothing outside this module sees the SDK.
//!
//! Secrets (SAS tokens, account keys, Entra ID tokens) never reach `Debug`, `Display` or an
//! error message: URLs are shown without their query string.

pub mod auth;
pub mod azure;
pub mod given;
pub mod memory;
pub mod sas;
mod url;

use std::future::Future;

pub use auth::Bearer;
pub use azure::{AzureBlobSource, AzureOptions};
pub use memory::MemoryBlobSource;
pub use url::{redact_url, ContainerUrl};

pub use crate::model::BlobEntry;

/// One page of a listing; `next_marker` is `None` on the last page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlobPage {
    pub entries: Vec<BlobEntry>,
    pub next_marker: Option<String>,
}

/// What can go wrong talking to storage. Messages never carry a secret.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("invalid container URL: {0}")]
    InvalidUrl(String),
    #[error("invalid credential: {0}")]
    Credential(String),
    #[error("blob {0:?} not found")]
    NotFound(String),
    /// 401/403: `reason` says what to check for the credential used.
    #[error("access denied ({status}) to {container}: {reason}")]
    Denied {
        status: u16,
        /// The container URL (no token).
        container: String,
        reason: String,
    },
    #[error("storage request failed: {0}")]
    Request(String),
}

/// A container of blobs, as chainwatch needs it: list and ranged reads.
///
/// Paging is explicit so callers can stop early; [`list_all`] walks every page.
pub trait BlobSource {
    /// One page of blobs whose names start with `prefix`, starting at
    /// `marker` (from the previous page), at most `max` entries (`None` =
    /// the service default, 5000 on Azure).
    fn list_page(
        &self,
        prefix: Option<&str>,
        marker: Option<&str>,
        max: Option<u32>,
    ) -> impl Future<Output = Result<BlobPage, BlobError>> + Send;

    /// `len` bytes of blob `name` from `offset` (fewer at the end of the blob).
    fn read_range(
        &self,
        name: &str,
        offset: u64,
        len: u64,
    ) -> impl Future<Output = Result<Vec<u8>, BlobError>> + Send;

    /// The container's URL without secrets, for display.
    fn display_url(&self) -> String;
}

/// Every blob under `prefix`, following the continuation markers.
pub async fn list_all<S: BlobSource + Sync>(
    source: &S,
    prefix: Option<&str>,
    page_size: Option<u32>,
) -> Result<Vec<BlobEntry>, BlobError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = source
            .list_page(prefix, marker.as_deref(), page_size)
            .await?;
        out.extend(page.entries);
        match page.next_marker {
            Some(m) if !m.is_empty() => marker = Some(m),
            _ => break,
        }
    }
    Ok(out)
}
