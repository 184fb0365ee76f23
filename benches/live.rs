//! Live-path benchmarks against the TDS test server (not tests).
//!
//! 1. Fetch 200,000 backupset rows: chainwatch's collect path
//!    (`sqlserver::query_rows`) against a plain tiberius loop that only
//!    drains the same query; best of three each. Target: ratio ≤ 1.3.
//! 2. Fan-out over 200 test-server instances with 50 ms latency and 10%
//!    hung after prelogin: total refresh time against the slowest healthy
//!    instance plus the connect timeout, with pools of 200 and 50.
//!
//! Run: `cargo bench --bench live` (`-- --rows N --instances N` to change
//! the sizes).

#[path = "../tests/support/tds/mod.rs"]
mod tds;

use std::time::{Duration, Instant};

use chainwatch::config::InstanceConfig;
use chainwatch::model::Table;
use chainwatch::sqlserver::{self, collect_all, connect, credential, queries, Settings, Status};
use futures_util::TryStreamExt;
use serde_json::Value;
use tds::{demo_instances, Faults, ServerOptions, TdsServer};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A config reaching the test server at `addr` with its fixed login.
fn instance(name: &str, addr: std::net::SocketAddr) -> InstanceConfig {
    let mut i = InstanceConfig::from_connection_string(&format!(
        "Server=tcp:{},{};User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT",
        addr.ip(),
        addr.port()
    ))
    .expect("connection string");
    i.name = name.into();
    i
}

async fn backupset_rows(count: usize) {
    let mut inst = demo_instances("2026-11-22T10:00:00Z")
        .remove("SQL16\\PROD")
        .expect("SQL16\\PROD in the demo");
    let base = inst.tables["msdb.dbo.backupset"].to_maps();
    let mut rows = Vec::with_capacity(count);
    for i in 0..count {
        let mut r = base[i % base.len()].clone();
        r.insert("backup_set_id".into(), Value::from(i as i64 + 1));
        rows.push(r);
    }
    inst.tables
        .insert("msdb.dbo.backupset".into(), Table::from_maps(rows));
    let server = TdsServer::start(inst, ServerOptions::default()).await;
    let cfg = instance("BIG", server.addr);
    let cred = credential(&cfg).expect("credential");
    let t = Duration::from_secs(120);
    let sql = queries::render(queries::BACKUPSET, 0, 30, None).expect("query");
    // Warm the server's encoding cache.
    let mut c = connect::connect(&cfg, &cred, t, t).await.expect("connect");
    let warm = sqlserver::query_rows(&mut c, &sql, t).await.expect("rows");
    assert_eq!(warm.len(), count, "the server must serve every row");
    let mut plain = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let mut c = connect::connect(&cfg, &cred, t, t).await.expect("connect");
        let mut stream = c
            .simple_query(sql.as_str())
            .await
            .expect("query")
            .into_row_stream();
        let mut n = 0;
        while let Some(row) = stream.try_next().await.expect("row") {
            std::hint::black_box(&row);
            n += 1;
        }
        drop(stream);
        assert_eq!(n, count);
        plain.push(start.elapsed());
        let start = Instant::now();
        let mut c = connect::connect(&cfg, &cred, t, t).await.expect("connect");
        let rows = sqlserver::query_rows(&mut c, &sql, t).await.expect("rows");
        assert_eq!(rows.len(), count);
        ours.push(start.elapsed());
    }
    let best = |v: &[Duration]| v.iter().min().copied().unwrap_or_default();
    let (p, o) = (best(&plain), best(&ours));
    println!(
        "{count} backupset rows: plain tiberius drain {:.3} s, chainwatch collect path {:.3} s, ratio {:.2} (target ≤ 1.3)",
        p.as_secs_f64(),
        o.as_secs_f64(),
        o.as_secs_f64() / p.as_secs_f64()
    );
}

async fn fan_out(count: usize) {
    let small = demo_instances("2026-11-22T10:00:00Z")
        .remove("SQLAG02")
        .expect("SQLAG02 in the demo");
    let mut servers = Vec::new();
    let mut configs = Vec::new();
    for i in 0..count {
        let faults = Faults {
            latency: Some(Duration::from_millis(50)),
            hang_after_prelogin: i % 10 == 0,
            ..Faults::default()
        };
        let options = ServerOptions {
            faults,
            ..ServerOptions::default()
        };
        let s = TdsServer::start(small.clone(), options).await;
        configs.push(instance(&format!("I{i:03}"), s.addr));
        servers.push(s);
    }
    for parallelism in [count, 50] {
        let settings = Settings {
            connect_timeout: Duration::from_secs(3),
            query_timeout: Duration::from_secs(10),
            parallelism,
            ..Settings::default()
        };
        let start = Instant::now();
        let results = collect_all(&configs, &settings).await;
        let total = start.elapsed();
        let ok: Vec<_> = results.iter().filter(|r| r.status == Status::Ok).collect();
        let hung = results
            .iter()
            .filter(|r| matches!(r.status, Status::Unreachable(_)))
            .count();
        let slowest = ok.iter().map(|r| r.elapsed).max().unwrap_or_default();
        println!(
            "fan-out {count} instances (50 ms latency, 10% hung), pool {parallelism}: total {:.2} s; {} ok, {} unreachable; slowest healthy {:.2} s + timeout {:.0} s = {:.2} s",
            total.as_secs_f64(),
            ok.len(),
            hung,
            slowest.as_secs_f64(),
            settings.connect_timeout.as_secs_f64(),
            (slowest + settings.connect_timeout).as_secs_f64()
        );
        // On a starved machine a healthy instance may miss the connect
        // timeout: the split is reported, only the total is checked.
        assert_eq!(
            ok.len() + hung,
            count,
            "every instance is ok or unreachable"
        );
    }
}

fn main() {
    let rows = arg("--rows", 200_000);
    let instances = arg("--instances", 200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        backupset_rows(rows).await;
        fan_out(instances).await;
    });
}
