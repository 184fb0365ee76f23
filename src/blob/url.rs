//! Container URLs and their secrets.

use std::fmt;
use std::path::{Path, PathBuf};

use super::auth::Bearer;
use super::BlobError;

/// A container URL split as SQL Server splits a SAS URL: the container URL
/// (everything before `?`, also the credential's name) and the token; or,
/// instead of a SAS, an Entra ID [`Bearer`] credential. Also the extra CA
/// certificates to trust for it (a private CA, a test emulator).
#[derive(Clone, PartialEq, Eq)]
pub struct ContainerUrl {
    /// `https://acct.blob.core.windows.net/container`, no query, no trailing `/`.
    pub base: String,
    pub account: String,
    pub container: String,
    /// The SAS token without the leading `?` (secret).
    sas: Option<String>,
    /// An Entra ID credential (sent as a bearer token, HTTPS only).
    bearer: Option<Bearer>,
    /// PEM file of CA certificates trusted besides the system's.
    ca_file: Option<PathBuf>,
}

impl ContainerUrl {
    /// Parses `https://acct.blob.core.windows.net/container[?sas]` or the
    /// emulator form `http://127.0.0.1:10000/devstoreaccount1/container[?sas]`.
    pub fn parse(text: &str) -> Result<ContainerUrl, BlobError> {
        let text = text.trim();
        let (base, query) = match text.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (text, None),
        };
        let bad = |why: &str| BlobError::InvalidUrl(format!("{}: {why}", redact_url(text)));
        let (scheme, rest) = base.split_once("://").ok_or_else(|| bad("no scheme"))?;
        if scheme != "https" && scheme != "http" {
            return Err(bad("scheme must be https (or http for an emulator)"));
        }
        let rest = rest.trim_end_matches('/');
        let mut parts = rest.split('/');
        let host = parts
            .next()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?;
        let segments: Vec<&str> = parts.collect();
        let path_style = is_path_style_host(host);
        let (account, container) = match (path_style, segments.as_slice()) {
            (true, [account, container]) => (account.to_string(), container.to_string()),
            (false, [container]) => (
                host.split('.').next().unwrap_or(host).to_ascii_lowercase(),
                container.to_string(),
            ),
            _ => return Err(bad("expected exactly one container in the path")),
        };
        if account.is_empty() || container.is_empty() {
            return Err(bad("empty account or container"));
        }
        let sas = query
            .map(|q| q.trim_start_matches('?').to_string())
            .filter(|q| !q.is_empty());
        Ok(ContainerUrl {
            base: format!("{scheme}://{rest}"),
            account,
            container,
            sas,
            bearer: None,
            ca_file: None,
        })
    }

    /// The same container authenticated with an Entra ID credential instead
    /// of a SAS. Refused for plain `http://` URLs: tokens only go over TLS.
    pub fn with_bearer(mut self, bearer: Bearer) -> Result<ContainerUrl, BlobError> {
        if !self.base.starts_with("https://") {
            return Err(BlobError::Credential(format!(
                "{}: an Entra ID token is only sent over https",
                self.base
            )));
        }
        self.sas = None;
        self.bearer = Some(bearer);
        Ok(self)
    }

    pub fn bearer(&self) -> Option<&Bearer> {
        self.bearer.as_ref()
    }

    /// Also trust the CA certificates (PEM) in `path` for this container.
    pub fn with_ca_file(mut self, path: Option<&Path>) -> ContainerUrl {
        self.ca_file = path.map(Path::to_path_buf);
        self
    }

    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// The same container with this SAS token (a leading `?` is dropped).
    pub fn with_sas(mut self, token: &str) -> ContainerUrl {
        let token = token.trim().trim_start_matches('?');
        self.sas = (!token.is_empty()).then(|| token.to_string());
        self
    }

    pub fn has_sas(&self) -> bool {
        self.sas.is_some()
    }

    pub fn sas_token(&self) -> Option<&str> {
        self.sas.as_deref()
    }

    /// The URL to send requests to (with the token). Never print it.
    pub(crate) fn secret_url(&self) -> String {
        match &self.sas {
            Some(sas) => format!("{}?{sas}", self.base),
            None => self.base.clone(),
        }
    }

    /// `account/container`, the same key as [`crate::model::container_of_url`].
    pub fn key(&self) -> String {
        format!("{}/{}", self.account.to_ascii_lowercase(), self.container)
    }

    /// The URL of a blob in this container (no token).
    pub fn blob_url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    /// Text with this URL's token (and any `sig=` or bearer token) removed.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = match &self.sas {
            Some(sas) => text.replace(sas.as_str(), "<redacted>"),
            None => text.to_string(),
        };
        if let Some(b) = &self.bearer {
            text = b.scrub(&text);
        }
        scrub_signatures(&text)
    }
}

