//! `chainwatch blobs` end to end: the real binary against Azurite.

use crate::support::azurite;
use crate::support::blob_fixture as fixture;

use std::process::Command;

use azure_core::http::{RequestContent, Url};
use azure_storage_blob::BlobContainerClient;
use chainwatch::blob::sas::{ConnectionString, EMULATOR_KEY};
use chrono::{Duration, Utc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_command_checks_the_demo_container() {
    let az = azurite::Azurite::start();
    let conn = ConnectionString::parse(&format!(
        "AccountName=devstoreaccount1;AccountKey={EMULATOR_KEY};BlobEndpoint={}",
        az.blob_endpoint()
    ))
    .unwrap();
    let expiry = Utc::now() + Duration::hours(1);
    let writer = conn.container_url("sql16-prod", "rwdlac", expiry).unwrap();
    let client = BlobContainerClient::new(
        Url::parse(&format!("{}?{}", writer.base, writer.sas_token().unwrap())).unwrap(),
        None,
        None,
    )
    .unwrap();
    client.create(None).await.unwrap();
    let fx = fixture::demo();
    let needed = fx.needed_log();
    // Only the Orders and Sales files (enough to judge, quick to upload), minus one needed log.
    let wanted = needed.split('_').next().unwrap().to_string();
    for (name, body) in fx
        .blobs
        .iter()
        .filter(|(n, _)| n.starts_with(&format!("{wanted}_")))
    {
        if *name != needed {
            client
                .blob_client(name)
                .upload(RequestContent::from(body.clone()), None)
                .await
                .unwrap();
        }
    }
    let token = conn.key.account_sas("rl", expiry);
    let url = format!("{}/sql16-prod", az.blob_endpoint());
    let bin = env!("CARGO_BIN_EXE_chainwatch");

    // JSON, token from the environment, checked against the demo history.
    let out = Command::new(bin)
        .args([
            "--demo",
            "--now",
            "2026-11-24T06:00:00Z",
            "blobs",
            "--container-url",
            &url,
        ])
        .args([
            "--history-container",
            fixture::CONTAINER,
            "--format",
            "json",
        ])
        .env("CHAINWATCH_SAS", &token)
        .env_remove("CHAINWATCH_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}\n{stdout}");
    assert!(!stdout.contains("sig=") && !stderr.contains("sig="));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ids: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"storage.missing_needed"), "{ids:?}");
    assert!(json["findings"].to_string().contains(&needed));
    assert!(json["retention"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["database"] == wanted.as_str()));
    assert!(json["blobs"].as_array().unwrap().len() > 10);

    // Text, token in the URL, no SOURCE: a listing, never the token.
    let out = Command::new(bin)
        .args([
            "blobs",
            "--container-url",
            &format!("{url}?{token}"),
            "--prefix",
            &format!("{wanted}_"),
        ])
        .env_remove("CHAINWATCH_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("sql16-prod: "), "{stdout}");
    assert!(!stdout.contains("sig="));

    // Text with history: retention lines with their bar, findings with remedies.
    let out = Command::new(bin)
        .args([
            "--demo",
            "--now",
            "2026-11-24T06:00:00Z",
            "blobs",
            "--container-url",
            &url,
        ])
        .args(["--history-container", fixture::CONTAINER])
        .env("CHAINWATCH_SAS", &token)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout.contains(&format!(
            "retention {}/{wanted}: 14 days",
            fixture::INSTANCE
        )),
        "{stdout}"
    );
    assert!(stdout.contains("] now"), "{stdout}");
    assert!(stdout.contains("CRIT storage.missing_needed"), "{stdout}");

    // Denied: a bad token fails with a message free of secrets.
    let out = Command::new(bin)
        .args(["blobs", "--container-url", &format!("{url}?sv=2019-12-12&ss=b&srt=sco&sp=rl&se=2099-01-01T00%3A00%3A00Z&spr=https%2Chttp&sig=AAAASECRET")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("AAAASECRET"), "{stderr}");
    assert!(stderr.contains("access denied"), "{stderr}");
}
