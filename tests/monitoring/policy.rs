//! Per-database policy from the config: inheritance, globs, grace,
//! never-backed-up, ignore, AG replicas, errors and `--explain`, through
//! `check --snapshot S --config C --format json`.

use chrono::Duration;
use serde_json::{json, Value};

use crate::common::{bin, check, temp_dir};
use crate::support::estates::*;

/// Weekly fulls and 15-minute logs for 30 days, the newest log `last_log_min` ago.
fn healthy(s: &mut Server, name: &str, last_log_min: i64) {
    let mut d = s.database(name, "FULL", ago_days(400));
    s.schedule(
        &mut d,
        ago_days(30) + mins(7),
        ago_min(last_log_min - 1),
        Duration::days(7),
        None,
        Some(mins(15)),
    );
}

fn has(v: &Value, i: &str, d: &str, id: &str) -> Option<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["instance"] == i && f["database"] == d && f["id"] == id)
        .map(|f| f["severity"].as_str().unwrap().to_string())
}

fn expectation<'a>(v: &'a Value, i: &str, d: &str) -> &'a Value {
    &db(v, i, d)["expectation"]
}

const INSTANCE: &str = r#"
[[instance]]
name = "SQLA"
host = "127.0.0.1"
user = "monitor"
password_env = "CW_TEST_UNUSED"
"#;

#[test]
fn defaults_instance_and_globs_inherit_key_by_key() {
    let mut a = Server::new("SQLA", 0);
    let mut b = Server::new("SQLB", 0);
    for s in [&mut a, &mut b] {
        healthy(s, "Inventory", 40);
        healthy(s, "SalesEU", 40);
    }
    // Built-in policy: logs every 15 min are late after 1 h; 40 minutes is fine.
    let (code, v) = check(&[&a, &b], None);
    assert_eq!(code, 0, "{v:#}");
    assert!(expectation(&v, "SQLA", "Inventory")
        .get("rpo_warn_seconds")
        .is_none());

    let config = format!(
        r#"[defaults]
rpo_warn = "1h"
rpo_crit = "4h"
{INSTANCE}rpo_warn = "30m"

[[database]]
name = "Sales*"
log_max_age = "20m"
"#
    );
    let (code, v) = check(&[&a, &b], Some(&config));
    // [defaults] on SQLB: RPO 40 min < 1 h.
    assert_eq!(
        expectation(&v, "SQLB", "Inventory")["rpo_warn_seconds"],
        3600
    );
    assert_eq!(
        expectation(&v, "SQLB", "Inventory")["rpo_crit_seconds"],
        14400
    );
    assert!(has(&v, "SQLB", "Inventory", "rpo.exceeded").is_none());
    // The instance's own 30 min beats [defaults]; rpo_crit still inherited.
    assert_eq!(
        expectation(&v, "SQLA", "Inventory")["rpo_warn_seconds"],
        1800
    );
    assert_eq!(
        expectation(&v, "SQLA", "Inventory")["rpo_crit_seconds"],
        14400
    );
    assert_eq!(
        has(&v, "SQLA", "Inventory", "rpo.exceeded").as_deref(),
        Some("warning")
    );
    // The glob sets the log threshold on both instances, only for Sales*.
    for i in ["SQLA", "SQLB"] {
        assert_eq!(
            expectation(&v, i, "SalesEU")["log"]["late_after_seconds"],
            1200
        );
        assert_eq!(
            has(&v, i, "SalesEU", "log.late").as_deref(),
            Some("warning")
        );
        assert_eq!(
            expectation(&v, i, "Inventory")["log"]["late_after_seconds"],
            3600
        );
        assert!(has(&v, i, "Inventory", "log.late").is_none());
    }
    assert_eq!(code, 1);
}

#[test]
fn rpo_crit_is_critical_and_full_max_age_replaces_the_learned_rhythm() {
    let mut a = Server::new("SQLA", 0);
    healthy(&mut a, "Ledger", 300);
    let config = r#"[defaults]
rpo_warn = "1h"
rpo_crit = "4h"
full_max_age = "1d"
"#;
    let (code, v) = check(&[&a], Some(config));
    assert_eq!(
        has(&v, "SQLA", "Ledger", "rpo.exceeded").as_deref(),
        Some("critical")
    );
    // Weekly fulls, the newest 2 days old: late against 1 day.
    assert_eq!(
        expectation(&v, "SQLA", "Ledger")["full"]["late_after_seconds"],
        86400
    );
    assert_eq!(
        has(&v, "SQLA", "Ledger", "full.late").as_deref(),
        Some("warning")
    );
    assert_eq!(code, 2);
}

