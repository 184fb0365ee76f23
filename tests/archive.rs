//! The archive on real SQLite files in temporary folders: round trips with
//! the snapshot shape, purges that msdb makes and the archive does not,
//! refusal of foreign files, a full disk, a killed writer, readers beside a
//! writer, and recoverability over the past.

mod common;

use std::path::{Path, PathBuf};

use chainwatch::archive::{keys, ArchiveError, ArchiveStore, SqliteArchive};
use chainwatch::model::{Cell, Table};
use chainwatch::snapshot::{table, to_estate, Snapshot};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

/// A fresh folder for one test (removed when it passes).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("cw-archive-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn demo() -> Snapshot {
    chainwatch::demo::snapshot(now())
}

fn backupsets(s: &Snapshot, instance: usize) -> &Table {
    &s.instances[instance].tables[table::BACKUPSET]
}

fn ids(t: &Table) -> Vec<i64> {
    t.rows()
        .filter_map(|r| match r.get("backup_set_id") {
            Some(Cell::Int(i)) => Some(*i),
            _ => None,
        })
        .collect()
}

fn import(path: &Path, s: &Snapshot) -> chainwatch::archive::ImportStats {
    let mut a = SqliteArchive::create_or_open(path).expect("open archive");
    a.import(s).expect("import")
}

fn export(path: &Path) -> Snapshot {
    SqliteArchive::open(path)
        .expect("open archive")
        .export()
        .expect("export")
}

#[test]
fn a_snapshot_comes_back_exactly_and_loads_into_the_same_estate() {
    let dir = TempDir::new("round-trip");
    let file = dir.path("estate.sqlite");
    let original = demo();
    let stats = import(&file, &original);
    let rows: usize = original
        .instances
        .iter()
        .flat_map(|i| i.tables.values())
        .map(Table::len)
        .sum();
    let kept: usize = original
        .instances
        .iter()
        .flat_map(|i| i.tables.iter())
        .filter(|(name, _)| keys::kind(name) != keys::Kind::Replaced)
        .map(|(_, t)| t.len())
        .sum();
    assert_eq!(stats.rows_read, rows as u64);
    assert_eq!(
        stats.new_rows, kept as u64,
        "every kept row is new the first time"
    );
    let back = export(&file);
    assert_eq!(
        back, original,
        "the archive gives back the snapshot it was given"
    );
    let a = to_estate(original, "x", true).unwrap();
    let b = to_estate(back, "x", true).unwrap();
    assert_eq!(a, b);
    assert!(a.instances.iter().any(|i| !i.backups.is_empty()));
}

#[test]
fn importing_the_same_snapshot_again_stores_nothing_new() {
    let dir = TempDir::new("idempotent");
    let file = dir.path("estate.sqlite");
    let original = demo();
    import(&file, &original);
    let again = import(&file, &original);
    assert_eq!(again.new_rows, 0);
    assert!(again.rows_read > 0);
    assert_eq!(export(&file), original);
}

/// msdb purged its oldest history and a database was dropped: the archive
/// keeps the purged backups and follows the new state.
#[test]
fn rows_msdb_purged_stay_and_state_follows_the_latest_collection() {
    let dir = TempDir::new("purge");
    let file = dir.path("estate.sqlite");
    let first = demo();
    import(&file, &first);

    let mut later = first.clone();
    later.collected_at = Some("2026-11-23T10:00:00Z".into());
    let inst = &mut later.instances[0];
    let all = ids(&inst.tables[table::BACKUPSET]);
    let cut = all[all.len() / 2];
    // sp_delete_backuphistory: the older half is gone.
    inst.tables
        .get_mut(table::BACKUPSET)
        .unwrap()
        .retain(|r| !matches!(r.get("backup_set_id"), Some(Cell::Int(i)) if *i < cut));
    // A new backup arrives.
    let mut new_row = inst.tables[table::BACKUPSET].row(0).unwrap().to_map();
    new_row.insert("backup_set_id".into(), serde_json::json!(9_999_999));
    new_row.insert(
        "backup_set_uuid".into(),
        serde_json::json!("0badc0de-0000-4000-8000-000000000001"),
    );
    inst.tables
        .get_mut(table::BACKUPSET)
        .unwrap()
        .push_map(new_row);
    // One database dropped.
    let dbs = inst.tables.get_mut(table::DATABASES).unwrap();
    let before = dbs.len();
    let gone = dbs
        .rows()
        .filter_map(|r| {
            r.get("name")
                .and_then(|c| c.as_text())
                .map(|t| t.into_owned())
        })
        .find(|n| !["master", "model", "msdb", "tempdb"].contains(&n.as_str()))
        .unwrap();
    dbs.retain(|r| r.get("name").and_then(|c| c.as_text()).as_deref() != Some(&gone));
    assert_eq!(dbs.len(), before - 1);

    let stats = import(&file, &later);
    assert_eq!(stats.new_rows, 1, "only the new backup is new");
    let back = export(&file);
    let mut expected = all.clone();
    expected.push(9_999_999);
    assert_eq!(
        ids(backupsets(&back, 0)),
        expected,
        "purged rows are kept, in order"
    );
    let names: Vec<String> = back.instances[0].tables[table::DATABASES]
        .rows()
        .filter_map(|r| {
            r.get("name")
                .and_then(|c| c.as_text())
                .map(|t| t.into_owned())
        })
        .collect();
    assert!(
        !names.contains(&gone),
        "the dropped database is no longer current"
    );
    assert_eq!(names.len(), before - 1);
    assert_eq!(back.collected_at.as_deref(), Some("2026-11-23T10:00:00Z"));

    // An older snapshot imported afterwards cannot roll the state back.
    let stats = import(&file, &first);
    assert_eq!(stats.new_rows, 0);
    assert!(stats.older_tables > 0);
    let again = export(&file);
    assert_eq!(
        again.instances[0].tables[table::DATABASES],
        back.instances[0].tables[table::DATABASES]
    );
}

