//! Schema migrations on real files: an archive written at version 1 is
//! upgraded in place with its rows; a step that fails is rolled back and
//! named, and the file stays at the version it had.

use std::path::Path;

use crate::support::archive::TempDir;
use chainwatch::archive::schema::{current_version, APPLICATION_ID, MIGRATIONS};
use chainwatch::archive::{ArchiveError, ArchiveStore, SqliteArchive};

/// An archive as chainwatch wrote it at schema version 1, with one instance.
fn version_1(file: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(file).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.execute_batch(MIGRATIONS[0]).unwrap();
    c.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    c.pragma_update(None, "user_version", 1).unwrap();
    c.execute(
        "INSERT INTO instance (name, collected_at_ms, server, missing, extra)
         VALUES ('SQL01', 1764000000000, '{}', '{}', '{}')",
        [],
    )
    .unwrap();
    c
}

fn user_version(file: &Path) -> i64 {
    rusqlite::Connection::open(file)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

#[test]
fn an_archive_at_version_1_is_upgraded_with_its_rows() {
    assert_eq!(current_version(), 2);
    let dir = TempDir::new("migrate-v1");
    let file = dir.path("old.sqlite");
    drop(version_1(&file));

    let mut a = SqliteArchive::open(&file).expect("a version 1 archive opens");
    assert_eq!(a.schema_version().unwrap(), 2);
    let list = a.instances().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "SQL01");
    assert_eq!(list[0].collected_at_ms, Some(1_764_000_000_000));
    assert_eq!(list[0].full_read_at_ms, None, "never read whole through v2");
    // The new column works.
    let at = chrono::DateTime::from_timestamp_millis(1_764_100_000_000).unwrap();
    a.mark_full_read(&["sql01".to_string()], at).unwrap();
    assert_eq!(
        a.instances().unwrap()[0].full_read_at_ms,
        Some(1_764_100_000_000)
    );
    assert_eq!(a.integrity_check().unwrap(), vec!["ok".to_string()]);
    drop(a);
    assert_eq!(user_version(&file), 2);
}

#[test]
fn a_failing_step_is_rolled_back_and_named() {
    let dir = TempDir::new("migrate-fail");
    let file = dir.path("odd.sqlite");
    // Someone added the column by hand at version 1: step 2 cannot run.
    let c = version_1(&file);
    c.execute_batch("ALTER TABLE instance ADD COLUMN full_read_at_ms INTEGER")
        .unwrap();
    drop(c);

    let err = SqliteArchive::open(&file).unwrap_err();
    assert!(
        matches!(err, ArchiveError::Migration { version: 2, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("odd.sqlite")
            && text.contains("version 2 failed")
            && text.contains("left at version 1")
            && text.contains("duplicate column"),
        "{text}"
    );
    // Rolled back: still version 1, still ours, its row still there.
    assert_eq!(user_version(&file), 1);
    let c = rusqlite::Connection::open(&file).unwrap();
    let n: i64 = c
        .query_row("SELECT COUNT(*) FROM instance", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}
