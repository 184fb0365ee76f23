//! The demo estate: deterministic, well-formed, and its log chains break only where intended.

use std::collections::{BTreeMap, BTreeSet};

use chainwatch::demo::{generate, SCENARIOS};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 27).unwrap()
}

/// An LSN from a digit string or a bare JSON integer, read exactly.
fn lsn(v: &Value) -> Option<u128> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// Scenario databases no longer in `sys.databases` (only their history is left).
const DROPPED: &[&str] = &["OldCRM", "Kanban"];

/// Scenario databases with no backup row of their own, by design.
const NO_HISTORY: &[&str] = &[
    "sql19-new-database",
    "sql19-never-backed-up",
    "sql19-snapshot",
];

/// The regular-log breaks each database is meant to have (all others have none).
fn intended_breaks(instance: &str, db: &str) -> usize {
    match (instance, db) {
        ("SQL16\\PROD", "Staging" | "Telemetry") => 1,
        ("SQL19\\OPS", "Tickets" | "Loader") => 1,
        _ => 0,
    }
}

fn rows<'a>(inst: &'a Value, table: &str) -> &'a [Value] {
    inst["tables"][table]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn instance<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Regular log backups of a database, from one or more instances.
fn regular_logs<'a>(insts: &[&'a Value], db: &str) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = insts
        .iter()
        .flat_map(|i| rows(i, "msdb.dbo.backupset"))
        .filter(|r| r["database_name"] == db && r["type"] == "L" && r["is_copy_only"] == false)
        .collect();
    out.sort_by_key(|r| {
        (
            lsn(&r["first_lsn"]).unwrap(),
            s(&r["backup_start_date"]).to_string(),
        )
    });
    out
}

/// Breaks per recovery fork: (fork, previous log, next log) where next.first != prev.last.
fn breaks<'a>(logs: &[&'a Value]) -> Vec<(&'a Value, &'a Value)> {
    let mut by_fork: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for l in logs {
        by_fork
            .entry(s(&l["last_recovery_fork_guid"]))
            .or_default()
            .push(l);
    }
    let mut out = Vec::new();
    for chain in by_fork.values() {
        for w in chain.windows(2) {
            if lsn(&w[1]["first_lsn"]) != lsn(&w[0]["last_lsn"]) {
                out.push((w[0], w[1]));
            }
        }
    }
    out
}

#[test]
fn deterministic_and_shifts_with_now() {
    let a = serde_json::to_string(&generate(now())).unwrap();
    let b = serde_json::to_string(&generate(now())).unwrap();
    assert_eq!(a, b);
    let later = generate(now() + Duration::days(1));
    let doc: Value = serde_json::from_str(&a).unwrap();
    assert_eq!(doc["collected_at"], "2026-11-22T10:00:00Z");
    assert_eq!(later["collected_at"], "2026-11-23T10:00:00Z");
    let first = |d: &Value| {
        rows(instance(d, "SQL16\\PROD"), "msdb.dbo.backupset")[0]["backup_start_date"].clone()
    };
    assert_ne!(first(&doc), first(&later));
}

#[test]
fn shape_sizes_and_scenario_databases() {
    let doc = generate(now());
    assert_eq!(doc["format"], "chainwatch.snapshot.v1");
    assert_eq!(doc["source"], "demo");
    let insts = doc["instances"].as_array().unwrap();
    let names: BTreeSet<&str> = insts.iter().map(|i| s(&i["name"])).collect();
    let in_scenarios: BTreeSet<&str> = SCENARIOS.iter().map(|sc| sc.instance).collect();
    assert!(
        in_scenarios.is_subset(&names) && names.len() == insts.len(),
        "{names:?}"
    );
    // About 6,700 backup sets (2-hourly managed logs on 16 databases, 20-30 minute AG logs,
    // 30-minute Ola logs, over ~21 days; 4-hourly logs over 10 days on SQL19\OPS) at ~2.4 KB
    // each with media rows, plus the blob lists: about 15.3 MiB. The 8 MB asked for cannot
    // hold that history; this bound catches runaways.
    let len = serde_json::to_string(&doc).unwrap().len();
    assert!(len < 16 * 1024 * 1024, "snapshot is {len} bytes");

    let mut names = BTreeSet::new();
    for i in insts {
        for d in rows(i, "sys.databases") {
            names.insert(format!("{}/{}", s(&i["name"]), s(&d["name"])));
        }
    }
    assert!(names.len() >= 15, "{names:?}");
    assert!(!SCENARIOS.is_empty());
    for sc in SCENARIOS {
        let i = instance(&doc, sc.instance);
        let live = rows(i, "sys.databases")
            .iter()
            .any(|d| d["name"] == sc.database);
        let history = rows(i, "msdb.dbo.backupset")
            .iter()
            .any(|b| b["database_name"] == sc.database);
        let dropped = DROPPED.contains(&sc.database);
        assert!(live != dropped && (live || history), "{} missing", sc.key);
    }
}

