//! Incremental refresh: a second collection reads backup history only past
//! the last backup_set_id it already has, and ends up with exactly what a
//! full collection reads (TDS test server over TCP, real tiberius).

use std::time::Duration;

use crate::support::{demo_instances, ServerOptions, TdsServer, NOW};
use chainwatch::config::InstanceConfig;
use chainwatch::model::{RowRef, Table};
use chainwatch::snapshot::SnapshotInstance;
use chainwatch::sqlserver::{
    collect_one, collect_one_since, credential, resume_point, Settings, Status,
};

fn instance(addr: std::net::SocketAddr) -> InstanceConfig {
    let mut i = InstanceConfig::from_connection_string(&format!(
        "Server=tcp:{},{};User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT",
        addr.ip(),
        addr.port()
    ))
    .unwrap();
    i.name = "SQL16\\PROD".into();
    i
}

fn settings() -> Settings {
    Settings {
        connect_timeout: Duration::from_secs(2),
        query_timeout: Duration::from_secs(10),
        ..Settings::default()
    }
}

/// The instance as it was before backup set `cutoff` and later existed.
fn before(full: &SnapshotInstance, cutoff: i64) -> SnapshotInstance {
    let mut old = full.clone();
    let id = |r: RowRef<'_>, k: &str| r.get(k).map_or(0, |c| c.to_value().as_i64().unwrap_or(0));
    let sets = &full.tables["msdb.dbo.backupset"];
    let kept_media: std::collections::BTreeSet<i64> = sets
        .rows()
        .filter(|r| id(*r, "backup_set_id") < cutoff)
        .map(|r| id(r, "media_set_id"))
        .collect();
    for (table, rows) in old.tables.iter_mut() {
        match table.as_str() {
            "msdb.dbo.backupset" | "msdb.dbo.backupfile" => {
                rows.retain(|r| id(r, "backup_set_id") < cutoff)
            }
            "msdb.dbo.backupmediaset" | "msdb.dbo.backupmediafamily" => {
                rows.retain(|r| kept_media.contains(&id(r, "media_set_id")))
            }
            _ => {}
        }
    }
    old
}

fn sorted(rows: &Table) -> Vec<String> {
    let mut v: Vec<String> = rows
        .rows()
        .map(|r| serde_json::to_string(&r.to_map()).unwrap())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_collection_reads_only_new_history_and_matches_a_full_one() {
    let full = demo_instances(NOW).remove("SQL16\\PROD").unwrap();
    let ids: Vec<i64> = full.tables["msdb.dbo.backupset"]
        .rows()
        .filter_map(|r| r.get("backup_set_id")?.to_value().as_i64())
        .collect();
    let cutoff = ids[ids.len() * 4 / 5];
    let old_server = TdsServer::start(before(&full, cutoff), ServerOptions::default()).await;
    let options = ServerOptions::default();
    let new_server = TdsServer::start(full.clone(), options.clone()).await;

    let inst = instance(old_server.addr);
    let cred = credential(&inst).unwrap();
    let first = collect_one(&inst, &cred, &settings()).await;
    assert_eq!(first.status, Status::Ok, "{:?}", first.status);
    let prev = first.snapshot.unwrap();
    let last = resume_point(&prev).unwrap();
    assert!(last < cutoff);

    let inst = instance(new_server.addr);
    let inc = collect_one_since(&inst, &cred, &settings(), Some(&prev)).await;
    assert_eq!(inc.status, Status::Ok, "{:?}", inc.status);
    let reads = options.reads.lock().unwrap().clone();
    let history = reads
        .iter()
        .find(|q| q.starts_with("-- chainwatch: msdb.dbo.backupset"))
        .unwrap();
    assert!(
        history.contains(&format!("b.backup_set_id > {last}")),
        "{history}"
    );
    let inc = inc.snapshot.unwrap();

    let whole = collect_one(&inst, &cred, &settings())
        .await
        .snapshot
        .unwrap();
    assert_eq!(
        inc.tables.keys().collect::<Vec<_>>(),
        whole.tables.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &whole.tables {
        assert_eq!(sorted(&inc.tables[table]), sorted(rows), "{table}");
    }
    assert_eq!(resume_point(&inc), ids.iter().max().copied());
}

#[test]
fn no_resume_point_without_the_whole_history() {
    let mut full = demo_instances(NOW).remove("SQL16\\PROD").unwrap();
    assert!(resume_point(&full).is_some());
    full.tables.remove("msdb.dbo.backupfile");
    assert_eq!(
        resume_point(&full),
        None,
        "a table missing means a full read"
    );
}
