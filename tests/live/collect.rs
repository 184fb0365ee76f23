//! The live path end to end: the real tiberius client over TCP against the
//! TDS test server (tests/support/tds) serving the demo estate.

use std::time::{Duration, Instant};

use crate::support::live::{fast, instance};
use crate::support::{closed_port, demo_instances, Faults, ServerOptions, TdsServer, NOW};
use chainwatch::snapshot::{to_estate, Snapshot, SnapshotInstance};
use chainwatch::sqlserver::{collect_all, collect_one, credential, Settings, Status};

fn prod() -> SnapshotInstance {
    demo_instances(NOW).remove("SQL16\\PROD").unwrap()
}

async fn collect(
    served: SnapshotInstance,
    faults: Faults,
) -> (chainwatch::sqlserver::InstanceResult, SnapshotInstance) {
    let name = served.name.clone();
    let server = TdsServer::start(
        served.clone(),
        ServerOptions {
            faults,
            ..ServerOptions::default()
        },
    )
    .await;
    let inst = instance(&name, server.addr, "s3cret!");
    let cred = credential(&inst).unwrap();
    (collect_one(&inst, &cred, &fast()).await, served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collects_exactly_the_served_rows() {
    let (result, served) = collect(prod(), Faults::default()).await;
    assert_eq!(result.status, Status::Ok, "{:?}", result.status);
    let got = result.snapshot.unwrap();
    assert_eq!(got.server, served.server);
    for (table, rows) in &served.tables {
        let collected = got
            .tables
            .get(table)
            .unwrap_or_else(|| panic!("{table} missing: {:?}", got.missing.get(table)));
        assert_eq!(collected.len(), rows.len(), "{table}");
        // Per-database objects are read database by database: compare as sets.
        let (mut collected, mut rows) = (collected.to_maps(), rows.to_maps());
        if rows
            .first()
            .is_some_and(|r| r.contains_key("database_name"))
            && !table.starts_with("msdb.dbo")
        {
            let key =
                |r: &serde_json::Map<String, serde_json::Value>| serde_json::to_string(r).unwrap();
            collected.sort_by_key(key);
            rows.sort_by_key(key);
        }
        for (i, (a, b)) in collected.iter().zip(&rows).enumerate() {
            if table.contains("fn_backup_") {
                // The server answers the documented shape; the demo writes one
                // of the spellings: compare what was asked, through synonyms.
                for (k, v) in a {
                    let expected = b
                        .get(k)
                        .or_else(|| {
                            crate::support::tds::catalog::synonyms(k)
                                .iter()
                                .find_map(|s| b.get(*s))
                        })
                        .unwrap_or(&serde_json::Value::Null);
                    assert_eq!(v, expected, "{table} row {i} column {k}");
                }
                continue;
            }
            assert_eq!(a, b, "{table} row {i}");
        }
    }
    // Collected and empty is not the same as absent.
    assert!(got.tables["sys.availability_groups"].is_empty());
    assert!(got.missing.is_empty(), "{:?}", got.missing);
    // LSNs beyond u64 arrive exactly.
    let first = got.tables["msdb.dbo.backupset"].row(0).unwrap().to_map();
    let lsn = first["last_lsn"].as_str().unwrap();
    assert!(lsn.len() > 20 && lsn.parse::<u128>().unwrap() > u128::from(u64::MAX));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_demo_estate_analyses_the_same_over_tds() {
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let served = demo_instances(NOW);
    let mut servers = Vec::new();
    let mut configs = Vec::new();
    for (name, inst) in &served {
        let s = TdsServer::start(inst.clone(), ServerOptions::default()).await;
        configs.push(instance(name, s.addr, "s3cret!"));
        servers.push(s);
    }
    let results = collect_all(&configs, &fast()).await;
    for r in &results {
        assert_eq!(r.status, Status::Ok, "{}", r.name);
    }
    let live = chainwatch::sqlserver::to_snapshot(&results, now);
    let mut direct = Snapshot::from_value(chainwatch::demo::generate(now)).unwrap();
    // Collected in the configs' order (by name here), not the demo's.
    direct.instances.sort_by(|x, y| x.name.cmp(&y.name));
    let a = to_estate(live, "estate", false).unwrap();
    let b = to_estate(direct, "estate", false).unwrap();
    let mut ra = serde_json::to_value(chainwatch::analysis::analyze_estate(&a, now)).unwrap();
    let mut rb = serde_json::to_value(chainwatch::analysis::analyze_estate(&b, now)).unwrap();
    // Evidence points at row positions, and per-database objects arrive
    // database by database: compare everything but those positions.
    strip_row_positions(&mut ra);
    strip_row_positions(&mut rb);
    assert!(ra.to_string().len() > 10_000);
    if ra != rb {
        panic!(
            "analysis differs at {}",
            first_difference(&ra, &rb, String::new())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_login_failed() {
    let server = TdsServer::start(prod(), ServerOptions::default()).await;
    let inst = instance("SQL16\\PROD", server.addr, "wrong");
    let r = collect_one(&inst, &credential(&inst).unwrap(), &fast()).await;
    assert!(
        matches!(&r.status, Status::LoginFailed(m) if m.contains("Login failed")),
        "{:?}",
        r.status
    );
    assert_eq!(r.attempts, 1, "a failed login is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_hung_servers_are_unreachable_while_others_collect() {
    let good = TdsServer::start(prod(), ServerOptions::default()).await;
    let hung = TdsServer::start(
        prod(),
        ServerOptions {
            faults: Faults {
                hang_after_prelogin: true,
                ..Faults::default()
            },
            ..ServerOptions::default()
        },
    )
    .await;
    let refused = closed_port().await;
    let configs = vec![
        instance("GOOD", good.addr, "s3cret!"),
        instance("HUNG", hung.addr, "s3cret!"),
        instance("REFUSED", refused, "s3cret!"),
    ];
    let settings = Settings {
        connect_timeout: Duration::from_millis(800),
        ..fast()
    };
    let t = Instant::now();
    let results = collect_all(&configs, &settings).await;
    let elapsed = t.elapsed();
    assert_eq!(results[0].status, Status::Ok);
    assert!(
        matches!(&results[1].status, Status::Unreachable(m) if m.contains("no login within")),
        "{:?}",
        results[1].status
    );
    assert!(
        matches!(results[2].status, Status::Unreachable(_)),
        "{:?}",
        results[2].status
    );
    assert_eq!(
        results[2].attempts, 3,
        "refused connections are retried with backoff"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_permission_leaves_the_table_absent_with_the_reason() {
    let mut served = prod();
    served.tables.insert(
        "sys.dm_hadr_database_replica_states".into(),
        Default::default(),
    );
    let (r, _) = collect(
        served,
        Faults {
            deny: vec![
                "sys.dm_hadr_database_replica_states".into(),
                "msdb.managed_backup.fn_backup_db_config".into(),
            ],
            error_token: vec!["msdb.dbo.sysjobs".into()],
            wrong_types: vec![
                "msdb.dbo.restorehistory".into(),
                "sys.database_recovery_status".into(),
            ],
            ..Faults::default()
        },
    )
    .await;
    assert_eq!(
        r.status,
        Status::PermissionMissing(vec![
            "sys.dm_hadr_database_replica_states".into(),
            "msdb.managed_backup.fn_backup_db_config".into()
        ])
    );
    let s = r.snapshot.unwrap();
    assert_eq!(
        s.missing["sys.dm_hadr_database_replica_states"],
        "needs VIEW SERVER STATE"
    );
    assert_eq!(
        s.missing["msdb.managed_backup.fn_backup_db_config"],
        "needs db_backupoperator in msdb + ALTER ANY CREDENTIAL"
    );
    assert_eq!(
        s.missing["msdb.dbo.sysjobs"],
        "error 50000: injected error on msdb.dbo.sysjobs"
    );
    let why = s.missing["sys.database_recovery_status"].as_str().unwrap();
    assert!(why.starts_with("unexpected column type: column"), "{why}");
    assert!(!s.tables.contains_key("msdb.dbo.sysjobs"));
    assert!(s.tables["msdb.dbo.backupset"].len() > 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_mid_result_fails_the_instance_without_panic() {
    let (r, _) = collect(
        prod(),
        Faults {
            drop_mid_result: Some("msdb.dbo.backupset".into()),
            ..Faults::default()
        },
    )
    .await;
    assert!(
        matches!(r.status, Status::Unreachable(_) | Status::Failed(_)),
        "{:?}",
        r.status
    );
    assert!(r.snapshot.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_rows_finish_or_time_out() {
    let slow = Faults {
        packet_delay: Some(Duration::from_millis(2)),
        ..Faults::default()
    };
    let (r, _) = collect(prod(), slow.clone()).await;
    assert_eq!(r.status, Status::Ok);
    let server = TdsServer::start(
        prod(),
        ServerOptions {
            faults: Faults {
                packet_delay: Some(Duration::from_millis(50)),
                ..Faults::default()
            },
            ..ServerOptions::default()
        },
    )
    .await;
    let inst = instance("SQL16\\PROD", server.addr, "s3cret!");
    let settings = Settings {
        query_timeout: Duration::from_millis(500),
        ..fast()
    };
    let t = Instant::now();
    let r = collect_one(&inst, &credential(&inst).unwrap(), &settings).await;
    assert!(
        matches!(&r.status, Status::Unreachable(_)),
        "{:?}",
        r.status
    );
    assert!(t.elapsed() < Duration::from_secs(3));
}

fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: String) -> String {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if va != vb {
                    return first_difference(va, vb, format!("{path}.{k}"));
                }
            }
            path
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                if va != vb {
                    return first_difference(va, vb, format!("{path}[{i}]"));
                }
            }
            path
        }
        _ => format!("{path}: {} vs {}", short(a), short(b)),
    }
}

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    s.chars().take(300).collect()
}

fn strip_row_positions(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            let per_database = m.get("table").and_then(|t| t.as_str()).is_some_and(|t| {
                t.contains("fn_available_backups")
                    || t.contains("remote_data_archive")
                    || t.contains("scoped_credentials")
            });
            if per_database {
                m.remove("row");
            }
            m.values_mut().for_each(strip_row_positions);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_row_positions),
        _ => {}
    }
}
