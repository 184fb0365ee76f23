//! `check --archive` reads only rows past the archived backup_set_id, and
//! an instance's whole history again once its last whole read is older
//! than `archive_reread_hours` (24 by default): then a row msdb edited
//! after it was archived is picked up.

use std::path::Path;

use crate::support::archive::{bin, TempDir};
use crate::support::{demo_instances, ServerOptions, TdsServer};
use chainwatch::archive::{ArchiveStore, SqliteArchive};
use chainwatch::model::{catalog, Cell};

const NAME: &str = "SQL16\\PROD";

fn write_config(path: &Path, addr: std::net::SocketAddr) {
    std::fs::write(
        path,
        format!(
            "[defaults]\nconnect_timeout_secs = 5\nretries = 0\n\n[[instance]]\nname = '{NAME}'\nconnection = \"Server=tcp:{},{};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\npassword_env = \"CW_TEST_PASSWORD\"\n",
            addr.ip(),
            addr.port()
        ),
    )
    .unwrap();
}

/// Runs `check` through the archive on a server; returns the history query it sent.
async fn check(cfg: &Path, file: &Path, server: chainwatch::snapshot::SnapshotInstance) -> String {
    let options = ServerOptions::default();
    let srv = TdsServer::start(server, options.clone()).await;
    write_config(cfg, srv.addr);
    let (cfg, file) = (cfg.to_path_buf(), file.to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        bin()
            .arg("check")
            .arg("--config")
            .arg(&cfg)
            .arg("--archive")
            .arg(&file)
            .args(["--format", "json"])
            .env("CW_TEST_PASSWORD", "s3cret!")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reads = options.reads.lock().unwrap();
    reads
        .iter()
        .find(|q| q.starts_with("-- chainwatch: msdb.dbo.backupset"))
        .cloned()
        .expect("a history query")
}

/// The archived `name` of backup set `id`.
fn archived_name(file: &Path, id: i64) -> String {
    let s = SqliteArchive::open(file).unwrap().export().unwrap();
    let t = &s.instances[0].tables[catalog::BACKUPSET];
    let name = t
        .rows()
        .find(|r| matches!(r.get("backup_set_id"), Some(Cell::Int(i)) if *i == id))
        .and_then(|r| r.get("name").map(|c| c.to_value()))
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    name
}

fn full_read_at(file: &Path) -> Option<i64> {
    SqliteArchive::open(file).unwrap().instances().unwrap()[0].full_read_at_ms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_msdb_edit_is_picked_up_at_the_periodic_whole_read() {
    let full = demo_instances("2026-11-22T10:00:00Z").remove(NAME).unwrap();
    let sets = &full.tables[catalog::BACKUPSET];
    let row = sets.len() / 2;
    let id = match sets.rows().nth(row).unwrap().get("backup_set_id") {
        Some(Cell::Int(i)) => *i,
        other => panic!("{other:?}"),
    };
    let last = sets
        .rows()
        .filter_map(|r| match r.get("backup_set_id") {
            Some(Cell::Int(i)) => Some(*i),
            _ => None,
        })
        .max()
        .unwrap();
    let (whole, past_last) = ("b.backup_set_id > 0 ", format!("b.backup_set_id > {last}"));
    let mut edited = full.clone();
    edited
        .tables
        .get_mut(catalog::BACKUPSET)
        .unwrap()
        .set(row, "name", "edited in msdb");
    let dir = TempDir::new("reread");
    let (cfg, file) = (dir.path("cw.toml"), dir.path("a.sqlite"));

    // First run: the whole history, marked as read whole.
    let q = check(&cfg, &file, full.clone()).await;
    assert!(q.contains(whole), "whole: {q}");
    let original = archived_name(&file, id);
    assert_ne!(original, "edited in msdb");
    let first = full_read_at(&file).expect("marked");
    let info = crate::support::bin::json(&[
        "archive",
        "info",
        "--format",
        "json",
        "--archive",
        file.to_str().unwrap(),
    ]);
    assert!(info["instances"][0]["full_read_at"].is_string(), "{info}");

    // msdb edits the row. Within 24 h of the whole read: only newer rows
    // are read, so the edit is not seen.
    let q = check(&cfg, &file, edited.clone()).await;
    assert!(q.contains(&past_last), "incremental: {q}");
    assert_eq!(archived_name(&file, id), original);
    assert_eq!(full_read_at(&file), Some(first), "not a whole read");

    // The whole read is 25 h old: the next run reads everything again.
    let c = rusqlite::Connection::open(&file).unwrap();
    let old = chrono::Utc::now().timestamp_millis() - 25 * 3_600_000;
    c.execute("UPDATE instance SET full_read_at_ms = ?1", [old])
        .unwrap();
    drop(c);
    let q = check(&cfg, &file, edited).await;
    assert!(q.contains(whole), "whole again: {q}");
    assert_eq!(archived_name(&file, id), "edited in msdb");
    assert!(full_read_at(&file).is_some_and(|t| t > old + 3_600_000));
}
