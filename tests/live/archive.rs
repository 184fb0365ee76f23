//! The archive on real SQLite files in temporary folders: round trips with
//! the snapshot shape, purges that msdb makes and the archive does not,
//! refusal of foreign files, a full disk, a killed writer, readers beside a
//! writer, and recoverability over the past.

use std::path::Path;

use crate::support::archive::{backup_sets_of, bin, copies, demo, run, write_snapshot, TempDir};
use crate::support::now;
use chainwatch::archive::{keys, ArchiveError, ArchiveStore, SqliteArchive};
use chainwatch::model::catalog;
use chainwatch::model::{Cell, Table};
use chainwatch::snapshot::{to_estate, Snapshot};
use chrono::{Duration, TimeZone, Utc};

fn backupsets(s: &Snapshot, instance: usize) -> &Table {
    &s.instances[instance].tables[catalog::BACKUPSET]
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
    let all = ids(&inst.tables[catalog::BACKUPSET]);
    let cut = all[all.len() / 2];
    // sp_delete_backuphistory: the older half is gone.
    inst.tables
        .get_mut(catalog::BACKUPSET)
        .unwrap()
        .retain(|r| !matches!(r.get("backup_set_id"), Some(Cell::Int(i)) if *i < cut));
    // A new backup arrives.
    let mut new_row = inst.tables[catalog::BACKUPSET].row(0).unwrap().to_map();
    new_row.insert("backup_set_id".into(), serde_json::json!(9_999_999));
    new_row.insert(
        "backup_set_uuid".into(),
        serde_json::json!("0badc0de-0000-4000-8000-000000000001"),
    );
    inst.tables
        .get_mut(catalog::BACKUPSET)
        .unwrap()
        .push_map(new_row);
    // One database dropped.
    let dbs = inst.tables.get_mut(catalog::DATABASES).unwrap();
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
    let names: Vec<String> = back.instances[0].tables[catalog::DATABASES]
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
        again.instances[0].tables[catalog::DATABASES],
        back.instances[0].tables[catalog::DATABASES]
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
        let t = inst.tables.get_mut(catalog::BACKUPSET).unwrap();
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
        let t = &inst.tables[catalog::BACKUPSET];
        assert_eq!(s.backup_sets, t.len() as u64);
        assert_eq!(s.max_backup_set_id, ids(t).into_iter().max());
    }
    assert_eq!(
        a.schema_version().unwrap(),
        chainwatch::archive::schema::current_version()
    );
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

// ---- recoverability over the past ----

use crate::support::history::{at, Hist};
use chainwatch::analysis::history::history_of;
use chainwatch::analysis::past::{recoverability, Context, Past, Span};
use chainwatch::analysis::roles::Roles;
use chainwatch::analysis::{analyze_history, BreakReason};
use chainwatch::model::Database;

/// full@10, logs@62/122/182, a log lost, logs@242/302 (unusable), full@410, log@462.
fn gap_history() -> (Hist, i64, i64, i64) {
    let mut h = Hist::new();
    h.full(0, 10);
    let logs = h.hourly_logs(60, 3);
    h.lost_log();
    let after_gap = h.hourly_logs(240, 2);
    let full = h.full(400, 10);
    h.hourly_logs(460, 1);
    (h, logs[2], after_gap[0], full)
}

fn past_of(h: &Hist, from: i64, to: i64, limit_min: i64) -> Past {
    let history = history_of(&h.rows, "Sales");
    let db = Database::new_named("Sales");
    let span = Span {
        from: at(from),
        to: at(to),
        limit: Duration::minutes(limit_min),
        watched_since: None,
    };
    let context = Context {
        roles: &Roles::default(),
        in_estate: &|_| false,
        policy: Default::default(),
    };
    recoverability("SQL01", &db, true, &history, &context, span)
}

