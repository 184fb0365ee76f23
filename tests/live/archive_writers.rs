//! Two writers on one archive: SQLite's write lock (with a busy wait)
//! serialises them, and a writer that cannot get the lock in time is told
//! the archive is locked by another writer; never a raw SQLite error, never
//! a damaged file.

use std::process::Stdio;

use crate::support::archive::{
    backup_sets_of, bin, copies, import, import_ok, write_snapshot, TempDir,
};
use chainwatch::archive::{ArchiveStore, SqliteArchive};

fn stored(file: &std::path::Path) -> std::collections::HashMap<String, u64> {
    let a = chainwatch::archive::open_store(file).unwrap();
    assert_eq!(a.integrity_check().unwrap(), vec!["ok".to_string()]);
    a.instances()
        .unwrap()
        .into_iter()
        .map(|i| (i.name, i.backup_sets))
        .collect()
}

#[test]
fn two_imports_at_once_both_succeed_one_after_the_other() {
    let dir = TempDir::new("two-writers");
    let file = dir.path("a.sqlite");
    let (a, b) = (copies("a", 3), copies("b", 3));
    let (pa, pb) = (dir.path("a.json"), dir.path("b.json"));
    write_snapshot(&pa, &a);
    write_snapshot(&pb, &b);
    // Both start on the same new file: creating it is serialised too.
    let spawn = |p: &std::path::Path| {
        bin()
            .args(["archive", "import"])
            .arg(p)
            .arg("--archive")
            .arg(&file)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (ca, cb) = (spawn(&pa), spawn(&pb));
    for child in [ca, cb] {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(err.contains("new rows"), "{err}");
    }
    let mut expected = backup_sets_of(&a);
    expected.extend(backup_sets_of(&b));
    assert_eq!(stored(&file), expected);
}

/// Another writer holds the lock past the busy wait (10 s): the import
/// stops with a message that says so, the archive keeps what it held, and
/// the import works once the lock is released.
#[test]
fn a_writer_kept_waiting_is_told_the_archive_is_locked() {
    let dir = TempDir::new("locked");
    let file = dir.path("a.sqlite");
    let base = copies("base", 1);
    SqliteArchive::create_or_open(&file)
        .unwrap()
        .import(&base)
        .unwrap();
    let more = copies("more", 1);
    let path = dir.path("more.json");
    write_snapshot(&path, &more);

    let holder = rusqlite::Connection::open(&file).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let out = import(&[&path], &file);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("a.sqlite") && err.contains("the archive is locked by another writer"),
        "{err}"
    );
    assert!(
        !err.contains("database is locked"),
        "no raw SQLite error: {err}"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(9),
        "it waited for the lock first"
    );
    // A reader is not kept waiting by the writer.
    assert_eq!(stored(&file), backup_sets_of(&base));
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);

    import_ok(&[&path], &file);
    let mut expected = backup_sets_of(&base);
    expected.extend(backup_sets_of(&more));
    assert_eq!(stored(&file), expected);
}