#[test]
fn diff_max_age_replaces_the_learned_differential_rhythm() {
    // Weekly fulls, daily differentials, 15-minute logs; the newest
    // restore base (a differential) about 18 h old.
    let mut a = Server::new("SQLA", 0);
    for name in ["Warehouse", "Shop"] {
        let mut d = a.database(name, "FULL", ago_days(400));
        a.schedule(
            &mut d,
            ago_days(30) + Duration::hours(6),
            ago_min(3),
            Duration::days(7),
            Some(Duration::days(1)),
            Some(mins(15)),
        );
    }
    // Built in: the daily rhythm + a day (at least 26 h): nothing is late.
    let (code, v) = check(&[&a], None);
    for name in ["Warehouse", "Shop"] {
        assert!(has(&v, "SQLA", name, "diff.late").is_none(), "{name}");
        assert!(expectation(&v, "SQLA", name)["diff"]["late_after_seconds"]
            .as_i64()
            .is_some_and(|s| s >= 26 * 3600));
    }
    assert_eq!(code, 0, "{v:#}");
    let config = r#"
[[database]]
name = "Ware*"
diff_max_age = "12h"
"#;
    let (code, v) = check(&[&a], Some(config));
    assert_eq!(
        expectation(&v, "SQLA", "Warehouse")["diff"]["late_after_seconds"],
        12 * 3600
    );
    assert_eq!(
        has(&v, "SQLA", "Warehouse", "diff.late").as_deref(),
        Some("warning")
    );
    // The glob names Warehouse only.
    assert!(has(&v, "SQLA", "Shop", "diff.late").is_none());
    assert_eq!(code, 1);
}

#[test]
fn grace_for_new_databases_comes_from_the_policy() {
    let mut a = Server::new("SQLA", 0);
    a.database("NewApp", "FULL", ago_min(30 * 60));
    let (_, v) = check(&[&a], None);
    assert_eq!(
        has(&v, "SQLA", "NewApp", "backup.none").as_deref(),
        Some("critical")
    );
    let (code, v) = check(&[&a], Some("[defaults]\ngrace_new_database = \"2d\"\n"));
    assert_eq!(
        has(&v, "SQLA", "NewApp", "backup.pending").as_deref(),
        Some("info")
    );
    assert!(has(&v, "SQLA", "NewApp", "backup.none").is_none());
    assert_eq!(db(&v, "SQLA", "NewApp")["state"], "pending");
    assert_eq!(code, 0);
}

#[test]
fn never_backed_up_is_configurable_per_glob() {
    let mut a = Server::new("SQLA", 0);
    a.database("Forgot", "FULL", ago_days(400));
    a.database("Lab1", "FULL", ago_days(400));
    let config = r#"[defaults]
never_backed_up = "warning"

[[database]]
name = "Lab?"
never_backed_up = "ok"
"#;
    let (code, v) = check(&[&a], Some(config));
    assert_eq!(
        has(&v, "SQLA", "Forgot", "backup.none").as_deref(),
        Some("warning")
    );
    assert_eq!(
        has(&v, "SQLA", "Lab1", "backup.none").as_deref(),
        Some("info")
    );
    assert_eq!(code, 1);
}

#[test]
fn ignored_databases_are_not_judged_by_any_rule() {
    let mut a = Server::new("SQLA", 0);
    healthy(&mut a, "Sales", 5);
    a.database("Scratch_tmp", "FULL", ago_days(400));
    let (code, _) = check(&[&a], None);
    assert_eq!(code, 2);
    let config = format!(
        "{INSTANCE}\n[[database]]\nname = \"scratch*\"\ninstance = \"SQL?\"\nignore = true\n"
    );
    let (code, v) = check(&[&a], Some(&config));
    let d = db(&v, "SQLA", "Scratch_tmp");
    assert_eq!(d["state"], "exempt");
    assert_eq!(d["expectation"]["basis"], "ignored");
    let ids: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["database"] == "Scratch_tmp")
        .map(|f| &f["id"])
        .collect();
    assert_eq!(ids, vec![&json!("database.ignored")]);
    assert!(d["expectation"]["reason"]
        .as_str()
        .unwrap()
        .contains("cw.toml:11 [[database]] \"scratch*\" on \"SQL?\""));
    assert_eq!(code, 0, "{v:#}");
}

