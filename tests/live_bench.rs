//! Benchmarks of the live path against the TDS test server (ignored by
//! default; run with `cargo test --release --test live_bench -- --ignored --nocapture`).

mod support;

use std::time::{Duration, Instant};

use chainwatch::config::InstanceConfig;
use chainwatch::sqlserver::{self, collect_all, connect, credential, queries, Settings, Status};
use futures_util::TryStreamExt;
use serde_json::Value;
use support::{demo_instances, Faults, ServerOptions, TdsServer};

fn instance(name: &str, addr: std::net::SocketAddr) -> InstanceConfig {
    let mut i = InstanceConfig::from_connection_string(&format!(
        "Server=tcp:{},{};User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT",
        addr.ip(),
        addr.port()
    ))
    .unwrap();
    i.name = name.into();
    i
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_200k_backupset_rows() {
    let mut inst = demo_instances("2026-11-22T10:00:00Z")
        .remove("SQL16\\PROD")
        .unwrap();
    let base = inst.tables["msdb.dbo.backupset"].clone();
    let mut rows = Vec::with_capacity(200_000);
    for i in 0..200_000usize {
        let mut r = base[i % base.len()].clone();
        r.insert("backup_set_id".into(), Value::from(i as i64 + 1));
        rows.push(r);
    }
    inst.tables.insert("msdb.dbo.backupset".into(), rows);
    let server = TdsServer::start(inst, ServerOptions::default()).await;
    let cfg = instance("BIG", server.addr);
    let cred = credential(&cfg).unwrap();
    let t = Duration::from_secs(120);
    let sql = queries::render(queries::BACKUPSET, 0, 30, None).unwrap();
    // Warm the server's encoding cache.
    let mut c = connect::connect(&cfg, &cred, t, t).await.unwrap();
    assert_eq!(
        sqlserver::query_rows(&mut c, &sql, t).await.unwrap().len(),
        200_000
    );
    let mut plain = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let mut c = connect::connect(&cfg, &cred, t, t).await.unwrap();
        let mut stream = c
            .simple_query(sql.as_str())
            .await
            .unwrap()
            .into_row_stream();
        let mut n = 0;
        while let Some(row) = stream.try_next().await.unwrap() {
            std::hint::black_box(&row);
            n += 1;
        }
        drop(stream);
        assert_eq!(n, 200_000);
        plain.push(start.elapsed());
        let start = Instant::now();
        let mut c = connect::connect(&cfg, &cred, t, t).await.unwrap();
        let rows = sqlserver::query_rows(&mut c, &sql, t).await.unwrap();
        assert_eq!(rows.len(), 200_000);
        ours.push(start.elapsed());
    }
    let best = |v: &[Duration]| *v.iter().min().unwrap();
    let (p, o) = (best(&plain), best(&ours));
    println!(
        "200k backupset rows: plain tiberius drain {:.3} s, chainwatch collect path {:.3} s, ratio {:.2}",
        p.as_secs_f64(),
        o.as_secs_f64(),
        o.as_secs_f64() / p.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_fan_out_200_instances() {
    let small = demo_instances("2026-11-22T10:00:00Z")
        .remove("SQLAG02")
        .unwrap();
    let mut servers = Vec::new();
    let mut configs = Vec::new();
    for i in 0..200 {
        let faults = Faults {
            latency: Some(Duration::from_millis(50)),
            hang_after_prelogin: i % 10 == 0,
            ..Faults::default()
        };
        let s = TdsServer::start(
            small.clone(),
            ServerOptions {
                faults,
                ..ServerOptions::default()
            },
        )
        .await;
        configs.push(instance(&format!("I{i:03}"), s.addr));
        servers.push(s);
    }
    for parallelism in [200, 50] {
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
            "fan-out 200 instances (50 ms latency, 10% hung), pool {parallelism}: total {:.2} s; {} ok, {} unreachable; slowest healthy {:.2} s + timeout {:.0} s = {:.2} s",
            total.as_secs_f64(),
            ok.len(),
            hung,
            slowest.as_secs_f64(),
            settings.connect_timeout.as_secs_f64(),
            (slowest + settings.connect_timeout).as_secs_f64()
        );
        // Healthy instances may miss the connect timeout on a starved
        // machine: the numbers are reported, not asserted.
        assert_eq!(ok.len() + hung, 200);
    }
}
