//! The blob source against Azurite, the real storage emulator (npm
//! `azurite@3.35.0`), started on a free port for each test and stopped after.
//! A missing Azurite is installed with npm; it fails the test, never skips it.

use crate::support::azurite;
use crate::support::blob_fixture as fixture;

use std::sync::Arc;
use std::time::Instant;

use azure_core::http::{RequestContent, Url};
use azure_storage_blob::BlobContainerClient;
use chainwatch::analysis::storage::cross_check;
use chainwatch::blob::sas::ConnectionString;
use chainwatch::blob::{
    list_all, AzureBlobSource, AzureOptions, BlobError, BlobSource, ContainerUrl,
};
use chrono::{Duration, Utc};

fn connection(az: &azurite::Azurite) -> ConnectionString {
    ConnectionString::parse(&format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={};BlobEndpoint={};",
        chainwatch::blob::sas::EMULATOR_KEY,
        az.blob_endpoint()
    ))
    .unwrap()
}

/// Creates `container` and uploads `blobs` with the SDK (test setup only:
/// chainwatch itself never writes).
async fn seed(url: &ContainerUrl, blobs: &[(String, Vec<u8>)]) -> std::time::Duration {
    let secret = format!("{}?{}", url.base, url.sas_token().unwrap());
    let client =
        Arc::new(BlobContainerClient::new(Url::parse(&secret).unwrap(), None, None).unwrap());
    client.create(None).await.expect("create container");
    let began = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in blobs.chunks(blobs.len().div_ceil(16).max(1)) {
        let chunk = chunk.to_vec();
        let client = client.clone();
        tasks.spawn(async move {
            for (name, body) in chunk {
                client
                    .blob_client(&name)
                    .upload(RequestContent::from(body), None)
                    .await
                    .unwrap_or_else(|e| panic!("upload {name}: {e}"));
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    began.elapsed()
}

async fn delete(url: &ContainerUrl, names: &[String]) {
    let secret = format!("{}?{}", url.base, url.sas_token().unwrap());
    let client = BlobContainerClient::new(Url::parse(&secret).unwrap(), None, None).unwrap();
    for n in names {
        client
            .blob_client(n)
            .delete(None)
            .await
            .unwrap_or_else(|e| panic!("delete {n}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_container_cross_check_through_azurite() {
    let az = azurite::Azurite::start();
    eprintln!("azurite on port {} after {:?}", az.port, az.startup);
    let sc = fixture::scenario();
    let conn = connection(&az);
    let expiry = Utc::now() + Duration::hours(1);
    let writer = conn.container_url("sql16-prod", "rwdlac", expiry).unwrap();
    // Upload what Managed Backup keeps (plus the strangers), then delete some.
    let mut upload: Vec<(String, Vec<u8>)> = sc.blobs.clone();
    for d in &sc.deleted {
        upload.push((d.clone(), fixture::body(d)));
    }
    let took = seed(&writer, &upload).await;
    eprintln!("uploaded {} blobs in {took:?}", upload.len());
    delete(&writer, &sc.deleted).await;

    // Read through our trait with a read/list SAS only.
    let reader = conn.container_url("sql16-prod", "rl", expiry).unwrap();
    assert!(!format!("{reader:?}").contains("sig="));
    let source = AzureBlobSource::new(reader, AzureOptions::default()).unwrap();
    let began = Instant::now();
    let listing = list_all(&source, None, Some(1000)).await.unwrap();
    eprintln!(
        "listed {} blobs in {:?} (pages of 1000)",
        listing.len(),
        began.elapsed()
    );
    let mut names: Vec<&str> = listing.iter().map(|e| e.name.as_str()).collect();
    names.sort();
    let mut want: Vec<&str> = sc.blobs.iter().map(|(n, _)| n.as_str()).collect();
    want.sort();
    assert_eq!(names, want);
    assert!(listing
        .iter()
        .all(|e| e.size == fixture::body(&e.name).len() as u64));
    assert!(listing.iter().all(|e| e.last_modified.is_some()));

    // The emulator lists the container as devstoreaccount1/sql16-prod; history names prodstore/sql16-prod.
    let check = cross_check(fixture::CONTAINER, &sc.fx.history, &listing, sc.fx.now);
    assert_eq!(
        fixture::shape(&check.findings),
        fixture::sorted(sc.expected.clone())
    );

    // Prefix and small pages.
    let sales = list_all(&source, Some("Sales_"), Some(7)).await.unwrap();
    assert_eq!(
        sales.len(),
        sc.blobs
            .iter()
            .filter(|(n, _)| n.starts_with("Sales_"))
            .count()
    );
    let page = source
        .list_page(Some("Sales_"), None, Some(7))
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 7);
    assert!(page.next_marker.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranged_reads_and_errors() {
    let az = azurite::Azurite::start();
    let conn = connection(&az);
    let expiry = Utc::now() + Duration::hours(1);
    let writer = conn.container_url("reads", "rwdlac", expiry).unwrap();
    let body: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    seed(&writer, &[("a/x.bak".to_string(), body.clone())]).await;
    let source = AzureBlobSource::new(
        conn.container_url("reads", "rl", expiry).unwrap(),
        AzureOptions::default(),
    )
    .unwrap();

    let began = Instant::now();
    let head = source.read_range("a/x.bak", 0, 4096).await.unwrap();
    let tail = source
        .read_range("a/x.bak", body.len() as u64 - 512, 4096)
        .await
        .unwrap();
    eprintln!("two ranged GETs in {:?}", began.elapsed());
    assert_eq!(head, body[..4096]);
    assert_eq!(tail.len(), 512, "a range past the end is cut short");
    assert_eq!(tail, body[body.len() - 512..]);
    let mid = source.read_range("a/x.bak", 1_000_003, 10).await.unwrap();
    assert_eq!(mid, body[1_000_003..1_000_013]);
    assert!(source
        .read_range("a/x.bak", body.len() as u64 + 10, 10)
        .await
        .unwrap()
        .is_empty());

    match source.read_range("missing.bak", 0, 10).await {
        Err(BlobError::NotFound(n)) => assert_eq!(n, "missing.bak"),
        other => panic!("{other:?}"),
    }
    // A token without list permission: denied, and the message keeps the secret out.
    let no_list = AzureBlobSource::new(
        conn.container_url("reads", "r", expiry).unwrap(),
        AzureOptions::default(),
    )
    .unwrap();
    let err = list_all(&no_list, None, None).await.unwrap_err();
    assert!(matches!(err, BlobError::Denied { .. }), "{err:?}");
    assert!(!err.to_string().contains("sig="));
    // No token at all.
    let anon = AzureBlobSource::new(
        ContainerUrl::parse(&format!("{}/reads", az.blob_endpoint())).unwrap(),
        AzureOptions::default(),
    )
    .unwrap();
    assert!(list_all(&anon, None, None).await.is_err());
    // Explicit API version that Azurite 3.35 knows.
    let pinned = AzureBlobSource::new(
        conn.container_url("reads", "rl", expiry).unwrap(),
        AzureOptions {
            api_version: Some("2025-11-05".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(list_all(&pinned, None, None).await.unwrap().len(), 1);
}

/// Reading Azurite's start-up line (the helper in tests/support/azurite.rs).
#[test]
fn parses_the_listening_line() {
    assert_eq!(
        azurite::listening_port(
            "Azurite Blob service successfully listens on http://127.0.0.1:41234"
        ),
        Some(41234)
    );
    assert_eq!(
        azurite::listening_port(
            "Azurite Blob service successfully listens on https://127.0.0.1:443"
        ),
        Some(443)
    );
    assert_eq!(azurite::listening_port("starting"), None);
}
