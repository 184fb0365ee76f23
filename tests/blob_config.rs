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
