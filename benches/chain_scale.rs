//! Scale benchmark (not a test): 100 databases × 10,000 backup sets.
//!
//! Baseline: parse the same JSON and sort every database's rows by LSN.
//! Measured: load the snapshot into the typed estate, analyse every
//! database (chains, windows, health) and plan a restore to latest and to a
//! point in the middle. Run: `cargo bench --bench chain_scale`
//! (`-- --databases N --rows M` to change the size).

use std::time::Instant;

use chainwatch::analysis::{analyze_database, plan, Target};
use chainwatch::snapshot::{to_estate, Snapshot};
use chrono::{Duration, TimeZone, Utc};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak resident memory so far (VmHWM), in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn generate(databases: usize, rows_per_db: usize) -> String {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut out = String::with_capacity(databases * rows_per_db * 420);
    out.push_str(r#"{"format":"chainwatch.snapshot.v1","collected_at":"2026-11-22T10:00:00Z","instances":[{"name":"BENCH","server":{"utc_offset_minutes":0},"tables":{"msdb.dbo.backupset":["#);
    let mut id = 0u64;
    let mut families = String::with_capacity(databases * rows_per_db * 160);
    for db in 0..databases {
        let mut pos: u128 = 17_126_658_000_000_314_200_037 + db as u128 * 1_000_000_000_000_000;
        let mut cursor = pos;
        for i in 0..rows_per_db {
            id += 1;
            let t = start + Duration::minutes(30 * i as i64);
            let finish = t + Duration::minutes(1);
            let (kind, first, last) = if i % 336 == 0 {
                let first = pos + 3;
                pos += 500_007;
                ("D", first, pos)
            } else {
                pos += 300_007;
                let first = cursor;
                cursor = pos;
                ("L", first, pos)
            };
            if id > 1 {
                out.push(',');
                families.push(',');
            }
            out.push_str(&format!(
                r#"{{"backup_set_id":{id},"media_set_id":{id},"type":"{kind}","database_name":"db{db:03}","database_guid":"00000000-0000-0000-0000-{db:012}","family_guid":"00000000-0000-0000-0001-{db:012}","first_lsn":"{first}","last_lsn":"{last}","checkpoint_lsn":"{first}","database_backup_lsn":"{first}","backup_start_date":"{}","backup_finish_date":"{}","time_zone":0,"is_copy_only":0,"recovery_model":"FULL","user_name":"svc"}}"#,
                t.format("%Y-%m-%dT%H:%M:%S"),
                finish.format("%Y-%m-%dT%H:%M:%S"),
            ));
            families.push_str(&format!(
                r#"{{"media_set_id":{id},"family_sequence_number":1,"device_type":9,"physical_device_name":"https://a.blob.core.windows.net/c/db{db:03}_{id}.trn","mirror":0}}"#
            ));
        }
    }
    out.push_str(r#"],"msdb.dbo.backupmediafamily":["#);
    out.push_str(&families);
    out.push_str("]}}]}");
    out
}

fn main() {
    let databases = arg("--databases", 100);
    let rows = arg("--rows", 10_000);
    let args: Vec<String> = std::env::args().collect();
    match args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
    {
        Some("baseline") => baseline(&generate(databases, rows)),
        Some("estate") => estate(&generate(databases, rows)),
        _ => {
            // Each phase in its own process, so peak memory is its own.
            println!(
                "{} backup sets ({databases} databases × {rows})",
                databases * rows
            );
            let exe = std::env::current_exe().expect("exe");
            let mut times = Vec::new();
            for phase in ["baseline", "estate"] {
                let out = std::process::Command::new(&exe)
                    .args([
                        "--only",
                        phase,
                        "--databases",
                        &databases.to_string(),
                        "--rows",
                        &rows.to_string(),
                    ])
                    .output()
                    .expect("run phase");
                let text = String::from_utf8_lossy(&out.stdout);
                print!("{text}");
                times.extend(
                    text.lines()
                        .filter_map(|l| l.strip_prefix("total_ms "))
                        .filter_map(|v| v.parse::<f64>().ok()),
                );
                times.extend(
                    text.lines()
                        .filter_map(|l| l.strip_prefix("analysis_ms "))
                        .filter_map(|v| v.parse::<f64>().ok()),
                );
            }
            if let [base, total, analysis] = times[..] {
                println!(
                    "ratio (load + analysis + plans) / baseline = {:.2}x",
                    total / base
                );
                println!(
                    "ratio (analysis + plans) / baseline        = {:.2}x",
                    analysis / base
                );
            }
        }
    }
}

fn baseline(json: &str) {
    let t = Instant::now();
    let value: serde_json::Value = serde_json::from_str(json).expect("json");
    let rows_json = value["instances"][0]["tables"]["msdb.dbo.backupset"]
        .as_array()
        .expect("rows");
    let mut by_db: std::collections::HashMap<&str, Vec<(u128, u128)>> =
        std::collections::HashMap::new();
    for r in rows_json {
        let lsn = |c: &str| {
            r[c].as_str()
                .and_then(|s| s.parse::<u128>().ok())
                .unwrap_or(0)
        };
        by_db
            .entry(r["database_name"].as_str().unwrap_or(""))
            .or_default()
            .push((lsn("first_lsn"), lsn("last_lsn")));
    }
    for v in by_db.values_mut() {
        v.sort_unstable();
    }
    let elapsed = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "baseline: parse JSON + sort by LSN    {elapsed:>8.0} ms   peak RSS {:>6.0} MiB",
        peak_mib()
    );
    println!("total_ms {elapsed}");
}

fn estate(json: &str) {
    let t = Instant::now();
    let snapshot = Snapshot::from_json(json).expect("snapshot");
    let estate = to_estate(snapshot, "bench", false).expect("estate");
    let load = t.elapsed();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let t2 = Instant::now();
    let instance = &estate.instances[0];
    for db in &instance.databases {
        let a = analyze_database(&estate, instance, db, now);
        let latest = plan(&a, Target::Latest);
        let mid = a
            .windows
            .last()
            .map(|w| w.from + (w.to - w.from) / 2)
            .unwrap_or(now);
        let at = plan(&a, Target::Time(mid));
        assert!(
            latest.recoverable && at.recoverable,
            "{}: {}",
            db.name,
            at.reason
        );
    }
    let analysis = t2.elapsed().as_secs_f64() * 1e3;
    let total = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "load: JSON → typed estate             {:>8.0} ms",
        load.as_secs_f64() * 1e3
    );
    println!("analysis + 2 plans per database       {analysis:>8.0} ms");
    println!(
        "load + analysis + plans               {total:>8.0} ms   peak RSS {:>6.0} MiB",
        peak_mib()
    );
    println!("total_ms {total}");
    println!("analysis_ms {analysis}");
}