#[test]
fn time_outside_policy_is_exact_and_each_breach_names_its_backups() {
    let (h, last_good, after_gap, full) = gap_history();
    let p = past_of(&h, 0, 500, 90);
    // Judged from the first backup (nothing was watched before it).
    assert_eq!(p.judged_from, at(10));
    // Recoverable to 182 until the full at 410: outside the 90-minute
    // policy from 272 to 410.
    assert_eq!(p.seconds_outside_policy, 138 * 60);
    assert_eq!(p.seconds_unrecoverable, 0);
    assert_eq!(p.worst_rpo_seconds, Some((410 - 182) * 60));
    assert_eq!(p.worst_rpo_at, Some(at(410)));
    assert_eq!(p.breaches.len(), 1, "{:#?}", p.breaches);
    let b = &p.breaches[0];
    assert_eq!((b.from, b.to), (at(272), at(410)));
    assert_eq!(b.recoverable_to, Some(at(182)));
    assert_eq!(b.last_good_backup_set_id, Some(last_good));
    assert_eq!(b.ended_by, vec![full]);
    assert!(
        b.breaks
            .iter()
            .any(|k| k.reason == BreakReason::Gap && k.before_backup_set_id == Some(after_gap)),
        "{:?}",
        b.breaks
    );
    for id in [last_good, after_gap, full] {
        assert!(b.evidence.contains(&id), "{id} in {:?}", b.evidence);
    }
    // One moment per backup finish in the range.
    assert_eq!(p.moments.len(), h.rows.len());
    assert_eq!(p.moments[0].rpo_seconds, Some(0));

    // A policy the gap fits inside is met.
    let relaxed = past_of(&h, 0, 500, 240);
    assert_eq!(relaxed.seconds_outside_policy, 0);
    assert!(relaxed.breaches.is_empty());
    // A range ending inside the breach leaves it open.
    let open = past_of(&h, 0, 300, 90);
    assert_eq!(open.seconds_outside_policy, 28 * 60);
    assert!(open.breaches[0].ended_by.is_empty());
}

#[test]
fn a_database_never_backed_up_is_unrecoverable_while_it_was_watched() {
    let h = Hist::new();
    let history = history_of(&h.rows, "Sales");
    let context = Context {
        roles: &Roles::default(),
        in_estate: &|_| false,
        policy: Default::default(),
    };
    let span = Span {
        from: at(0),
        to: at(600),
        limit: Duration::minutes(60),
        watched_since: Some(at(100)),
    };
    let mut db = Database::new_named("Sales");
    db.exists = true;
    // Created long before the watch began: judged from the watch.
    db.create_date = Some(at(-60 * 24 * 400));
    let p = recoverability("SQL01", &db, true, &history, &context, span);
    assert_eq!(p.judged_from, at(100));
    assert_eq!(p.seconds_outside_policy, 500 * 60);
    assert_eq!(p.seconds_unrecoverable, 500 * 60);
    assert_eq!(p.breaches.len(), 1);
    // Created while it was watched: judged from the end of its grace for a
    // first backup (24 h by default, past this range: nothing to judge)...
    db.create_date = Some(at(400));
    let p = recoverability("SQL01", &db, true, &history, &context, span);
    assert_eq!(p.judged_from, at(600));
    assert_eq!(p.seconds_unrecoverable, 0);
    // ... or from its creation with no grace.
    let mut policy = context.policy.clone();
    policy.first_full_grace = Duration::zero();
    let context = Context { policy, ..context };
    let p = recoverability("SQL01", &db, true, &history, &context, span);
    assert_eq!(p.judged_from, at(400));
    assert_eq!(p.seconds_unrecoverable, 200 * 60);
}

