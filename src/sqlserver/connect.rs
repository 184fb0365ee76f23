//! Opening a tiberius connection for a configured instance.

use std::time::Duration;

use tiberius::{AuthMethod, Client, Config as TdsConfig, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use super::Status;
use crate::config::{Auth, Encrypt, InstanceConfig, PasswordSource, Secret};

pub type TdsClient = Client<Compat<TcpStream>>;

/// The secret an instance logs in with, resolved once per run.
#[derive(Debug, Clone)]
pub enum Credential {
    Password { user: String, password: Secret },
    Token(Secret),
}

/// Resolves the password or token (environment variable or prompt).
pub fn credential(inst: &InstanceConfig) -> Result<Credential, String> {
    match &inst.auth {
        Auth::SqlLogin { user, password } => {
            let password = match password {
                PasswordSource::Inline(s) => s.clone(),
                PasswordSource::Env(var) => std::env::var(var)
                    .map(Secret::new)
                    .map_err(|_| format!("{}: environment variable {var} is not set", inst.name))?,
                PasswordSource::Keyring(entry) => crate::config::keyring::read(entry)
                    .map_err(|e| format!("{}: {e}", inst.name))?,
                PasswordSource::Prompt => crate::config::prompt_password(&format!(
                    "password for {user} on {}",
                    inst.name
                ))?,
            };
            Ok(Credential::Password {
                user: user.clone(),
                password,
            })
        }
        Auth::AccessToken { env } => std::env::var(env)
            .map(|t| Credential::Token(Secret::new(t)))
            .map_err(|_| format!("{}: environment variable {env} is not set", inst.name)),
    }
}

/// The tiberius config for an instance (port resolved already).
pub fn tds_config(
    inst: &InstanceConfig,
    port: u16,
    cred: &Credential,
    query_timeout: Duration,
) -> TdsConfig {
    let mut c = TdsConfig::new();
    c.host(&inst.host);
    c.port(port);
    if let Some(db) = &inst.database {
        c.database(db);
    }
    c.application_name("chainwatch");
    c.encryption(match inst.encrypt {
        Encrypt::Required => EncryptionLevel::Required,
        Encrypt::Strict => EncryptionLevel::Strict,
        Encrypt::LoginOnly => EncryptionLevel::Off,
        Encrypt::Plaintext => EncryptionLevel::NotSupported,
    });
    if inst.trust_server_certificate {
        c.trust_cert();
    }
    c.command_timeout(Some(query_timeout));
    c.authentication(match cred {
        Credential::Password { user, password } => AuthMethod::sql_server(user, password.expose()),
        Credential::Token(t) => AuthMethod::aad_token(t.expose()),
    });
    c
}

/// Asks SQL Browser (UDP 1434) for the TCP port of a named instance.
pub async fn browse(host: &str, instance: &str, timeout: Duration) -> Result<u16, String> {
    let sock = tokio::net::UdpSocket::bind("0.0.0.0:0")
        .await
        .map_err(|e| e.to_string())?;
    sock.connect((host, 1434))
        .await
        .map_err(|e| format!("SQL Browser on {host}: {e}"))?;
    let mut req = vec![0x04];
    req.extend_from_slice(instance.as_bytes());
    req.push(0);
    sock.send(&req).await.map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(timeout, sock.recv(&mut buf))
        .await
        .map_err(|_| format!("SQL Browser on {host} did not answer for instance {instance}"))?
        .map_err(|e| format!("SQL Browser on {host}: {e}"))?;
    let text = String::from_utf8_lossy(&buf[3.min(n)..n]).to_string();
    let mut parts = text.split(';');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("tcp") {
            if let Some(port) = parts.next().and_then(|p| p.parse().ok()) {
                return Ok(port);
            }
        }
    }
    Err(format!(
        "SQL Browser on {host}: instance {instance} has no TCP port"
    ))
}

/// Connects and logs in within `timeout`; failures are classified.
pub async fn connect(
    inst: &InstanceConfig,
    cred: &Credential,
    connect_timeout: Duration,
    query_timeout: Duration,
) -> Result<TdsClient, Status> {
    let attempt = async {
        let port = match (inst.port, &inst.instance_name) {
            (Some(p), _) => p,
            (None, Some(name)) => browse(&inst.host, name, connect_timeout)
                .await
                .map_err(Status::Unreachable)?,
            (None, None) => 1433,
        };
        let config = tds_config(inst, port, cred, query_timeout);
        let tcp = TcpStream::connect((inst.host.as_str(), port))
            .await
            .map_err(|e| Status::Unreachable(format!("{}:{port}: {e}", inst.host)))?;
        let _ = tcp.set_nodelay(true);
        Client::connect(config, tcp.compat_write())
            .await
            .map_err(|e| classify(&e))
    };
    match tokio::time::timeout(connect_timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(Status::Unreachable(format!(
            "no login within {} s",
            connect_timeout.as_secs_f64()
        ))),
    }
}

/// Maps a tiberius error to a per-instance status.
pub fn classify(e: &tiberius::error::Error) -> Status {
    use tiberius::error::Error as E;
    match e {
        E::Server(t) if t.code() == 18456 || t.code() == 18452 || t.code() == 18470 => {
            Status::LoginFailed(t.message().to_string())
        }
        E::Server(t) if t.code() == 4060 => Status::LoginFailed(t.message().to_string()),
        E::Tls(m) => Status::TlsError(m.clone()),
        E::Protocol(m) if m.contains("encryption") || m.contains("TLS") => {
            Status::TlsError(m.to_string())
        }
        E::Io { .. } => Status::Unreachable(e.to_string()),
        E::Routing { .. } => Status::Unreachable(e.to_string()),
        _ => Status::Failed(e.to_string()),
    }
}
