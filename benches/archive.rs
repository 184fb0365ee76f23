//! Restart time with the archive against a whole re-read (not a test).
//!
//! 200 instances on the TDS test server, each the demo's `SQL16\PROD`
//! (11 databases, three weeks of Managed Backup history): the time from
//! nothing to an analysable estate
//! 1. by a whole re-read of every instance's history (a start without archive);
//! 2. from the archive, reading only rows past its newest backup_set_id per
//!    instance and storing the round (a start with `--archive`);
//! 3. from the archive alone (export and load, no server): what the console
//!    shows first when started with `--archive`, before its first round;
//! 4. and the cost of `history` / `report compliance` on one instance.
//!
//! Run: `cargo bench --bench archive` (`-- --instances N` to change the size).

#[path = "../tests/support/tds/mod.rs"]
mod tds;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chainwatch::archive::{create_store, open_store, refresh};
use chainwatch::config::InstanceConfig;
use chainwatch::model::catalog;
use chainwatch::snapshot::to_estate;
use chainwatch::sqlserver::{collect_all, collect_all_since, to_snapshot, Settings};
use chrono::Utc;
use tds::{demo_instances, ServerOptions, TdsServer};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

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

fn main() {
    let count = arg("--instances", 200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let served = demo_instances("2026-11-22T10:00:00Z")
        .remove("SQL16\\PROD")
        .expect("SQL16\\PROD in the demo");
    let rows: usize = served.tables.values().map(|t| t.len()).sum();
    let sets = served.tables[catalog::BACKUPSET].len();
    let server = runtime.block_on(TdsServer::start(served.clone(), ServerOptions::default()));
    let configs: Vec<InstanceConfig> = (0..count)
        .map(|i| instance(&format!("SQL{i:03}\\PROD"), server.addr))
        .collect();
    let names: Vec<String> = configs.iter().map(|c| c.name.clone()).collect();
    let settings = Settings {
        connect_timeout: Duration::from_secs(10),
        query_timeout: Duration::from_secs(120),
        ..Settings::default()
    };
    let history: usize = [
        catalog::BACKUPSET,
        catalog::BACKUPMEDIASET,
        catalog::BACKUPMEDIAFAMILY,
        catalog::BACKUPFILE,
    ]
    .iter()
    .filter_map(|t| served.tables.get(*t))
    .map(|t| t.len())
    .sum();
    println!(
        "{count} instances x {rows} catalog rows ({sets} backup sets) = {} rows; an incremental read transfers the {} that are not backup history",
        count * rows,
        count * (rows - history)
    );

    // 1. A whole re-read.
    let start = Instant::now();
    let results = runtime.block_on(collect_all(&configs, &settings));
    let read = start.elapsed();
    let estate = to_estate(to_snapshot(&results, Utc::now()), "bench", false).expect("estate");
    let whole = start.elapsed();
    assert!(results.iter().all(|r| r.status.collected()));
    let backups: usize = estate.instances.iter().map(|i| i.backups.len()).sum();
    println!(
        "whole re-read: {:.2} s ({:.2} s collecting), {backups} backup sets",
        whole.as_secs_f64(),
        read.as_secs_f64()
    );
    drop(estate);

    // Fill the archive with that collection (the first run with --archive).
    let dir = std::env::temp_dir().join(format!("cw-bench-archive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("bench.sqlite");
    let start = Instant::now();
    create_store(&path)
        .expect("archive")
        .import(&to_snapshot(&results, Utc::now()))
        .expect("import");
    println!(
        "first import: {:.2} s, file {:.0} MiB",
        start.elapsed().as_secs_f64(),
        std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1048576.0
    );
    drop(results);

    // 2. A restart from the archive with an incremental read.
    let start = Instant::now();
    let previous: BTreeMap<_, _> = refresh::archived(&path, &names)
        .expect("archived")
        .into_iter()
        .map(|(n, (i, _))| (n, i))
        .collect();
    let loaded = start.elapsed();
    let mut results = runtime.block_on(collect_all_since(&configs, &settings, &previous));
    let collected = start.elapsed();
    refresh::store_round(&path, &mut results, Utc::now(), |n| previous.get(n)).expect("store");
    drop(previous);
    let stored = start.elapsed();
    let estate = to_estate(to_snapshot(&results, Utc::now()), "bench", false).expect("estate");
    let total = start.elapsed();
    let again: usize = estate.instances.iter().map(|i| i.backups.len()).sum();
    assert_eq!(again, backups, "the same history");
    println!(
        "restart from the archive: {:.2} s (archive read {:.2} s, incremental collection {:.2} s, storing {:.2} s) = {:.2}x the whole re-read",
        total.as_secs_f64(),
        loaded.as_secs_f64(),
        (collected - loaded).as_secs_f64(),
        (stored - collected).as_secs_f64(),
        total.as_secs_f64() / whole.as_secs_f64()
    );
    drop(estate);

    // 3. Offline, from the archive alone.
    let start = Instant::now();
    let snapshot = open_store(&path).expect("open").export().expect("export");
    let estate = to_estate(snapshot, "bench", false).expect("estate");
    println!(
        "archive alone (export + load, the console's first view): {:.2} s, {} instances",
        start.elapsed().as_secs_f64(),
        estate.instances.len()
    );
    // 4. Recoverability over the whole history of one instance's databases
    //    (what `report compliance` does per database).
    let inst = &estate.instances[0];
    let start = Instant::now();
    let mut moments = 0;
    for db in &inst.databases {
        let history = chainwatch::analysis::history::history_for(&estate, inst, db);
        let from = history.rows.iter().filter_map(|b| b.finish).min();
        let to = estate.collected_at.unwrap_or_else(Utc::now);
        let span = chainwatch::analysis::past::Span {
            from: from.unwrap_or(to),
            to,
            limit: chrono::Duration::minutes(15),
            watched_since: from,
        };
        let roles = chainwatch::analysis::roles::roles(&estate, inst, db);
        let in_estate = |n: &str| chainwatch::analysis::roles::instance_named(&estate, n).is_some();
        let context = chainwatch::analysis::past::Context {
            roles: &roles,
            in_estate: &in_estate,
            policy: Default::default(),
        };
        let p = chainwatch::analysis::past::recoverability(
            &inst.name, db, true, &history, &context, span,
        );
        moments += p.moments.len();
    }
    println!(
        "recoverability over the past, {} databases of one instance: {:.2} s for {moments} moments",
        inst.databases.len(),
        start.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
