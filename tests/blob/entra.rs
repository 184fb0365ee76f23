//! Entra ID against Azurite over HTTPS (`--oauth basic`, a certificate from
//! a test CA made with rcgen): a bearer token lists the container and reads
//! ranges; an expired or wrong token is refused with a message naming the
//! container, never the token; without the CA the certificate is refused.
//! A missing Azurite fails these tests, never skips them.

use crate::support::azurite;
use crate::support::entra;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientOptions, RequestContent, Transport, Url};
use azure_storage_blob::{BlobContainerClient, BlobContainerClientOptions};
use chainwatch::blob::{
    list_all, AzureBlobSource, AzureOptions, Bearer, BlobError, BlobSource, ContainerUrl,
};
use chainwatch::config::{Config, StorageCredential};
use chrono::Utc;

/// Test-side writer credential (chainwatch itself never writes).
#[derive(Debug)]
struct Fixed(String);

#[async_trait::async_trait]
impl TokenCredential for Fixed {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            self.0.clone(),
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

fn body(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 241) as u8).collect()
}

/// Creates `container` and uploads `blobs` over HTTPS with a bearer token.
async fn seed(az: &azurite::Azurite, ca: &Path, container: &str, blobs: &[(&str, Vec<u8>)]) {
    let pem = std::fs::read(ca).unwrap();
    let http = reqwest::ClientBuilder::new()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
        .build()
        .unwrap();
    let options = BlobContainerClientOptions {
        client_options: ClientOptions {
            transport: Some(Transport::new(Arc::new(http))),
            ..Default::default()
        },
        ..Default::default()
    };
    let client = BlobContainerClient::new(
        Url::parse(&format!("{}/{container}", az.blob_endpoint())).unwrap(),
        Some(Arc::new(Fixed(entra::fresh_token("writer")))),
        Some(options),
    )
    .unwrap();
    client
        .create(None)
        .await
        .expect("create container over https with a token");
    for (name, data) in blobs {
        client
            .blob_client(name)
            .upload(RequestContent::from(data.clone()), None)
            .await
            .unwrap_or_else(|e| panic!("upload {name}: {e}"));
    }
}

