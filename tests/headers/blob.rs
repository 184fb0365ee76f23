//! Backup headers read from blobs in Azurite with ranged GETs: the real
//! sample backups uploaded, then `chainwatch headers URL` and
//! `chainwatch --files URL chain/plan` must say exactly what they say for
//! the same files on disk, reading at most two windows per blob.

use crate::support::azurite;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use azure_core::http::RequestContent;
use chainwatch::blob::sas::{ConnectionString, EMULATOR_KEY};
use chrono::{Duration, Utc};
use serde_json::Value;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples");

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            files_under(&e, out);
        } else if !e.to_string_lossy().ends_with(".md") {
            out.push(e);
        }
    }
}

/// Creates `container` and uploads every file under `dir`, named by its path relative to `dir`.
async fn upload(conn: &ConnectionString, container: &str, dir: &Path) -> usize {
    let client = crate::support::azurite::create_container(conn, container).await;
    let mut files = Vec::new();
    files_under(dir, &mut files);
    for f in &files {
        let name = f.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        client
            .blob_client(&name)
            .upload(RequestContent::from(std::fs::read(f).unwrap()), None)
            .await
            .unwrap();
    }
    files.len()
}

async fn run(args: Vec<String>, sas: &str) -> Output {
    let sas = sas.to_string();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_chainwatch"))
            .args(&args)
            .env("CHAINWATCH_SAS", sas)
            .env_remove("CHAINWATCH_CONFIG")
            .env_remove("CHAINWATCH_STORAGE_CONNECTION_STRING")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// The JSON output with `prefix/` removed from every string (blob URL or
/// local folder), so the two sources compare equal when they agree.
fn normalized(out: &Output, prefix: &str) -> Value {
    let text = String::from_utf8_lossy(&out.stdout).replace(&format!("{prefix}/"), "");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `read N bytes in M reads` from the text format's summary line.
fn cost(stderr: &str) -> (u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.contains(" bytes in "))
        .unwrap_or_else(|| panic!("no cost line in {stderr}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = |w: &str| -> u64 {
        let i = words.iter().position(|x| *x == w).unwrap();
        words[i - 1].parse().unwrap()
    };
    (at("bytes"), at("reads"))
}

fn sort_sets(v: &mut Value) {
    if let Value::Array(items) = v {
        items.sort_by_key(|i| {
            format!(
                "{} {} {}",
                i["file"].as_str().unwrap_or(""),
                i["backup_set_uuid"].as_str().unwrap_or(""),
                i["family_sequence_number"]
            )
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_headers_match_the_local_files_with_two_ranged_reads() {
    let samples = Path::new(SAMPLES).canonicalize().unwrap();
    let az = azurite::Azurite::start();
    let conn = ConnectionString::parse(&format!(
        "AccountName=devstoreaccount1;AccountKey={EMULATOR_KEY};BlobEndpoint={}",
        az.blob_endpoint()
    ))
    .unwrap();
    let count = upload(&conn, "samples", &samples).await;
    assert!(count > 100, "{count} sample files");
    let sas = conn.key.account_sas("rl", Utc::now() + Duration::hours(1));
    let sig = sas.split("sig=").nth(1).unwrap().to_string();
    let url = format!("{}/samples", az.blob_endpoint());
    let local = samples.display().to_string();

    // JSON: one object per backup set (and per refused file), the same from both.
    let json = |p: &str| {
        vec![
            "headers".into(),
            p.to_string(),
            "--format".into(),
            "json".into(),
        ]
    };
    let from_blobs = run(json(&url), &sas).await;
    let from_disk = run(json(&local), "").await;
    let stderr = String::from_utf8_lossy(&from_blobs.stderr);
    assert_eq!(
        from_blobs.status.code(),
        from_disk.status.code(),
        "{stderr}"
    );
    assert!(!stderr.contains(&sig));
    let mut a = normalized(&from_blobs, &url);
    let mut b = normalized(&from_disk, &local);
    sort_sets(&mut a);
    sort_sets(&mut b);
    assert!(a.as_array().unwrap().len() > 100);
    assert_eq!(a, b, "headers from blobs differ from headers from files");
    // Blob-read sets name their blob by URL (no token).
    let raw = String::from_utf8_lossy(&from_blobs.stdout);
    assert!(raw.contains(&format!(
        "{url}/backups/sql2008-backups/StopAt/StopAt_23.trn"
    )));
    assert!(!raw.contains("sig="));

    // Text: the reads and bytes used, the same windows as on disk.
    let text = |p: &str| vec!["headers".into(), p.to_string()];
    let blob_text = run(text(&url), &sas).await;
    let disk_text = run(text(&local), "").await;
    let (blob_bytes, blob_reads) = cost(&String::from_utf8_lossy(&blob_text.stderr));
    let (disk_bytes, disk_reads) = cost(&String::from_utf8_lossy(&disk_text.stderr));
    eprintln!(
        "blobs: {blob_bytes} bytes in {blob_reads} reads; disk: {disk_bytes} in {disk_reads}"
    );
    assert_eq!(blob_reads, disk_reads);
    assert_eq!(blob_bytes, disk_bytes);
    assert!(blob_reads <= 2 * count as u64);
    assert!(blob_bytes <= count as u64 * 2 * 64 * 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_source_on_a_container_gives_the_same_chains_and_plans() {
    let dir = Path::new(SAMPLES)
        .join("backups/restoretimeclean2016")
        .canonicalize()
        .unwrap();
    let az = azurite::Azurite::start();
    let conn = ConnectionString::parse(&format!(
        "AccountName=devstoreaccount1;AccountKey={EMULATOR_KEY};BlobEndpoint={}",
        az.blob_endpoint()
    ))
    .unwrap();
    upload(&conn, "rtc2016", &dir).await;
    let sas = conn.key.account_sas("rl", Utc::now() + Duration::hours(1));
    let url = format!("{}/rtc2016", az.blob_endpoint());
    let local = dir.display().to_string();
    for args in [
        vec![
            "chain",
            "--database",
            "RestoreTimeClean",
            "--format",
            "json",
        ],
        vec!["plan", "--database", "RestoreTimeClean", "--format", "json"],
        vec![
            "plan",
            "--database",
            "RestoreTimeClean",
            "--at",
            "2019-05-02 21:12:27",
            "--format",
            "json",
        ],
    ] {
        let with = |src: &str| -> Vec<String> {
            let mut v: Vec<String> = ["--files", src, "--now", "2026-01-01T00:00:00Z"]
                .map(String::from)
                .to_vec();
            v.extend(args.iter().map(|s| s.to_string()));
            v
        };
        let from_blobs = run(with(&url), &sas).await;
        let from_disk = run(with(&local), "").await;
        let stderr = String::from_utf8_lossy(&from_blobs.stderr);
        assert_eq!(from_blobs.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(from_disk.status.code(), Some(0));
        let a = normalized(&from_blobs, &url);
        let b = normalized(&from_disk, &local);
        // msdb records a blob as a URL device, a file as a disk: the only difference allowed.
        let a_text = a
            .to_string()
            .replace("\"url\"", "\"disk\"")
            .replace("URL", "disk");
        let b_text = b.to_string().replace("URL", "disk");
        assert_eq!(a_text, b_text, "{args:?}");
        if args[0] == "plan" {
            let steps = a["steps"].as_array().unwrap().len();
            let expected = if args.contains(&"--at") { 4 } else { 5 };
            assert_eq!(
                steps, expected,
                "dbatools' CI restores this in {expected} files: {a}"
            );
        }
    }
}
