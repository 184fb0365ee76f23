//! `history` and `report compliance` judge each database by the config's
//! policy, as `check` does: its rpo_warn (else rpo_crit, else 6 h) is the
//! limit, `ignore = true` leaves it out, `--rpo` overrides the limit, and
//! an availability database is judged on the replica its expectation
//! judges (AG_Sales backs up on its secondary SQLAG02).

use serde_json::Value;

use crate::support::archive::{demo, run, TempDir};
use chainwatch::archive::{ArchiveStore, SqliteArchive};

const DAY: &str = "2026-11-21T10:00:00Z";

const POLICY: &str = r#"
[[database]]
name = "Orders"
rpo_warn = "3h"

[[database]]
name = "Sales"
rpo_warn = "15m"
rpo_crit = "6h"

[[database]]
name = "Inventory"
rpo_crit = "1h"

[[database]]
name = "Billing"
ignore = true

[[database]]
name = "Portal"
rpo_warn = "30m"
"#;

fn setup(name: &str) -> (TempDir, String, String) {
    let dir = TempDir::new(name);
    let (cfg, file) = (dir.path("cw.toml"), dir.path("a.sqlite"));
    std::fs::write(&cfg, POLICY).unwrap();
    SqliteArchive::create_or_open(&file)
        .unwrap()
        .import(&demo())
        .unwrap();
    let s = |p: std::path::PathBuf| p.to_str().unwrap().to_string();
    (dir, s(cfg), s(file))
}

fn compliance(args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["report", "compliance", "--format", "json", "--from", DAY];
    all.extend(args);
    let out = run(&all);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

fn database<'a>(r: &'a Value, instance: &str, name: &str) -> Option<&'a Value> {
    r["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["instance"] == instance && d["database"] == name)
}

fn skipped<'a>(r: &'a Value, instance: &str, name: &str) -> Option<&'a str> {
    r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["instance"] == instance && d["database"] == name)
        .and_then(|d| d["reason"].as_str())
}

#[test]
fn compliance_judges_each_database_by_its_policy() {
    let (_dir, cfg, file) = setup("policy");
    let (code, r) = compliance(&["--config", &cfg, "--archive", &file]);
    assert_eq!(code, Some(1), "Sales and Portal breach their policy");
    assert_eq!(r["rpo_override_seconds"], Value::Null);
    let prod = "SQL16\\PROD";

    // Orders: 2-hourly logs, worst ~2h04m: within its 3h.
    let orders = database(&r, prod, "Orders").expect("Orders judged");
    assert_eq!(orders["rpo_limit_seconds"], 3 * 3600);
    let from = orders["rpo_limit_from"].as_str().unwrap();
    assert!(
        from.contains("cw.toml") && from.contains("\"Orders\"") && from.ends_with("(rpo_warn)"),
        "{from}"
    );
    assert_eq!(orders["compliant"], true, "{orders}");
    assert!(orders["worst_rpo_seconds"].as_i64().unwrap() > 2 * 3600);

    // Sales: the same rhythm against rpo_warn 15m (not its rpo_crit 6h).
    let sales = database(&r, prod, "Sales").expect("Sales judged");
    assert_eq!(sales["rpo_limit_seconds"], 15 * 60);
    assert_eq!(sales["compliant"], false);
    assert!(sales["minutes_outside_policy"].as_f64().unwrap() > 600.0);

    // Inventory: rpo_crit alone is the limit.
    let inventory = database(&r, prod, "Inventory").expect("Inventory judged");
    assert_eq!(inventory["rpo_limit_seconds"], 3600);
    assert!(inventory["rpo_limit_from"]
        .as_str()
        .unwrap()
        .ends_with("(rpo_crit)"));

    // A database no rule names: the built-in 6h.
    let crm = database(&r, prod, "CRM").expect("CRM judged");
    assert_eq!(crm["rpo_limit_seconds"], 6 * 3600);
    assert_eq!(crm["rpo_limit_from"], "built-in");

    // Billing: ignored, listed as such, not judged.
    assert!(database(&r, prod, "Billing").is_none());
    let why = skipped(&r, prod, "Billing").expect("Billing listed");
    assert!(why.starts_with("ignored by the config's policy"), "{why}");

    // Portal: judged on the preferred backup replica SQLAG02 (the
    // secondary), with the replicas' merged history, by its own policy;
    // the primary SQLAG01 is listed as judged there.
    let portal = database(&r, "SQLAG02", "Portal").expect("Portal judged on SQLAG02");
    assert_eq!(portal["rpo_limit_seconds"], 30 * 60);
    assert_eq!(portal["compliant"], false, "worst ~36m: {portal}");
    assert!(database(&r, "SQLAG01", "Portal").is_none());
    let why = skipped(&r, "SQLAG01", "Portal").expect("Portal on SQLAG01 listed");
    assert!(why.starts_with("judged on SQLAG02"), "{why}");

    // The markdown names every database's limit and where it came from.
    let md = run(&[
        "report",
        "compliance",
        "--from",
        DAY,
        "--config",
        &cfg,
        "--archive",
        &file,
    ]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.lines()
            .any(|l| l.starts_with("| SQL16\\PROD | Sales | 15m00s (") && l.contains("rpo_warn")),
        "{md}"
    );
    assert!(
        md.contains("Billing on SQL16\\PROD (ignored by the config's policy"),
        "{md}"
    );
}

