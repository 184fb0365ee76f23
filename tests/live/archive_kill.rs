//! kill -9 of a writer while it is writing (its `-wal` file has grown past
//! what the last commit left): the file is sound, exactly the committed rows
//! remain, and the interrupted write runs again to completion. For
//! `archive import` and for `check --archive` storing a round.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::archive::{backup_sets_of, bin, copies, import_ok, write_snapshot, TempDir};
use crate::support::{demo_instances, TdsServer};
use chainwatch::archive::{ArchiveStore, SqliteArchive};

pub fn wal(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push("-wal");
    s.into()
}

fn wal_len(file: &Path) -> u64 {
    std::fs::metadata(wal(file)).map_or(0, |m| m.len())
}

/// SIGKILLs `child` as soon as the archive's WAL grows past `len` bytes:
/// the writer has begun writing its transaction.
fn kill_once_writing(child: &mut Child, file: &Path, len: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let now = wal_len(file);
        if now > len {
            child.kill().unwrap(); // SIGKILL
            assert!(!child.wait().unwrap().success());
            return now;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the writer ended before its WAL grew past {len} bytes"
        );
        assert!(Instant::now() < deadline, "no write within 300 s");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The WAL emptied into the database file, so any growth is a new write.
fn checkpoint(file: &Path) {
    let c = rusqlite::Connection::open(file).unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap();
    assert_eq!(wal_len(file), 0);
}

fn stored(file: &Path) -> std::collections::HashMap<String, u64> {
    let a = chainwatch::archive::open_store(file).unwrap();
    assert_eq!(a.integrity_check().unwrap(), vec!["ok".to_string()]);
    a.instances()
        .unwrap()
        .into_iter()
        .map(|i| (i.name, i.backup_sets))
        .collect()
}

#[test]
fn a_writer_killed_mid_import_loses_nothing_committed() {
    let dir = TempDir::new("kill");
    let file = dir.path("a.sqlite");
    let small_path = dir.path("small.json");
    let big_path = dir.path("big.json");
    let small = copies("s", 1);
    let big = copies("b", 8);
    write_snapshot(&small_path, &small);
    write_snapshot(&big_path, &big);

    let mut child = bin()
        .args(["archive", "import"])
        .arg(&small_path)
        .arg(&big_path)
        .arg("--archive")
        .arg(&file)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.contains("imported") && first.contains("small.json"),
        "{first}"
    );
    // The small file is committed; the big one is read, then written:
    // kill once its pages reach the WAL beyond what the small one left.
    let committed_wal = wal_len(&file);
    let killed_at = kill_once_writing(&mut child, &file, committed_wal);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        !rest.iter().any(|l| l.contains("big.json")),
        "the big import finished before the kill ({rest:?})"
    );
    eprintln!("killed with a {killed_at}-byte WAL (the commit before left {committed_wal})");

    assert_eq!(
        stored(&file),
        backup_sets_of(&small),
        "exactly the committed file"
    );
    let exported = SqliteArchive::open(&file).unwrap().export().unwrap();
    assert_eq!(exported.instances, small.instances);

    // No stale lock: the interrupted file imports now.
    import_ok(&[&big_path], &file);
    let mut expected = backup_sets_of(&small);
    expected.extend(backup_sets_of(&big));
    assert_eq!(stored(&file), expected);
}

/// `check --archive` killed while it stores its round (four instances'
/// whole history in one transaction): nothing of the round is stored, the
/// archive is sound, and the next `check` stores the round.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_killed_while_storing_its_round_loses_nothing_committed() {
    let name = "SQL16\\PROD";
    let full = demo_instances("2026-11-22T10:00:00Z").remove(name).unwrap();
    let sets = full.tables[chainwatch::model::catalog::BACKUPSET].len() as u64;
    let server = TdsServer::start(full, Default::default()).await;
    let dir = TempDir::new("kill-check");
    let (cfg, file) = (dir.path("cw.toml"), dir.path("a.sqlite"));
    let names: Vec<String> = (0..4).map(|k| format!("PROD{k}")).collect();
    let mut text = "[defaults]\nconnect_timeout_secs = 5\nretries = 0\n".to_string();
    for n in &names {
        text.push_str(&format!(
            "\n[[instance]]\nname = '{n}'\nconnection = \"Server=tcp:{},{};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\npassword_env = \"CW_TEST_PASSWORD\"\n",
            server.addr.ip(),
            server.addr.port()
        ));
    }
    std::fs::write(&cfg, text).unwrap();
    // An archive that exists, its WAL empty: a WAL past 1 MiB is the
    // round's transaction well under way (four whole histories, ~40 MB).
    drop(SqliteArchive::create_or_open(&file).unwrap());
    checkpoint(&file);

    let check = || {
        bin()
            .arg("check")
            .arg("--config")
            .arg(&cfg)
            .arg("--archive")
            .arg(&file)
            .args(["--format", "json"])
            .env("CW_TEST_PASSWORD", "s3cret!")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (file2, mut child) = (file.clone(), check());
    let killed_at =
        tokio::task::spawn_blocking(move || kill_once_writing(&mut child, &file2, 1 << 20))
            .await
            .unwrap();
    eprintln!("killed with a {killed_at}-byte WAL");
    assert!(stored(&file).is_empty(), "nothing of the interrupted round");

    let mut again = check();
    let status = tokio::task::spawn_blocking(move || again.wait().unwrap())
        .await
        .unwrap();
    assert!(status.code().is_some_and(|c| c < 3), "{status:?}");
    let all = stored(&file);
    assert_eq!(all.len(), names.len(), "{all:?}");
    assert!(all.values().all(|n| *n == sets), "{all:?} of {sets}");
}
