//! `chainwatch doctor` against the TDS test server: per object OK, not on
//! this version, or denied / not visible with the GRANT that fixes it;
//! exit codes as `check`.

use std::process::{Command, Output};

use crate::support;
use crate::support::{closed_port, demo_instances, LoginAccess, ServerOptions, TdsServer};

async fn doctor(addr: std::net::SocketAddr) -> Output {
    let conn = format!(
        "Server=tcp:{},{};User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT",
        addr.ip(),
        addr.port()
    );
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_chainwatch"))
            .args(["doctor", "--server", &conn])
            .env_remove("CHAINWATCH_CONFIG")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn prod() -> chainwatch::snapshot::SnapshotInstance {
    demo_instances("2026-11-22T10:00:00Z")
        .remove("SQL16\\PROD")
        .unwrap()
}

fn line<'a>(out: &'a str, query: &str) -> &'a str {
    out.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(query))
        .unwrap_or_else(|| panic!("no line for {query}:\n{out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sysadmin_sees_everything_and_old_objects_are_not_on_this_version() {
    let server = TdsServer::start(prod(), ServerOptions::default()).await;
    let out = doctor(server.addr).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("SQL Server 13.0"), "{text}");
    assert!(line(&text, "BACKUPSET").starts_with("  OK"), "{text}");
    assert!(line(&text, "MB_MASTER_SWITCH").contains("OK"), "{text}");
    assert!(line(&text, "SA_DB_CONFIG").contains("not on this version"));
    assert!(line(&text, "AVAILABILITY_GROUPS_2017").contains("not on this version"));
    assert!(
        !text.contains("DENIED") && !text.contains("PARTIAL"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_least_privilege_login_gets_the_grants_it_lacks() {
    let server = TdsServer::start(
        prod(),
        ServerOptions {
            login: LoginAccess::least_privilege(),
            ..ServerOptions::default()
        },
    )
    .await;
    let out = doctor(server.addr).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let mb = line(&text, "MB_DB_CONFIG");
    assert!(mb.contains("DENIED"), "{text}");
    assert!(text.contains(
        "fix: USE msdb; ALTER ROLE db_backupoperator ADD MEMBER [monitor]; GRANT ALTER ANY CREDENTIAL TO [monitor];"
    ));
    assert!(text.contains("without it: Managed Backup configuration"));
    assert!(line(&text, "DATABASES_2016").contains("PARTIAL"));
    assert!(text.contains("fix: GRANT ALTER ANY DATABASE TO [monitor];"));
    assert!(line(&text, "SCOPED_CREDENTIALS").contains("PARTIAL"));
    assert!(text.contains("GRANT CONTROL ON DATABASE::["));
    assert!(line(&text, "BACKUPSET").contains("OK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_backup_history_is_critical_and_no_server_unknown() {
    let server = TdsServer::start(
        prod(),
        ServerOptions {
            faults: support::Faults {
                deny: vec!["msdb.dbo.backupset".into()],
                ..Default::default()
            },
            ..ServerOptions::default()
        },
    )
    .await;
    let out = doctor(server.addr).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(line(&text, "BACKUPSET").contains("DENIED"));
    assert!(text.contains("without it: log chains"));
    let out = doctor(closed_port().await).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8(out.stdout).unwrap().contains("UNKNOWN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_2022_every_query_of_its_version_answers() {
    let mut served = prod();
    served.server.product_version = Some("16.0.4135.4".into());
    let server = TdsServer::start(served, ServerOptions::default()).await;
    let out = doctor(server.addr).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("SQL Server 16.0"), "{text}");
    // 2017's columns of sys.availability_groups are the ones 2022 has too.
    assert!(
        line(&text, "AVAILABILITY_GROUPS_2017").contains("OK"),
        "{text}"
    );
    assert!(line(&text, "AVAILABILITY_GROUPS_2016").contains("not on this version"));
    assert!(line(&text, "MB_DB_CONFIG").contains("OK"), "{text}");
    assert!(line(&text, "SA_DB_CONFIG").contains("not on this version"));
    // The restore pre-flight's free space.
    assert!(line(&text, "VOLUME_STATS").contains("OK"), "{text}");
    assert!(
        !text.contains("DENIED") && !text.contains("PARTIAL"),
        "{text}"
    );
}
