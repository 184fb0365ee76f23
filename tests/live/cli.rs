//! The binary against the TDS test server: `collect`, `check --config`,
//! `collect --print-sql`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{closed_port, demo_instances, ServerOptions, TdsServer};
use chainwatch::snapshot::Snapshot;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cw-live-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_chainwatch"))
            .args(&args)
            .env("CW_TEST_PASSWORD", "s3cret!")
            .env_remove("CHAINWATCH_CONFIG")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn config(path: &Path, instances: &[(&str, std::net::SocketAddr)]) {
    let mut text = String::from("[defaults]\nconnect_timeout_secs = 2\nretries = 0\n");
    for (name, addr) in instances {
        text.push_str(&format!(
            "\n[[instance]]\nname = '{name}'\nconnection = \"Server=tcp:{},{};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\npassword_env = \"CW_TEST_PASSWORD\"\nenvironment = \"test\"\n",
            addr.ip(),
            addr.port()
        ));
    }
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_writes_a_snapshot_the_loader_reads() {
    let served = demo_instances("2026-11-22T10:00:00Z")
        .remove("SQL16\\PROD")
        .unwrap();
    let server = TdsServer::start(served.clone(), ServerOptions::default()).await;
    let d = dir("collect");
    let cfg = d.join("cw.toml");
    config(&cfg, &[("SQL16\\PROD", server.addr)]);
    let out_file = d.join("snap.json");
    let out = run(vec![
        "collect".into(),
        "--config".into(),
        cfg.display().to_string(),
        "--instance".into(),
        "sql16\\prod".into(),
        "-o".into(),
        out_file.display().to_string(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: SQL16\\PROD: Encrypt=DANGER_PLAINTEXT"),
        "{stderr}"
    );
    let snap = Snapshot::from_file(&out_file).unwrap();
    assert_eq!(snap.instances.len(), 1);
    assert_eq!(
        snap.instances[0].tables["msdb.dbo.backupset"],
        served.tables["msdb.dbo.backupset"]
    );
    std::fs::remove_dir_all(&d).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_on_a_config_is_unknown_for_an_unreachable_instance() {
    let d = dir("check");
    let cfg = d.join("cw.toml");
    config(&cfg, &[("GONE", closed_port().await)]);
    let out = run(vec![
        "check".into(),
        "--config".into(),
        cfg.display().to_string(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stderr.contains("GONE: unreachable"), "{stderr}");
    // The healthy instance is still judged next to the unreachable one.
    let served = demo_instances("2026-11-22T10:00:00Z")
        .remove("SQL16\\PROD")
        .unwrap();
    let server = TdsServer::start(served, ServerOptions::default()).await;
    config(
        &cfg,
        &[("GONE", closed_port().await), ("SQL16\\PROD", server.addr)],
    );
    let out = run(vec![
        "check".into(),
        "--config".into(),
        cfg.display().to_string(),
        "--format".into(),
        "json".into(),
    ])
    .await;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dbs = json["databases"].as_array().unwrap();
    assert!(dbs.iter().any(|d| d["instance"] == "SQL16\\PROD"));
    std::fs::remove_dir_all(&d).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_sql_covers_every_catalog_table() {
    let out = run(vec!["collect".into(), "--print-sql".into()]).await;
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8(out.stdout).unwrap();
    // The script needs 2016+: queries only for older servers are left out.
    for q in chainwatch::sqlserver::queries::ALL
        .iter()
        .filter(|q| q.versions().1 > 13)
    {
        assert!(
            script.contains(&format!("\\\"{}\\\":", q.table))
                || script.contains(&format!("\"{}\":", q.table)),
            "{}",
            q.table
        );
    }
    assert!(script.contains("FOR JSON PATH, INCLUDE_NULL_VALUES"));
    assert!(script.contains("BEGIN CATCH"));
    // Servers before 2016 (no FOR JSON) stop in a first batch that says why.
    let guard = script
        .find("RAISERROR(N'chainwatch: this script needs SQL Server 2016 or later")
        .expect("version guard");
    let exit = script
        .find(":on error exit")
        .expect("sqlcmd stops on the error");
    let go = script.find("\nGO\n").expect("the guard is its own batch");
    let json = script.find("FOR JSON PATH").expect("FOR JSON");
    assert!(exit < guard && guard < go && go < json);
    assert!(!script.contains("{db}") || script.contains("REPLACE("));
}