#[test]
fn ids_media_and_data_backup_lsns() {
    for when in [
        now(),
        now() + Duration::hours(7) + Duration::minutes(13),
        now() - Duration::days(3),
    ] {
        let doc = generate(when);
        for i in doc["instances"].as_array().unwrap() {
            let sets = rows(i, "msdb.dbo.backupset");
            let ids: BTreeSet<i64> = sets
                .iter()
                .map(|r| r["backup_set_id"].as_i64().unwrap())
                .collect();
            assert_eq!(
                ids.len(),
                sets.len(),
                "backup_set_id unique on {}",
                i["name"]
            );
            let families: BTreeSet<i64> = rows(i, "msdb.dbo.backupmediafamily")
                .iter()
                .map(|f| f["media_set_id"].as_i64().unwrap())
                .collect();
            let paths: BTreeSet<&str> = rows(i, "msdb.dbo.backupmediafamily")
                .iter()
                .map(|f| s(&f["physical_device_name"]))
                .collect();
            let available = [
                "msdb.managed_backup.fn_available_backups",
                "msdb.smart_admin.fn_available_backups",
            ];
            for a in available.iter().flat_map(|t| rows(i, t)) {
                assert!(
                    paths.contains(s(&a["Backup_path"])),
                    "blob without history: {a}"
                );
                assert!(a["expiration_date"].as_str() > a["backup_finish_date"].as_str());
            }
            for r in sets {
                assert!(families.contains(&r["media_set_id"].as_i64().unwrap()));
                let (first, last) = (lsn(&r["first_lsn"]).unwrap(), lsn(&r["last_lsn"]).unwrap());
                let ckpt = lsn(&r["checkpoint_lsn"]).unwrap();
                assert!(first <= last);
                if r["type"] != "L" {
                    assert!(first <= ckpt && ckpt < last, "data backup LSNs {r}");
                }
                let digits = first.to_string().len();
                assert!((22..=23).contains(&digits));
            }
        }
    }
}

#[test]
fn log_chains_break_only_where_intended() {
    for when in [now(), now() + Duration::hours(15) + Duration::minutes(41)] {
        let doc = generate(when);
        for i in doc["instances"].as_array().unwrap() {
            let dbs: BTreeSet<&str> = rows(i, "msdb.dbo.backupset")
                .iter()
                .map(|r| s(&r["database_name"]))
                .collect();
            for db in dbs {
                if db == "Ledger" {
                    // Its logs are split over two replicas: checked over both below.
                    continue;
                }
                let logs = regular_logs(&[i], db);
                let found = breaks(&logs);
                let expected = intended_breaks(s(&i["name"]), db);
                assert_eq!(found.len(), expected, "{} {db}: {found:?}", i["name"]);
            }
        }
        let ag1 = instance(&doc, "SQLAG01");
        let ag2 = instance(&doc, "SQLAG02");
        assert!(breaks(&regular_logs(&[ag1, ag2], "Portal")).is_empty());
        assert!(!regular_logs(&[ag1], "Portal").is_empty());
        // AG_Ledger: the primary's job and the secondary's Managed Backup write one chain.
        let (l1, l2) = (instance(&doc, "SQL14AG1"), instance(&doc, "SQL14AG2"));
        assert!(breaks(&regular_logs(&[l1, l2], "Ledger")).is_empty());
        assert!(!regular_logs(&[l1], "Ledger").is_empty());
        assert!(!regular_logs(&[l2], "Ledger").is_empty());

        let prod = instance(&doc, "SQL16\\PROD");
        let sales = regular_logs(&[prod], "Sales");
        assert!(
            sales.iter().any(|l| l["first_lsn"] == l["last_lsn"]),
            "empty night logs"
        );
        let fulls: Vec<&Value> = rows(prod, "msdb.dbo.backupset")
            .iter()
            .filter(|r| r["database_name"] == "Sales" && r["type"] == "D")
            .collect();
        let during = sales.iter().any(|l| {
            fulls.iter().any(|f| {
                s(&l["backup_start_date"]) < s(&f["backup_finish_date"])
                    && s(&l["backup_start_date"]) >= s(&f["backup_start_date"])
                    && lsn(&l["first_lsn"]) <= lsn(&f["last_lsn"])
                    && lsn(&f["last_lsn"]) < lsn(&l["last_lsn"])
            })
        });
        assert!(during, "a log that started during a full");
        let staging = breaks(&regular_logs(&[prod], "Staging"));
        assert_eq!(staging[0].1["begins_log_chain"], true);
        assert!(lsn(&staging[0].1["first_lsn"]) > lsn(&staging[0].0["last_lsn"]));

        // CRM: two forks; the first log of the new one starts inside the restored log.
        let crm = regular_logs(&[prod], "CRM");
        let forks: BTreeSet<&str> = crm
            .iter()
            .map(|l| s(&l["last_recovery_fork_guid"]))
            .collect();
        assert_eq!(forks.len(), 2);
        let link: Vec<_> = crm
            .iter()
            .filter(|l| l["first_recovery_fork_guid"] != l["last_recovery_fork_guid"])
            .collect();
        assert_eq!(link.len(), 1);
        let fp = lsn(&link[0]["fork_point_lsn"]).unwrap();
        let old = s(&link[0]["first_recovery_fork_guid"]);
        let spans = crm.iter().filter(|l| {
            l["last_recovery_fork_guid"] == old
                && lsn(&l["first_lsn"]).unwrap() < fp
                && fp < lsn(&l["last_lsn"]).unwrap()
        });
        assert_eq!(spans.count(), 1);
        let restores = rows(prod, "msdb.dbo.restorehistory");
        assert!(restores.len() >= 2);
        assert_eq!(restores[0]["restore_type"], "D");
        assert_eq!(restores.last().unwrap()["recovery"], true);
    }
}

