//! `chainwatch serve` under load (not a test): 200 TDS test-server
//! instances (the demo's four instances in turn, 50 ms latency per
//! response, 10% hung after prelogin), collected on a short interval so
//! rounds run almost all the time, while a client scrapes `/metrics` every
//! 100 ms. Reports scrape latency (p50/p99/max) while rounds run, round
//! times, exposition size and RSS; then two exporters on `--shard 1/2` and
//! `2/2` over the same estate, to show the split costs nothing extra.
//!
//! Run: `cargo bench --bench serve` (`-- --instances N --seconds S
//! --every-secs E --parallelism P`). With `-- --minutes N` it measures
//! steady memory instead: `chainwatch serve` as a child process over the
//! same servers for N minutes (`--sample-secs S`, `--rss-tolerance-pct T`;
//! see serve_parts/steady.rs); it exits 1 when the verdict fails.

#[path = "serve_parts/steady.rs"]
mod steady;
#[path = "../tests/support/tds/mod.rs"]
mod tds;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chainwatch::app::live::LiveSource;
use chainwatch::config::InstanceConfig;
use chainwatch::monitor::serve::{self, Selection, Shared};
use chainwatch::sqlserver::{credential, Settings};
use tds::{demo_instances, Faults, ServerOptions, TdsServer};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(String::from))
        })
        .and_then(|k| k.parse::<f64>().ok())
        .map_or(0.0, |k| k / 1024.0)
}

fn instance(name: &str, addr: SocketAddr) -> InstanceConfig {
    let mut i = InstanceConfig::from_connection_string(&format!(
        "Server=tcp:{},{};User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT",
        addr.ip(),
        addr.port()
    ))
    .expect("connection string");
    i.name = name.into();
    i
}

fn pct(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// One exporter: collector + HTTP server on their own runtime.
struct Exporter {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

fn exporter(
    configs: &[InstanceConfig],
    selection: &Selection,
    every: Duration,
    parallelism: usize,
) -> Exporter {
    let chosen = serve::select(configs, selection);
    let source = LiveSource {
        archive: None,
        label: "bench.toml".into(),
        instances: chosen.iter().map(|i| (i.clone(), credential(i))).collect(),
        settings: Settings {
            connect_timeout: Duration::from_secs(3),
            query_timeout: Duration::from_secs(10),
            parallelism,
            retries: 0,
            backoff: Duration::from_millis(100),
            ..Settings::default()
        },
        every,
        now_override: None,
        policies: Default::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let shared = Arc::new(Shared::new(chosen.len()));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    serve::start(source, shared.clone()).expect("collector");
    runtime.spawn(chainwatch::monitor::http::run(listener, shared.clone()));
    Exporter {
        addr,
        shared,
        _runtime: runtime,
    }
}

struct Scrapes {
    latencies: Vec<Duration>,
    failures: usize,
    bytes: usize,
}

/// Scrapes every 100 ms for `secs` once the first round is served.
fn scrape(e: &Exporter, secs: u64) -> Scrapes {
    let start = Instant::now();
    while e.shared.current().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no first round within 300 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "  first round served after {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let mut out = Scrapes {
        latencies: Vec::new(),
        failures: 0,
        bytes: 0,
    };
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        let t = Instant::now();
        match steady::get(e.addr, "/metrics") {
            Some((200, body)) => {
                out.latencies.push(t.elapsed());
                out.bytes = body.len();
            }
            _ => out.failures += 1,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    out.latencies.sort();
    out
}

fn report(name: &str, e: &Exporter, s: &Scrapes) {
    let served = e.shared.current().expect("served");
    println!(
        "  {name}: {} scrapes ({} failed), p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; exposition {} KiB; {} rounds, last {:.1} s, {} instances",
        s.latencies.len(),
        s.failures,
        pct(&s.latencies, 0.5).as_secs_f64() * 1e3,
        pct(&s.latencies, 0.99).as_secs_f64() * 1e3,
        s.latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        s.bytes / 1024,
        served.rounds,
        served.round_took.as_secs_f64(),
        served.instances
    );
}

fn main() {
    let n = arg("--instances", 200) as usize;
    let secs = arg("--seconds", 120);
    let every = Duration::from_secs(arg("--every-secs", 5));
    let parallelism = arg("--parallelism", 50) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let demo: Vec<_> = demo_instances("2026-11-22T10:00:00Z")
        .into_values()
        .collect();
    let mut servers = Vec::new();
    let mut configs = Vec::new();
    for i in 0..n {
        let hung = i % 10 == 9;
        let s = runtime.block_on(TdsServer::start(
            demo[i % demo.len()].clone(),
            ServerOptions {
                faults: Faults {
                    latency: Some(Duration::from_millis(50)),
                    hang_after_prelogin: hung,
                    ..Faults::default()
                },
                ..ServerOptions::default()
            },
        ));
        configs.push(instance(&format!("BENCH{i:03}"), s.addr));
        servers.push(s);
    }
    let minutes = arg("--minutes", 0);
    if minutes > 0 {
        let named: Vec<(String, SocketAddr)> = servers
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("BENCH{i:03}"), s.addr))
            .collect();
        let plan = steady::Plan {
            run: Duration::from_secs(minutes * 60),
            sample_every: Duration::from_secs(arg("--sample-secs", 60).max(1)),
            every_secs: every.as_secs(),
            rss_tolerance: arg("--rss-tolerance-pct", 5) as f64 / 100.0,
        };
        let ok = steady::run(&steady::config_text(&named, parallelism), &plan);
        drop(servers);
        std::process::exit(if ok { 0 } else { 1 });
    }
    let base = rss_mib();
    println!(
        "serve: {n} test-server instances (50 ms latency, {} hung), pool {parallelism}, a round every {} s after the last; RSS with the servers {base:.0} MiB",
        n / 10,
        every.as_secs()
    );

    println!("one exporter, every instance:");
    let all = exporter(&configs, &Selection::All, every, parallelism);
    let s = scrape(&all, secs);
    report("all", &all, &s);
    println!(
        "  RSS {:.0} MiB ({:+.0} MiB for the exporter)",
        rss_mib(),
        rss_mib() - base
    );
    let all_round = all
        .shared
        .current()
        .map(|x| x.round_took)
        .unwrap_or_default();
    all.shared.stop();
    drop(all);
    // The stopped collector finishes its round first.
    std::thread::sleep(all_round + every + Duration::from_secs(2));

    println!("two exporters, --shard 1/2 and --shard 2/2 at once:");
    let before = rss_mib();
    let a = exporter(
        &configs,
        &Selection::Shard { index: 1, of: 2 },
        every,
        parallelism,
    );
    let b = exporter(
        &configs,
        &Selection::Shard { index: 2, of: 2 },
        every,
        parallelism,
    );
    let (sa, sb) = std::thread::scope(|scope| {
        let ha = scope.spawn(|| scrape(&a, secs));
        let hb = scope.spawn(|| scrape(&b, secs));
        (ha.join().expect("a"), hb.join().expect("b"))
    });
    report("shard 1/2", &a, &sa);
    report("shard 2/2", &b, &sb);
    let rounds = |e: &Exporter| e.shared.current().map(|x| x.round_took).unwrap_or_default();
    println!(
        "  RSS {:.0} MiB ({:+.0} MiB for both); rounds {:.1} s + {:.1} s against {:.1} s for all",
        rss_mib(),
        rss_mib() - before,
        rounds(&a).as_secs_f64(),
        rounds(&b).as_secs_f64(),
        all_round.as_secs_f64()
    );
    a.shared.stop();
    b.shared.stop();
    drop(servers);
}
