//! Real Prometheus (Debian's `prometheus` package, installed by
//! scripts/test): promtool on both expositions and on the shipped rules,
//! and an end-to-end scrape of `chainwatch serve` queried through
//! Prometheus' HTTP API. Under CI=true a missing Prometheus fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::temp_dir;
use crate::exporter::{estate, get, serve, wait_for, Running, PASSWORD_ENV};
use crate::formats::{labels, parse_exposition, run};
use crate::support::NOW;

/// A Prometheus tool on PATH; None (skip) outside CI, a failure under CI=true.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let msg = format!("{name} not found: scripts/test installs Debian's prometheus package");
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
        eprintln!("skipped: {msg}");
    }
    found
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// `promtool check metrics` reads the exposition on stdin; any lint is a failure.
pub fn check_metrics(promtool: &Path, exposition: &str) {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}"
    );
}

fn promtool(args: &[&str]) -> String {
    let promtool = tool("promtool").unwrap();
    let out = Command::new(promtool)
        .args(args)
        .current_dir(repo("monitoring"))
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?}: {said}");
    said
}

#[test]
fn promtool_accepts_check_and_serve_expositions() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let (_, demo) = run(&["check", "--demo", "--now", NOW, "--format", "prometheus"]);
    assert!(demo.contains("chainwatch_database_rpo_seconds{"));
    check_metrics(&promtool, &demo);
    // A broken exposition is refused (the check can fail).
    let broken = demo.replace(
        "# TYPE chainwatch_database_rpo_seconds gauge",
        "# TYPE chainwatch_database_rpo_seconds counter",
    );
    let out = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(broken.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        !out.status.success() || !out.stdout.is_empty() || !out.stderr.is_empty(),
        "a counter without _total should be linted"
    );

    let e = estate("promtool", true, "rpo_warn = \"1h\"\nrpo_crit = \"4h\"");
    let s = serve(&e.config, &[]);
    let body = wait_for(s.addr, "/metrics", 60, |b| {
        b.contains("chainwatch_collection_rounds_total")
    });
    check_metrics(&promtool, &body);
}

#[test]
fn shipped_rules_and_example_config_pass_promtool() {
    if tool("promtool").is_none() {
        return;
    }
    let said = promtool(&["check", "rules", "chainwatch.rules.yml"]);
    assert!(said.contains("SUCCESS: 11 rules found"), "{said}");
    let said = promtool(&["test", "rules", "chainwatch.rules.test.yml"]);
    assert!(said.contains("SUCCESS"), "{said}");
    promtool(&["check", "config", "prometheus.example.yml"]);
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Percent-encodes a query string value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn prometheus_scrapes_serve_and_answers_a_databases_rpo() {
    let Some(prometheus) = tool("prometheus") else {
        return;
    };
    let e = estate("e2e", false, "rpo_warn = \"1h\"");
    let s = serve(&e.config, &[]);
    let metrics = wait_for(s.addr, "/metrics", 30, |b| {
        b.contains("chainwatch_collection_rounds_total")
    });
    let ours = parse_exposition(&metrics)[&(
        "chainwatch_database_rpo_seconds".to_string(),
        labels(&[("instance", "SQL16\\PROD"), ("database", "Sales")]),
    )];

    let dir = temp_dir("prometheus");
    let port = free_port();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: chainwatch\n    honor_labels: true\n    static_configs:\n      - targets: ['{}']\n",
            repo("monitoring/chainwatch.rules.yml").display(),
            s.addr
        ),
    )
    .unwrap();
    let child = Command::new(prometheus)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
        .spawn()
        .unwrap();
    let prom = Running {
        child,
        addr: format!("127.0.0.1:{port}").parse().unwrap(),
    };
    let query = r#"chainwatch_database_rpo_seconds{job="chainwatch",instance="SQL16\\PROD",database="Sales"}"#;
    let path = format!("/api/v1/query?query={}", encode(query));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    let value = loop {
        assert!(
            Instant::now() < deadline,
            "no answer from Prometheus within 60 s: {last}\n{}",
            std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
        );
        if let Ok((200, body)) = get(prom.addr, &path) {
            let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            if let Some(r) = v["data"]["result"].as_array().and_then(|r| r.first()) {
                assert_eq!(v["data"]["result"].as_array().unwrap().len(), 1, "{body}");
                assert_eq!(r["metric"]["instance"], "SQL16\\PROD");
                break r["value"][1].as_str().unwrap().parse::<f64>().unwrap();
            }
            last = body;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(value, ours);
    // And what `check --format json` says for the same database.
    let out = crate::common::bin()
        .env(PASSWORD_ENV, "s3cret!")
        .args(["check", "--config"])
        .arg(&e.config)
        .args(["--now", NOW, "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sales = v["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["instance"] == "SQL16\\PROD" && d["database"] == "Sales")
        .unwrap();
    assert_eq!(sales["rpo_seconds"].as_f64(), Some(value));
    // The shipped rules load and evaluate against the live series.
    let (status, rules) = get(prom.addr, "/api/v1/rules").unwrap();
    assert_eq!(status, 200);
    assert!(rules.contains("ChainwatchRpoWarning"), "{rules}");
    drop(prom);
    let _ = std::fs::remove_dir_all(&dir);
}