fn source(url: &str, bearer: Bearer, ca: Option<&Path>) -> AzureBlobSource {
    let url = ContainerUrl::parse(url)
        .unwrap()
        .with_bearer(bearer)
        .unwrap()
        .with_ca_file(ca);
    AzureBlobSource::new(url, AzureOptions::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_lists_and_reads_over_https_and_bad_tokens_are_refused_clearly() {
    let pki = entra::TestPki::new("lib");
    let az = azurite::Azurite::start_https(&pki.cert(), &pki.key());
    assert_eq!(az.scheme, "https");
    let big = body(3 * 1024 * 1024 + 17);
    seed(
        &az,
        &pki.ca(),
        "sql16-prod",
        &[("a/Sales_1.bak", big.clone()), ("a/Sales_2.log", body(100))],
    )
    .await;
    let url = format!("{}/sql16-prod", az.blob_endpoint());

    // A valid token: list and ranged reads (the headers path reads ranges).
    let token = entra::fresh_token("GoodTok3n");
    let good = source(
        &url,
        Bearer::from_token("CW_TEST_TOKEN", &token).unwrap(),
        Some(&pki.ca()),
    );
    let listing = list_all(&good, None, None)
        .await
        .expect("list with a token");
    let names: Vec<&str> = listing.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["a/Sales_1.bak", "a/Sales_2.log"]);
    assert_eq!(listing[0].size, big.len() as u64);
    let head = good.read_range("a/Sales_1.bak", 0, 4096).await.unwrap();
    assert_eq!(head, big[..4096]);
    let tail = good
        .read_range("a/Sales_1.bak", big.len() as u64 - 100, 4096)
        .await
        .unwrap();
    assert_eq!(tail, big[big.len() - 100..]);
    match good.read_range("missing.bak", 0, 10).await {
        Err(BlobError::NotFound(n)) => assert_eq!(n, "missing.bak"),
        other => panic!("{other:?}"),
    }

    // An expired token: refused, the message names the container and the
    // variable and says it expired; the token itself never shows.
    let expired = entra::expired_token("OldTok3n");
    let old = source(
        &url,
        Bearer::from_token("CW_TEST_TOKEN", &expired).unwrap(),
        Some(&pki.ca()),
    );
    let err = list_all(&old, None, None).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            BlobError::Denied {
                status: 401 | 403,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains(&url), "{msg}");
    assert!(
        msg.contains("the access token in $CW_TEST_TOKEN expired at"),
        "{msg}"
    );
    assert!(msg.contains("The token is expired"), "{msg}");
    let err = old.read_range("a/Sales_1.bak", 0, 10).await.unwrap_err();
    assert!(err.to_string().contains("expired at"), "{err}");
    for e in [msg.clone(), format!("{err:?}"), format!("{old:?}")] {
        assert!(!e.contains(&expired) && !e.contains("OldTok3n"), "{e}");
    }

    // A token for another audience, and one that is not a JWT at all.
    let now = Utc::now().timestamp();
    let vault = entra::token(
        now - 60,
        now + 3600,
        "https://vault.azure.net",
        "VaultTok3n",
    );
    let wrong = source(
        &url,
        Bearer::from_token("CW_TEST_TOKEN", &vault).unwrap(),
        Some(&pki.ca()),
    );
    let msg = list_all(&wrong, None, None).await.unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("access denied (403) to {url}: ")),
        "{msg}"
    );
    eprintln!("wrong audience: {msg}");
    assert!(
        msg.contains("the service refused the access token in $CW_TEST_TOKEN"),
        "{msg}"
    );
    assert!(msg.contains("Invalid token audience"), "{msg}");
    assert!(
        !msg.contains("VaultTok3n") && !msg.contains(&vault),
        "{msg}"
    );
    let junk = source(
        &url,
        Bearer::from_token("CW_TEST_TOKEN", "NotAJwtSecretValue123456").unwrap(),
        Some(&pki.ca()),
    );
    let msg = list_all(&junk, None, None).await.unwrap_err().to_string();
    assert!(
        msg.contains(&url) && msg.contains("$CW_TEST_TOKEN"),
        "{msg}"
    );
    eprintln!("not a JWT: {msg}");
    assert!(!msg.contains("NotAJwtSecretValue"), "{msg}");

    // Without the test CA the certificate is not trusted: verification is on.
    let untrusted = source(
        &url,
        Bearer::from_token("CW_TEST_TOKEN", &token).unwrap(),
        None,
    );
    let err = list_all(&untrusted, None, None).await.unwrap_err();
    let msg = err.to_string();
    eprintln!("untrusted: {msg}");
    assert!(msg.contains("certificate"), "{msg}");
    assert!(matches!(err, BlobError::Request(_)), "{err:?}");
    assert!(msg.contains(&url), "{msg}");
    assert!(!msg.contains("GoodTok3n") && !msg.contains(&token), "{msg}");

    // Tokens are never sent over plain http.
    let plain =
        ContainerUrl::parse(&format!("http://127.0.0.1:{}/devstoreaccount1/c", az.port)).unwrap();
    let e = plain
        .with_bearer(Bearer::from_token("CW_TEST_TOKEN", &token).unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("only sent over https"), "{e}");

    // A CA file that is not PEM: a clear error naming the file.
    let bogus = pki.dir.join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let e = AzureBlobSource::new(
        ContainerUrl::parse(&url)
            .unwrap()
            .with_ca_file(Some(&bogus)),
        AzureOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("bogus.pem"), "{e}");
}

