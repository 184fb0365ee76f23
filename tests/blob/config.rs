//! Per-instance backup containers in the config file: accepted forms, the
//! old format unchanged, errors with line and column, no secret echoed.

use std::path::Path;

use chainwatch::config::{Config, StorageCredential};

const BASE: &str = "[[instance]]\nname = \"A\"\nhost = \"a\"\nuser = \"m\"\npassword_env = \"P\"\n";

fn parse(extra: &str) -> Result<Config, String> {
    Config::parse(&format!("{BASE}{extra}"), Path::new("cw.toml")).map_err(|e| e.to_string())
}

#[test]
fn containers_are_optional_and_typed() {
    assert_eq!(parse("").unwrap().instances[0].storage, None);
    let c = parse(
        "container_url = \"https://ProdStore.blob.core.windows.net/sql16-prod\"\ncontainer_sas_env = \"CW_SAS\"\n",
    )
    .unwrap();
    let s = c.instances[0].storage.as_ref().unwrap();
    assert_eq!(s.credential, StorageCredential::SasEnv("CW_SAS".into()));
    assert_eq!(s.history_key(), "prodstore/sql16-prod");
    assert_eq!(
        s.describe(),
        "https://ProdStore.blob.core.windows.net/sql16-prod (SAS from $CW_SAS)"
    );
    let c = parse(
        "container_url = \"http://127.0.0.1:10000/devstoreaccount1/b\"\ncontainer_connection_string_env = \"CS\"\ncontainer_history_name = \"ProdStore/sql16-prod\"\n",
    )
    .unwrap();
    let s = c.instances[0].storage.as_ref().unwrap();
    assert_eq!(s.history_key(), "prodstore/sql16-prod");
    assert_eq!(s.env_var(), Some("CS"));
}

#[test]
fn bad_containers_are_errors_with_line_and_column_and_no_secret() {
    let e = parse("container_url = \"https://a.blob.core.windows.net/c?sv=2022&sig=S3CRETSIG\"\n")
        .unwrap_err();
    assert!(
        e.starts_with("cw.toml:6:17: container_url carries a query"),
        "{e}"
    );
    assert!(!e.contains("S3CRETSIG"), "{e}");
    let e = parse("container_url = \"ftp://x/y\"\n").unwrap_err();
    assert!(
        e.contains("cw.toml:6:17: container_url: invalid container URL"),
        "{e}"
    );
    let e = parse(
        "container_url = \"https://a.blob.core.windows.net/c\"\ncontainer_sas_env = \"A\"\ncontainer_key_env = \"B\"\n",
    )
    .unwrap_err();
    assert!(
        e.contains(
            "cw.toml:1:1: give one storage credential, not container_sas_env and container_key_env"
        ),
        "{e}"
    );
    let e = parse("container_key_env = \"B\"\n").unwrap_err();
    assert!(e.contains("container_key_env needs container_url"), "{e}");
    let e = parse("container_url = \"https://a.blob.core.windows.net/c\"\ncontainer_history_name = \"nope\"\n")
        .unwrap_err();
    assert!(
        e.contains("cw.toml:7:26: container_history_name = \"nope\""),
        "{e}"
    );
    let e = parse("container_url = \"https://a.blob.core.windows.net/c\"\ncontainer_sas_env = \"$NOT A VAR\"\n")
        .unwrap_err();
    assert!(
        e.contains("expected the name of an environment variable"),
        "{e}"
    );
}

