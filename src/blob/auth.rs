//! Entra ID (bearer token) credentials for a container.
//!
//! Two sources, both handed to the SDK as a [`TokenCredential`]:
//!
//! - [`Bearer::from_env`]: an access token read once from an environment
//!   variable (what `az account get-access-token --resource
//!   https://storage.azure.com/ --query accessToken -o tsv` prints). It is
//!   never refreshed: when it expires the server refuses it and the error
//!   says so, naming the variable, never the token.
//! - [`Bearer::entra`]: the `azure_identity` credentials a jump host has.
//!   With `AZURE_CLIENT_SECRET` (or `AZURE_FEDERATED_TOKEN_FILE`) set, the
//!   service principal (or workload identity) of `AZURE_TENANT_ID` /
//!   `AZURE_CLIENT_ID` alone; otherwise the Azure CLI / Azure Developer CLI
//!   login, then the machine's managed identity (user-assigned when
//!   `AZURE_CLIENT_ID` is set). The SDK refreshes these tokens itself.
//!
//! Storage only takes bearer tokens over HTTPS; the SDK refuses to send one
//! over plain HTTP.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_identity::{
    ClientSecretCredential, DeveloperToolsCredential, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};

use super::BlobError;

/// The command that prints a storage access token, for messages.
pub const AZ_TOKEN_COMMAND: &str =
    "az account get-access-token --resource https://storage.azure.com/ --query accessToken -o tsv";

/// How long the managed identity endpoint may take before the chain gives up
/// on it (off Azure, the metadata address never answers).
const MANAGED_IDENTITY_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// An Entra ID credential for one container. `Debug` and `Display` show
/// where the token comes from, never the token.
#[derive(Clone)]
pub struct Bearer(Source);

#[derive(Clone)]
enum Source {
    Env(Arc<EnvToken>),
    Entra(Arc<EntraChain>),
}

impl Bearer {
    /// The access token in `$var` (a leading `Bearer ` is accepted).
    pub fn from_env(var: &str) -> Result<Bearer, BlobError> {
        let text = std::env::var(var).unwrap_or_default();
        Ok(Bearer(Source::Env(Arc::new(EnvToken::new(var, &text)?))))
    }

    /// A token given directly (tests, and callers that hold one already);
    /// `var` names where it came from in messages.
    pub fn from_token(var: &str, token: &str) -> Result<Bearer, BlobError> {
        Ok(Bearer(Source::Env(Arc::new(EnvToken::new(var, token)?))))
    }

    /// The `azure_identity` credentials of this machine (see the module docs).
    pub fn entra() -> Result<Bearer, BlobError> {
        Ok(Bearer(Source::Entra(Arc::new(EntraChain::from_env()?))))
    }

    /// The credential to give the SDK.
    pub(crate) fn credential(&self) -> Arc<dyn TokenCredential> {
        match &self.0 {
            Source::Env(t) => t.clone(),
            Source::Entra(c) => c.clone(),
        }
    }

    /// Text with this credential's token removed (a token read from the
    /// environment is the only one we hold as text).
    pub(crate) fn scrub(&self, text: &str) -> String {
        match &self.0 {
            Source::Env(t) if !t.token.secret().is_empty() => {
                text.replace(t.token.secret(), "<redacted>")
            }
            _ => text.to_string(),
        }
    }

    /// Why the service refused this credential (401/403), for an error
    /// message: expiry first, then the service's own detail.
    pub(crate) fn refused(
        &self,
        status: u16,
        code: Option<&str>,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> String {
        // 401, or a 403 the service files under authentication: the token
        // itself was refused. Other 403s: the identity lacks a role.
        let token_refused = status == 401
            || matches!(
                code,
                Some("AuthenticationFailed" | "InvalidAuthenticationInfo")
            );
        let detail = detail
            .map(|d| format!(" (the service says: {d})"))
            .unwrap_or_default();
        match &self.0 {
            Source::Env(t) => match t.expires {
                Some(at) if at <= now => format!(
                    "the access token in ${} expired at {}{detail}; get a new one with `{AZ_TOKEN_COMMAND}`",
                    t.var,
                    at.to_rfc3339_opts(SecondsFormat::Secs, true)
                ),
                _ if token_refused => format!(
                    "the service refused the access token in ${}{detail}; it may be expired or not meant for storage (get one with `{AZ_TOKEN_COMMAND}`)",
                    t.var
                ),
                _ => format!(
                    "the identity of the access token in ${} may not read this container{detail}; it needs the Storage Blob Data Reader role on the container or its account",
                    t.var
                ),
            },
            Source::Entra(_) if token_refused => format!(
                "the service refused the Entra ID token{detail}"
            ),
            Source::Entra(_) => format!(
                "the Entra ID identity may not read this container{detail}; it needs the Storage Blob Data Reader role on the container or its account"
            ),
        }
    }
}

impl fmt::Display for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Env(t) => write!(f, "Entra ID access token from ${}", t.var),
            Source::Entra(c) => write!(f, "Entra ID ({})", c.describe()),
        }
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Bearer").field(&self.to_string()).finish()
    }
}