impl fmt::Debug for ContainerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerUrl")
            .field("base", &self.base)
            .field("account", &self.account)
            .field("container", &self.container)
            .field("sas", &self.sas.as_ref().map(|_| "<redacted>"))
            .field("bearer", &self.bearer)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl fmt::Display for ContainerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

/// Emulators (Azurite) put the account in the path.
fn is_path_style_host(host: &str) -> bool {
    let name = host.split(':').next().unwrap_or(host);
    name == "localhost" || name.starts_with("127.") || name == "[::1]" || name == "azurite"
}

/// A URL without its query string (where SAS tokens live): `…/c/x.bak?<redacted>`.
pub fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, q)) if !q.is_empty() => format!("{base}?<redacted>"),
        Some((base, _)) => base.to_string(),
        None => url.to_string(),
    }
}

/// Free text with the query of every URL in it cut (`…/c?<redacted>`):
/// transport errors quote the request URL, SAS and all.
pub(crate) fn scrub_url_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let after = pos + 3;
        let end = rest[after..]
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ']'))
            .map_or(rest.len(), |e| after + e);
        let url = &rest[..end];
        match url[after..].find('?') {
            Some(q) => {
                out.push_str(&url[..after + q]);
                out.push_str("?<redacted>");
            }
            None => out.push_str(url),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Replaces the value of every `sig=` and `AccountKey=` in free text, and
/// of `Bearer <token>` where the word after it is long enough to be a token.
pub(crate) fn scrub_signatures(text: &str) -> String {
    let mut out = text.to_string();
    // (marker, shortest value taken for a secret)
    for (marker, min) in [
        ("sig=", 0),
        ("AccountKey=", 0),
        ("SharedAccessSignature=", 0),
        ("Bearer ", 16),
        ("bearer ", 16),
    ] {
        let mut from = 0;
        while let Some(pos) = out[from..].find(marker) {
            let start = from + pos + marker.len();
            let end = out[start..]
                .find(|c: char| c == '&' || c == ';' || c == '"' || c == '\'' || c.is_whitespace())
                .map_or(out.len(), |e| start + e);
            if end - start < min {
                from = end;
                continue;
            }
            out.replace_range(start..end, "<redacted>");
            from = start + "<redacted>".len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_account_and_emulator_urls() {
        let u = ContainerUrl::parse(
            "https://ProdStore.blob.core.windows.net/sql16-prod?sv=2022&sig=abc%2B",
        )
        .unwrap();
        assert_eq!(u.account, "prodstore");
        assert_eq!(u.container, "sql16-prod");
        assert_eq!(u.base, "https://ProdStore.blob.core.windows.net/sql16-prod");
        assert_eq!(u.key(), "prodstore/sql16-prod");
        assert!(u.has_sas());
        let e = ContainerUrl::parse("http://127.0.0.1:10000/devstoreaccount1/backups/").unwrap();
        assert_eq!(e.key(), "devstoreaccount1/backups");
        assert!(!e.has_sas());
        assert!(ContainerUrl::parse("https://a.blob.core.windows.net/").is_err());
        assert!(ContainerUrl::parse("ftp://a/b").is_err());
    }

    #[test]
    fn secrets_never_show() {
        let u = ContainerUrl::parse("https://a.blob.core.windows.net/c?sv=1&sig=SECRET").unwrap();
        assert!(!format!("{u:?}").contains("SECRET"));
        assert!(!format!("{u}").contains("SECRET"));
        assert_eq!(
            u.scrub("GET https://a/c?sv=1&sig=SECRET failed"),
            "GET https://a/c?<redacted> failed"
        );
        assert_eq!(
            redact_url("https://a/c/x.bak?sig=S"),
            "https://a/c/x.bak?<redacted>"
        );
        assert_eq!(
            scrub_signatures("AccountKey=abc==;BlobEndpoint=x sig=zz&se=1"),
            "AccountKey=<redacted>;BlobEndpoint=x sig=<redacted>&se=1"
        );
        assert_eq!(
            scrub_url_queries("error sending request for url (https://a/c?comp=list&sig=X): refused; see http://b/x"),
            "error sending request for url (https://a/c?<redacted>): refused; see http://b/x"
        );
        assert_eq!(
            scrub_signatures("Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGci.x.y; a bearer token"),
            "Authorization: Bearer <redacted>; a bearer token"
        );
        let bad = ContainerUrl::parse("https://a.blob.core.windows.net/?sig=SECRET").unwrap_err();
        assert!(!bad.to_string().contains("SECRET"));
    }
}