/// The exact answer against a brute force: the analysis run at the middle
/// of every minute on the rows finished by then.
#[test]
fn the_exact_answer_matches_a_minute_by_minute_brute_force() {
    let mut h = Hist::new();
    h.hourly_logs(5, 2); // logs before any full: nothing recoverable yet
    h.full(150, 20);
    h.hourly_logs(200, 4);
    h.lost_log();
    h.hourly_logs(470, 3);
    h.diff(650, 5);
    h.hourly_logs(700, 5);
    h.full(1100, 30);
    h.hourly_logs(1200, 2);
    let (from, to, limit) = (0, 1400, 75);
    let p = past_of(&h, from, to, limit);
    let db = Database::new_named("Sales");
    let mut outside = 0;
    let mut unrecoverable = 0;
    let mut worst = 0;
    for m in (p.judged_from - at(0)).num_minutes()..to {
        let t = at(m) + Duration::seconds(30);
        let rows: Vec<_> = h
            .rows
            .iter()
            .filter(|b| b.finish.unwrap() <= t)
            .cloned()
            .collect();
        let history = history_of(&rows, "Sales");
        let a = analyze_history("SQL01".into(), db.clone(), true, history, t);
        match a.health.latest_recoverable {
            None => {
                outside += 1;
                unrecoverable += 1;
            }
            Some(l) => {
                worst = worst.max((t - l).num_seconds() + 30);
                if t - l > Duration::minutes(limit) {
                    outside += 1;
                }
            }
        }
    }
    assert_eq!(p.seconds_outside_policy, outside * 60);
    assert_eq!(p.seconds_unrecoverable, unrecoverable * 60);
    assert_eq!(p.worst_rpo_seconds, Some(worst));
    assert!(
        outside > 0 && unrecoverable > 0,
        "the scenario exercises both"
    );
    assert_eq!(
        p.breaches.iter().map(|b| b.seconds).sum::<i64>(),
        p.seconds_outside_policy
    );
}

// ---- the command line, a killed writer, readers beside a writer ----

use std::process::Stdio;

const DAY: &str = "2026-11-21T10:00:00Z";