#[test]
fn entra_id_keys_are_typed_and_described_without_values() {
    let c = parse(
        "container_url = \"https://prodstore.blob.core.windows.net/sql16-prod\"\ncontainer_token_env = \"CW_STORAGE_TOKEN\"\n",
    )
    .unwrap();
    let s = c.instances[0].storage.as_ref().unwrap();
    assert_eq!(
        s.credential,
        StorageCredential::TokenEnv("CW_STORAGE_TOKEN".into())
    );
    assert_eq!(s.env_var(), Some("CW_STORAGE_TOKEN"));
    assert_eq!(
        s.describe(),
        "https://prodstore.blob.core.windows.net/sql16-prod (Entra ID access token from $CW_STORAGE_TOKEN)"
    );
    let c = parse(
        "container_url = \"https://prodstore.blob.core.windows.net/sql16-prod\"\ncontainer_auth = \"entra\"\n",
    )
    .unwrap();
    let s = c.instances[0].storage.as_ref().unwrap();
    assert_eq!(s.credential, StorageCredential::Entra);
    assert_eq!(s.env_var(), None);
    assert_eq!(
        s.describe(),
        "https://prodstore.blob.core.windows.net/sql16-prod (Entra ID via azure_identity: AZURE_* service principal or workload identity, else Azure CLI / azd login, else managed identity)"
    );
    // A relative CA file is found next to the config file.
    let dir = std::env::temp_dir().join(format!("cw-blob-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.pem"), "-----BEGIN CERTIFICATE-----\n").unwrap();
    let c = Config::parse(
        &format!("{BASE}container_url = \"https://a.blob.core.windows.net/c\"\ncontainer_token_env = \"T\"\ncontainer_ca_file = \"ca.pem\"\n"),
        &dir.join("cw.toml"),
    )
    .unwrap();
    let s = c.instances[0].storage.as_ref().unwrap();
    assert_eq!(s.ca_file.as_deref(), Some(dir.join("ca.pem").as_path()));
    assert_eq!(
        s.describe(),
        format!(
            "https://a.blob.core.windows.net/c (Entra ID access token from $T; also trusting CAs in {})",
            dir.join("ca.pem").display()
        )
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_entra_id_keys_are_errors_with_exact_messages() {
    let url = "container_url = \"https://a.blob.core.windows.net/c\"\n";
    assert_eq!(
        parse(&format!("{url}container_auth = \"oauth\"\n")).unwrap_err(),
        "cw.toml:7:18: container_auth = \"oauth\": expected \"entra\" (Entra ID through azure_identity)"
    );
    assert_eq!(
        parse(&format!(
            "{url}container_sas_env = \"S\"\ncontainer_token_env = \"T\"\n"
        ))
        .unwrap_err(),
        "cw.toml:1:1: give one storage credential, not container_sas_env and container_token_env"
    );
    assert_eq!(
        parse(&format!(
            "{url}container_token_env = \"T\"\ncontainer_auth = \"entra\"\n"
        ))
        .unwrap_err(),
        "cw.toml:1:1: give one storage credential, not container_token_env and container_auth"
    );
    assert_eq!(
        parse("container_url = \"http://127.0.0.1:10000/devstoreaccount1/b\"\ncontainer_token_env = \"T\"\n")
            .unwrap_err(),
        "cw.toml:6:17: container_token_env needs an https:// container_url: Entra ID tokens are only sent over TLS"
    );
    assert_eq!(
        parse("container_url = \"http://127.0.0.1:10000/devstoreaccount1/b\"\ncontainer_auth = \"entra\"\n")
            .unwrap_err(),
        "cw.toml:6:17: container_auth needs an https:// container_url: Entra ID tokens are only sent over TLS"
    );
    assert_eq!(
        parse(&format!("{url}container_token_env = \"eyJ0eXAi.not-a.name\"\n")).unwrap_err(),
        "cw.toml:1:1: container_token_env = \"eyJ0eXAi.not-a.name\": expected the name of an environment variable"
    );
    assert_eq!(
        parse("container_token_env = \"T\"\n").unwrap_err(),
        "cw.toml:1:1: container_token_env needs container_url = \"https://ACCOUNT.blob.core.windows.net/CONTAINER\""
    );
    assert_eq!(
        parse("container_auth = \"entra\"\n").unwrap_err(),
        "cw.toml:1:1: container_auth needs container_url = \"https://ACCOUNT.blob.core.windows.net/CONTAINER\""
    );
    assert_eq!(
        parse("container_ca_file = \"ca.pem\"\n").unwrap_err(),
        "cw.toml:6:21: container_ca_file needs container_url"
    );
    assert_eq!(
        parse(&format!(
            "{url}container_auth = \"entra\"\ncontainer_ca_file = \"no-such-ca.pem\"\n"
        ))
        .unwrap_err(),
        "cw.toml:8:21: container_ca_file = \"no-such-ca.pem\": no such file (no-such-ca.pem)"
    );
}

#[test]
fn config_check_names_the_token_variable_never_the_token() {
    let dir = std::env::temp_dir().join(format!("cw-blob-config-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cw.toml");
    std::fs::write(
        &path,
        format!(
            "{BASE}container_url = \"https://prodstore.blob.core.windows.net/sql16-prod\"\ncontainer_token_env = \"CW_CHECK_TOKEN\"\n\n[[instance]]\nname = \"B\"\nhost = \"b\"\nuser = \"m\"\npassword_env = \"P\"\ncontainer_url = \"https://prodstore.blob.core.windows.net/b\"\ncontainer_auth = \"entra\"\n"
        ),
    )
    .unwrap();
    let run = |token: Option<&str>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_chainwatch"));
        c.args(["config", "check", "--config"])
            .arg(&path)
            .env_remove("CW_CHECK_TOKEN");
        if let Some(t) = token {
            c.env("CW_CHECK_TOKEN", t);
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let text = run(Some("eyJ0eXAiOiJKV1Qi.CheckTok3nSecret.sig"));
    assert!(
        text.contains("    storage https://prodstore.blob.core.windows.net/sql16-prod (Entra ID access token from $CW_CHECK_TOKEN)\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "    storage https://prodstore.blob.core.windows.net/b (Entra ID via azure_identity: "
        ),
        "{text}"
    );
    assert!(!text.contains("CheckTok3nSecret"), "{text}");
    assert!(!text.contains("is not set"), "{text}");
    let text = run(None);
    assert!(
        text.contains(
            "    warning: CW_CHECK_TOKEN is not set here: the container cannot be listed"
        ),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