/// Equal when the token comes from the same place.
impl PartialEq for Bearer {
    fn eq(&self, other: &Bearer) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Bearer {}

/// A token read once from the environment; no refresh.
struct EnvToken {
    var: String,
    token: Secret,
    /// The JWT's `exp`, when the token is a JWT (it is not verified: the
    /// service does that).
    expires: Option<DateTime<Utc>>,
}

impl fmt::Debug for EnvToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvToken")
            .field("var", &self.var)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl EnvToken {
    fn new(var: &str, text: &str) -> Result<EnvToken, BlobError> {
        let mut token = text.trim();
        if token.len() > 7 && token[..7].eq_ignore_ascii_case("bearer ") {
            token = token[7..].trim_start();
        }
        if token.is_empty() {
            return Err(BlobError::Credential(format!(
                "environment variable {var} is not set (put an access token in it: `{AZ_TOKEN_COMMAND}`)"
            )));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BlobError::Credential(format!(
                "environment variable {var} does not hold one access token (it has spaces or line breaks inside)"
            )));
        }
        Ok(EnvToken {
            var: var.to_string(),
            expires: jwt_expiry(token),
            token: Secret::new(token.to_string()),
        })
    }
}

#[async_trait::async_trait]
impl TokenCredential for EnvToken {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        // Unknown expiry: say an hour, so the SDK does not ask on every request.
        let expires = self
            .expires
            .unwrap_or_else(|| Utc::now() + chrono::Duration::hours(1));
        let expires_on = azure_core::time::OffsetDateTime::from_unix_timestamp(expires.timestamp())
            .unwrap_or_else(|_| azure_core::time::OffsetDateTime::now_utc());
        Ok(AccessToken::new(self.token.clone(), expires_on))
    }
}

/// The `exp` claim of a JWT, without checking its signature.
pub fn jwt_expiry(token: &str) -> Option<DateTime<Utc>> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    let secs = exp
        .as_i64()
        .or_else(|| exp.as_f64().map(|f| f as i64))
        .or_else(|| exp.as_str().and_then(|s| s.parse().ok()))?;
    DateTime::from_timestamp(secs, 0)
}

/// `azure_identity` credentials tried in order; the first that gives a
/// token is used from then on.
struct EntraChain {
    sources: Vec<EntraSource>,
    chosen: AtomicUsize,
}

/// One credential of the chain, and how long its first token may take.
struct EntraSource {
    name: &'static str,
    credential: Arc<dyn TokenCredential>,
    limit: Option<std::time::Duration>,
}

impl EntraSource {
    fn new(name: &'static str, credential: Arc<dyn TokenCredential>) -> EntraSource {
        EntraSource {
            name,
            credential,
            limit: None,
        }
    }
}

impl fmt::Debug for EntraChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraChain")
            .field("sources", &self.describe())
            .finish_non_exhaustive()
    }
}

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl EntraChain {
    fn from_env() -> Result<EntraChain, BlobError> {
        let fail = |what: &str, e: azure_core::Error| {
            BlobError::Credential(format!("Entra ID ({what}): {}", one_line(&e.to_string())))
        };
        let mut sources = Vec::new();
        if let Some(secret) = env_value("AZURE_CLIENT_SECRET") {
            let (Some(tenant), Some(client)) =
                (env_value("AZURE_TENANT_ID"), env_value("AZURE_CLIENT_ID"))
            else {
                return Err(BlobError::Credential(
                    "Entra ID: AZURE_CLIENT_SECRET is set, so AZURE_TENANT_ID and AZURE_CLIENT_ID must be too".into(),
                ));
            };
            let c = ClientSecretCredential::new(&tenant, client, Secret::new(secret), None)
                .map_err(|e| fail("service principal", e))?;
            sources.push(EntraSource::new(
                "service principal (AZURE_CLIENT_SECRET)",
                c,
            ));
        } else if env_value("AZURE_FEDERATED_TOKEN_FILE").is_some() {
            let c =
                WorkloadIdentityCredential::new(None).map_err(|e| fail("workload identity", e))?;
            sources.push(EntraSource::new(
                "workload identity (AZURE_FEDERATED_TOKEN_FILE)",
                c,
            ));
        } else {
            let dev = DeveloperToolsCredential::new(None).map_err(|e| fail("Azure CLI", e))?;
            sources.push(EntraSource::new(
                "Azure CLI / Azure Developer CLI login",
                dev,
            ));
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: env_value("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
                ..Default::default()
            };
            match ManagedIdentityCredential::new(Some(options)) {
                // Off Azure the metadata address never answers.
                Ok(mi) => sources.push(EntraSource {
                    limit: Some(MANAGED_IDENTITY_WAIT),
                    ..EntraSource::new("managed identity", mi)
                }),
                // Not a kind of host this crate knows: the other sources remain.
                Err(e) => tracing::debug!("managed identity unavailable: {e}"),
            }
        }
        Ok(EntraChain {
            sources,
            chosen: AtomicUsize::new(usize::MAX),
        })
    }

    fn describe(&self) -> String {
        self.sources
            .iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
            .join(", then ")
    }
}

