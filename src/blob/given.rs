//! A container URL given on the command line, and where its credential
//! comes from (configured containers resolve theirs in
//! `config::storage`). One order for every command that takes a URL:
//! the URL's own SAS, else Entra ID (asked for, or a token in
//! [`TOKEN_ENV`]), else a SAS in the named variable, else a read/list SAS
//! signed locally from a connection string in [`CONNECTION_STRING_ENV`],
//! else anonymous (public containers, emulators).

use chrono::{DateTime, Duration, Utc};

use super::sas::ConnectionString;
use super::{Bearer, BlobError, ContainerUrl};

/// Default environment variable for a SAS token.
pub const SAS_ENV: &str = "CHAINWATCH_SAS";
/// Environment variable for an account connection string.
pub const CONNECTION_STRING_ENV: &str = "CHAINWATCH_STORAGE_CONNECTION_STRING";
/// Environment variable for an Entra ID access token, used when set.
pub const TOKEN_ENV: &str = "CHAINWATCH_STORAGE_TOKEN";

/// What the command line asked for.
#[derive(Debug, Clone)]
pub struct CredentialChoice {
    /// `--entra`: azure_identity's credentials.
    pub entra: bool,
    /// `--token-env`: an Entra ID access token in this variable (must be set).
    pub token_env: Option<String>,
    /// Where a SAS token is looked for.
    pub sas_env: String,
}

impl Default for CredentialChoice {
    fn default() -> CredentialChoice {
        CredentialChoice {
            entra: false,
            token_env: None,
            sas_env: SAS_ENV.to_string(),
        }
    }
}

fn set(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// `text` with its credential, in the order of the module docs.
pub fn resolve_given(
    text: &str,
    choice: &CredentialChoice,
    now: DateTime<Utc>,
) -> Result<ContainerUrl, BlobError> {
    let url = ContainerUrl::parse(text)?;
    if url.has_sas() {
        if choice.entra || choice.token_env.is_some() {
            return Err(BlobError::Credential(format!(
                "{url}: the URL carries a SAS token; drop it to use Entra ID"
            )));
        }
        return Ok(url);
    }
    if choice.entra {
        return url.with_bearer(Bearer::entra()?);
    }
    if let Some(var) = &choice.token_env {
        return url.with_bearer(Bearer::from_env(var)?);
    }
    if set(TOKEN_ENV).is_some() {
        return url.with_bearer(Bearer::from_env(TOKEN_ENV)?);
    }
    if let Some(token) = set(&choice.sas_env) {
        return Ok(url.with_sas(&token));
    }
    if let Ok(text) = std::env::var(CONNECTION_STRING_ENV) {
        let conn = ConnectionString::parse(&text)?;
        return Ok(url.with_sas(&conn.key.account_sas("rl", now + Duration::hours(1))));
    }
    Ok(url)
}