/// Many clocks (hours, weekdays, minutes): generation never panics and breaks stay put.
/// Slow in debug builds; run with `cargo test --release --test analysis demo_generator -- --ignored`.
#[test]
#[ignore]
fn sweep() {
    let mut t = now();
    for k in 0..120 {
        let doc = generate(t);
        for i in doc["instances"].as_array().unwrap() {
            let dbs: BTreeSet<&str> = rows(i, "msdb.dbo.backupset")
                .iter()
                .map(|r| s(&r["database_name"]))
                .collect();
            // Ledger's logs are split over two replicas: checked over both.
            for db in dbs.into_iter().filter(|db| *db != "Ledger") {
                let found = breaks(&regular_logs(&[i], db));
                let expected = intended_breaks(s(&i["name"]), db);
                assert_eq!(found.len(), expected, "{k} {t} {} {db}", i["name"]);
            }
        }
        let (l1, l2) = (instance(&doc, "SQL14AG1"), instance(&doc, "SQL14AG2"));
        assert!(
            breaks(&regular_logs(&[l1, l2], "Ledger")).is_empty(),
            "{k} {t}"
        );
        t += Duration::minutes(7 * 60 + 23);
    }
}

#[test]
fn backup_set_ids_and_lsns_are_the_same_for_the_same_now() {
    // Two builds in process, as two `snapshot --demo --now …` runs would make them.
    let keys = || {
        let estate = chainwatch::sources::demo_estate(now()).expect("demo estate");
        let mut out = Vec::new();
        for i in &estate.instances {
            for b in &i.backups {
                out.push((
                    i.name.clone(),
                    b.database_name.clone(),
                    b.backup_set_id,
                    b.first_lsn,
                    b.last_lsn,
                    b.database_backup_lsn,
                    b.checkpoint_lsn,
                ));
            }
        }
        out
    };
    let (a, b) = (keys(), keys());
    assert_eq!(a, b);
    // Every scenario (the 2014 AG's replicas and Intranet included) has rows in it,
    // but those that show a database with no backup at all.
    for sc in SCENARIOS.iter().filter(|sc| !NO_HISTORY.contains(&sc.key)) {
        assert!(
            a.iter()
                .any(|k| k.0 == sc.instance && k.1 == sc.database && k.3.is_some()),
            "{}: no backup rows",
            sc.key
        );
    }
    for inst in ["SQL14AG1", "SQL14AG2"] {
        assert!(a.iter().any(|k| k.0 == inst && k.1 == "Ledger"), "{inst}");
    }
    // And the JSON document gives the same ids and LSNs as the in-process build.
    let doc = generate(now());
    for i in doc["instances"].as_array().unwrap() {
        let name = s(&i["name"]);
        let from_doc: Vec<(i64, Option<u128>)> = rows(i, "msdb.dbo.backupset")
            .iter()
            .map(|r| (r["backup_set_id"].as_i64().unwrap(), lsn(&r["first_lsn"])))
            .collect();
        let mut from_estate: Vec<(i64, Option<u128>)> = a
            .iter()
            .filter(|k| k.0 == name)
            .map(|k| (k.2, k.3.map(|l| l.value())))
            .collect();
        let mut from_doc = from_doc;
        from_doc.sort();
        from_estate.sort();
        assert_eq!(from_doc, from_estate, "{name}");
    }
}
