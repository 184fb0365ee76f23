//! [`BlobSource`] on the official Azure SDK for Rust (`azure_storage_blob` 1.x).
//!
//! Credentials: a SAS token in the container URL (what Managed Backup's
//! credential holds), or an account key / connection string, from which
//! [`super::sas`] signs a short-lived SAS locally (the SDK never sees the
//! key), or an Entra ID [`Bearer`](super::Bearer) credential, which the SDK
//! sends as a bearer token.
//!
//! TLS: certificates are always verified (the SDK's reqwest, rustls with the
//! platform verifier). A container with a private CA (or a test emulator)
//! names a PEM file of extra roots; those are added to the system's, never
//! in place of checking. There is no switch to turn verification off.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZero;
use std::path::Path;

use std::sync::Arc;

use azure_core::error::ErrorKind;
use azure_core::http::{ExponentialRetryOptions, RetryOptions, Transport, Url};
use azure_storage_blob::models::{
    BlobClientDownloadOptions, BlobContainerClientListBlobsOptions, HttpRange, ListBlobsIncludeItem,
};
use azure_storage_blob::{BlobContainerClient, BlobContainerClientOptions};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;

use super::{BlobEntry, BlobError, BlobPage, BlobSource, ContainerUrl};

/// Client options.
#[derive(Debug, Clone, Default)]
pub struct AzureOptions {
    /// `x-ms-version` to send (default: the SDK's). Azurite 3.35 accepts
    /// newer versions only when started with `--skipApiVersionCheck`;
    /// `2025-11-05` works without it.
    pub api_version: Option<String>,
    /// Retries of a failed request (default 3, within 20 s in total).
    pub max_retries: Option<u32>,
}

/// A container reached through the Azure SDK.
pub struct AzureBlobSource {
    url: ContainerUrl,
    client: BlobContainerClient,
}

impl fmt::Debug for AzureBlobSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureBlobSource")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl AzureBlobSource {
    /// A client for `url` (its SAS token, if any, authenticates every request).
    pub fn new(url: ContainerUrl, options: AzureOptions) -> Result<AzureBlobSource, BlobError> {
        let parsed = Url::parse(&url.secret_url())
            .map_err(|e| BlobError::InvalidUrl(format!("{url}: {}", url.scrub(&e.to_string()))))?;
        let mut client_options = BlobContainerClientOptions::default();
        // Fail within seconds, not the SDK's default minute: this is a console.
        client_options.client_options.retry = RetryOptions::exponential(ExponentialRetryOptions {
            max_retries: options.max_retries.unwrap_or(3),
            max_total_elapsed: azure_core::time::Duration::seconds(20),
            ..Default::default()
        });
        if let Some(v) = options.api_version {
            client_options.version = v;
        }
        if let Some(path) = url.ca_file() {
            client_options.client_options.transport = Some(transport_trusting(&url, path)?);
        }
        let credential = url.bearer().map(|b| b.credential());
        let client = BlobContainerClient::new(parsed, credential, Some(client_options))
            .map_err(|e| BlobError::InvalidUrl(url.scrub(&e.to_string())))?;
        Ok(AzureBlobSource { url, client })
    }

    pub fn container_url(&self) -> &ContainerUrl {
        &self.url
    }

    fn error(&self, e: azure_core::Error, what: &str) -> BlobError {
        let status = e.http_status().map(u16::from);
        match status {
            Some(404) => BlobError::NotFound(what.to_string()),
            Some(s @ (401 | 403)) => {
                let detail = auth_detail(&e).map(|d| self.url.scrub(&d));
                let reason = match self.url.bearer() {
                    Some(b) => b.refused(s, error_code(&e), detail.as_deref(), Utc::now()),
                    None if self.url.has_sas() => "check the SAS token's permissions (list, read) and expiry".to_string(),
                    None => "no credential was given: set a SAS token, an account key or an Entra ID credential".to_string(),
                };
                BlobError::Denied {
                    status: s,
                    container: self.url.to_string(),
                    reason,
                }
            }
            // Getting the token failed (az not logged in, no managed identity...).
            None if matches!(e.kind(), ErrorKind::Credential) => {
                BlobError::Credential(self.url.scrub(&format!(
                    "{what}: Entra ID sign-in failed: {}",
                    with_causes(&e)
                )))
            }
            _ => BlobError::Request(self.url.scrub(&format!("{what}: {}", with_causes(&e)))),
        }
    }
}

