//! One truth: `check --format prometheus` and `--format nagios` say for
//! every demo database exactly what `check --format json` says.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::common::bin;
use crate::support::NOW;

/// One sample: metric name and its labels, sorted.
pub type Key = (String, Vec<(String, String)>);

/// Parses a text exposition (the subset chainwatch writes, strictly).
pub fn parse_exposition(text: &str) -> BTreeMap<Key, f64> {
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), Vec::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
                (name.to_string(), parse_labels(body))
            }
        };
        let mut labels = labels;
        labels.sort();
        assert!(
            out.insert((name, labels), value).is_none(),
            "duplicate {line}"
        );
    }
    out
}

fn parse_labels(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = body.chars().peekable();
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        assert_eq!(chars.next(), Some('"'), "{body}");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(c) => value.push(c),
                    None => panic!("{body}"),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        out.push((key, value));
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    out
}

pub fn run(args: &[&str]) -> (i32, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().map(|s| s.parse().unwrap())
}

pub fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut l: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.sort();
    l
}

#[test]
fn prometheus_and_nagios_read_the_json_answers_for_every_demo_database() {
    let (json_code, json_text) = run(&["check", "--demo", "--now", NOW, "--format", "json"]);
    let v: Value = serde_json::from_str(&json_text).unwrap();
    let (prom_code, prom) = run(&["check", "--demo", "--now", NOW, "--format", "prometheus"]);
    let (nagios_code, nagios) = run(&["check", "--demo", "--now", NOW, "--format", "nagios"]);
    assert_eq!(prom_code, json_code);
    assert_eq!(nagios_code, json_code);
    assert_eq!(v["exit_code"].as_i64().unwrap() as i32, json_code);
    let m = parse_exposition(&prom);
    let now: DateTime<Utc> = NOW.parse().unwrap();
    let get = |name: &str, l: &[(String, String)]| m.get(&(name.to_string(), l.to_vec())).copied();
    assert_eq!(
        get("chainwatch_check_status", &[]),
        Some(f64::from(json_code))
    );

    // Every database of every demo instance, counted from the estate itself.
    let estate = chainwatch::sources::demo_estate(now).unwrap();
    let (n_instances, n_databases) = (
        estate.instances.len(),
        estate
            .instances
            .iter()
            .map(|i| i.databases.len())
            .sum::<usize>(),
    );
    let databases = v["databases"].as_array().unwrap();
    assert_eq!(databases.len(), n_databases);
    let mut with_ag = 0;
    for d in databases {
        let (i, name) = (
            d["instance"].as_str().unwrap(),
            d["database"].as_str().unwrap(),
        );
        let mut base = vec![("instance", i), ("database", name)];
        if let Some(ag) = d["ag"].as_str() {
            base.push(("ag", ag));
            with_ag += 1;
        }
        let l = labels(&base);
        let with = |extra: (&str, &str)| {
            let mut b = base.clone();
            b.push(extra);
            labels(&b)
        };
        let what = format!("{i}/{name}");
        assert_eq!(
            get("chainwatch_database_rpo_seconds", &l),
            d["rpo_seconds"].as_f64(),
            "{what}"
        );
        assert_eq!(
            get("chainwatch_database_status", &l),
            d["status"].as_f64(),
            "{what}"
        );
        assert_eq!(
            get(
                "chainwatch_database_chain_state",
                &with(("state", d["state"].as_str().unwrap()))
            ),
            Some(1.0),
            "{what}"
        );
        assert_eq!(
            get("chainwatch_database_breaks_in_retention", &l),
            d["breaks_in_retention"].as_f64(),
            "{what}"
        );
        for kind in ["full", "diff", "log"] {
            let expected = time(&d[format!("last_{kind}")]).map(|t| (now - t).num_seconds() as f64);
            assert_eq!(
                get(
                    "chainwatch_database_backup_age_seconds",
                    &with(("kind", kind))
                ),
                expected,
                "{what} {kind}"
            );
        }
        let latest = time(&d["latest_recoverable"]);
        assert_eq!(
            get("chainwatch_database_latest_recoverable_age_seconds", &l),
            latest.map(|t| (now - t).num_seconds() as f64),
            "{what}"
        );
        assert_eq!(
            get(
                "chainwatch_database_latest_recoverable_timestamp_seconds",
                &l
            ),
            latest.map(|t| t.timestamp() as f64),
            "{what}"
        );
        // Findings by severity and rule: the JSON list, counted.
        let mut counted: BTreeMap<(String, String), f64> = BTreeMap::new();
        for f in v["findings"].as_array().unwrap() {
            if f["instance"] == i && f["database"] == name {
                let k = (
                    f["severity"].as_str().unwrap().to_string(),
                    f["id"].as_str().unwrap().to_string(),
                );
                *counted.entry(k).or_default() += 1.0;
            }
        }
        let exported: BTreeMap<(String, String), f64> = m
            .iter()
            .filter(|((n, ls), _)| {
                n == "chainwatch_database_findings"
                    && ls.iter().any(|(k, x)| k == "instance" && x == i)
                    && ls.iter().any(|(k, x)| k == "database" && x == name)
            })
            .map(|((_, ls), n)| {
                let find = |k: &str| ls.iter().find(|(key, _)| key == k).unwrap().1.clone();
                ((find("severity"), find("rule")), *n)
            })
            .collect();
        assert_eq!(exported, counted, "{what}");
        assert_eq!(
            counted.values().sum::<f64>(),
            d["findings"].as_f64().unwrap(),
            "{what}"
        );

        // Nagios perfdata: the same RPO, in seconds.
        let label = format!("'{}/{} rpo'=", i.replace('\'', "''"), name);
        let perf = nagios.split(" | ").nth(1).unwrap();
        let value = perf
            .find(&label)
            .map(|at| &perf[at + label.len()..])
            .map(|rest| {
                rest.split(';')
                    .next()
                    .unwrap()
                    .trim_end_matches('s')
                    .parse::<f64>()
                    .unwrap()
            });
        assert_eq!(value, d["rpo_seconds"].as_f64(), "{what}: {perf}");
    }
    assert!(with_ag >= 2, "the demo's AG databases carry ag");
    // Every database series belongs to a database the JSON lists.
    for (n, ls) in m.keys() {
        if n.starts_with("chainwatch_database_") {
            let find = |k: &str| ls.iter().find(|(key, _)| key == k).map(|x| x.1.as_str());
            assert!(
                databases.iter().any(
                    |d| Some(d["instance"].as_str().unwrap()) == find("instance")
                        && Some(d["database"].as_str().unwrap()) == find("database")
                ),
                "{n} {ls:?}"
            );
        }
    }
    // The status line: the JSON's status word and counts, one line.
    assert_eq!(nagios.lines().count(), 1, "{nagios}");
    let count = |s: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == s)
            .count()
    };
    let head = format!(
        "CHAINWATCH {} - {} critical, {} warning, {} info in {n_databases} databases on {n_instances} instances",
        v["status"].as_str().unwrap(),
        count("critical"),
        count("warning"),
        count("info")
    );
    assert!(nagios.starts_with(&head), "{nagios}\n{head}");
}

