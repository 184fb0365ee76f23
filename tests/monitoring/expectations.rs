//! Healthy estates stay quiet and real problems still alarm: the cases of
//! issue 21 through `check --format json`, on estates built like msdb fills.

use crate::support::estates::*;
use chrono::Duration;
use serde_json::json;

const PROD: &str = "SQLPROD";
const DR: &str = "SQLDR";
const QA: &str = "SQLQA";

/// A healthy user database: weekly fulls, 15-minute logs, for 30 days.
fn healthy(s: &mut Server, name: &str) -> Db {
    let mut d = s.database(name, "FULL", ago_days(400));
    s.schedule(
        &mut d,
        ago_days(30) + mins(7),
        ago_min(3),
        Duration::days(7),
        None,
        Some(mins(15)),
    );
    d
}

/// master and msdb with weekly fulls, model untouched, tempdb.
fn system(s: &mut Server) {
    for name in ["master", "msdb"] {
        let mut d = s.database(name, "SIMPLE", ago_days(900));
        s.schedule(
            &mut d,
            ago_days(27),
            ago_min(1),
            Duration::days(7),
            None,
            None,
        );
    }
    // model: FULL as installed, weekly fulls, never a log backup.
    let mut m = s.database("model", "FULL", ago_days(900));
    s.schedule(
        &mut m,
        ago_days(27),
        ago_min(1),
        Duration::days(7),
        None,
        None,
    );
    s.database("tempdb", "SIMPLE", ago_min(60 * 24 * 3));
}