/// A transport that also trusts the CA certificates in `path` (PEM).
fn transport_trusting(url: &ContainerUrl, path: &Path) -> Result<Transport, BlobError> {
    let fail =
        |why: String| BlobError::Credential(format!("{url}: CA file {}: {why}", path.display()));
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no PEM certificate in it".into()));
    }
    // The SDK's own client settings: bounded connect/read, no redirects.
    let client = reqwest::ClientBuilder::new()
        .connect_timeout(std::time::Duration::from_secs(20))
        .read_timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_merge(certs)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    Ok(Transport::new(Arc::new(client)))
}

/// The service's error code (`x-ms-error-code`), if any.
fn error_code(e: &azure_core::Error) -> Option<&str> {
    match e.kind() {
        ErrorKind::HttpResponse { error_code, .. } => error_code.as_deref(),
        _ => None,
    }
}

/// An error and its causes, one line: the SDK's "retry policy expired"
/// alone would hide a refused certificate.
fn with_causes(e: &azure_core::Error) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = super::url::scrub_url_queries(&c.to_string());
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// The service's `AuthenticationErrorDetail` (or `Message`) from an error
/// response's XML body, one line, bounded.
fn auth_detail(e: &azure_core::Error) -> Option<String> {
    let ErrorKind::HttpResponse {
        raw_response: Some(raw),
        error_code,
        ..
    } = e.kind()
    else {
        return None;
    };
    let body = String::from_utf8_lossy(raw.body().as_ref());
    let tag = |name: &str| -> Option<String> {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = start + body[start..].find('<')?;
        let text = body[start..end].lines().next().unwrap_or_default().trim();
        (!text.is_empty()).then(|| text.chars().take(200).collect())
    };
    let text = tag("AuthenticationErrorDetail").or_else(|| tag("Message"))?;
    Some(match error_code {
        Some(code) => format!("{code}: {text}"),
        None => text,
    })
}

impl BlobSource for AzureBlobSource {
    async fn list_page(
        &self,
        prefix: Option<&str>,
        marker: Option<&str>,
        max: Option<u32>,
    ) -> Result<BlobPage, BlobError> {
        let options = BlobContainerClientListBlobsOptions {
            include: Some(vec![ListBlobsIncludeItem::Metadata]),
            prefix: prefix.map(str::to_string),
            marker: marker.map(str::to_string),
            maxresults: max.map(|m| m.min(i32::MAX as u32) as i32),
            ..Default::default()
        };
        let what = format!("listing {}", self.url);
        // A 404 on a listing means the container itself does not exist.
        let list_error = |e: azure_core::Error| match self.error(e, &what) {
            BlobError::NotFound(_) => {
                BlobError::Request(format!("container {} does not exist (404)", self.url))
            }
            other => other,
        };
        let pager = self.client.list_blobs(Some(options)).map_err(list_error)?;
        let mut pages = pager.into_pages();
        let Some(response) = pages.try_next().await.map_err(list_error)? else {
            return Ok(BlobPage::default());
        };
        let page = response.into_model().map_err(list_error)?;
        let entries = page
            .blob_items
            .into_iter()
            .filter_map(|item| {
                let name = item.name?;
                let props = item.properties.unwrap_or_default();
                let metadata: BTreeMap<String, String> = item
                    .metadata
                    .and_then(|m| m.values)
                    .map(|v| v.into_iter().collect())
                    .unwrap_or_default();
                Some(BlobEntry {
                    name,
                    size: props.content_length.unwrap_or(0),
                    last_modified: props.last_modified.and_then(|t| {
                        DateTime::<Utc>::from_timestamp(t.unix_timestamp(), t.nanosecond())
                    }),
                    metadata,
                })
            })
            .collect();
        Ok(BlobPage {
            entries,
            next_marker: page.next_marker.filter(|m| !m.is_empty()),
        })
    }

    async fn read_range(&self, name: &str, offset: u64, len: u64) -> Result<Vec<u8>, BlobError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let what = format!("reading {}", self.url.blob_url(name));
        let size = usize::try_from(len).map_err(|_| {
            BlobError::Request(format!("{what}: range of {len} bytes is too large"))
        })?;
        let mut buf = vec![0u8; size];
        let options = BlobClientDownloadOptions {
            range: Some(HttpRange::new(offset, len)),
            parallel: NonZero::new(1),
            ..Default::default()
        };
        let result = self
            .client
            .blob_client(name)
            .download_into(&mut buf, Some(options))
            .await;
        match result {
            Ok(r) => {
                buf.truncate(r.len);
                Ok(buf)
            }
            // Reading past the end of a blob: nothing there.
            Err(e) if e.http_status().map(u16::from) == Some(416) => Ok(Vec::new()),
            Err(e) => Err(match self.error(e, &what) {
                BlobError::NotFound(_) => BlobError::NotFound(name.to_string()),
                other => other,
            }),
        }
    }

    fn display_url(&self) -> String {
        self.url.to_string()
    }
}
