//! ADO.NET connection strings the way SSMS and sqlcmd users write them:
//! `Server=tcp:sql16.contoso.com\PROD,1433;Database=master;User ID=monitor;Encrypt=True`.

use std::fmt;

/// How a connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encrypt {
    /// TLS for the whole session, certificate verified (the default).
    #[default]
    Required,
    /// TDS 8.0 strict: TLS before the prelogin.
    Strict,
    /// Only the login packet is encrypted (`Encrypt=False`).
    LoginOnly,
    /// No TLS at all (`Encrypt=DANGER_PLAINTEXT`): test servers only.
    Plaintext,
}

/// The parts of a connection string chainwatch uses. The password, when the
/// string carries one, is kept apart and never printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Ado {
    pub host: String,
    pub port: Option<u16>,
    pub instance_name: Option<String>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub encrypt: Option<Encrypt>,
    pub trust_server_certificate: Option<bool>,
    pub application_name: Option<String>,
    pub connect_timeout_secs: Option<u64>,
    pub access_token: bool,
}

impl fmt::Debug for Ado {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ado")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("instance_name", &self.instance_name)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("encrypt", &self.encrypt)
            .field("trust_server_certificate", &self.trust_server_certificate)
            .finish_non_exhaustive()
    }
}

/// The error for a keyword right after `Password=`: most likely the rest of
/// a password with an unquoted `;`, so it is not echoed.
const SPLIT_PASSWORD: &str = "the text after Password= holds a ';': quote a password that contains ';' as '...' or {...} (the rest is not shown)";

fn is_password_key(key: &str) -> bool {
    matches!(
        key.to_ascii_lowercase().replace(' ', "").as_str(),
        "password" | "pwd"
    )
}

/// Splits `key=value;...` honouring `"..."`, `'...'` and `{...}` quoting.
fn pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ';') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
            if c == ';' {
                if out.last().is_some_and(|(k, _)| is_password_key(k)) {
                    return Err(SPLIT_PASSWORD.into());
                }
                return Err(format!(
                    "{:?} has no value (expected KEY=VALUE)",
                    key.trim()
                ));
            }
            key.push(c);
        }
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err("empty keyword before '='".into());
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        match chars.peek().copied() {
            Some(q @ ('"' | '\'' | '{')) => {
                let close = if q == '{' { '}' } else { q };
                chars.next();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    if c == close {
                        if chars.peek() == Some(&close) {
                            chars.next();
                            value.push(c);
                            continue;
                        }
                        closed = true;
                        break;
                    }
                    value.push(c);
                }
                if !closed {
                    return Err(format!("the value of {key:?} has no closing {close}"));
                }
                while chars.peek().is_some_and(|c| *c != ';') {
                    chars.next();
                }
            }
            _ => {
                while let Some(c) = chars.peek().copied() {
                    if c == ';' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                value = value.trim().to_string();
            }
        }
        out.push((key, value));
    }
}

fn boolean(key: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!("{key}={value:?} is not true or false")),
    }
}

/// Parses `Server`/`Data Source` values: `tcp:host\instance,port`, `.`, `(local)`.
pub fn parse_server(value: &str) -> Result<(String, Option<u16>, Option<String>), String> {
    let mut v = value.trim();
    for prefix in ["tcp:", "TCP:"] {
        v = v.strip_prefix(prefix).unwrap_or(v);
    }
    if v.starts_with("np:") || v.starts_with("lpc:") {
        return Err(format!(
            "server {value:?}: only TCP is supported (named pipes and shared memory are not)"
        ));
    }
    let (rest, port) = match v.rsplit_once(',') {
        Some((h, p)) => {
            let port: u16 = p
                .trim()
                .parse()
                .map_err(|_| format!("server {value:?}: port {:?} is not a number", p.trim()))?;
            (h, Some(port))
        }
        None => (v, None),
    };
    let (host, instance) = match rest.split_once('\\') {
        Some((h, i)) if !i.trim().is_empty() => (h, Some(i.trim().to_string())),
        Some((h, _)) => (h, None),
        None => (rest, None),
    };
    let host = match host.trim() {
        "." | "(local)" | "(localdb)" => "localhost".to_string(),
        "" => return Err(format!("server {value:?} names no host")),
        h => h.to_string(),
    };
    Ok((host, port, instance))
}

