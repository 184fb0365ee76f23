//! `chainwatch check` with storage: the real binary lists a container in
//! Azurite (given with `--container-url`, or configured per instance) and
//! adds the cross-check and retention findings; a container that cannot be
//! listed is "unknown" with its reason.

use crate::support;
use crate::support::azurite;
use crate::support::blob_fixture as fixture;

use std::path::PathBuf;
use std::process::{Command, Output};

use azure_core::http::RequestContent;
use chainwatch::blob::sas::{ConnectionString, EMULATOR_KEY};
use chrono::{Duration, Utc};

const NOW: &str = "2026-11-24T06:00:00Z";

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cw-blob-check-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn run(args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chainwatch"));
        c.args(&args)
            .env_remove("CHAINWATCH_CONFIG")
            .env_remove("CHAINWATCH_SAS")
            .env_remove("CHAINWATCH_STORAGE_CONNECTION_STRING");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    })
    .await
    .unwrap()
}

fn ids(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// The demo's SQL16\PROD container in Azurite, minus a needed log and one
/// stripe, plus another tool's file and a Managed Backup file long past
/// retention. Returns (connection string, what was deleted).
async fn container(az: &azurite::Azurite) -> (ConnectionString, fixture::Fixture, String) {
    let conn = ConnectionString::parse(&format!(
        "AccountName=devstoreaccount1;AccountKey={EMULATOR_KEY};BlobEndpoint={}",
        az.blob_endpoint()
    ))
    .unwrap();
    let client = crate::support::azurite::create_container(&conn, "sql16-prod").await;
    let fx = fixture::demo();
    let needed = fx.needed_log();
    let stripe = fx.a_stripe();
    let mut uploads: Vec<(String, Vec<u8>)> = fx
        .blobs
        .iter()
        .filter(|(n, _)| *n != needed && Some(n) != stripe.as_ref())
        .cloned()
        .collect();
    uploads.push(("adhoc/manual_copy.bak".into(), b"not ours".to_vec()));
    uploads.push((fx.old_managed_name(90), fixture::body("old")));
    for (name, body) in uploads {
        client
            .blob_client(&name)
            .upload(RequestContent::from(body), None)
            .await
            .unwrap();
    }
    (conn, fx, needed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_adds_storage_findings_from_a_container_url() {
    let az = azurite::Azurite::start();
    let (conn, fx, needed) = container(&az).await;
    let token = conn.key.account_sas("rl", Utc::now() + Duration::hours(1));
    let sig = token.split("sig=").nth(1).unwrap().to_string();
    let url = format!("{}/sql16-prod", az.blob_endpoint());
    let base = |format: &str| -> Vec<String> {
        [
            "--demo",
            "--now",
            NOW,
            "check",
            "--container-url",
            &url,
            "--history-container",
            fixture::CONTAINER,
            "--format",
            format,
        ]
        .map(String::from)
        .to_vec()
    };
    let env = vec![("CHAINWATCH_SAS", token.clone())];

    // Without storage, the same estate: storage findings come only from the listing.
    let plain = run(
        ["--demo", "--now", NOW, "check", "--format", "json"]
            .map(String::from)
            .to_vec(),
        vec![],
    )
    .await;
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(ids(&plain).iter().all(|i| !i.starts_with("storage.")));

    let out = run(base("json"), env.clone()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}\n{stdout}");
    assert!(!stdout.contains(&sig) && !stderr.contains(&sig));
    assert!(!stdout.contains("sig=") && !stderr.contains("sig="));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let storage = &json["storage"][0];
    assert_eq!(storage["status"], "ok", "{storage}");
    assert_eq!(storage["origin"], "storage");
    assert_eq!(storage["history_container"], fixture::CONTAINER);
    assert_eq!(
        storage["blobs"].as_u64().unwrap() as usize,
        fx.blobs.len() + 2 - 1 - usize::from(fx.a_stripe().is_some())
    );
    assert!(!storage["retention"].as_array().unwrap().is_empty());
    let found = ids(&json);
    for id in [
        "storage.missing_needed",
        "storage.unknown_file",
        "storage.past_retention",
        "storage.retention_short",
    ] {
        assert!(found.iter().any(|f| f == id), "{id} missing from {found:?}");
    }
    if fx.a_stripe().is_some() {
        assert!(found.iter().any(|f| f == "storage.stripe_missing"));
    }
    let findings = json["findings"].to_string();
    assert!(findings.contains(&needed));
    assert!(findings.contains("adhoc/manual_copy.bak"));
    // The estate's own findings are still there.
    assert_eq!(
        found.iter().filter(|f| !f.starts_with("storage.")).count(),
        ids(&plain).len()
    );

    let text = run(base("text"), env.clone()).await;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("STOR  -  storage http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("storage.missing_needed"));
    assert!(!text.contains(&sig));
    let md = run(base("markdown"), env).await;
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("`storage.missing_needed`"), "{md}");
    assert!(!md.contains(&sig));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_that_cannot_be_listed_is_unknown_with_the_reason() {
    let az = azurite::Azurite::start();
    let closed = support::closed_port().await;
    let token = ConnectionString::parse(&format!(
        "AccountName=devstoreaccount1;AccountKey={EMULATOR_KEY};BlobEndpoint={}",
        az.blob_endpoint()
    ))
    .unwrap()
    .key
    .account_sas("rl", Utc::now() + Duration::hours(1));
    for (url, reason) in [
        (
            format!("{}/no-such-container", az.blob_endpoint()),
            "does not exist (404)",
        ),
        (
            format!("http://{closed}/devstoreaccount1/backups"),
            "storage request failed",
        ),
    ] {
        let out = run(
            [
                "--demo",
                "--now",
                NOW,
                "check",
                "--container-url",
                &url,
                "--format",
                "json",
            ]
            .map(String::from)
            .to_vec(),
            vec![("CHAINWATCH_SAS", token.clone())],
        )
        .await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // The demo has critical findings of its own: 2 stays 2, nothing crashes.
        assert_eq!(out.status.code(), Some(2), "{stderr}\n{stdout}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let s = &json["storage"][0];
        assert_eq!(s["status"], "unknown", "{s}");
        assert!(
            s["reason"].as_str().unwrap().contains(reason),
            "{s} should say {reason}"
        );
        assert!(!stdout.contains("sig=") && !stderr.contains("sig="));
        assert!(ids(&json).iter().all(|i| !i.starts_with("storage.")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_containers_are_checked_per_instance() {
    let az = azurite::Azurite::start();
    let (_conn, _fx, needed) = container(&az).await;
    let served = support::demo_instances(NOW).remove("SQL16\\PROD").unwrap();
    let server = support::TdsServer::start(served, support::ServerOptions::default()).await;
    let d = dir("config");
    let cfg = d.join("cw.toml");
    let closed = support::closed_port().await;
    let instance = |name: &str, addr: std::net::SocketAddr, storage: &str| {
        format!(
            "\n[[instance]]\nname = '{name}'\nconnection = \"Server=tcp:{},{};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\npassword_env = \"CW_TEST_PASSWORD\"\n{storage}",
            addr.ip(),
            addr.port()
        )
    };
    let text = format!(
        "[defaults]\nconnect_timeout_secs = 5\nretries = 0\n{}{}",
        instance(
            "SQL16\\PROD",
            server.addr,
            &format!(
                "container_url = \"{}/sql16-prod\"\ncontainer_key_env = \"CW_TEST_STORAGE_KEY\"\ncontainer_history_name = \"{}\"\n",
                az.blob_endpoint(),
                fixture::CONTAINER
            )
        ),
        instance(
            "OTHER",
            closed,
            "container_url = \"https://otherstore.blob.core.windows.net/x\"\ncontainer_sas_env = \"CW_TEST_UNSET_SAS\"\n"
        ),
    );
    std::fs::write(&cfg, text).unwrap();
    let env = vec![
        ("CW_TEST_PASSWORD", "s3cret!".to_string()),
        ("CW_TEST_STORAGE_KEY", EMULATOR_KEY.to_string()),
    ];

    let check = run(
        vec![
            "config".into(),
            "check".into(),
            "--config".into(),
            cfg.display().to_string(),
        ],
        env.clone(),
    )
    .await;
    let shown = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{shown}");
    assert!(shown.contains("storage http://127.0.0.1:"), "{shown}");
    assert!(
        shown.contains("account key from $CW_TEST_STORAGE_KEY"),
        "{shown}"
    );
    assert!(
        shown.contains("warning: CW_TEST_UNSET_SAS is not set"),
        "{shown}"
    );
    assert!(!shown.contains("Eby8"));

    let out = run(
        vec![
            "check".into(),
            "--config".into(),
            cfg.display().to_string(),
            "--now".into(),
            NOW.into(),
            "--format".into(),
            "json".into(),
        ],
        env,
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}\n{stdout}");
    assert!(!stdout.contains("Eby8") && !stderr.contains("Eby8"));
    assert!(!stdout.contains("sig=") && !stderr.contains("sig="));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let storage = json["storage"].as_array().unwrap();
    assert_eq!(storage.len(), 2, "{storage:?}");
    assert_eq!(storage[0]["instance"], "SQL16\\PROD");
    assert_eq!(storage[0]["status"], "ok", "{}", storage[0]);
    assert_eq!(storage[1]["instance"], "OTHER");
    assert_eq!(storage[1]["status"], "unknown");
    assert!(storage[1]["reason"]
        .as_str()
        .unwrap()
        .contains("CW_TEST_UNSET_SAS is not set"));
    let missing = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "storage.missing_needed")
        .expect("missing_needed");
    assert_eq!(missing["instance"], "SQL16\\PROD");
    assert!(missing.to_string().contains(&needed));
    std::fs::remove_dir_all(&d).ok();
}
