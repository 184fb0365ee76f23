//! `chainwatch serve` lists the configured instances' backup containers
//! (Azurite here) off the request path and exports `chainwatch_container_*`:
//! the same counts `check --format json` reports for the same config, in an
//! exposition promtool accepts.

use azure_core::http::RequestContent;
use chainwatch::blob::sas::{ConnectionString, EMULATOR_KEY};
use serde_json::Value;

use crate::exporter::{estate, serve_with_env, wait_for, PASSWORD_ENV};
use crate::formats::{labels, parse_exposition, Key};
use crate::support::azurite::Azurite;
use crate::support::blob_fixture as fixture;
use crate::support::NOW;

const STORAGE_ENV: &str = "CW_MON_STORAGE";

/// The demo's SQL16\PROD container as of the served estate's NOW, minus one
/// needed log, plus a file no history knows.
async fn upload(az: &Azurite) -> String {
    let conn_text = format!(
        "AccountName=devstoreaccount1;AccountKey={EMULATOR_KEY};BlobEndpoint={}",
        az.blob_endpoint()
    );
    let conn = ConnectionString::parse(&conn_text).unwrap();
    let client = crate::support::azurite::create_container(&conn, "sql16-prod").await;
    let fx = fixture::demo_at(crate::support::now());
    let needed = fx.needed_log();
    let mut uploads: Vec<(String, Vec<u8>)> = fx
        .blobs
        .iter()
        .filter(|(n, _)| *n != needed)
        .cloned()
        .collect();
    uploads.push(("adhoc/manual_copy.bak".into(), b"not ours".to_vec()));
    for (name, body) in uploads {
        client
            .blob_client(&name)
            .upload(RequestContent::from(body), None)
            .await
            .unwrap();
    }
    conn_text
}

fn container_series(body: &str) -> Vec<(Key, f64)> {
    parse_exposition(body)
        .into_iter()
        .filter(|((n, _), _)| n.starts_with("chainwatch_container_"))
        .collect()
}

#[test]
fn serve_exports_the_containers_check_lists() {
    let az = Azurite::start();
    let e = estate("containers", false, "");
    let conn = e.runtime.block_on(upload(&az));
    let text = std::fs::read_to_string(&e.config).unwrap();
    let marker = "name = \"SQL16\\\\PROD\"\n";
    assert!(text.contains(marker), "{text}");
    let text = text.replacen(
        marker,
        &format!(
            "{marker}container_url = \"{}/sql16-prod\"\ncontainer_connection_string_env = \"{STORAGE_ENV}\"\ncontainer_history_name = \"{}\"\n",
            az.blob_endpoint(),
            fixture::CONTAINER
        ),
        1,
    );
    let config = e.dir.join("with-storage.toml");
    std::fs::write(&config, text).unwrap();

    let s = serve_with_env(&config, &[], &[(STORAGE_ENV, &conn)]);
    // Listed after the first round, served from the round after the listing.
    let body = wait_for(s.addr, "/metrics", 60, |b| {
        b.contains("chainwatch_container_up{")
    });
    let m = parse_exposition(&body);

    let out = crate::common::bin()
        .env(PASSWORD_ENV, "s3cret!")
        .env(STORAGE_ENV, &conn)
        .args(["check", "--config"])
        .arg(&config)
        .args(["--now", NOW, "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let storage = v["storage"].as_array().unwrap();
    assert_eq!(storage.len(), 1, "{storage:?}");
    let st = &storage[0];
    assert_eq!(st["status"], "ok", "{st}");
    let l = labels(&[
        ("instance", "SQL16\\PROD"),
        ("container", fixture::CONTAINER),
    ]);
    let get = |name: &str, extra: &[(&str, &str)]| -> f64 {
        let mut l = l.clone();
        l.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        l.sort();
        *m.get(&(name.to_string(), l))
            .unwrap_or_else(|| panic!("{name} {extra:?} not in {:#?}", container_series(&body)))
    };
    assert_eq!(get("chainwatch_container_up", &[]), 1.0);
    assert_eq!(
        get("chainwatch_container_blobs", &[]),
        st["blobs"].as_f64().unwrap()
    );
    for (problem, key) in [
        ("missing", "missing_files"),
        ("orphan", "orphan_files"),
        ("expired", "expired_files"),
    ] {
        assert_eq!(
            get("chainwatch_container_files", &[("problem", problem)]),
            st[key].as_f64().unwrap(),
            "{problem}: {st}"
        );
    }
    // Not vacuous: the deleted log is missing, the stranger an orphan.
    assert!(st["missing_files"].as_u64().unwrap() >= 1, "{st}");
    assert!(st["orphan_files"].as_u64().unwrap() >= 1, "{st}");
    assert!(st["blobs"].as_u64().unwrap() > 10, "{st}");

    if let Some(promtool) = crate::prom::tool("promtool") {
        crate::prom::check_metrics(&promtool, &body);
    }
}