/// An error message on one line, bounded (CLI tools' errors can be long).
fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 300 {
        format!("{}…", joined.chars().take(300).collect::<String>())
    } else {
        joined
    }
}

#[async_trait::async_trait]
impl TokenCredential for EntraChain {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        if let Some(s) = self.sources.get(self.chosen.load(Ordering::Relaxed)) {
            return s.credential.get_token(scopes, options).await;
        }
        let mut failures = Vec::new();
        for (i, source) in self.sources.iter().enumerate() {
            let name = source.name;
            let attempt = source.credential.get_token(scopes, options.clone());
            let result = match source.limit {
                None => attempt.await,
                Some(limit) => match tokio::time::timeout(limit, attempt).await {
                    Ok(r) => r,
                    Err(_) => {
                        failures.push(format!(
                            "{name}: no answer within {} s (not an Azure machine?)",
                            limit.as_secs()
                        ));
                        continue;
                    }
                },
            };
            match result {
                Ok(token) => {
                    self.chosen.store(i, Ordering::Relaxed);
                    return Ok(token);
                }
                Err(e) => failures.push(format!("{name}: {}", one_line(&e.to_string()))),
            }
        }
        Err(azure_core::Error::with_message(
            ErrorKind::Credential,
            format!(
                "no Entra ID credential gave a token ({})",
                failures.join("; ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn reads_the_expiry_of_a_jwt_and_tolerates_anything_else() {
        let t = jwt(r#"{"exp":1893456000,"aud":"https://storage.azure.com"}"#);
        assert_eq!(
            jwt_expiry(&t).unwrap().to_rfc3339(),
            "2030-01-01T00:00:00+00:00"
        );
        for junk in [
            "",
            "abc",
            "a.b.c",
            "a.!!!.c",
            &jwt("[1]"),
            &jwt(r#"{"exp":"x"}"#),
        ] {
            assert_eq!(jwt_expiry(junk), None, "{junk}");
        }
    }

    #[test]
    fn env_tokens_are_checked_and_never_shown() {
        let e = Bearer::from_token("CW_T", "  ").unwrap_err().to_string();
        assert!(e.contains("CW_T is not set"), "{e}");
        let e = Bearer::from_token("CW_T", "abc\ndef")
            .unwrap_err()
            .to_string();
        assert!(e.contains("spaces or line breaks"), "{e}");
        let b = Bearer::from_token("CW_T", "Bearer TOPSECRET-1").unwrap();
        assert_eq!(b.to_string(), "Entra ID access token from $CW_T");
        assert!(!format!("{b:?}").contains("TOPSECRET"));
        assert_eq!(b.scrub("x TOPSECRET-1 y"), "x <redacted> y");
        let past = jwt(r#"{"exp":1000000000}"#);
        let b = Bearer::from_token("CW_T", &past).unwrap();
        let why = b.refused(
            403,
            Some("AuthenticationFailed"),
            Some("Lifetime validation failed."),
            Utc::now(),
        );
        assert!(
            why.starts_with("the access token in $CW_T expired at 2001-09-09T01:46:40Z"),
            "{why}"
        );
        assert!(!why.contains(&past));
        let fresh = Bearer::from_token("CW_T", "abcdefghijklmnop").unwrap();
        let why = fresh.refused(
            403,
            Some("AuthorizationPermissionMismatch"),
            None,
            Utc::now(),
        );
        assert!(why.contains("Storage Blob Data Reader"), "{why}");
        let why = fresh.refused(401, None, None, Utc::now());
        assert!(
            why.starts_with("the service refused the access token in $CW_T"),
            "{why}"
        );
    }
}
