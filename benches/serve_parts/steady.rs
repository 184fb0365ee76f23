//! `cargo bench --bench serve -- --minutes N`: the steady memory of
//! `chainwatch serve` over a long run. The exporter runs as a child
//! process (`chainwatch serve --config …`), so the in-process test servers'
//! memory (they keep every query and their hung connections) is not
//! counted; `/metrics` is scraped every second and the child's
//! `/proc/<pid>/status` (VmRSS, Threads) sampled every `--sample-secs`
//! (60). Verdict as in benches/sustained.rs: on the samples after the
//! warm-up (a sixth of the run, at most 3 min, and not before the round
//! after the first whole re-read of the history, `live::FULL_EVERY + 1`),
//! RSS averaged over the last third within `--rss-tolerance-pct` (5) of
//! the first third, with the least-squares trend in MiB/h beside.
//! Returns false (the bench exits 1) when it fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Plan {
    pub run: Duration,
    pub sample_every: Duration,
    pub every_secs: u64,
    pub rss_tolerance: f64,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: f64,
    rss_kib: u64,
    threads: u64,
    rounds: u64,
}

const PASSWORD_ENV: &str = "CW_BENCH_PASSWORD";

/// The config `serve` reads: every instance with the password from the environment.
pub fn config_text(instances: &[(String, SocketAddr)], parallelism: usize) -> String {
    let mut text = format!(
        "[defaults]\nconnect_timeout_secs = 3\nquery_timeout_secs = 10\nretries = 0\nparallelism = {parallelism}\n\n"
    );
    for (name, addr) in instances {
        text.push_str(&format!(
            "[[instance]]\nname = {name:?}\nconnection = \"Server=tcp:{},{};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\npassword_env = \"{PASSWORD_ENV}\"\n\n",
            addr.ip(),
            addr.port()
        ));
    }
    text
}

fn status_field(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One HTTP/1.1 GET: the status and the body (None when it cannot be read).
pub fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// The body of a 200 answer.
fn body(addr: SocketAddr, path: &str) -> Option<String> {
    get(addr, path).and_then(|(status, body)| (status == 200).then_some(body))
}

fn rounds_of(metrics: &str) -> Option<u64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("chainwatch_collection_rounds_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
}

/// Starts `chainwatch serve`; waits (bounded) for the address it prints.
fn spawn(config: &std::path::Path, every_secs: u64) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .env(PASSWORD_ENV, "s3cret!")
        .env_remove("CHAINWATCH_CONFIG")
        .args(["serve", "--config"])
        .arg(config)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--every-secs",
            &every_secs.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chainwatch serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                break;
            }
        }
        // Keep draining so the child never blocks on a full pipe.
        for _ in lines.map_while(Result::ok) {}
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve printed its address")
        .parse()
        .expect("an address");
    (child, addr)
}

pub fn run(config_text: &str, plan: &Plan) -> bool {
    let dir = std::env::temp_dir().join(format!("cw-bench-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("bench.toml");
    std::fs::write(&config, config_text).expect("config");
    let (mut child, addr) = spawn(&config, plan.every_secs);
    let pid = child.id();
    println!(
        "steady memory: chainwatch serve (pid {pid}) on http://{addr} for {:.0} min, a round every {} s, sampled every {} s",
        plan.run.as_secs_f64() / 60.0,
        plan.every_secs,
        plan.sample_every.as_secs()
    );
    let start = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    let mut rounds = 0u64;
    let mut scrapes = 0usize;
    let mut failed = 0usize;
    let mut slowest = Duration::ZERO;
    let mut next_sample = Duration::ZERO;
    println!(
        "  {:>6}  {:>9}  {:>7}  {:>6}",
        "min", "RSS MiB", "threads", "rounds"
    );
    while start.elapsed() < plan.run {
        let t = Instant::now();
        match body(addr, "/metrics") {
            Some(b) => {
                slowest = slowest.max(t.elapsed());
                scrapes += 1;
                rounds = rounds_of(&b).unwrap_or(rounds);
            }
            None => failed += 1,
        }
        if start.elapsed() >= next_sample {
            let s = Sample {
                at: start.elapsed().as_secs_f64(),
                rss_kib: status_field(pid, "VmRSS:"),
                threads: status_field(pid, "Threads:"),
                rounds,
            };
            println!(
                "  {:>6.1}  {:>9.1}  {:>7}  {:>6}",
                s.at / 60.0,
                s.rss_kib as f64 / 1024.0,
                s.threads,
                s.rounds
            );
            samples.push(s);
            next_sample += plan.sample_every;
        }
        std::thread::sleep(Duration::from_secs(1).saturating_sub(t.elapsed()));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "  {scrapes} scrapes ({failed} failed before the first round or during), slowest {:.1} ms",
        slowest.as_secs_f64() * 1e3
    );
    verdict(&samples, plan)
}

/// When the warm-up ends: a sixth of the run (at most 3 min), and not
/// before the round after the first whole re-read of the history.
fn warm_up_end(samples: &[Sample], plan: &Plan) -> f64 {
    let minimum = (plan.run.as_secs_f64() / 6.0).min(180.0);
    let reread = samples
        .iter()
        .find(|s| s.rounds > u64::from(chainwatch::app::live::FULL_EVERY))
        .map_or(f64::INFINITY, |s| s.at);
    minimum.max(reread)
}

fn verdict(samples: &[Sample], plan: &Plan) -> bool {
    let warm = warm_up_end(samples, plan);
    let after: Vec<&Sample> = samples.iter().filter(|s| s.at >= warm).collect();
    if after.len() < 3 {
        println!(
            "VERDICT: not enough samples after the warm-up ({} after {:.1} min; the first whole re-read {})",
            after.len(),
            warm / 60.0,
            if warm.is_finite() { "was reached" } else { "was never reached" }
        );
        return false;
    }
    let third = after.len() / 3;
    let (first, last) = (&after[..third], &after[after.len() - third..]);
    let avg = |v: &[&Sample]| v.iter().map(|s| s.rss_kib as f64).sum::<f64>() / v.len() as f64;
    let (a, b) = (avg(first), avg(last));
    let n = after.len() as f64;
    let mx = after.iter().map(|s| s.at).sum::<f64>() / n;
    let my = after.iter().map(|s| s.rss_kib as f64).sum::<f64>() / n;
    let sxy: f64 = after
        .iter()
        .map(|s| (s.at - mx) * (s.rss_kib as f64 - my))
        .sum();
    let sxx: f64 = after.iter().map(|s| (s.at - mx).powi(2)).sum();
    let slope_kib_h = if sxx > 0.0 { sxy / sxx * 3600.0 } else { 0.0 };
    let pass = b <= a * (1.0 + plan.rss_tolerance);
    println!(
        "after {:.1} min of warm-up, {} samples; VERDICT [{}] memory flat: RSS last third {:.1} MiB vs first third {:.1} MiB ({:+.1}%, tolerance {:.0}%); trend {:+.1} MiB/h; threads {} then {}",
        warm / 60.0,
        after.len(),
        if pass { "PASS" } else { "FAIL" },
        b / 1024.0,
        a / 1024.0,
        (b / a - 1.0) * 100.0,
        plan.rss_tolerance * 100.0,
        slope_kib_h / 1024.0,
        first.iter().map(|s| s.threads).max().unwrap_or(0),
        last.iter().map(|s| s.threads).max().unwrap_or(0),
    );
    pass
}
