//! The live path against a test server that answers as SQL Server does for
//! the objects whose shape depends on the version, on msdb's build and on
//! the login's permissions (tests/support/tds/catalog.rs): the defects of issue
//! 15, each of which this file caught before its fix.

use crate::support::live::fast;
use crate::support::{demo_instances, LoginAccess, MbShape, ServerOptions, TdsServer, NOW};
use chainwatch::config::InstanceConfig;
use chainwatch::snapshot::{to_estate, Snapshot, SnapshotInstance};
use chainwatch::sqlserver::{collect_one, credential};
use serde_json::Value;

fn instance(name: &str, addr: std::net::SocketAddr) -> InstanceConfig {
    let mut i = InstanceConfig::from_connection_string(&format!(
        "Server=tcp:{},{};User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT",
        addr.ip(),
        addr.port()
    ))
    .unwrap();
    i.name = name.to_string();
    i
}

fn demo(name: &str) -> SnapshotInstance {
    demo_instances(NOW).remove(name).unwrap()
}

/// Collects `served` through a server with `options`; also the batches it received.
async fn collect(
    served: SnapshotInstance,
    options: ServerOptions,
) -> (SnapshotInstance, chainwatch::sqlserver::Status, Vec<String>) {
    let reads = options.reads.clone();
    let name = served.name.clone();
    let server = TdsServer::start(served, options).await;
    let inst = instance(&name, server.addr);
    let r = collect_one(&inst, &credential(&inst).unwrap(), &fast()).await;
    let snapshot = r
        .snapshot
        .unwrap_or_else(|| panic!("not collected: {}", r.status));
    let reads = reads.lock().unwrap().clone();
    (snapshot, r.status, reads)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_switch_is_read_as_a_scalar_value() {
    let (s, _, reads) = collect(demo("SQL16\\PROD"), ServerOptions::default()).await;
    let t = "msdb.managed_backup.fn_is_master_switch_on";
    assert!(!s.missing.contains_key(t), "{:?}", s.missing.get(t));
    let rows = s.tables[t].to_maps();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["is_master_switch_on"], Value::Bool(true));
    // It was used as a row source (FROM ...() AS c): SQL Server refuses that.
    assert!(reads
        .iter()
        .all(|q| !q.contains("fn_is_master_switch_on() AS c")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn availability_groups_are_read_with_the_columns_each_version_has() {
    for (version, has_cluster_type, has_distributed) in [
        ("12.0.6024.0", false, false),
        ("13.0.5026.0", false, true),
        ("14.0.3456.2", true, true),
        ("15.0.4316.3", true, true),
        ("16.0.4135.4", true, true),
    ] {
        let mut served = demo("SQLAG01");
        served.server.product_version = Some(version.into());
        let (s, _, _) = collect(served, ServerOptions::default()).await;
        let t = "sys.availability_groups";
        assert!(
            !s.missing.contains_key(t),
            "{version}: {:?}",
            s.missing.get(t)
        );
        let row = s.tables[t].row(0).expect("the AG row").to_map();
        assert_eq!(row["name"], "AG_Sales", "{version}");
        assert_eq!(
            row.contains_key("cluster_type"),
            has_cluster_type,
            "{version}"
        );
        assert_eq!(
            row.contains_key("is_distributed"),
            has_distributed,
            "{version}"
        );
        // The backup preference (what the analysis needs) arrives on every version.
        assert!(row["automated_backup_preference"].is_i64(), "{version}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_backup_config_is_read_in_either_shape_and_the_shape_is_recorded() {
    let mut urls = Vec::new();
    for (shape, word) in [(MbShape::Docs, "docs"), (MbShape::Msdb, "msdb")] {
        let (s, status, reads) = collect(
            demo("SQL16\\PROD"),
            ServerOptions {
                mb_shape: shape,
                ..ServerOptions::default()
            },
        )
        .await;
        assert_eq!(status, chainwatch::sqlserver::Status::Ok, "{word}");
        for t in [
            "msdb.managed_backup.fn_backup_db_config",
            "msdb.managed_backup.fn_backup_instance_config",
        ] {
            assert!(
                s.tables.contains_key(t),
                "{word} {t}: {:?}",
                s.missing.get(t)
            );
            assert_eq!(s.extra["catalog_shapes"][t], word, "{t}");
        }
        // 2016+: smart_admin passes through to managed_backup; never read twice.
        assert!(reads.iter().all(|q| !q.contains("smart_admin")), "{word}");
        let snap = Snapshot {
            format: chainwatch::snapshot::FORMAT.into(),
            collected_at: Some(NOW.into()),
            source: None,
            instances: vec![s],
            extra: Default::default(),
        };
        let estate = to_estate(snap, "live", false).unwrap();
        let managed: Vec<_> = estate.instances[0]
            .databases
            .iter()
            .filter_map(|d| d.managed_backup.as_ref())
            .filter(|m| m.enabled)
            .map(|m| m.storage_url.clone())
            .collect();
        assert!(!managed.is_empty(), "{word}: no enabled managed database");
        assert!(managed.iter().all(Option::is_some), "{word}: {managed:?}");
        urls.push(managed);
    }
    assert_eq!(urls[0], urls[1], "both shapes give the same configuration");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_sensitive_collation_finds_every_column() {
    let (s, _, _) = collect(
        demo("SQL16\\PROD"),
        ServerOptions {
            case_sensitive: true,
            ..ServerOptions::default()
        },
    )
    .await;
    assert!(s.missing.is_empty(), "{:?}", s.missing);
    let row = s.tables["msdb.managed_backup.fn_backup_db_config"]
        .row(0)
        .unwrap()
        .to_map();
    // One spelling in the snapshot whatever the catalog's case.
    assert!(row.contains_key("encryption_algorithm"), "{row:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_database_without_a_user_hides_that_database_not_the_table() {
    let served = demo("SQL16\\PROD");
    let dbs: Vec<String> = served.tables["sys.databases"]
        .to_maps()
        .iter()
        .filter(|r| r["database_id"].as_i64().unwrap() > 4 && r["state"] == 0)
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert!(dbs.len() >= 3);
    let (s, status, _) = collect(
        served,
        ServerOptions {
            login: LoginAccess {
                no_user_in: vec![dbs[0].clone()],
                unreadable: vec![dbs[1].clone()],
                ..LoginAccess::default()
            },
            ..ServerOptions::default()
        },
    )
    .await;
    for t in [
        "sys.database_scoped_credentials",
        "sys.remote_data_archive_databases",
        "sys.remote_data_archive_tables",
    ] {
        assert!(s.tables.contains_key(t), "{t} dropped for every database");
        let hidden = &s.extra["not_visible"][t];
        assert!(
            hidden[&dbs[0]].as_str().unwrap().contains("916"),
            "{hidden}"
        );
        assert!(
            hidden[&dbs[1]].as_str().unwrap().contains("976"),
            "{hidden}"
        );
        assert!(hidden.get(&dbs[2]).is_none());
        let why = s.missing[t].as_str().unwrap();
        assert!(why.contains("not visible in 2 of the databases"), "{why}");
    }
    assert!(matches!(
        status,
        chainwatch::sqlserver::Status::PermissionMissing(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_least_privilege_login_sees_not_visible_instead_of_none() {
    let mut served = demo("SQL16\\PROD");
    // One database OFFLINE: such a login does not see it at all.
    let mut dbs = served.tables["sys.databases"].to_maps();
    let offline = dbs
        .iter_mut()
        .find(|r| r["database_id"].as_i64().unwrap() > 4)
        .unwrap();
    offline.insert("state".into(), Value::from(6));
    offline.insert("state_desc".into(), Value::from("OFFLINE"));
    let offline_name = offline["name"].as_str().unwrap().to_string();
    served.tables.insert(
        "sys.databases".into(),
        chainwatch::model::Table::from_maps(dbs),
    );
    let (s, _, _) = collect(
        served,
        ServerOptions {
            login: LoginAccess::least_privilege(),
            ..ServerOptions::default()
        },
    )
    .await;
    // Managed Backup answers empty without db_backupoperator: not "no configuration".
    for t in [
        "msdb.managed_backup.fn_backup_db_config",
        "msdb.managed_backup.fn_backup_instance_config",
        "msdb.managed_backup.fn_available_backups",
    ] {
        assert!(!s.tables.contains_key(t), "{t} collected as empty");
        let why = s.missing[t].as_str().unwrap();
        assert!(
            why.contains("not visible") && why.contains("db_backupoperator"),
            "{t}: {why}"
        );
    }
    // Scoped credentials need CONTROL: every database is "not visible".
    let t = "sys.database_scoped_credentials";
    assert!(s.missing[t].as_str().unwrap().contains("CONTROL"));
    // sys.databases is kept, said to be incomplete, and the hidden database is not "dropped".
    let why = s.missing["sys.databases"].as_str().unwrap();
    assert!(
        why.contains("OFFLINE") && why.contains("ALTER ANY DATABASE"),
        "{why}"
    );
    assert!(!s.tables["sys.databases"]
        .to_maps()
        .iter()
        .any(|r| r["name"] == offline_name.as_str()));
    let snap = Snapshot {
        format: chainwatch::snapshot::FORMAT.into(),
        collected_at: Some(NOW.into()),
        source: None,
        instances: vec![s],
        extra: Default::default(),
    };
    let estate = to_estate(snap, "live", false).unwrap();
    let hidden = estate.instances[0]
        .databases
        .iter()
        .find(|d| d.name == offline_name);
    if let Some(d) = hidden {
        assert!(!d.dropped, "{offline_name} is hidden, not dropped");
    }
    // The Stretch reauthorize step says the credential was not visible (and
    // what it needs) instead of "no credential was collected".
    let r = chainwatch::analysis::restore_facts::reauthorize_for(&estate.instances[0], "Archive");
    assert_eq!(r.credential, None);
    let why = r.unreadable.clone().expect("a reason");
    assert!(why.contains("CONTROL"), "{why}");
    let batch = chainwatch::tsql::reauthorize_batch("Archive", &r).unwrap();
    let text = format!("{}\n{}", batch.comments.join("\n"), batch.sql);
    assert!(
        text.contains("not visible to the login that collected"),
        "{text}"
    );
    assert!(
        !text.contains("No database scoped credential was collected"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_side_nulls_are_not_visible_without_sysadmin() {
    let mut served = demo("SQL16\\PROD");
    let mut dbs = served.tables["sys.databases"].to_maps();
    let mirror = dbs
        .iter_mut()
        .find(|r| r["database_id"].as_i64().unwrap() > 4)
        .unwrap();
    mirror.insert("state".into(), Value::from(1));
    mirror.insert("state_desc".into(), Value::from("RESTORING"));
    let name = mirror["name"].as_str().unwrap().to_string();
    served.tables.insert(
        "sys.databases".into(),
        chainwatch::model::Table::from_maps(dbs),
    );
    let login = LoginAccess {
        sysadmin: false,
        ..LoginAccess::default()
    };
    let (s, _, _) = collect(
        served,
        ServerOptions {
            login,
            ..ServerOptions::default()
        },
    )
    .await;
    let why = s.missing["sys.database_mirroring"].as_str().unwrap();
    assert!(why.contains("sysadmin") && why.contains(&name), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalog_query_of_two_statements_is_refused_by_the_test_server() {
    use std::time::Duration;
    let server = TdsServer::start(demo("SQL16\\PROD"), ServerOptions::default()).await;
    let inst = instance("SQL16\\PROD", server.addr);
    let cred = credential(&inst).unwrap();
    let mut client = chainwatch::sqlserver::connect::connect(
        &inst,
        &cred,
        Duration::from_secs(5),
        Duration::from_secs(5),
    )
    .await
    .unwrap_or_else(|s| panic!("{s}"));
    // What an injected name would make of the scoped-credentials query.
    let injected = "-- chainwatch: sys.database_scoped_credentials\n\
        SELECT N'x' AS database_name, c.name FROM sys.database_scoped_credentials AS c;\n\
        DROP DATABASE victim";
    let err = match client.simple_query(injected).await {
        Ok(stream) => stream.into_results().await.err(),
        Err(e) => Some(e),
    }
    .expect("refused");
    assert!(err.to_string().contains("must be one statement"), "{err}");
    // The same query alone is answered.
    let one = "-- chainwatch: sys.database_scoped_credentials\n\
        SELECT N'x' AS database_name, c.name FROM sys.database_scoped_credentials AS c";
    client
        .simple_query(one)
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap_or_else(|e| panic!("one SELECT is answered: {e}"));
}