#[test]
fn case1_new_database_before_its_first_log_backup_is_info() {
    let mut s = Server::new(PROD, 60);
    healthy(&mut s, "Sales");
    let mut d = s.database("NewApp", "FULL", ago_min(55));
    s.full(&mut d, ago_min(28));
    let (code, v) = check(&[&s]);
    quiet(&v, PROD, "NewApp");
    assert_eq!(
        has(&v, PROD, "NewApp", "log.pending").as_deref(),
        Some("info")
    );
    assert!(has(&v, PROD, "NewApp", "log.none").is_none());
    assert_eq!(db(&v, PROD, "NewApp")["state"], "pending");
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn case2_model_and_tempdb_are_quiet() {
    let mut s = Server::new(PROD, 0);
    system(&mut s);
    let (code, v) = check(&[&s]);
    for name in ["master", "msdb", "model", "tempdb"] {
        quiet(&v, PROD, name);
    }
    assert!(has(&v, PROD, "model", "log.none").is_none());
    assert!(has(&v, PROD, "tempdb", "backup.none").is_none());
    assert_eq!(db(&v, PROD, "tempdb")["state"], "exempt");
    let e = &db(&v, PROD, "model")["expectation"];
    assert!(e.get("log").is_none(), "{e}");
    assert!(e["full"].is_object());
    assert_eq!(code, 0);
}

#[test]
fn model_with_log_backups_is_expected_to_keep_them() {
    let mut s = Server::new(PROD, 0);
    let mut m = s.database("model", "FULL", ago_days(900));
    s.schedule(
        &mut m,
        ago_days(20),
        ago_days(2),
        Duration::days(7),
        None,
        Some(Duration::hours(1)),
    );
    let (_, v) = check(&[&s]);
    assert!(db(&v, PROD, "model")["expectation"]["log"].is_object());
    assert!(
        has(&v, PROD, "model", "log.late").is_some(),
        "{:#?}",
        findings(&v, PROD, "model")
    );
}

#[test]
fn case3_read_only_archive_with_monthly_fulls_is_quiet() {
    let mut s = Server::new(PROD, 0);
    let mut d = s.database("Archive2019", "FULL", ago_days(2000));
    s.full(&mut d, ago_days(81));
    s.full(&mut d, ago_days(51));
    s.full(&mut d, ago_days(21));
    s.set("Archive2019", json!({ "is_read_only": true }));
    let (code, v) = check(&[&s]);
    quiet(&v, PROD, "Archive2019");
    assert!(has(&v, PROD, "Archive2019", "full.late").is_none());
    assert!(has(&v, PROD, "Archive2019", "log.none").is_none());
    assert_eq!(
        db(&v, PROD, "Archive2019")["expectation"]["basis"],
        "read_only"
    );
    assert_eq!(code, 0);
}

/// A log-shipping pair: the primary's 15-minute logs restored on the DR server.
fn log_shipping(stop_job_min_ago: Option<i64>) -> (Server, Server) {
    let mut p = Server::new(PROD, 0);
    let mut dr = Server::new(DR, 0);
    let until = stop_job_min_ago.map(ago_min).unwrap_or(ago_min(2));
    let mut names = Vec::new();
    for (name, standby) in [("Shop", false), ("Reports", true)] {
        let mut d = p.database(name, "FULL", ago_days(300));
        p.push(
            "msdb.dbo.log_shipping_primary_databases",
            json!({ "primary_database": name, "backup_directory": "\\\\fs01\\ls", "backup_job_id": null }),
        );
        let full = p.full(&mut d, ago_days(10));
        let mut logs = Vec::new();
        let mut t = ago_days(10) + mins(15);
        while t < until {
            logs.push(p.log(&mut d, t));
            t += mins(15);
        }
        p.schedule(
            &mut d,
            ago_days(3),
            ago_days(3) + mins(1),
            Duration::days(7),
            None,
            None,
        );
        names.push((name, standby, full, logs));
    }
    for (name, standby, full, logs) in names {
        dr.database(name, "FULL", ago_days(10));
        dr.set(
            name,
            if standby {
                json!({ "state": 0, "state_desc": "ONLINE", "is_in_standby": true, "is_read_only": true })
            } else {
                json!({ "state": 1, "state_desc": "RESTORING" })
            },
        );
        dr.record_restore_of(&p, full, name, ago_days(10) + mins(30), false);
        for (i, l) in logs.iter().enumerate() {
            dr.record_restore_of(&p, *l, name, ago_days(10) + mins(45 + i as i64 * 15), false);
        }
    }
    (p, dr)
}

#[test]
fn case4_log_shipping_secondaries_are_passive() {
    let (p, dr) = log_shipping(None);
    let (_, v) = check(&[&p, &dr]);
    for name in ["Shop", "Reports"] {
        quiet(&v, DR, name);
        quiet(&v, PROD, name);
        assert!(has(&v, DR, name, "chain.no_full").is_none());
        assert_eq!(db(&v, DR, name)["state"], "passive");
        assert_eq!(
            db(&v, DR, name)["expectation"]["basis"],
            "log_shipping_secondary"
        );
        assert_eq!(db(&v, DR, name)["expectation"]["judged_on"], PROD);
    }
    // The DR server's msdb rows are the primary's backups, not a database of their own.
    assert_eq!(
        v["databases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["instance"] == DR)
            .count(),
        2
    );
    // Alone (the primary not collected) the secondary is still passive.
    let (code, v) = check(&[&dr]);
    quiet(&v, DR, "Shop");
    assert_eq!(code, 0);
}

#[test]
fn log_shipping_primary_whose_job_stopped_alarms() {
    let (p, dr) = log_shipping(Some(180));
    let (code, v) = check(&[&p, &dr]);
    assert_eq!(
        has(&v, PROD, "Shop", "log.late").as_deref(),
        Some("warning")
    );
    let f = findings(&v, PROD, "Shop")
        .into_iter()
        .find(|f| f["id"] == "log.late")
        .unwrap()
        .clone();
    assert!(
        f["expectation"].as_str().unwrap().contains("every 15 min"),
        "{f}"
    );
    quiet(&v, DR, "Shop");
    assert_eq!(code, 1);
}

#[test]
fn case5_database_snapshot_is_quiet() {
    let mut s = Server::new(PROD, 0);
    healthy(&mut s, "Sales");
    s.database("Sales_snap_0800", "FULL", ago_min(120));
    s.set("Sales_snap_0800", json!({ "source_database_id": 6 }));
    let (code, v) = check(&[&s]);
    quiet(&v, PROD, "Sales_snap_0800");
    assert!(has(&v, PROD, "Sales_snap_0800", "backup.none").is_none());
    assert_eq!(
        has(&v, PROD, "Sales_snap_0800", "database.snapshot").as_deref(),
        Some("info")
    );
    assert_eq!(code, 0);
}

#[test]
fn case6_offline_database_backed_up_before_is_info() {
    let mut s = Server::new(PROD, 0);
    let mut d = s.database("OldERP", "FULL", ago_days(3000));
    s.schedule(
        &mut d,
        ago_days(40),
        ago_days(12),
        Duration::days(7),
        None,
        Some(mins(30)),
    );
    s.set("OldERP", json!({ "state": 6, "state_desc": "OFFLINE" }));
    let (code, v) = check(&[&s]);
    quiet(&v, PROD, "OldERP");
    assert!(has(&v, PROD, "OldERP", "log.late").is_none());
    assert_eq!(
        has(&v, PROD, "OldERP", "database.offline").as_deref(),
        Some("info")
    );
    assert_eq!(code, 0);
}

#[test]
fn offline_database_never_backed_up_warns() {
    let mut s = Server::new(PROD, 0);
    s.database("Forgotten", "FULL", ago_days(700));
    s.set("Forgotten", json!({ "state": 6, "state_desc": "OFFLINE" }));
    let (code, v) = check(&[&s]);
    assert_eq!(
        has(&v, PROD, "Forgotten", "backup.none").as_deref(),
        Some("warning")
    );
    assert_eq!(code, 1);
}

#[test]
fn case7a_restore_in_place_then_full_is_info() {
    let mut s = Server::new(PROD, 0);
    let mut d = s.database("CRM", "FULL", ago_days(500));
    s.schedule(
        &mut d,
        ago_days(20),
        ago_days(4),
        Duration::days(7),
        None,
        Some(mins(15)),
    );
    // Restore over itself to a point inside the last log; a new fork begins there.
    let logs: Vec<i64> = s.tables["msdb.dbo.backupset"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "L")
        .map(|r| r["backup_set_id"].as_i64().unwrap())
        .collect();
    let restored_log = *logs.last().unwrap();
    let row = s.tables["msdb.dbo.backupset"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["backup_set_id"] == restored_log)
        .unwrap()
        .clone();
    let k_first: u128 = row["first_lsn"].as_str().unwrap().parse().unwrap();
    let fork_point = k_first + 50_000;
    let restore_at = ago_days(4) + mins(30);
    s.restored(restored_log, "CRM", restore_at, "L", true);
    let old_fork = d.fork.clone();
    d.fork = uuid::Uuid::from_u128(0xABCDEF).to_string();
    d.db_guid = uuid::Uuid::from_u128(0xABCDEE).to_string();
    d.pos = fork_point + 10_000;
    d.cursor = k_first;
    let full = s.full(&mut d, restore_at + mins(5));
    let mut t = restore_at + mins(15);
    let mut first = true;
    while t < ago_min(2) {
        let id = s.log(&mut d, t);
        if first {
            let rows = s.tables["msdb.dbo.backupset"].as_array_mut().unwrap();
            let r = rows.iter_mut().find(|r| r["backup_set_id"] == id).unwrap();
            r["first_recovery_fork_guid"] = json!(old_fork);
            r["fork_point_lsn"] = json!(fork_point.to_string());
            first = false;
        }
        t += mins(15);
    }
    let (_, v) = check(&[&s]);
    // The spanning log joins the paths: no break, an INFO fork point that
    // names the full already taken and asks for nothing.
    assert!(has(&v, PROD, "CRM", "chain.new_fork").is_none());
    let nf: Vec<_> = findings(&v, PROD, "CRM")
        .into_iter()
        .filter(|f| f["id"] == "chain.fork_point")
        .cloned()
        .collect();
    assert_eq!(nf.len(), 1, "{:#?}", findings(&v, PROD, "CRM"));
    assert_eq!(nf[0]["severity"], "info");
    assert_eq!(nf[0]["remedy"], "");
    assert!(nf[0]["explanation"]
        .as_str()
        .unwrap()
        .contains(&format!("#{full}")));
    quiet(&v, PROD, "CRM");
}

#[test]
fn restore_in_place_without_a_new_full_or_a_spanning_log_alarms() {
    let mut s = Server::new(PROD, 0);
    let mut d = s.database("CRM", "FULL", ago_days(500));
    s.schedule(
        &mut d,
        ago_days(20),
        ago_days(4),
        Duration::days(7),
        None,
        Some(mins(15)),
    );
    let old_fork = d.fork.clone();
    let k_first = d.cursor;
    d.fork = uuid::Uuid::from_u128(0xABCDEF).to_string();
    d.pos += 10_000;
    let mut t = ago_days(4) + mins(30);
    let mut first = true;
    while t < ago_min(2) {
        let id = s.log(&mut d, t);
        if first {
            let rows = s.tables["msdb.dbo.backupset"].as_array_mut().unwrap();
            let r = rows.iter_mut().find(|r| r["backup_set_id"] == id).unwrap();
            r["first_recovery_fork_guid"] = json!(old_fork);
            r["first_lsn"] = json!(k_first.to_string());
            first = false;
        }
        t += mins(15);
    }
    let (_, v) = check(&[&s]);
    assert_eq!(
        has(&v, PROD, "CRM", "chain.new_fork").as_deref(),
        Some("critical")
    );
}

#[test]
fn case7b_qa_refresh_from_production_is_not_a_dropped_database() {
    let mut p = Server::new(PROD, 60);
    let mut sales = healthy(&mut p, "Sales");
    let prod_full = p.full(&mut sales, ago_days(2));
    let mut q = Server::new(QA, 60);
    let mut qa = q.database("Sales_QA", "FULL", ago_days(2) + mins(90));
    q.record_restore_of(&p, prod_full, "Sales_QA", ago_days(2) + mins(90), true);
    q.schedule(
        &mut qa,
        ago_days(2) + mins(100),
        ago_min(5),
        Duration::days(7),
        None,
        Some(mins(30)),
    );
    let (code, v) = check(&[&p, &q]);
    assert!(
        v["databases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| !(d["instance"] == QA && d["database"] == "Sales")),
        "production rows in QA's msdb became a database: {}",
        v["databases"]
    );
    quiet(&v, QA, "Sales_QA");
    assert_eq!(
        has(&v, QA, "Sales_QA", "database.origin").as_deref(),
        Some("info")
    );
    let origin = db(&v, QA, "Sales_QA")["expectation"]["origin"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(origin.contains(PROD), "{origin}");
    assert_eq!(code, 0, "{:#?}", v["findings"]);
}

#[test]
fn case8_vldb_monthly_full_daily_diff_15_minute_logs_is_quiet() {
    let mut s = Server::new(PROD, -300);
    let mut d = s.database("Warehouse", "FULL", ago_days(3000));
    s.schedule(
        &mut d,
        ago_days(55),
        ago_min(4),
        Duration::days(28),
        Some(Duration::days(1)),
        Some(mins(15)),
    );
    let (code, v) = check(&[&s]);
    quiet(&v, PROD, "Warehouse");
    let e = &db(&v, PROD, "Warehouse")["expectation"];
    assert_eq!(e["diff"]["every"], "daily", "{e}");
    assert_eq!(e["log"]["every"], "15 min", "{e}");
    assert!(e["summary"].as_str().unwrap().contains("diff daily"));
    assert_eq!(code, 0);
}

#[test]
fn vldb_whose_differentials_stopped_warns() {
    let mut s = Server::new(PROD, 0);
    let mut d = s.database("Warehouse", "FULL", ago_days(3000));
    s.schedule(
        &mut d,
        ago_days(27),
        ago_days(4),
        Duration::days(28),
        Some(Duration::days(1)),
        None,
    );
    let mut t = ago_days(27) + mins(15);
    while t < ago_min(3) {
        s.log(&mut d, t);
        t += mins(15);
    }
    let (_, v) = check(&[&s]);
    assert_eq!(
        has(&v, PROD, "Warehouse", "diff.late").as_deref(),
        Some("warning")
    );
    assert!(has(&v, PROD, "Warehouse", "full.late").is_none());
}

#[test]
fn new_database_past_its_grace_without_a_full_is_critical() {
    let mut s = Server::new(PROD, 0);
    s.database("Forgot", "FULL", ago_days(2));
    s.database("JustMade", "FULL", ago_min(90));
    let (code, v) = check(&[&s]);
    assert_eq!(
        has(&v, PROD, "Forgot", "backup.none").as_deref(),
        Some("critical")
    );
    quiet(&v, PROD, "JustMade");
    assert_eq!(
        has(&v, PROD, "JustMade", "backup.pending").as_deref(),
        Some("info")
    );
    assert_eq!(code, 2);
}

#[test]
fn unavailable_states_are_said_with_their_own_severity() {
    let mut s = Server::new(PROD, 0);
    for (name, state) in [
        ("Broken", "SUSPECT"),
        ("Fixing", "EMERGENCY"),
        ("Starting", "RECOVERING"),
        ("Loading", "RESTORING"),
    ] {
        let mut d = s.database(name, "FULL", ago_days(100));
        s.schedule(
            &mut d,
            ago_days(20),
            ago_days(3),
            Duration::days(7),
            None,
            Some(mins(30)),
        );
        s.set(name, json!({ "state_desc": state }));
    }
    let (_, v) = check(&[&s]);
    assert_eq!(
        has(&v, PROD, "Broken", "database.unavailable").as_deref(),
        Some("critical")
    );
    assert_eq!(
        has(&v, PROD, "Fixing", "database.unavailable").as_deref(),
        Some("warning")
    );
    quiet(&v, PROD, "Starting");
    quiet(&v, PROD, "Loading");
    assert_eq!(db(&v, PROD, "Loading")["state"], "restoring");
    for name in ["Broken", "Fixing", "Starting", "Loading"] {
        assert!(has(&v, PROD, name, "log.late").is_none(), "{name}");
    }
}

#[test]
fn simple_database_with_daily_fulls_and_a_mirror_are_quiet() {
    let mut s = Server::new(PROD, 0);
    let mut d = s.database("Ops", "SIMPLE", ago_days(100));
    s.schedule(
        &mut d,
        ago_days(20) + mins(60),
        ago_min(1),
        Duration::days(1),
        None,
        None,
    );
    s.database("Claims", "FULL", ago_days(100));
    s.set("Claims", json!({ "state": 1, "state_desc": "RESTORING" }));
    s.push("sys.database_mirroring", json!({ "database_id": 7, "mirroring_role_desc": "MIRROR", "mirroring_role": 2, "mirroring_partner_instance": "SQLPRIN" }));
    let (code, v) = check(&[&s]);
    quiet(&v, PROD, "Ops");
    quiet(&v, PROD, "Claims");
    assert_eq!(db(&v, PROD, "Claims")["expectation"]["basis"], "mirror");
    assert_eq!(db(&v, PROD, "Ops")["expectation"]["full"]["every"], "daily");
    assert_eq!(code, 0);
}

/// Two AG replicas of Portal; the group prefers secondaries; SQLAG01 is
/// the primary, SQLAG02 the secondary. Returns the database (as created on
/// the secondary) for backups on either replica: one log position.
fn ag_pair() -> (Server, Server, Db) {
    let group = uuid::Uuid::from_u128(0x6000).to_string();
    let gdb = uuid::Uuid::from_u128(0x6001).to_string();
    let (r1, r2) = (
        uuid::Uuid::from_u128(0x6101).to_string(),
        uuid::Uuid::from_u128(0x6102).to_string(),
    );
    let mut a = Server::new("SQLAG01", 0);
    let mut b = Server::new("SQLAG02", 0);
    let mut portal = None;
    for (s, me, primary) in [(&mut a, &r1, true), (&mut b, &r2, false)] {
        let d = s.database("Portal", "FULL", ago_days(200));
        s.set("Portal", json!({ "group_database_id": gdb }));
        s.push("sys.availability_groups", json!({ "group_id": group, "name": "AG1", "automated_backup_preference": 2, "automated_backup_preference_desc": "SECONDARY" }));
        for (id, server) in [(&r1, "SQLAG01"), (&r2, "SQLAG02")] {
            s.push("sys.availability_replicas", json!({ "group_id": group, "replica_id": id, "replica_server_name": server, "backup_priority": 50, "secondary_role_allow_connections": 0 }));
        }
        s.push("sys.dm_hadr_database_replica_states", json!({ "database_id": d.id, "group_id": group, "group_database_id": gdb, "replica_id": me, "is_local": true, "is_primary_replica": primary }));
        if !primary {
            portal = Some(d);
        }
    }
    (a, b, portal.unwrap())
}

/// Copy-only weekly fulls and 15-minute logs, both on the preferred secondary.
fn ag(backups_stop_min_ago: i64) -> (Server, Server) {
    let (a, mut b, mut d) = ag_pair();
    let mut t = ago_days(21);
    while t < ago_min(backups_stop_min_ago) {
        b.copy_full(&mut d, t);
        t += Duration::days(7);
    }
    let mut t = ago_days(21) + mins(20);
    while t < ago_min(backups_stop_min_ago) {
        b.log(&mut d, t);
        t += mins(15);
    }
    (a, b)
}

/// Weekly fulls and daily differentials on the primary (where only they
/// can run), 15-minute logs on the preferred secondary; each kind stops
/// the given minutes ago.
fn ag_split(diffs_stop_min_ago: i64, logs_stop_min_ago: i64) -> (Server, Server) {
    let (mut a, mut b, mut d) = ag_pair();
    let mut events: Vec<(chrono::DateTime<chrono::Utc>, u8)> = Vec::new();
    let mut t = ago_days(21) + mins(60);
    while t < now() {
        events.push((t, 0));
        for day in 1..7 {
            let diff = t + Duration::days(day);
            if diff < ago_min(diffs_stop_min_ago) {
                events.push((diff, 1));
            }
        }
        t += Duration::days(7);
    }
    let mut t = ago_days(21) + mins(90);
    while t < ago_min(logs_stop_min_ago) {
        events.push((t, 2));
        t += mins(15);
    }
    events.sort();
    for (t, kind) in events {
        match kind {
            0 => a.full(&mut d, t),
            1 => a.diff(&mut d, t),
            _ => b.log(&mut d, t),
        };
    }
    (a, b)
}

#[test]
fn ag_with_fulls_and_diffs_on_the_primary_and_logs_on_the_secondary_is_quiet() {
    let (a, b) = ag_split(0, 3);
    let (code, v) = check(&[&a, &b]);
    quiet(&v, "SQLAG01", "Portal");
    quiet(&v, "SQLAG02", "Portal");
    for i in ["SQLAG01", "SQLAG02"] {
        for late in ["full.late", "diff.late", "log.late", "log.none"] {
            assert!(has(&v, i, "Portal", late).is_none(), "{i} {late}");
        }
    }
    let e = &db(&v, "SQLAG02", "Portal")["expectation"];
    assert_eq!(e["judged"], "here");
    assert_eq!(e["log"]["replica"], "SQLAG02");
    assert_eq!(e["log"]["judged_here"], true);
    assert_eq!(e["diff"]["replica"], "SQLAG01");
    assert_eq!(e["diff"]["judged_here"], false);
    assert_eq!(e["full"]["replica"], "SQLAG01");
    assert_eq!(e["full"]["judged_here"], false);
    let e = &db(&v, "SQLAG01", "Portal")["expectation"];
    assert_eq!(e["diff"]["judged_here"], true, "{e}");
    assert_eq!(e["full"]["judged_here"], true, "{e}");
    assert_eq!(e["log"]["judged_here"], false, "{e}");
    assert!(
        e["summary"]
            .as_str()
            .unwrap()
            .contains("diff daily on the primary SQLAG01"),
        "{e}"
    );
    assert_eq!(db(&v, "SQLAG02", "Portal")["state"], "ok");
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn ag_stopped_differentials_are_late_on_the_primary() {
    // The last differential 3 days ago; logs run on.
    let (a, b) = ag_split(3 * 24 * 60, 3);
    let (_, v) = check(&[&a, &b]);
    assert_eq!(
        has(&v, "SQLAG01", "Portal", "diff.late").as_deref(),
        Some("warning"),
        "{:#?}",
        findings(&v, "SQLAG01", "Portal")
    );
    let f = findings(&v, "SQLAG01", "Portal")
        .into_iter()
        .find(|f| f["id"] == "diff.late")
        .unwrap();
    assert!(
        f["expectation"]
            .as_str()
            .unwrap()
            .contains("on the primary SQLAG01"),
        "{f}"
    );
    // Not raised a second time on the secondary, which cannot take them.
    assert!(has(&v, "SQLAG02", "Portal", "diff.late").is_none());
    quiet(&v, "SQLAG02", "Portal");
    assert!(has(&v, "SQLAG01", "Portal", "log.late").is_none());
}

#[test]
fn ag_stopped_logs_are_late_on_the_secondary() {
    let (a, b) = ag_split(0, 240);
    let (_, v) = check(&[&a, &b]);
    assert_eq!(
        has(&v, "SQLAG02", "Portal", "log.late").as_deref(),
        Some("warning"),
        "{:#?}",
        findings(&v, "SQLAG02", "Portal")
    );
    assert!(has(&v, "SQLAG01", "Portal", "log.late").is_none());
    quiet(&v, "SQLAG01", "Portal");
    assert!(has(&v, "SQLAG02", "Portal", "diff.late").is_none());
}

#[test]
fn ag_primary_alone_still_judges_its_differentials() {
    let (a, _) = ag_split(3 * 24 * 60, 3);
    let (_, v) = check(&[&a]);
    assert_eq!(
        has(&v, "SQLAG01", "Portal", "diff.late").as_deref(),
        Some("warning")
    );
    // Its logs belong to a replica not collected: not judged here.
    assert!(has(&v, "SQLAG01", "Portal", "log.late").is_none());
}

#[test]
fn ag_backups_on_the_preferred_secondary_are_quiet_on_both_replicas() {
    let (a, b) = ag(3);
    let (code, v) = check(&[&a, &b]);
    quiet(&v, "SQLAG01", "Portal");
    quiet(&v, "SQLAG02", "Portal");
    let e = &db(&v, "SQLAG01", "Portal")["expectation"];
    assert_eq!(e["judged"], "elsewhere");
    assert_eq!(e["judged_on"], "SQLAG02");
    assert!(
        e["summary"]
            .as_str()
            .unwrap()
            .contains("on the secondary SQLAG02"),
        "{e}"
    );
    assert_eq!(db(&v, "SQLAG02", "Portal")["expectation"]["judged"], "here");
    assert_eq!(code, 0);
    // The primary alone: its backups belong to a replica not collected.
    let (_, v) = check(&[&a]);
    quiet(&v, "SQLAG01", "Portal");
}

#[test]
fn ag_secondary_whose_log_backups_stopped_alarms() {
    let (a, b) = ag(240);
    let (_, v) = check(&[&a, &b]);
    assert_eq!(
        has(&v, "SQLAG02", "Portal", "log.late").as_deref(),
        Some("warning")
    );
    quiet(&v, "SQLAG01", "Portal");
}

#[test]
fn every_health_finding_names_its_expectation() {
    let (p, dr) = log_shipping(Some(180));
    let mut s = Server::new(QA, 0);
    s.database("Forgot", "FULL", ago_days(2));
    system(&mut s);
    let (_, v) = check(&[&p, &dr, &s]);
    let health: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let id = f["id"].as_str().unwrap();
            ["chain.", "backup.", "log.", "full.", "diff.", "database."]
                .iter()
                .any(|p| id.starts_with(p))
        })
        .collect();
    assert!(health.len() >= 5, "{health:#?}");
    for f in health {
        assert!(
            f["expectation"].as_str().is_some_and(|e| !e.is_empty()),
            "{f}"
        );
    }
}

#[test]
fn a_renamed_hosts_own_rows_stay_local() {
    let mut s = Server::new(PROD, 0);
    healthy(&mut s, "Sales");
    // Backups taken before the host was renamed carry the old @@SERVERNAME;
    // no restore wrote them, so they are this server's own history.
    for r in s.tables["msdb.dbo.backupset"].as_array_mut().unwrap() {
        r["server_name"] = json!("OLDHOST");
    }
    let (code, v) = check(&[&s]);
    quiet(&v, PROD, "Sales");
    assert_eq!(db(&v, PROD, "Sales")["state"], "ok");
    assert!(has(&v, PROD, "Sales", "database.origin").is_none());
    assert_eq!(code, 0);
}
