//! An instance's backup container: where Managed Backup (or another tool)
//! writes its blobs, and where the credential to list them comes from.
//!
//! ```toml
//! [[instance]]
//! name = "SQL16\\PROD"
//! # ...
//! container_url = "https://prodstore.blob.core.windows.net/sql16-prod"
//! container_sas_env = "CW_PROD_SAS"          # or container_key_env / container_connection_string_env
//! # or Entra ID: container_token_env = "CW_PROD_TOKEN" (an access token), or container_auth = "entra"
//! # container_ca_file = "private-ca.pem"      # extra CA roots (relative to this file)
//! # container_history_name = "prodstore/sql16-prod"  # when history names the container differently
//! ```
//!
//! Like passwords, tokens and keys never live in the file: only the name of
//! the environment variable that holds them. A `?` query (a SAS) in
//! `container_url` is refused. Entra ID needs an `https://` URL.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};

use crate::blob::sas::{AccountKey, ConnectionString};
use crate::blob::{Bearer, ContainerUrl};

/// Where the storage credential comes from (always an environment variable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageCredential {
    /// No credential: public containers and emulators that allow anonymous reads.
    Anonymous,
    /// A SAS token (with or without the leading `?`).
    SasEnv(String),
    /// The account key (base64, as the portal shows it); the account is the URL's.
    AccountKeyEnv(String),
    /// An account connection string (`AccountName=…;AccountKey=…`).
    ConnectionStringEnv(String),
    /// An Entra ID access token for storage (read once, never refreshed).
    TokenEnv(String),
    /// Entra ID through `azure_identity` (service principal or workload
    /// identity from `AZURE_*`, else Azure CLI / azd, else managed identity).
    Entra,
}

/// One instance's backup container, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// The container URL without a token.
    pub url: ContainerUrl,
    pub credential: StorageCredential,
    /// `account/container` as msdb history names it, when it differs from the URL's.
    pub history_name: Option<String>,
    /// PEM file of extra CA certificates to trust for this container.
    pub ca_file: Option<PathBuf>,
}

impl StorageConfig {
    /// `account/container` to match history rows against.
    pub fn history_key(&self) -> String {
        self.history_name.clone().unwrap_or_else(|| self.url.key())
    }

    /// Where the credential comes from, for `config check` (never its value).
    pub fn describe(&self) -> String {
        let cred = match &self.credential {
            StorageCredential::Anonymous => "no credential (anonymous)".to_string(),
            StorageCredential::SasEnv(v) => format!("SAS from ${v}"),
            StorageCredential::AccountKeyEnv(v) => format!("account key from ${v}"),
            StorageCredential::ConnectionStringEnv(v) => format!("connection string from ${v}"),
            StorageCredential::TokenEnv(v) => format!("Entra ID access token from ${v}"),
            StorageCredential::Entra => {
                "Entra ID via azure_identity: AZURE_* service principal or workload identity, else Azure CLI / azd login, else managed identity".to_string()
            }
        };
        match &self.ca_file {
            Some(p) => format!(
                "{} ({cred}; also trusting CAs in {})",
                self.url,
                p.display()
            ),
            None => format!("{} ({cred})", self.url),
        }
    }

    /// The environment variable the credential is read from, if any.
    pub fn env_var(&self) -> Option<&str> {
        match &self.credential {
            StorageCredential::Anonymous | StorageCredential::Entra => None,
            StorageCredential::SasEnv(v)
            | StorageCredential::AccountKeyEnv(v)
            | StorageCredential::ConnectionStringEnv(v)
            | StorageCredential::TokenEnv(v) => Some(v),
        }
    }

    /// The URL with a usable token: the SAS from the environment, or a
    /// read/list SAS signed locally from a key, valid until `now + 1 h`, or
    /// an Entra ID credential. Errors name the variable, never its value.
    pub fn resolve(&self, now: DateTime<Utc>) -> Result<ContainerUrl, String> {
        Ok(self
            .resolve_credential(now)?
            .with_ca_file(self.ca_file.as_deref()))
    }