#[test]
fn rpo_overrides_every_limit_but_not_ignore() {
    let (_dir, cfg, file) = setup("policy-override");
    let (code, r) = compliance(&["--rpo", "30d", "--config", &cfg, "--archive", &file]);
    // Only databases with no recoverable point at all (never backed up, or
    // their full purged) breach 30 days.
    let breached: Vec<&Value> = r["databases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["compliant"] == false)
        .collect();
    assert_eq!(code, Some(i32::from(!breached.is_empty())), "{r}");
    for d in &breached {
        assert_eq!(
            d["seconds_unrecoverable"], d["seconds_outside_policy"],
            "{d}"
        );
        assert!(d["worst_rpo_seconds"].is_null(), "{d}");
    }
    assert_eq!(r["rpo_override_seconds"], 30 * 86_400);
    for d in r["databases"].as_array().unwrap() {
        assert_eq!(d["rpo_limit_seconds"], 30 * 86_400, "{d}");
        assert_eq!(d["rpo_limit_from"], "--rpo");
    }
    assert!(skipped(&r, "SQL16\\PROD", "Billing").is_some());

    // Without a config: the built-in limit, nothing ignored.
    let (_, r) = compliance(&["--archive", &file]);
    let billing = database(&r, "SQL16\\PROD", "Billing").expect("judged without a config");
    assert_eq!(billing["rpo_limit_from"], "built-in");
}

#[test]
fn history_states_the_limit_and_where_the_database_is_judged() {
    let (_dir, cfg, file) = setup("policy-history");
    let h = |args: &[&str]| {
        let mut all = vec!["history", "--format", "json", "--from", DAY];
        all.extend(args);
        all.extend(["--config", cfg.as_str(), "--archive", file.as_str()]);
        crate::support::bin::json(&all)
    };
    let sales = h(&["--database", "Sales"]);
    assert_eq!(sales["rpo_limit_seconds"], 900);
    assert!(sales["rpo_limit_from"]
        .as_str()
        .unwrap()
        .ends_with("(rpo_warn)"));
    assert_eq!(sales["not_judged"], Value::Null);
    assert!(sales["seconds_outside_policy"].as_i64().unwrap() > 0);
    let sales_6h = h(&["--database", "Sales", "--rpo", "6h"]);
    assert_eq!(sales_6h["rpo_limit_from"], "--rpo");
    assert_eq!(sales_6h["seconds_outside_policy"], 0);

    let primary = h(&["--database", "Portal", "--instance", "SQLAG01"]);
    assert!(primary["not_judged"]
        .as_str()
        .unwrap()
        .starts_with("judged on SQLAG02"));
    let billing = h(&["--database", "Billing"]);
    assert!(billing["not_judged"]
        .as_str()
        .unwrap()
        .starts_with("ignored"));
}

/// A database created while history was watched is judged from the end
/// of its policy's grace (`grace_new_database`), or its first backup when
/// that came sooner, as `check` gives a new database time for its first full.
#[test]
fn a_new_database_is_judged_after_its_grace() {
    use crate::support::history::{at, Hist};
    use chainwatch::analysis::history::history_of;
    use chainwatch::analysis::past::{recoverability, Context, Span};
    use chainwatch::analysis::policy::Policy;
    use chainwatch::analysis::roles::Roles;
    use chrono::Duration;

    let mut h = Hist::new();
    h.full(600, 10);
    h.hourly_logs(660, 3);
    let mut db = chainwatch::model::Database::new_named("Sales");
    db.create_date = Some(at(100));
    let past = |grace_min: i64| {
        let policy = Policy {
            first_full_grace: Duration::minutes(grace_min),
            ..Policy::default()
        };
        let context = Context {
            roles: &Roles::default(),
            in_estate: &|_| false,
            policy,
        };
        let span = Span {
            from: at(0),
            to: at(800),
            limit: Duration::minutes(90),
            watched_since: Some(at(0)),
        };
        recoverability(
            "SQL01",
            &db,
            true,
            &history_of(&h.rows, "Sales"),
            &context,
            span,
        )
    };
    // Grace of 2 h: nothing recoverable from 220 to the full at 610.
    let short = past(120);
    assert_eq!(short.judged_from, at(220));
    assert_eq!(short.seconds_unrecoverable, (610 - 220) * 60);
    // Grace of a day: judged from the first backup, never outside policy.
    let long = past(24 * 60);
    assert_eq!(long.judged_from, at(610));
    assert_eq!(long.seconds_outside_policy, 0, "{:?}", long.breaches);
}