/// Two AG replicas; the group prefers secondaries; SQLAG02 is the secondary
/// and takes the backups, the newest log `stop` minutes ago.
fn ag(stop: i64) -> (Server, Server) {
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
    let mut d = portal.unwrap();
    let mut t = ago_days(21);
    while t < ago_min(stop) {
        b.copy_full(&mut d, t);
        t += Duration::days(7);
    }
    let mut t = ago_min(stop) - Duration::days(21);
    while t <= ago_min(stop) {
        b.log(&mut d, t);
        t += mins(15);
    }
    (a, b)
}

#[test]
fn ag_policy_judges_only_the_replica_that_takes_the_backups() {
    let (a, b) = ag(40);
    let (code, v) = check(&[&a, &b], None);
    assert_eq!(code, 0, "{v:#}");
    let config = r#"[defaults]
rpo_warn = "30m"

[[database]]
name = "Portal"
log_max_age = "30m"
never_backed_up = "critical"
"#;
    let (code, v) = check(&[&a, &b], Some(config));
    // The preferred secondary is judged, on the merged history.
    assert_eq!(
        has(&v, "SQLAG02", "Portal", "log.late").as_deref(),
        Some("warning")
    );
    assert_eq!(
        has(&v, "SQLAG02", "Portal", "rpo.exceeded").as_deref(),
        Some("warning")
    );
    // The primary is passive whatever the policy says about ages.
    let primary = db(&v, "SQLAG01", "Portal");
    assert_eq!(primary["expectation"]["judged"], "elsewhere");
    assert_eq!(primary["state"], "passive");
    assert!(has(&v, "SQLAG01", "Portal", "log.late").is_none());
    assert!(has(&v, "SQLAG01", "Portal", "rpo.exceeded").is_none());
    assert!(has(&v, "SQLAG01", "Portal", "backup.none").is_none());
    assert_eq!(code, 1);
}

fn config_check(text: &str, explain: Option<&str>) -> (i32, String) {
    let dir = temp_dir("cfg");
    let path = dir.join("cw.toml");
    std::fs::write(&path, text).unwrap();
    let mut cmd = bin();
    cmd.args(["config", "check", "--config"]).arg(&path);
    if let Some(e) = explain {
        cmd.args(["--explain", e]);
    }
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn policy_errors_name_line_and_column() {
    let text = r#"[defaults]
rpo_warn = "2h"
rpo_crit = "1h"

[[database]]
name = "Sales*"
log_max_age = "15 minutes please"
never_backed_up = "maybe"

[[database]]
name = "Empty"
"#;
    let (code, out) = config_check(text, None);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out
        .lines()
        .map(|l| &l[l.find("cw.toml:").unwrap_or(0)..])
        .collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines.contains(&"cw.toml:3:12: rpo_crit must not be shorter than rpo_warn"),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with("cw.toml:7:15: log_max_age: \"15 minutes please\" is not a duration")),
        "{out}"
    );
    assert!(
        lines.contains(&"cw.toml:8:19: never_backed_up = \"maybe\": expected \"ok\", \"warning\" or \"critical\""),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("cw.toml:10:1: [[database]] \"Empty\" sets no policy key")),
        "{out}"
    );
    let (code, out) = config_check("[defaults]\nrpo_warn = 15\n", None);
    assert_eq!(code, 1);
    assert!(out.contains("cw.toml:2:12: invalid type: integer"), "{out}");
}

#[test]
fn explain_prints_each_value_and_where_it_came_from() {
    let text = format!(
        r#"[defaults]
rpo_warn = "1h"
rpo_crit = "4h"
{INSTANCE}rpo_warn = "30m"

[[database]]
name = "Sales*"
log_max_age = "45m"

[[database]]
name = "SalesDW"
instance = "SQLA"
log_max_age = "2h"
"#
    );
    let (code, out) = config_check(&text, Some("SQLA/SalesDW"));
    assert_eq!(code, 0, "{out}");
    let row = |key: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("{key} in {out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        row("rpo_warn"),
        "rpo_warn 30m (cw.toml:10 [[instance]] \"SQLA\")"
    );
    assert_eq!(row("rpo_crit"), "rpo_crit 4h (cw.toml:3 [defaults])");
    assert_eq!(
        row("log_max_age"),
        "log_max_age 2h (cw.toml:19 [[database]] \"SalesDW\" on \"SQLA\")"
    );
    assert!(row("full_max_age").ends_with("(built-in)"));
    let (_, out) = config_check(&text, Some("SQLB/SalesEU"));
    assert!(
        out.contains("45m  (cw.toml:14 [[database]] \"Sales*\")"),
        "{out}"
    );
    assert!(out.contains("1h  (cw.toml:2 [defaults])"), "{out}");
}