#[test]
fn policy_thresholds_reach_the_exposition_and_the_perfdata() {
    use crate::support::estates::*;
    let mut s = Server::new("SQL\"Q\\1", 0);
    let mut d = s.database("O'Brien", "FULL", ago_days(400));
    s.schedule(
        &mut d,
        ago_days(20),
        ago_min(90),
        chrono::Duration::days(7),
        None,
        Some(chrono::Duration::minutes(15)),
    );
    let config = "[defaults]\nrpo_warn = \"1h\"\nrpo_crit = \"4h\"\n";
    let (code, prom) = crate::common::check_text(&[&s], Some(config), "prometheus");
    assert_eq!(code, 1, "{prom}");
    let m = parse_exposition(&prom);
    let l = labels(&[("instance", "SQL\"Q\\1"), ("database", "O'Brien")]);
    let get = |n: &str| m.get(&(n.to_string(), l.clone())).copied();
    assert_eq!(get("chainwatch_database_rpo_warning_seconds"), Some(3600.0));
    assert_eq!(
        get("chainwatch_database_rpo_critical_seconds"),
        Some(14400.0)
    );
    let rpo = get("chainwatch_database_rpo_seconds").unwrap();
    assert!((5400.0..=6300.0).contains(&rpo), "{rpo}");
    let rule = labels(&[
        ("instance", "SQL\"Q\\1"),
        ("database", "O'Brien"),
        ("severity", "warning"),
        ("rule", "rpo.exceeded"),
    ]);
    assert_eq!(
        m.get(&("chainwatch_database_findings".into(), rule)),
        Some(&1.0)
    );
    let (code, line) = crate::common::check_text(&[&s], Some(config), "nagios");
    assert_eq!(code, 1);
    assert!(line.starts_with("CHAINWATCH WARNING - "), "{line}");
    assert!(
        line.contains(&format!("'SQL\"Q\\1/O''Brien rpo'={rpo}s;3600;14400;0")),
        "{line}"
    );
}
