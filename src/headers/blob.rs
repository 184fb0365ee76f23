//! Backup headers read from blobs: the same head/tail protocol as local
//! files ([`super::head_range`], [`super::more_head_range`],
//! [`super::tail_range`], [`super::parse_windows`]), each window one ranged
//! GET through [`BlobSource::read_range`]. The head and the tail are asked
//! for at once (the tail's range only depends on the blob size), so a blob
//! costs two requests and one round trip unless a large block size needs a
//! third read.

use std::path::PathBuf;

use chrono::Utc;
use futures_util::StreamExt;

use super::{
    head_range, more_head_range, parse_windows, tail_range, FileResult, HeaderError, ReadCost,
    Refusal,
};
use crate::blob::{list_all, AzureBlobSource, AzureOptions, BlobEntry, BlobSource, ContainerUrl};

/// Blobs read at once by default (requests in flight: about twice this).
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Whether a `--files`/`headers` argument is a container URL rather than a path.
pub fn is_url(path: &std::path::Path) -> bool {
    let p = path.to_string_lossy();
    p.starts_with("https://") || p.starts_with("http://")
}

/// Reads one blob's headers (`entry.size` is the listing's size).
pub async fn read_blob<S: BlobSource + Sync>(
    source: &S,
    entry: &BlobEntry,
    label: String,
) -> FileResult {
    let mut cost = ReadCost::default();
    let result = read_blob_counted(source, entry, &label, &mut cost).await;
    FileResult {
        path: PathBuf::from(label),
        result,
        cost,
    }
}

async fn read_blob_counted<S: BlobSource + Sync>(
    source: &S,
    entry: &BlobEntry,
    label: &str,
    cost: &mut ReadCost,
) -> Result<Vec<super::BackupHeader>, HeaderError> {
    let total = entry.size;
    if total == 0 {
        return Err(HeaderError::new(Refusal::Truncated, "empty blob"));
    }
    let read = |offset: u64, len: usize| async move {
        source
            .read_range(&entry.name, offset, len as u64)
            .await
            .map_err(|e| HeaderError::new(Refusal::Io, e.to_string()))
    };
    let (offset, len) = head_range(total);
    let guessed_tail = tail_range(total, len as u64);
    let (head, tail) = futures_util::future::join(read(offset, len), async {
        match guessed_tail {
            Some((o, l)) => read(o, l).await.map(Some),
            None => Ok(None),
        }
    })
    .await;
    let mut head = head?;
    let mut tail = tail?;
    cost.reads += 1 + u64::from(guessed_tail.is_some());
    cost.bytes += head.len() as u64 + tail.as_ref().map_or(0, |t| t.len() as u64);
    if let Some((o, l)) = more_head_range(total, &head)? {
        let more = read(o, l).await?;
        cost.reads += 1;
        cost.bytes += more.len() as u64;
        head.extend_from_slice(&more);
    }
    // The tail read must sit where tail_range puts it for the final head length.
    let wanted = tail_range(total, head.len() as u64);
    if wanted != guessed_tail {
        tail = match wanted {
            Some((o, l)) => {
                let t = read(o, l).await?;
                cost.reads += 1;
                cost.bytes += t.len() as u64;
                Some(t)
            }
            None => None,
        };
    }
    parse_windows(total, &head, tail.as_deref(), label)
}

/// Lists the container (names under `prefix`) and reads every blob's
/// headers, `concurrency` blobs at a time; results in name order, each
/// labelled with the blob's URL (no token).
pub async fn read_container<S: BlobSource + Sync>(
    source: &S,
    prefix: Option<&str>,
    concurrency: usize,
) -> Result<Vec<FileResult>, crate::blob::BlobError> {
    let mut entries = list_all(source, prefix, None).await?;
    entries.retain(|e| {
        let n = e.name.to_lowercase();
        !(n.ends_with(".md") || n.ends_with(".txt") || n.ends_with('/'))
    });
    let base = source.display_url();
    let results = futures_util::stream::iter(entries.iter())
        .map(|e| read_blob(source, e, format!("{base}/{}", e.name)))
        .buffered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    Ok(results)
}

/// The container URL with its credential, as `blobs` resolves it with its
/// defaults (see [`crate::blob::given`]).
pub fn resolve(text: &str) -> Result<ContainerUrl, crate::blob::BlobError> {
    crate::blob::given::resolve_given(text, &Default::default(), Utc::now())
}

/// Local paths (folders recursively) and container URLs, read in the order
/// given; `ca_file` adds CA roots for containers behind a private CA. A
/// container that cannot be listed is an error naming it (no token).
pub fn read_any(
    paths: &[PathBuf],
    ca_file: Option<&std::path::Path>,
) -> Result<Vec<FileResult>, HeaderError> {
    let mut out = Vec::new();
    let mut local: Vec<PathBuf> = Vec::new();
    let mut runtime: Option<tokio::runtime::Runtime> = None;
    for p in paths {
        if !is_url(p) {
            local.push(p.clone());
            continue;
        }
        out.extend(super::read_paths(&std::mem::take(&mut local))?);
        let text = p.to_string_lossy();
        let fail = |e: crate::blob::BlobError| {
            HeaderError::new(
                Refusal::Io,
                format!("{}: {e}", crate::blob::redact_url(&text)),
            )
        };
        let url = resolve(&text).map_err(fail)?.with_ca_file(ca_file);
        let source = AzureBlobSource::new(url, AzureOptions::default()).map_err(fail)?;
        let rt = match &mut runtime {
            Some(rt) => rt,
            None => runtime.insert(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(|e| HeaderError::new(Refusal::Io, e.to_string()))?,
            ),
        };
        let results = rt
            .block_on(read_container(&source, None, DEFAULT_CONCURRENCY))
            .map_err(fail)?;
        out.extend(results);
    }
    out.extend(super::read_paths(&local)?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::MemoryBlobSource;

    fn entry(name: &str, size: u64) -> BlobEntry {
        BlobEntry {
            name: name.into(),
            size,
            last_modified: None,
            metadata: Default::default(),
        }
    }

    #[test]
    fn blobs_cost_two_reads_and_garbage_is_refused_not_panicked() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut src = MemoryBlobSource::new();
        src.insert("junk.bak", vec![0x41; 200_000], None);
        src.insert("tiny.bak", b"TAPE".to_vec(), None);
        let r = rt.block_on(read_blob(&src, &entry("junk.bak", 200_000), "junk".into()));
        assert_eq!(r.result.unwrap_err().kind, Refusal::UnknownFormat);
        assert_eq!(r.cost.reads, 2);
        let r = rt.block_on(read_blob(&src, &entry("tiny.bak", 4), "tiny".into()));
        assert!(r.result.is_err());
        assert_eq!(
            r.cost.reads, 1,
            "a blob smaller than the head window is one read"
        );
        // The listing said more than there is: refused, no panic.
        let r = rt.block_on(read_blob(&src, &entry("tiny.bak", 1 << 30), "liar".into()));
        assert!(r.result.is_err());
        let r = rt.block_on(read_blob(&src, &entry("gone.bak", 10), "gone".into()));
        assert_eq!(r.result.unwrap_err().kind, Refusal::Io);
        assert!(!is_url(std::path::Path::new("/backups/x.bak")));
        assert!(is_url(std::path::Path::new(
            "https://a.blob.core.windows.net/c"
        )));
    }
}