    fn resolve_credential(&self, now: DateTime<Utc>) -> Result<ContainerUrl, String> {
        let read = |var: &str| -> Result<String, String> {
            match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(v),
                _ => Err(format!("environment variable {var} is not set")),
            }
        };
        let expiry = now + Duration::hours(1);
        match &self.credential {
            StorageCredential::Anonymous => Ok(self.url.clone()),
            StorageCredential::SasEnv(var) => Ok(self.url.clone().with_sas(&read(var)?)),
            StorageCredential::AccountKeyEnv(var) => {
                let key = AccountKey::new(&self.url.account, &read(var)?)
                    .map_err(|e| format!("{var}: {e}"))?;
                Ok(self.url.clone().with_sas(&key.account_sas("rl", expiry)))
            }
            StorageCredential::TokenEnv(var) => {
                let bearer = Bearer::from_env(var).map_err(|e| e.to_string())?;
                self.url
                    .clone()
                    .with_bearer(bearer)
                    .map_err(|e| e.to_string())
            }
            StorageCredential::Entra => {
                let bearer = Bearer::entra().map_err(|e| e.to_string())?;
                self.url
                    .clone()
                    .with_bearer(bearer)
                    .map_err(|e| e.to_string())
            }
            StorageCredential::ConnectionStringEnv(var) => {
                let conn =
                    ConnectionString::parse(&read(var)?).map_err(|e| format!("{var}: {e}"))?;
                if !conn.key.account.eq_ignore_ascii_case(&self.url.account) {
                    return Err(format!(
                        "{var}: the connection string is for account {:?}, the container URL for {:?}",
                        conn.key.account, self.url.account
                    ));
                }
                Ok(self
                    .url
                    .clone()
                    .with_sas(&conn.key.account_sas("rl", expiry)))
            }
        }
    }
}

/// The storage fields of one `[[instance]]`, as read from the file.
#[derive(Debug, Default)]
pub(super) struct RawStorage {
    pub url: Option<(String, (usize, usize))>,
    pub sas_env: Option<String>,
    pub key_env: Option<String>,
    pub connection_string_env: Option<String>,
    pub token_env: Option<String>,
    /// `container_auth`: only `"entra"` is known.
    pub auth: Option<(String, (usize, usize))>,
    pub ca_file: Option<(String, (usize, usize))>,
    pub history_name: Option<(String, (usize, usize))>,
}

