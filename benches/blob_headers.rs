//! Headers of 10,000 blobs read from Azurite with ranged GETs.
//!
//! `cargo bench --bench blob_headers` starts Azurite (disk persistence in a
//! temporary folder, so 10,000 real backup files do not sit in Node's
//! heap), uploads copies of a few sample backups under 10,000 names, then
//! reads every blob's headers through `BlobSource` at several
//! concurrencies. Reports time, blobs/s, requests and bytes per blob, and
//! the most requests in flight. `CW_BENCH_BLOBS=N` changes the count.
//!
//! Needs `azurite-blob` (`$CHAINWATCH_AZURITE`, PATH, or target/azurite,
//! as `scripts/test` installs it) and ../shared/samples.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use azure_core::http::{RequestContent, Url};
use azure_storage_blob::BlobContainerClient;
use chainwatch::blob::sas::{ConnectionString, EMULATOR_KEY};
use chainwatch::blob::{
    AzureBlobSource, AzureOptions, BlobError, BlobPage, BlobSource, ContainerUrl,
};
use chrono::{Duration, Utc};
use futures_util::StreamExt;

/// The sample files copied: two log backups and a differential over one
/// 64 KiB window (two reads each), one small log (one read).
const FILES: &[&str] = &[
    "backups/RestoreTimeClean/RestoreTimeClean_1.trn",
    "backups/sql2008-backups/StopAt/StopAt_2.trn",
    "backups/DoubleDiffing/difftest-diff1.bak",
    "backups/sql2008-backups/dbareports/LOG/SQL2008_dbareports_LOG_20170518_041837.trn",
];

/// A [`BlobSource`] that counts what passes through it.
struct Counting<S> {
    inner: S,
    lists: AtomicU64,
    reads: AtomicU64,
    bytes: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

impl<S> Counting<S> {
    fn new(inner: S) -> Self {
        Counting {
            inner,
            lists: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
        }
    }
}

impl<S: BlobSource + Sync> BlobSource for Counting<S> {
    async fn list_page(
        &self,
        prefix: Option<&str>,
        marker: Option<&str>,
        max: Option<u32>,
    ) -> Result<BlobPage, BlobError> {
        self.lists.fetch_add(1, Ordering::Relaxed);
        self.inner.list_page(prefix, marker, max).await
    }

    async fn read_range(&self, name: &str, offset: u64, len: u64) -> Result<Vec<u8>, BlobError> {
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.max_in_flight.fetch_max(now, Ordering::Relaxed);
        let r = self.inner.read_range(name, offset, len).await;
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.reads.fetch_add(1, Ordering::Relaxed);
        if let Ok(b) = &r {
            self.bytes.fetch_add(b.len() as u64, Ordering::Relaxed);
        }
        r
    }

    fn display_url(&self) -> String {
        self.inner.display_url()
    }
}

struct Azurite(Child, PathBuf);

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn azurite_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CHAINWATCH_AZURITE") {
        return PathBuf::from(p);
    }
    let local =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/azurite/node_modules/.bin/azurite-blob");
    if local.is_file() {
        return local;
    }
    PathBuf::from("azurite-blob")
}