/// Runs the binary with `var=value` and no other storage secret in its
/// environment: exit code, stdout, stderr.
fn chainwatch_cli(args: &[&str], var: &str, value: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .env(var, value)
        .env_remove("CHAINWATCH_SAS")
        .env_remove("CHAINWATCH_STORAGE_CONNECTION_STRING")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_and_the_command_line_take_a_token_from_the_environment() {
    let pki = entra::TestPki::new("cfg");
    let az = azurite::Azurite::start_https(&pki.cert(), &pki.key());
    seed(&az, &pki.ca(), "backups", &[("x/Orders_1.bak", body(2048))]).await;
    let url = format!("{}/backups", az.blob_endpoint());
    let token = entra::fresh_token("CfgTok3n");
    // A variable only this test uses.
    std::env::set_var("CW_TEST_ENTRA_TOKEN_CFG", &token);

    // Config: container_token_env + container_ca_file (relative to the file).
    let dir = pki.dir.clone();
    let text = format!(
        "[[instance]]\nname = \"A\"\nhost = \"a\"\nuser = \"m\"\npassword_env = \"P\"\n\
         container_url = \"{url}\"\ncontainer_token_env = \"CW_TEST_ENTRA_TOKEN_CFG\"\n\
         container_ca_file = \"ca.pem\"\n"
    );
    let config = Config::parse(&text, &dir.join("cw.toml")).unwrap();
    let storage = config.instances[0].storage.as_ref().unwrap();
    assert_eq!(
        storage.credential,
        StorageCredential::TokenEnv("CW_TEST_ENTRA_TOKEN_CFG".into())
    );
    let resolved = storage.resolve(Utc::now()).unwrap();
    assert!(!format!("{resolved:?}").contains("CfgTok3n"));
    let src = AzureBlobSource::new(resolved, AzureOptions::default()).unwrap();
    let listing = list_all(&src, None, None).await.unwrap();
    assert_eq!(listing.len(), 1);
    assert_eq!(
        src.read_range("x/Orders_1.bak", 10, 5).await.unwrap(),
        body(2048)[10..15]
    );

    // The binary: `blobs --token-env VAR --ca-file PEM`.
    let run = |var: &str, value: &str, extra: &[&str]| {
        let args = ["blobs", "--container-url", &url, "--format", "json"];
        chainwatch_cli(&[&args[..], extra].concat(), var, value)
    };
    let ca = pki.ca().display().to_string();
    let (code, stdout, stderr) = run(
        "CW_CLI_TOKEN",
        &token,
        &["--token-env", "CW_CLI_TOKEN", "--ca-file", &ca],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("x/Orders_1.bak"), "{stdout}");
    assert!(!stdout.contains("CfgTok3n") && !stderr.contains("CfgTok3n"));
    // The default variable, CHAINWATCH_STORAGE_TOKEN.
    let (code, stdout, stderr) = run("CHAINWATCH_STORAGE_TOKEN", &token, &["--ca-file", &ca]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("x/Orders_1.bak"), "{stdout}");
    // Expired: a non-zero exit, the container named, the token not.
    let expired = entra::expired_token("CliOldTok3n");
    let (code, stdout, stderr) = run(
        "CW_CLI_TOKEN",
        &expired,
        &["--token-env", "CW_CLI_TOKEN", "--ca-file", &ca],
    );
    assert_ne!(code, Some(0));
    eprintln!("cli expired: {stderr}");
    assert!(
        stderr.contains(&url) && stderr.contains("expired at"),
        "{stderr}"
    );
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains("CliOldTok3n") && !text.contains(&expired),
            "{text}"
        );
    }
    // `headers URL --ca-file PEM` with the token in CHAINWATCH_STORAGE_TOKEN:
    // a real log backup's header read over HTTPS.
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/samples/backups/RestoreTimeClean/RestoreTimeClean_2.trn"
    );
    let bytes = std::fs::read(sample).expect("sample backup");
    seed(&az, &pki.ca(), "logs", &[("RestoreTimeClean_2.trn", bytes)]).await;
    let logs = format!("{}/logs", az.blob_endpoint());
    let headers = |extra: &[&str]| {
        let args = ["headers", &logs, "--format", "json"];
        chainwatch_cli(
            &[&args[..], extra].concat(),
            "CHAINWATCH_STORAGE_TOKEN",
            &token,
        )
    };
    let (code, stdout, stderr) = headers(&["--ca-file", &ca]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("RestoreTimeClean"), "{stdout}");
    assert!(!stdout.contains("CfgTok3n") && !stderr.contains("CfgTok3n"));
    let (code, _, stderr) = headers(&[]);
    assert_ne!(
        code,
        Some(0),
        "a private CA is not trusted without --ca-file"
    );
    assert!(stderr.contains(&logs), "{stderr}");

    // Without the CA file: the certificate is refused.
    let (code, _, stderr) = run("CW_CLI_TOKEN", &token, &["--token-env", "CW_CLI_TOKEN"]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains(&url), "{stderr}");
    assert!(!stderr.contains("CfgTok3n"), "{stderr}");
    // A named variable that is not set.
    let (code, _, stderr) = run("UNRELATED", "x", &["--token-env", "CW_CLI_UNSET_TOKEN"]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("CW_CLI_UNSET_TOKEN is not set"), "{stderr}");

    // `--entra` with nothing to sign in with (no az/azd on PATH, no managed
    // identity here): the container and every source tried are named.
    let empty = pki.dir.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let entra_run = |env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chainwatch"));
        c.args([
            "blobs",
            "--container-url",
            &url,
            "--entra",
            "--ca-file",
            &ca,
        ])
        .env("PATH", &empty)
        .env("IDENTITY_ENDPOINT", "")
        .env("MSI_ENDPOINT", "");
        for v in [
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_TENANT_ID",
            "AZURE_FEDERATED_TOKEN_FILE",
            "CHAINWATCH_STORAGE_TOKEN",
            "IDENTITY_ENDPOINT",
            "MSI_ENDPOINT",
        ] {
            c.env_remove(v);
        }
        c.envs(env.iter().copied());
        let out = c.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, stderr) = entra_run(&[]);
    eprintln!("entra, nothing to sign in with: {stderr}");
    assert_ne!(code, Some(0));
    assert!(stderr.contains(&url), "{stderr}");
    assert!(
        stderr.contains("no Entra ID credential gave a token"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Azure CLI") && stderr.contains("managed identity"),
        "{stderr}"
    );
    // A client secret without its tenant and client: said before any request.
    let (code, stderr) = entra_run(&[("AZURE_CLIENT_SECRET", "SpSecretValue42")]);
    assert_ne!(code, Some(0));
    assert!(
        stderr.contains(
            "AZURE_CLIENT_SECRET is set, so AZURE_TENANT_ID and AZURE_CLIENT_ID must be too"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("SpSecretValue42"), "{stderr}");
}