/// Validates the storage fields; problems carry `(line, column, message)`.
/// A relative `container_ca_file` is taken from `dir` (the config file's folder).
pub(super) fn validate(
    raw: RawStorage,
    line: usize,
    dir: &Path,
) -> Result<Option<StorageConfig>, Vec<(usize, usize, String)>> {
    let mut problems = Vec::new();
    let mut entra = None;
    if let Some((a, (al, ac))) = &raw.auth {
        if a == "entra" {
            entra = Some(StorageCredential::Entra);
        } else {
            problems.push((
                *al,
                *ac,
                format!(
                    "container_auth = {a:?}: expected \"entra\" (Entra ID through azure_identity)"
                ),
            ));
        }
    }
    let creds: Vec<(&str, StorageCredential)> = [
        (
            "container_sas_env",
            raw.sas_env.clone().map(StorageCredential::SasEnv),
        ),
        (
            "container_key_env",
            raw.key_env.clone().map(StorageCredential::AccountKeyEnv),
        ),
        (
            "container_connection_string_env",
            raw.connection_string_env
                .clone()
                .map(StorageCredential::ConnectionStringEnv),
        ),
        (
            "container_token_env",
            raw.token_env.clone().map(StorageCredential::TokenEnv),
        ),
        ("container_auth", entra),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let Some((text, (l, c))) = raw.url else {
        if let Some((k, _)) = creds.first() {
            problems.push((
                line,
                1,
                format!(
                    "{k} needs container_url = \"https://ACCOUNT.blob.core.windows.net/CONTAINER\""
                ),
            ));
        }
        if let Some((_, (l, c))) = raw.history_name {
            problems.push((l, c, "container_history_name needs container_url".into()));
        }
        if let Some((_, (l, c))) = raw.ca_file {
            problems.push((l, c, "container_ca_file needs container_url".into()));
        }
        return if problems.is_empty() {
            Ok(None)
        } else {
            Err(problems)
        };
    };
    if text.contains('?') {
        problems.push((
            l,
            c,
            "container_url carries a query (a SAS token?): tokens are not stored in the config file; put it in an environment variable and name it with container_sas_env".into(),
        ));
    }
    let url = match ContainerUrl::parse(&text) {
        Ok(u) => Some(u),
        Err(e) => {
            problems.push((l, c, format!("container_url: {e}")));
            None
        }
    };
    if creds.len() > 1 {
        let names: Vec<&str> = creds.iter().map(|(k, _)| *k).collect();
        problems.push((
            line,
            1,
            format!("give one storage credential, not {}", names.join(" and ")),
        ));
    }
    let bearer = creds
        .iter()
        .find(|(_, c)| matches!(c, StorageCredential::TokenEnv(_) | StorageCredential::Entra));
    if let (Some((k, _)), Some(u)) = (bearer, &url) {
        if !u.base.starts_with("https://") {
            problems.push((
                l,
                c,
                format!(
                    "{k} needs an https:// container_url: Entra ID tokens are only sent over TLS"
                ),
            ));
        }
    }
    for (k, cred) in &creds {
        let var = match cred {
            StorageCredential::SasEnv(v)
            | StorageCredential::AccountKeyEnv(v)
            | StorageCredential::ConnectionStringEnv(v)
            | StorageCredential::TokenEnv(v) => v,
            StorageCredential::Anonymous | StorageCredential::Entra => continue,
        };
        if var.is_empty()
            || !var
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            problems.push((
                line,
                1,
                format!("{k} = {var:?}: expected the name of an environment variable"),
            ));
        }
    }
    if let Some((h, (hl, hc))) = &raw.history_name {
        let ok = matches!(h.split_once('/'), Some((a, c)) if !a.is_empty() && !c.is_empty() && !c.contains('/'));
        if !ok {
            problems.push((
                *hl,
                *hc,
                format!("container_history_name = {h:?}: expected \"ACCOUNT/CONTAINER\""),
            ));
        }
    }
    let ca_file = match &raw.ca_file {
        Some((p, (pl, pc))) => {
            let path = dir.join(p);
            if p.trim().is_empty() {
                problems.push((*pl, *pc, "container_ca_file must not be empty".into()));
            } else if !path.is_file() {
                problems.push((
                    *pl,
                    *pc,
                    format!(
                        "container_ca_file = {p:?}: no such file ({})",
                        path.display()
                    ),
                ));
            }
            Some(path)
        }
        None => None,
    };
    match url {
        Some(url) if problems.is_empty() => Ok(Some(StorageConfig {
            url,
            credential: creds
                .into_iter()
                .next()
                .map_or(StorageCredential::Anonymous, |(_, c)| c),
            history_name: raw.history_name.map(|(h, _)| h.to_ascii_lowercase()),
            ca_file,
        })),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::sas::EMULATOR_KEY;

    fn raw(url: &str) -> RawStorage {
        RawStorage {
            url: Some((url.into(), (3, 17))),
            ..Default::default()
        }
    }

    #[test]
    fn sas_in_the_file_is_refused_without_echoing_it() {
        let e = validate(
            raw("https://a.blob.core.windows.net/c?sv=1&sig=TOPSECRET"),
            2,
            Path::new("."),
        )
        .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].0, e[0].1), (3, 17));
        assert!(!e[0].2.contains("TOPSECRET"), "{}", e[0].2);
    }

    #[test]
    fn one_credential_and_a_url() {
        let mut r = raw("https://a.blob.core.windows.net/c");
        r.sas_env = Some("A".into());
        r.key_env = Some("B".into());
        assert!(validate(r, 2, Path::new(".")).unwrap_err()[0]
            .2
            .contains("one storage credential"));
        let r = RawStorage {
            sas_env: Some("A".into()),
            ..Default::default()
        };
        assert!(validate(r, 2, Path::new(".")).unwrap_err()[0]
            .2
            .contains("needs container_url"));
        assert_eq!(
            validate(RawStorage::default(), 2, Path::new(".")).unwrap(),
            None
        );
        let s = validate(
            raw("http://127.0.0.1:10000/devstoreaccount1/b"),
            2,
            Path::new("."),
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.credential, StorageCredential::Anonymous);
        assert_eq!(s.history_key(), "devstoreaccount1/b");
    }

    #[test]
    fn a_key_becomes_a_signed_sas_and_errors_name_only_the_variable() {
        let mut r = raw("http://127.0.0.1:10000/devstoreaccount1/b");
        r.key_env = Some("CW_TEST_STORAGE_KEY_UNIT".into());
        let s = validate(r, 2, Path::new(".")).unwrap().unwrap();
        let now = Utc::now();
        let e = s.resolve(now).unwrap_err();
        assert!(e.contains("CW_TEST_STORAGE_KEY_UNIT is not set"), "{e}");
        // A variable only this test uses.
        std::env::set_var("CW_TEST_STORAGE_KEY_UNIT", EMULATOR_KEY);
        let url = s.resolve(now).unwrap();
        assert!(url.sas_token().unwrap().contains("sp=rl"));
        assert!(!format!("{url:?} {url}").contains("sig="));
        assert!(!s.describe().contains("Eby8"));
    }
}