/// Azurite on a free port, persisting to a fresh temporary folder.
fn start_azurite() -> (Azurite, u16) {
    let dir = std::env::temp_dir().join(format!("cw-bench-azurite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut child = Command::new(azurite_bin())
        .args([
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            "0",
            "--disableTelemetry",
        ])
        .args(["--skipApiVersionCheck", "--silent", "--location"])
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("azurite-blob: run scripts/test once or set CHAINWATCH_AZURITE");
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = out.lines();
    let port = loop {
        let line = lines
            .next()
            .expect("Azurite exited before listening")
            .expect("read Azurite output");
        if let Some(rest) = line.split("successfully listens on http://").nth(1) {
            let port: String = rest
                .rsplit(':')
                .next()
                .unwrap_or("")
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            break port.parse().expect("port");
        }
    };
    // Keep draining stdout so Azurite never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Azurite(child, dir), port)
}

fn main() {
    let count: usize = std::env::var("CW_BENCH_BLOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples");
    let bodies: Vec<(String, Vec<u8>)> = FILES
        .iter()
        .map(|f| {
            let body = std::fs::read(samples.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            (f.rsplit('/').next().unwrap().to_string(), body)
        })
        .collect();
    let (_azurite, port) = start_azurite();
    let endpoint = format!("http://127.0.0.1:{port}/devstoreaccount1");
    let conn = ConnectionString::parse(&format!(
        "AccountName=devstoreaccount1;AccountKey={EMULATOR_KEY};BlobEndpoint={endpoint}"
    ))
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // Upload: copy i of sample i % 4, 64 at a time.
    let writer = conn
        .container_url("bench", "rwdlac", Utc::now() + Duration::hours(3))
        .unwrap();
    let client = BlobContainerClient::new(
        Url::parse(&format!("{}?{}", writer.base, writer.sas_token().unwrap())).unwrap(),
        None,
        None,
    )
    .unwrap();
    let began = Instant::now();
    let uploaded_bytes: u64 = runtime.block_on(async {
        client.create(None).await.unwrap();
        futures_util::stream::iter(0..count)
            .map(|i| {
                let (name, body) = &bodies[i % bodies.len()];
                let blob = format!("copy{:05}/{name}", i);
                let client = &client;
                let body = body.clone();
                async move {
                    let n = body.len() as u64;
                    client
                        .blob_client(&blob)
                        .upload(RequestContent::from(body), None)
                        .await
                        .unwrap();
                    n
                }
            })
            .buffer_unordered(64)
            .fold(0u64, |a, n| async move { a + n })
            .await
    });
    let upload = began.elapsed();
    println!(
        "uploaded {count} blobs ({:.1} MiB) in {:.1} s",
        uploaded_bytes as f64 / 1048576.0,
        upload.as_secs_f64()
    );

    let reader = ContainerUrl::parse(&format!("{endpoint}/bench"))
        .unwrap()
        .with_sas(&conn.key.account_sas("rl", Utc::now() + Duration::hours(3)));
    // Baseline: Azurite's own ceiling, one 512-byte ranged GET per blob (no parsing).
    {
        let source = AzureBlobSource::new(reader.clone(), AzureOptions::default()).unwrap();
        let names: Vec<String> = runtime
            .block_on(chainwatch::blob::list_all(&source, None, None))
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        let began = Instant::now();
        let got = runtime.block_on(
            futures_util::stream::iter(names.iter())
                .map(|n| source.read_range(n, 0, 512))
                .buffer_unordered(32)
                .filter(|r| std::future::ready(r.is_ok()))
                .count(),
        );
        let took = began.elapsed();
        assert_eq!(got, count);
        println!(
            "baseline: one 512 B ranged GET per blob, 32 at a time: {:.2} s, {:.0} requests/s",
            took.as_secs_f64(),
            count as f64 / took.as_secs_f64().max(1e-9)
        );
    }
    println!(
        "{:>11} {:>9} {:>9} {:>10} {:>10} {:>12} {:>9} {:>8}",
        "concurrency",
        "time s",
        "blobs/s",
        "list reqs",
        "reads",
        "reads/blob",
        "KiB/blob",
        "max in flight"
    );
    for concurrency in [8usize, 32, 128] {
        let source =
            Counting::new(AzureBlobSource::new(reader.clone(), AzureOptions::default()).unwrap());
        let began = Instant::now();
        let results = runtime
            .block_on(chainwatch::headers::blob::read_container(
                &source,
                None,
                concurrency,
            ))
            .unwrap();
        let took = began.elapsed();
        let ok = results.iter().filter(|r| r.result.is_ok()).count();
        assert_eq!(results.len(), count, "every blob read");
        assert_eq!(
            ok,
            count,
            "every copy parses: {:?}",
            results
                .iter()
                .find(|r| r.result.is_err())
                .map(|r| &r.result)
        );
        let reads = source.reads.load(Ordering::Relaxed);
        let bytes = source.bytes.load(Ordering::Relaxed);
        println!(
            "{:>11} {:>9.2} {:>9.0} {:>10} {:>10} {:>12.2} {:>9.1} {:>8}",
            concurrency,
            took.as_secs_f64(),
            count as f64 / took.as_secs_f64().max(1e-9),
            source.lists.load(Ordering::Relaxed),
            reads,
            reads as f64 / count as f64,
            bytes as f64 / 1024.0 / count as f64,
            source.max_in_flight.load(Ordering::Relaxed),
        );
    }
}
