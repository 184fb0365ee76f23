//! Account keys and connection strings, turned into short-lived SAS tokens.
//!
//! The official SDK takes only SAS URLs or Entra ID. Setups that hold an
//! account key (2014-era page-blob credentials, Azurite) are served by
//! signing an account SAS here, locally: the key itself never leaves the
//! process and never reaches a log.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{BlobError, ContainerUrl};

/// The Azurite / storage emulator account.
pub const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
/// The well-known, public emulator key (documented by Microsoft; not a secret).
pub const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The SAS version we sign (string-to-sign without encryption scope).
const SAS_VERSION: &str = "2019-12-12";

/// A storage account name and its key (secret).
#[derive(Clone)]
pub struct AccountKey {
    pub account: String,
    key: Vec<u8>,
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountKey")
            .field("account", &self.account)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl AccountKey {
    /// `key` is the base64 text the portal shows.
    pub fn new(account: &str, key: &str) -> Result<AccountKey, BlobError> {
        let key = B64.decode(key.trim()).map_err(|_| {
            BlobError::Credential(format!("the key of account {account:?} is not base64"))
        })?;
        Ok(AccountKey {
            account: account.to_string(),
            key,
        })
    }

    /// An account SAS for the blob service (`ss=b`, `srt=sco`) valid until
    /// `expiry`. `permissions` in the service's order, e.g. `rl` or `rwdlac`.
    pub fn account_sas(&self, permissions: &str, expiry: DateTime<Utc>) -> String {
        let se = expiry.to_rfc3339_opts(SecondsFormat::Secs, true);
        let (ss, srt, spr) = ("b", "sco", "https,http");
        let to_sign = format!(
            "{}\n{permissions}\n{ss}\n{srt}\n\n{se}\n\n{spr}\n{SAS_VERSION}\n",
            self.account
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(to_sign.as_bytes());
        let sig = B64.encode(mac.finalize().into_bytes());
        format!(
            "sv={SAS_VERSION}&ss={ss}&srt={srt}&sp={permissions}&se={}&spr={}&sig={}",
            encode(&se),
            encode(spr),
            encode(&sig)
        )
    }
}

/// The parts of a storage connection string chainwatch uses.
#[derive(Clone)]
pub struct ConnectionString {
    pub key: AccountKey,
    /// `https://acct.blob.core.windows.net` or the emulator's `http://127.0.0.1:10000/devstoreaccount1`.
    pub blob_endpoint: String,
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionString")
            .field("key", &self.key)
            .field("blob_endpoint", &self.blob_endpoint)
            .finish()
    }
}

impl ConnectionString {
    /// `DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=…`,
    /// optionally with `BlobEndpoint=…`, or `UseDevelopmentStorage=true`.
    pub fn parse(text: &str) -> Result<ConnectionString, BlobError> {
        let mut fields = std::collections::HashMap::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                BlobError::Credential("a connection string part has no '='".into())
            })?;
            fields.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
        if fields
            .get("usedevelopmentstorage")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Ok(ConnectionString {
                key: AccountKey::new(EMULATOR_ACCOUNT, EMULATOR_KEY)?,
                blob_endpoint: format!("http://127.0.0.1:10000/{EMULATOR_ACCOUNT}"),
            });
        }
        let account = fields.get("accountname").ok_or_else(|| {
            BlobError::Credential("the connection string has no AccountName".into())
        })?;
        let key = fields.get("accountkey").ok_or_else(|| {
            BlobError::Credential("the connection string has no AccountKey".into())
        })?;
        let blob_endpoint = match fields.get("blobendpoint") {
            Some(e) => e.trim_end_matches('/').to_string(),
            None => {
                let protocol = fields
                    .get("defaultendpointsprotocol")
                    .map_or("https", String::as_str);
                let suffix = fields
                    .get("endpointsuffix")
                    .map_or("core.windows.net", String::as_str);
                format!("{protocol}://{account}.blob.{suffix}")
            }
        };
        Ok(ConnectionString {
            key: AccountKey::new(account, key)?,
            blob_endpoint,
        })
    }

    /// A container URL carrying a freshly signed read/list SAS.
    pub fn container_url(
        &self,
        container: &str,
        permissions: &str,
        expiry: DateTime<Utc>,
    ) -> Result<ContainerUrl, BlobError> {
        let url = ContainerUrl::parse(&format!("{}/{container}", self.blob_endpoint))?;
        Ok(url.with_sas(&self.key.account_sas(permissions, expiry)))
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn connection_strings_and_redaction() {
        let c = ConnectionString::parse(&format!(
            "DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey={EMULATOR_KEY};EndpointSuffix=core.windows.net"
        ))
        .unwrap();
        assert_eq!(c.blob_endpoint, "https://prodstore.blob.core.windows.net");
        assert!(!format!("{c:?}").contains("Eby8"));
        let dev = ConnectionString::parse("UseDevelopmentStorage=true").unwrap();
        assert_eq!(dev.key.account, EMULATOR_ACCOUNT);
        assert!(ConnectionString::parse("AccountName=x").is_err());
        assert!(AccountKey::new("a", "not base64!").is_err());
    }

    #[test]
    fn account_sas_is_deterministic_and_encoded() {
        let k = AccountKey::new(EMULATOR_ACCOUNT, EMULATOR_KEY).unwrap();
        let t = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
        let sas = k.account_sas("rl", t);
        assert_eq!(sas, k.account_sas("rl", t));
        assert!(sas.starts_with(
            "sv=2019-12-12&ss=b&srt=sco&sp=rl&se=2030-01-02T03%3A04%3A05Z&spr=https%2Chttp&sig="
        ));
        let sig = sas.split("sig=").nth(1).unwrap();
        assert!(!sig.contains('+') && !sig.contains('/') && !sig.contains('='));
    }
}