/// The same backup seen with its GUID spelled uppercase (FOR JSON) and
/// lowercase is one row.
#[test]
fn a_backup_set_is_stored_once_by_its_uuid() {
    let dir = TempDir::new("uuid");
    let file = dir.path("estate.sqlite");
    let original = demo();
    import(&file, &original);
    let mut upper = original.clone();
    upper.collected_at = Some("2026-11-22T11:00:00Z".into());
    for inst in &mut upper.instances {
        let t = inst.tables.get_mut(table::BACKUPSET).unwrap();
        for i in 0..t.len() {
            let Some(u) = t
                .row(i)
                .unwrap()
                .get("backup_set_uuid")
                .and_then(|c| c.as_text())
            else {
                continue;
            };
            let u = u.to_uppercase();
            t.set(i, "backup_set_uuid", Cell::Text(u.as_str().into()));
        }
    }
    let stats = import(&file, &upper);
    assert_eq!(stats.new_rows, 0);
    let back = export(&file);
    assert_eq!(backupsets(&back, 0).len(), backupsets(&original, 0).len());
}

#[test]
fn the_store_reports_where_a_refresh_reads_on_from() {
    let dir = TempDir::new("summary");
    let file = dir.path("estate.sqlite");
    let original = demo();
    import(&file, &original);
    let a = SqliteArchive::open(&file).unwrap();
    let list = a.instances().unwrap();
    assert_eq!(list.len(), original.instances.len());
    for (s, inst) in list.iter().zip(&original.instances) {
        assert_eq!(s.name, inst.name);
        let t = &inst.tables[table::BACKUPSET];
        assert_eq!(s.backup_sets, t.len() as u64);
        assert_eq!(s.max_backup_set_id, ids(t).into_iter().max());
    }
    assert_eq!(a.schema_version().unwrap(), 1);
    assert_eq!(a.integrity_check().unwrap(), vec!["ok".to_string()]);
}

#[test]
fn foreign_damaged_and_newer_files_are_refused_by_name() {
    let dir = TempDir::new("foreign");
    // Not SQLite at all.
    let text = dir.path("notes.sqlite");
    std::fs::write(&text, "just some text, long enough to look like a header").unwrap();
    let err = SqliteArchive::open(&text).unwrap_err();
    assert!(matches!(err, ArchiveError::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("notes.sqlite"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "just some text, long enough to look like a header",
        "left untouched"
    );
    // Another program's SQLite database.
    let other = dir.path("other.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let err = SqliteArchive::create_or_open(&other).unwrap_err();
    assert!(matches!(err, ArchiveError::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("other.db"), "{err}");
    // A newer chainwatch's archive.
    let newer = dir.path("newer.sqlite");
    import(&newer, &demo());
    {
        let c = rusqlite::Connection::open(&newer).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = SqliteArchive::open(&newer).unwrap_err();
    assert!(
        matches!(err, ArchiveError::Newer { found: 99, .. }),
        "{err}"
    );
    // A missing file is not created by a read.
    let missing = dir.path("missing.sqlite");
    let err = SqliteArchive::open(&missing).unwrap_err();
    assert!(matches!(err, ArchiveError::Missing(_)), "{err}");
    assert!(!missing.exists());
    // Damaged pages: overwrite the middle of a real archive.
    let damaged = dir.path("damaged.sqlite");
    import(&damaged, &demo());
    let mut bytes = std::fs::read(&damaged).unwrap();
    assert!(bytes.len() > 64 * 1024);
    let end = bytes.len() - 4096;
    for b in &mut bytes[8192..end] {
        *b = 0x5A;
    }
    std::fs::write(&damaged, bytes).unwrap();
    let err = SqliteArchive::open(&damaged)
        .and_then(|a| a.export().map(|_| ()))
        .unwrap_err();
    assert!(err.to_string().contains("damaged.sqlite"), "{err}");
    assert!(
        matches!(err, ArchiveError::Corrupt { .. } | ArchiveError::Row { .. }),
        "{err:?}"
    );
}

/// The "disk" fills up in the middle of an import: a clear error, and the
/// archive still holds exactly what it held before.
#[test]
fn a_full_disk_rolls_the_import_back_and_says_so() {
    let dir = TempDir::new("full");
    let file = dir.path("estate.sqlite");
    let small = {
        let mut s = demo();
        s.instances.truncate(1);
        s
    };
    import(&file, &small);
    let before = export(&file);
    let pages: i64 = rusqlite::Connection::open(&file)
        .unwrap()
        .pragma_query_value(None, "page_count", |r| r.get(0))
        .unwrap();

    let mut a = SqliteArchive::open(&file).unwrap();
    a.set_page_limit(pages as u64 + 4).unwrap();
    let mut big = demo();
    big.collected_at = Some("2026-11-23T10:00:00Z".into());
    let err = a.import(&big).unwrap_err();
    assert!(matches!(err, ArchiveError::Full { .. }), "{err:?}");
    assert!(err.to_string().contains("estate.sqlite"), "{err}");
    assert!(err.to_string().contains("rolled back"), "{err}");
    drop(a);

    let after = SqliteArchive::open(&file).unwrap();
    assert_eq!(after.integrity_check().unwrap(), vec!["ok".to_string()]);
    assert_eq!(after.export().unwrap(), before);
}