impl Ado {
    /// Parses a connection string; errors name the offending keyword.
    pub fn parse(text: &str) -> Result<Ado, String> {
        let mut ado = Ado::default();
        let mut server = None;
        let mut after_password = false;
        for (key, value) in pairs(text)? {
            let previous_was_password =
                std::mem::replace(&mut after_password, is_password_key(&key));
            let k = key.to_ascii_lowercase().replace(' ', "");
            match k.as_str() {
                "server" | "datasource" | "address" | "addr" | "networkaddress" => {
                    server = Some(value)
                }
                "database" | "initialcatalog" => ado.database = Some(value),
                "userid" | "uid" | "user" => ado.user = Some(value),
                "password" | "pwd" => ado.password = Some(value),
                "encrypt" => {
                    ado.encrypt = Some(match value.to_ascii_lowercase().as_str() {
                        "true" | "yes" | "mandatory" => Encrypt::Required,
                        "strict" => Encrypt::Strict,
                        "false" | "no" | "optional" => Encrypt::LoginOnly,
                        "danger_plaintext" => Encrypt::Plaintext,
                        _ => {
                            return Err(format!(
                                "Encrypt={value:?}: expected True, Strict, False or DANGER_PLAINTEXT"
                            ))
                        }
                    })
                }
                "trustservercertificate" => {
                    ado.trust_server_certificate = Some(boolean(&key, &value)?)
                }
                "applicationname" | "app" => ado.application_name = Some(value),
                "connecttimeout" | "connectiontimeout" | "timeout" => {
                    ado.connect_timeout_secs = Some(
                        value
                            .parse()
                            .map_err(|_| format!("{key}={value:?} is not a number of seconds"))?,
                    )
                }
                "authentication" => match value.to_ascii_lowercase().replace(' ', "").as_str() {
                    "sqlpassword" => {}
                    "activedirectoryaccesstoken" => ado.access_token = true,
                    _ => {
                        return Err(format!(
                        "Authentication={value:?} is not supported (SqlPassword or ActiveDirectoryAccessToken)"
                    ))
                    }
                },
                "integratedsecurity" | "trustedconnection" => {
                    if boolean(&key, &value).unwrap_or(true) {
                        return Err(format!(
                            "{key}: Windows integrated authentication is not supported; use a SQL login or an Entra ID access token"
                        ));
                    }
                }
                "multisubnetfailover" | "applicationintent" | "persistsecurityinfo"
                | "pooling" | "workstationid" | "packetsize" | "hostnameincertificate" => {}
                _ if previous_was_password => return Err(SPLIT_PASSWORD.into()),
                _ => return Err(format!("unknown connection string keyword {key:?}")),
            }
        }
        let server = server.ok_or("the connection string has no Server= (or Data Source=)")?;
        let (host, port, instance) = parse_server(&server)?;
        ado.host = host;
        ado.port = port;
        ado.instance_name = instance;
        Ok(ado)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_shapes() {
        let a = Ado::parse(
            "Server=tcp:sql16.contoso.com\\PROD,1433;Initial Catalog=master;User ID=monitor;Password='a;b''c';Encrypt=True",
        )
        .unwrap();
        assert_eq!(a.host, "sql16.contoso.com");
        assert_eq!(a.port, Some(1433));
        assert_eq!(a.instance_name.as_deref(), Some("PROD"));
        assert_eq!(a.password.as_deref(), Some("a;b'c"));
        assert_eq!(a.encrypt, Some(Encrypt::Required));
        assert!(!format!("{a:?}").contains("a;b"));
        let b = Ado::parse("Data Source=.;UID=sa").unwrap();
        assert_eq!(b.host, "localhost");
    }

    #[test]
    fn rejects_bad_strings() {
        assert_eq!(
            Ado::parse("Server=x;Colour=red").unwrap_err(),
            "unknown connection string keyword \"Colour\""
        );
        assert_eq!(
            Ado::parse("Database=x").unwrap_err(),
            "the connection string has no Server= (or Data Source=)"
        );
        assert_eq!(
            Ado::parse("Server=x,abc").unwrap_err(),
            "server \"x,abc\": port \"abc\" is not a number"
        );
    }

    #[test]
    fn a_password_split_by_an_unquoted_semicolon_is_not_echoed() {
        for text in [
            "Server=x;Password=ab;cd-Secret9;Encrypt=True",
            "Server=x;Password=ab;cd-Secret9",
            "Server=x;PWD=ab;cd-Secret9=x",
        ] {
            let err = Ado::parse(text).unwrap_err();
            assert!(!err.contains("Secret9"), "{err}");
            assert!(err.contains("quote a password"), "{err}");
        }
        // Elsewhere a bad keyword is still named, to find the typo.
        assert!(Ado::parse("Server=x;Colour;Password=p")
            .unwrap_err()
            .contains("Colour"));
        // Quoted, the same password parses.
        let a = Ado::parse("Server=x;Password='ab;cd-Secret9'").unwrap();
        assert_eq!(a.password.as_deref(), Some("ab;cd-Secret9"));
    }
}