#[test]
fn cli_import_export_history_and_compliance() {
    let dir = TempDir::new("cli");
    let snap = dir.path("demo.json");
    let file = dir.path("a.sqlite");
    let back = dir.path("back.json");
    let (s, f, b) = (
        snap.to_str().unwrap(),
        file.to_str().unwrap(),
        back.to_str().unwrap(),
    );
    write_snapshot(&snap, &demo());
    let out = run(&["archive", "import", s, "--archive", f]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("new rows"));
    let out = run(&["archive", "export", "-o", b, "--archive", f]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&back).unwrap()).unwrap();
    assert_eq!(a, c, "export gives back the imported snapshot");

    let info = crate::support::bin::json(&["archive", "info", "--format", "json", "--archive", f]);
    assert_eq!(info["integrity"], serde_json::json!(["ok"]));
    assert_eq!(
        info["instances"].as_array().unwrap().len(),
        demo().instances.len()
    );

    // history: the same answer as the library, through the archive.
    let h = crate::support::bin::json(&[
        "history",
        "--database",
        "Orders",
        "--rpo",
        "3h",
        "--from",
        "2026-11-20T00:00:00Z",
        "--to",
        "2026-11-22T10:00:00Z",
        "--format",
        "json",
        "--archive",
        f,
    ]);
    assert_eq!(h["database"], "Orders");
    assert_eq!(h["rpo_limit_seconds"], 3 * 3600);
    assert_eq!(h["from"], "2026-11-20T00:00:00Z");
    let moments = h["moments"].as_array().unwrap();
    assert!(moments.len() > 10);
    assert!(moments
        .windows(2)
        .all(|w| w[0]["at"].as_str() < w[1]["at"].as_str()));
    let estate = to_estate(demo(), "x", true).unwrap();
    let (inst, db) = chainwatch::analysis::find_database(&estate, None, "Orders").unwrap();
    let history = chainwatch::analysis::history::history_for(&estate, inst, db);
    let roles = chainwatch::analysis::roles::roles(&estate, inst, db);
    let in_estate = |n: &str| chainwatch::analysis::roles::instance_named(&estate, n).is_some();
    let context = Context {
        roles: &roles,
        in_estate: &in_estate,
        policy: Default::default(),
    };
    let p = recoverability(
        &inst.name,
        db,
        true,
        &history,
        &context,
        Span {
            from: Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap(),
            to: now(),
            limit: Duration::hours(3),
            watched_since: inst.backups.iter().filter_map(|b| b.finish).min(),
        },
    );
    assert_eq!(h["seconds_outside_policy"], p.seconds_outside_policy);
    assert_eq!(
        h["worst_rpo_seconds"],
        serde_json::json!(p.worst_rpo_seconds)
    );
    assert_eq!(moments.len(), p.moments.len());

    // compliance over the last day: a policy the demo's 2-hourly logs
    // break, in the three formats (the whole archive is the default range;
    // a day keeps the debug-build test short).
    let out = run(&[
        "report",
        "compliance",
        "--rpo",
        "15m",
        "--format",
        "json",
        "--from",
        DAY,
        "--archive",
        f,
    ]);
    assert_eq!(out.status.code(), Some(1), "breached");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["compliant"], false);
    let dbs = r["databases"].as_array().unwrap();
    assert!(!dbs.is_empty());
    let breached = dbs.iter().find(|d| d["compliant"] == false).unwrap();
    let first = &breached["breaches"][0];
    assert!(first["seconds"].as_i64().unwrap() > 0);
    assert!(!first["evidence"].as_array().unwrap().is_empty());
    let skipped = r["skipped"].as_array().unwrap();
    assert!(skipped
        .iter()
        .any(|s| s["reason"].as_str().unwrap().starts_with("dropped")));
    assert!(skipped.iter().any(|s| s["reason"]
        .as_str()
        .unwrap()
        .starts_with("judged on SQLAG02")));
    let csv = run(&[
        "report",
        "compliance",
        "--rpo",
        "15m",
        "--format",
        "csv",
        "--from",
        DAY,
        "--archive",
        f,
    ]);
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.starts_with("instance,database,compliant,worst_rpo_seconds"));
    let breach_lines = text
        .lines()
        .skip(1)
        .filter(|l| l.contains(",false,"))
        .count();
    let breaches: usize = dbs
        .iter()
        .map(|d| d["breaches"].as_array().unwrap().len())
        .sum();
    assert_eq!(breach_lines, breaches);
    let md = run(&[
        "report",
        "compliance",
        "--rpo",
        "15m",
        "--from",
        DAY,
        "--archive",
        f,
    ]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains("| Instance | Database | RPO limit | Worst RPO |"),
        "{md}"
    );
    // A policy every database with a restorable backup meets (the demo's
    // worst RPO is over a day): what breaches it are only the databases with
    // no recoverable point at all (never backed up, their full purged, new,
    // restoring), and a database snapshot is not judged.
    let out = run(&[
        "report",
        "compliance",
        "--rpo",
        "30d",
        "--format",
        "json",
        "--from",
        DAY,
        "--archive",
        f,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let breached: Vec<&serde_json::Value> = r["databases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["compliant"] == false)
        .collect();
    for d in &breached {
        assert_eq!(
            d["seconds_unrecoverable"], d["seconds_outside_policy"],
            "{d}"
        );
    }
    let names: Vec<&str> = breached
        .iter()
        .map(|d| d["database"].as_str().unwrap())
        .collect();
    for never in ["Warranty", "Documents"] {
        assert!(names.contains(&never), "{never} in {names:?}");
    }
    assert!(r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["database"] == "Inv_snap"
            && s["reason"]
                .as_str()
                .unwrap()
                .starts_with("database snapshot")));
}

#[test]
fn cli_refuses_a_foreign_file_by_name() {
    let dir = TempDir::new("cli-foreign");
    let bad = dir.path("snapshot-by-mistake.sqlite");
    std::fs::write(&bad, "{\"format\": \"chainwatch.snapshot.v1\"}").unwrap();
    for args in [
        vec!["archive", "export"],
        vec!["history", "--database", "Orders"],
        vec!["report", "compliance"],
    ] {
        let mut args = args.clone();
        args.extend(["--archive", bad.to_str().unwrap()]);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("snapshot-by-mistake.sqlite") && err.contains("not a chainwatch archive"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let missing = dir.path("none.sqlite");
    let out = run(&["archive", "export", "--archive", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no archive at"));
    assert!(!missing.exists());
}

/// Readers (the console, `check`) open and read the archive while a
/// collector imports: each read sees whole imports only, and never waits.
#[test]
fn readers_see_whole_imports_while_a_writer_writes() {
    let dir = TempDir::new("readers");
    let file = dir.path("a.sqlite");
    let mut paths = Vec::new();
    let mut expected = std::collections::HashMap::new();
    for k in 0..5 {
        let s = copies(&format!("w{k}x"), 1);
        expected.extend(backup_sets_of(&s));
        let p = dir.path(&format!("s{k}.json"));
        write_snapshot(&p, &s);
        paths.push(p);
    }
    // The file exists before the writer starts, so readers can open it.
    import(&file, &copies("base", 1));
    expected.extend(backup_sets_of(&copies("base", 1)));
    let per_file = demo().instances.len();

    let mut child = bin()
        .args(["archive", "import"])
        .args(&paths)
        .arg("--archive")
        .arg(&file)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut reads = 0;
    loop {
        let done = child.try_wait().unwrap().is_some();
        let started = std::time::Instant::now();
        let a = SqliteArchive::open(&file).expect("a reader opens beside the writer");
        // Opening and a first read would wait for a writer's lock (they
        // take milliseconds); the whole export below is CPU work that grows
        // with the archive, so it is not timed.
        a.instances().expect("a reader reads beside the writer");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the reader waited {:?}",
            started.elapsed()
        );
        let s = a.export().expect("a reader reads beside the writer");
        let got = backup_sets_of(&s);
        assert_eq!(
            (got.len() - per_file) % per_file,
            0,
            "whole imports only: {}",
            got.len()
        );
        for (name, n) in &got {
            assert_eq!(Some(n), expected.get(name), "{name} is complete");
        }
        seen.insert(got.len());
        reads += 1;
        if done {
            break;
        }
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(seen.last(), Some(&(6 * per_file)));
    assert!(
        seen.len() > 2,
        "reads happened while the writer was writing ({reads} reads saw {seen:?})"
    );
}

// ---- live collection through the archive (TDS test server) ----

use crate::support::{demo_instances, ServerOptions, TdsServer};
use chainwatch::model::RowRef;
use chainwatch::snapshot::SnapshotInstance;

fn row_id(r: RowRef<'_>, k: &str) -> i64 {
    r.get(k).map_or(0, |c| c.to_value().as_i64().unwrap_or(0))
}

/// The instance's history restricted to backup sets `keep` says yes to
/// (with their media and files), as msdb would hold it.
fn only_sets(full: &SnapshotInstance, keep: impl Fn(i64) -> bool) -> SnapshotInstance {
    let mut out = full.clone();
    let media: std::collections::BTreeSet<i64> = full.tables[catalog::BACKUPSET]
        .rows()
        .filter(|r| keep(row_id(*r, "backup_set_id")))
        .map(|r| row_id(r, "media_set_id"))
        .collect();
    for (name, rows) in out.tables.iter_mut() {
        match name.as_str() {
            catalog::BACKUPSET | catalog::BACKUPFILE => {
                rows.retain(|r| keep(row_id(r, "backup_set_id")))
            }
            catalog::BACKUPMEDIASET | catalog::BACKUPMEDIAFAMILY => {
                rows.retain(|r| media.contains(&row_id(r, "media_set_id")))
            }
            _ => {}
        }
    }
    out
}

fn write_config(path: &Path, name: &str, addr: std::net::SocketAddr) {
    std::fs::write(
        path,
        format!(
            "[defaults]\nconnect_timeout_secs = 2\nretries = 0\n\n[[instance]]\nname = '{name}'\nconnection = \"Server=tcp:{},{};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\npassword_env = \"CW_TEST_PASSWORD\"\n",
            addr.ip(),
            addr.port()
        ),
    )
    .unwrap();
}

async fn check_through(cfg: &Path, archive: &Path) -> std::process::Output {
    let (cfg, archive) = (cfg.to_path_buf(), archive.to_path_buf());
    tokio::task::spawn_blocking(move || {
        bin()
            .arg("check")
            .arg("--config")
            .arg(&cfg)
            .arg("--archive")
            .arg(&archive)
            .args(["--format", "json"])
            .env("CW_TEST_PASSWORD", "s3cret!")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn archived_ids(archive: &Path) -> Vec<i64> {
    let s = export(archive);
    let mut v = ids(&s.instances[0].tables[catalog::BACKUPSET]);
    v.sort_unstable();
    v
}

/// `check` through the archive reads only history past the archived
/// backup_set_id; after msdb purged its oldest history, a refresh (an
/// incremental one and a whole re-read alike) keeps the purged rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_on_the_server_keeps_the_archived_rows() {
    let name = "SQL16\\PROD";
    let full = demo_instances("2026-11-22T10:00:00Z").remove(name).unwrap();
    let mut all = ids(&full.tables[catalog::BACKUPSET]);
    all.sort_unstable();
    let (quarter, cutoff) = (all[all.len() / 4], all[all.len() * 4 / 5]);
    let dir = TempDir::new("purge-live");
    let (cfg, file) = (dir.path("cw.toml"), dir.path("a.sqlite"));

    // First collection: msdb holds everything before the cutoff.
    let old = TdsServer::start(only_sets(&full, |id| id < cutoff), ServerOptions::default()).await;
    write_config(&cfg, name, old.addr);
    let out = check_through(&cfg, &file).await;
    assert!(
        out.status.code().is_some_and(|c| c < 3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = archived_ids(&file);
    assert_eq!(
        first,
        all.iter()
            .copied()
            .filter(|i| *i < cutoff)
            .collect::<Vec<_>>()
    );

    // msdb then purged its oldest quarter, and new backups were taken.
    let options = ServerOptions::default();
    let purged = only_sets(&full, |id| id >= quarter);
    let new = TdsServer::start(purged.clone(), options.clone()).await;
    write_config(&cfg, name, new.addr);
    let out = check_through(&cfg, &file).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().is_some_and(|c| c < 3), "{stderr}");
    let history = options
        .reads
        .lock()
        .unwrap()
        .iter()
        .find(|q| q.starts_with("-- chainwatch: msdb.dbo.backupset"))
        .cloned()
        .unwrap();
    let last = first.last().unwrap();
    assert!(
        history.contains(&format!("b.backup_set_id > {last}")),
        "only newer rows: {history}"
    );
    assert_eq!(
        archived_ids(&file),
        all,
        "the purged quarter is still archived"
    );
    // The check judged the archive's view: the purged backups are in it.
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["databases"].as_array().is_some_and(|d| !d.is_empty()));

    // The periodic whole re-read (no previous rows) through the archive.
    let inst = chainwatch::config::InstanceConfig::from_connection_string(&format!(
        "Server=tcp:{},{};User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT",
        new.addr.ip(),
        new.addr.port()
    ))
    .map(|mut i| {
        i.name = name.into();
        i
    })
    .unwrap();
    let settings = chainwatch::sqlserver::Settings {
        connect_timeout: std::time::Duration::from_secs(2),
        ..Default::default()
    };
    let mut results = chainwatch::sqlserver::collect_all(&[inst], &settings).await;
    assert_eq!(
        ids(&results[0].snapshot.as_ref().unwrap().tables[catalog::BACKUPSET]).len(),
        ids(&purged.tables[catalog::BACKUPSET]).len()
    );
    chainwatch::archive::refresh::store_round(&file, &mut results, Utc::now(), |_| None).unwrap();
    let mut shown = ids(&results[0].snapshot.as_ref().unwrap().tables[catalog::BACKUPSET]);
    shown.sort_unstable();
    assert_eq!(shown, all, "a whole re-read shows the archived rows too");
    assert_eq!(archived_ids(&file), all);
}

/// The console's live refresh started on an archive: its first round reads
/// only history past the archive, and shows the archived rows with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_starts_from_the_archive_and_reads_only_newer_rows() {
    let name = "SQL16\\PROD";
    let full = demo_instances("2026-11-22T10:00:00Z").remove(name).unwrap();
    let mut all = ids(&full.tables[catalog::BACKUPSET]);
    all.sort_unstable();
    let (quarter, cutoff) = (all[all.len() / 4], all[all.len() * 4 / 5]);
    let dir = TempDir::new("console-live");
    let file = dir.path("a.sqlite");
    // What an earlier run (or a sqlcmd collection imported here) stored.
    let mut earlier = demo();
    earlier.instances = vec![only_sets(&full, |id| id < cutoff)];
    import(&file, &earlier);

    let options = ServerOptions::default();
    let server = TdsServer::start(only_sets(&full, |id| id >= quarter), options.clone()).await;
    let inst = chainwatch::config::InstanceConfig::from_connection_string(&format!(
        "Server=tcp:{},{};User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT",
        server.addr.ip(),
        server.addr.port()
    ))
    .map(|mut i| {
        i.name = name.into();
        i
    })
    .unwrap();
    let source = chainwatch::app::live::LiveSource {
        policies: Default::default(),
        label: "live.toml".into(),
        instances: vec![(inst.clone(), chainwatch::sqlserver::credential(&inst))],
        settings: chainwatch::sqlserver::Settings {
            connect_timeout: std::time::Duration::from_secs(2),
            ..Default::default()
        },
        every: std::time::Duration::from_secs(3600),
        now_override: Some(now()),
        archive: Some(file.clone()),
    };
    let (mut refreshes, _wake) = chainwatch::app::live::spawn(source).unwrap();
    let mut next = async || {
        tokio::time::timeout(std::time::Duration::from_secs(30), refreshes.recv())
            .await
            .expect("a refresh within 30 s")
            .expect("the collector runs")
    };
    let ids_of = |r: &chainwatch::app::live::Refresh| {
        let mut v: Vec<i64> = r.loaded.estate.instances[0]
            .backups
            .iter()
            .map(|b| b.backup_set_id)
            .collect();
        v.sort_unstable();
        v
    };
    // First the archive's rows, before any server answered.
    let archived = next().await;
    assert_eq!(archived.round, 0);
    assert_eq!(
        ids_of(&archived),
        all.iter()
            .copied()
            .filter(|i| *i < cutoff)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        archived.health[name].label(),
        "stale since 10:00",
        "{:?}",
        archived.health
    );
    let refresh = next().await;
    assert_eq!(refresh.round, 1);
    let history = options
        .reads
        .lock()
        .unwrap()
        .iter()
        .find(|q| q.starts_with("-- chainwatch: msdb.dbo.backupset"))
        .cloned()
        .unwrap();
    let last = all.iter().copied().filter(|i| *i < cutoff).max().unwrap();
    assert!(
        history.contains(&format!("b.backup_set_id > {last}")),
        "{history}"
    );
    let mut shown: Vec<i64> = refresh.loaded.estate.instances[0]
        .backups
        .iter()
        .map(|b| b.backup_set_id)
        .collect();
    shown.sort_unstable();
    assert_eq!(
        shown, all,
        "archived and new rows, the purged ones included"
    );
    assert_eq!(archived_ids(&file), all, "the round was stored");
}
