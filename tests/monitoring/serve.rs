//! `chainwatch serve` against TDS test servers on loopback: the same
//! answers as `check`, per-instance collection status, scrapes that never
//! wait for a round, the status page escaped, shards and globs.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::exporter::{estate, get, serve, serve_on_the_clock, wait_for, PASSWORD_ENV};
use crate::formats::{labels, parse_exposition};
use crate::support::NOW;

fn rounds(body: &str) -> f64 {
    parse_exposition(body)
        .get(&("chainwatch_collection_rounds_total".to_string(), Vec::new()))
        .copied()
        .unwrap_or(0.0)
}

fn instances_up(body: &str) -> BTreeSet<(String, bool)> {
    parse_exposition(body)
        .into_iter()
        .filter(|((n, _), _)| n == "chainwatch_instance_up")
        .map(|((_, l), v)| (l[0].1.clone(), v == 1.0))
        .collect()
}

#[test]
fn serve_exposes_the_collection_and_never_blocks_a_scrape() {
    let e = estate("serve", true, "rpo_warn = \"1h\"");
    let s = serve(&e.config, &[]);
    // Two rounds: each waits 2 s for the hung instance (its connect timeout).
    let body = wait_for(s.addr, "/metrics", 60, |b| rounds(b) >= 2.0);
    let m = parse_exposition(&body);
    let up: Vec<(String, bool)> = instances_up(&body).into_iter().collect();
    assert_eq!(
        up,
        vec![
            ("<b>REFUSED&co</b>".to_string(), false),
            ("HUNG".to_string(), false),
            ("SQL16\\PROD".to_string(), true),
            ("SQLAG02".to_string(), true),
        ]
    );
    let hung = m[&(
        "chainwatch_instance_collection_duration_seconds".to_string(),
        labels(&[("instance", "HUNG")]),
    )];
    assert!(
        (1.5..10.0).contains(&hung),
        "the hung instance cost {hung} s"
    );
    let round = m[&(
        "chainwatch_collection_round_duration_seconds".to_string(),
        Vec::new(),
    )];
    assert!(round >= 1.5, "a round waits for the hung instance: {round}");

    // The same answers as a one-shot `check` on the same config.
    let out = crate::common::bin()
        .env(PASSWORD_ENV, "s3cret!")
        .args(["check", "--config"])
        .arg(&e.config)
        .args(["--now", NOW, "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut compared = 0;
    for d in v["databases"].as_array().unwrap() {
        let i = d["instance"].as_str().unwrap();
        let name = d["database"].as_str().unwrap();
        let mut l = vec![("instance", i), ("database", name)];
        if let Some(ag) = d["ag"].as_str() {
            l.push(("ag", ag));
        }
        let key = |n: &str| (n.to_string(), labels(&l));
        assert_eq!(
            m.get(&key("chainwatch_database_rpo_seconds")).copied(),
            d["rpo_seconds"].as_f64(),
            "{i}/{name}"
        );
        assert_eq!(
            m.get(&key("chainwatch_database_status")).copied(),
            d["status"].as_f64(),
            "{i}/{name}"
        );
        assert_eq!(
            m.get(&key("chainwatch_database_rpo_warning_seconds"))
                .copied(),
            d["expectation"]["rpo_warn_seconds"].as_f64(),
            "{i}/{name}"
        );
        compared += 1;
    }
    assert!(compared >= 13, "{compared} databases compared");

    // Scrapes during rounds answer from the last complete one, at once.
    let mut worst = Duration::ZERO;
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_secs(5) && n < 100 {
        let t = Instant::now();
        let (status, body) = get(s.addr, "/metrics").unwrap();
        worst = worst.max(t.elapsed());
        assert_eq!(status, 200);
        assert!(body.contains("chainwatch_database_rpo_seconds"));
        n += 1;
        std::thread::sleep(Duration::from_millis(40));
    }
    eprintln!("{n} scrapes during rounds of {round:.1} s: slowest {worst:?}");
    assert!(
        worst < Duration::from_millis(1000),
        "slowest scrape {worst:?}"
    );

    let (status, health) = get(s.addr, "/healthz").unwrap();
    assert_eq!(status, 200);
    assert!(health.starts_with("ok: 4 instance(s)"), "{health}");
    let (status, page) = get(s.addr, "/").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("&lt;b&gt;REFUSED&amp;co&lt;/b&gt;"), "{page}");
    assert!(!page.contains("<b>REFUSED"), "{page}");
    assert!(page.contains("SQL16\\PROD"));
    let (status, _) = get(s.addr, "/nope").unwrap();
    assert_eq!(status, 404);
}

#[test]
fn instances_glob_and_shards_split_the_estate() {
    let e = estate("shards", false, "");
    let s = serve(&e.config, &["--instances", "sql16*"]);
    let body = wait_for(s.addr, "/metrics", 30, |b| rounds(b) >= 1.0);
    assert_eq!(
        instances_up(&body),
        BTreeSet::from([("SQL16\\PROD".to_string(), true)])
    );
    drop(s);
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for shard in ["1/2", "2/2"] {
        // An empty shard refuses to start; the split is the library's.
        let index: u32 = shard[..1].parse().unwrap();
        if !["SQL16\\PROD", "SQLAG02"]
            .iter()
            .any(|n| chainwatch::monitor::serve::shard_of(n, 2) == index)
        {
            continue;
        }
        let s = serve(&e.config, &["--shard", shard]);
        let body = wait_for(s.addr, "/metrics", 30, |b| rounds(b) >= 1.0);
        for (name, up) in instances_up(&body) {
            assert!(up, "{name}");
            assert!(seen.insert(name.clone()), "{name} in two shards");
            total += 1;
        }
    }
    assert_eq!(total, 2);
    assert_eq!(
        seen,
        BTreeSet::from(["SQL16\\PROD".to_string(), "SQLAG02".to_string()])
    );
}

/// One sample of an instance's metric.
fn of_instance(body: &str, metric: &str, instance: &str) -> Option<f64> {
    parse_exposition(body)
        .get(&(metric.to_string(), labels(&[("instance", instance)])))
        .copied()
}

/// The database series of one instance (names and labels).
fn database_series(body: &str, instance: &str) -> BTreeSet<(String, Vec<(String, String)>)> {
    parse_exposition(body)
        .into_keys()
        .filter(|(n, l)| {
            n.starts_with("chainwatch_database_")
                && l.iter().any(|(k, v)| k == "instance" && v == instance)
        })
        .collect()
}

#[test]
fn an_instance_that_stops_is_down_and_stale_and_keeps_its_databases() {
    let mut e = estate("stale", false, "");
    let s = serve_on_the_clock(&e.config);
    let before = wait_for(s.addr, "/metrics", 60, |b| {
        of_instance(b, "chainwatch_instance_up", "SQLAG02") == Some(1.0)
    });
    let kept = database_series(&before, "SQLAG02");
    assert!(kept.len() >= 5, "{kept:?}");
    // SQLAG02's server stops after the first round: its port refuses.
    let ag = e.servers.remove(1);
    drop(ag);
    let down = wait_for(s.addr, "/metrics", 60, |b| {
        of_instance(b, "chainwatch_instance_up", "SQLAG02") == Some(0.0)
    });
    let age = |b: &str| of_instance(b, "chainwatch_instance_data_age_seconds", "SQLAG02").unwrap();
    let first_age = age(&down);
    let rounds_then = rounds(&down);
    let later = wait_for(s.addr, "/metrics", 60, |b| {
        rounds(b) >= rounds_then + 2.0 && age(b) > first_age
    });
    assert_eq!(
        of_instance(&later, "chainwatch_instance_up", "SQLAG02"),
        Some(0.0)
    );
    assert!(
        age(&later) >= first_age + 2.0,
        "data age {} then {}",
        first_age,
        age(&later)
    );
    // The last complete collection is still judged and served.
    assert_eq!(database_series(&later, "SQLAG02"), kept);
    assert_eq!(
        of_instance(&later, "chainwatch_instance_up", "SQL16\\PROD"),
        Some(1.0)
    );
    assert!(
        of_instance(
            &later,
            "chainwatch_instance_data_age_seconds",
            "SQL16\\PROD"
        )
        .unwrap()
            < 10.0,
        "the running instance stays fresh"
    );
}
