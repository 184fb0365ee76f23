//! The config file: which SQL Server instances to watch and how to reach them.
//!
//! TOML, in the user's config directory (`directories`), overridden by
//! `CHAINWATCH_CONFIG` and `--config FILE`. Passwords never live in the file:
//! they come from an environment variable or a prompt, and every `Debug` of a
//! secret is redacted.
//!
//! ```toml
//! [defaults]
//! horizon_days = 30
//!
//! [[instance]]
//! name = "SQL16\\PROD"
//! connection = "Server=tcp:sql16.contoso.com\\PROD;User ID=monitor;Encrypt=True"
//! password_env = "CW_SQL16_PASSWORD"
//! environment = "prod"
//! accent = "red"
//! container_url = "https://prodstore.blob.core.windows.net/sql16-prod"  # optional
//! container_sas_env = "CW_PROD_SAS"   # or container_key_env / container_connection_string_env / container_token_env, or container_auth = "entra"
//! ```
//!
//! Policy keys (`rpo_warn`, `rpo_crit`, `full_max_age`, `diff_max_age`,
//! `log_max_age`, `grace_new_database`, `never_backed_up`, `ignore`) go in
//! `[defaults]`, an `[[instance]]` or a `[[database]]` rule (`name` glob,
//! optional `instance` glob); see `policy` and `analysis::policy_book`.

pub mod ado;
pub mod dirs;
pub mod keyring;
mod policy;
mod secret;
pub mod storage;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use ado::{Ado, Encrypt};
pub use secret::{prompt_password, Secret};
pub use storage::{StorageConfig, StorageCredential};

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "CHAINWATCH_CONFIG";

/// Collection settings shared by every instance.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Defaults {
    /// Days of backup history to read at least (the Managed Backup retention
    /// period is used when it is longer), plus the anchoring full before it.
    pub horizon_days: u32,
    pub connect_timeout_secs: u64,
    pub query_timeout_secs: u64,
    /// Instances collected at the same time.
    pub parallelism: usize,
    /// Extra attempts after a failed connection, with exponential backoff.
    pub retries: u32,
    /// `check --archive` reads an instance's whole history again (not only
    /// rows past the archived backup_set_id) when its last whole read is
    /// older than this, so msdb edits reach the archive. 0: every run.
    pub archive_reread_hours: u64,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            horizon_days: 30,
            connect_timeout_secs: 10,
            query_timeout_secs: 60,
            parallelism: 8,
            retries: 2,
            archive_reread_hours: 24,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    defaults: Option<RawDefaults>,
    #[serde(default, rename = "instance")]
    instances: Vec<Spanned<RawInstance>>,
    #[serde(default, rename = "database")]
    databases: Vec<Spanned<policy::RawDatabase>>,
}

policy::with_policy_keys! {
    /// `[defaults]`: collection settings and the policy every database starts from.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawDefaults {
        horizon_days: Option<u32>,
        connect_timeout_secs: Option<u64>,
        query_timeout_secs: Option<u64>,
        parallelism: Option<usize>,
        retries: Option<u32>,
        archive_reread_hours: Option<u64>,
    }
}

impl RawDefaults {
    fn settings(&self) -> Defaults {
        let d = Defaults::default();
        Defaults {
            horizon_days: self.horizon_days.unwrap_or(d.horizon_days),
            connect_timeout_secs: self.connect_timeout_secs.unwrap_or(d.connect_timeout_secs),
            query_timeout_secs: self.query_timeout_secs.unwrap_or(d.query_timeout_secs),
            parallelism: self.parallelism.unwrap_or(d.parallelism),
            retries: self.retries.unwrap_or(d.retries),
            archive_reread_hours: self.archive_reread_hours.unwrap_or(d.archive_reread_hours),
        }
    }
}

policy::with_policy_keys! {
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstance {
    name: Spanned<String>,
    connection: Option<Spanned<String>>,
    host: Option<String>,
    port: Option<u16>,
    instance_name: Option<String>,
    database: Option<String>,
    user: Option<String>,
    password_env: Option<String>,
    #[serde(default)]
    password_prompt: bool,
    /// `true` (the entry is the instance name) or an entry name.
    password_keyring: Option<toml::Value>,
    access_token_env: Option<String>,
    password: Option<Spanned<toml::Value>>,
    #[serde(default)]
    trust_server_certificate: bool,
    encrypt: Option<Spanned<String>>,
    #[serde(default)]
    allow_writes: bool,
    environment: Option<Spanned<String>>,
    accent: Option<Spanned<String>>,
    container_url: Option<Spanned<String>>,
    container_sas_env: Option<String>,
    container_key_env: Option<String>,
    container_connection_string_env: Option<String>,
    container_token_env: Option<String>,
    container_auth: Option<Spanned<String>>,
    container_ca_file: Option<Spanned<String>>,
    container_history_name: Option<Spanned<String>>,
}
}

/// Where a SQL login's password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// An environment variable (the default `CHAINWATCH_PASSWORD` for `--server`).
    Env(String),
    /// Asked on the terminal (no echo); where no terminal exists this fails clearly.
    Prompt,
    /// Given inside a `--server` connection string (never from the file).
    Inline(Secret),
    /// The OS keyring entry of this name (see `config::keyring`).
    Keyring(String),
}

/// How chainwatch logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    SqlLogin {
        user: String,
        password: PasswordSource,
    },
    /// An Entra ID access token read from this environment variable.
    AccessToken { env: String },
}

/// One validated instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceConfig {
    pub name: String,
    pub host: String,
    pub port: Option<u16>,
    pub instance_name: Option<String>,
    pub database: Option<String>,
    pub auth: Auth,
    pub encrypt: Encrypt,
    pub trust_server_certificate: bool,
    pub allow_writes: bool,
    pub environment: Option<String>,
    pub accent: Option<String>,
    /// The instance's backup container, checked by `check` and the console.
    pub storage: Option<StorageConfig>,
    /// Line of `[[instance]]` in the file (0 for `--server`).
    pub line: usize,
}

impl InstanceConfig {
    /// Warnings to show wherever the instance is listed.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.trust_server_certificate {
            w.push(format!(
                "{}: trust_server_certificate = true: the server's certificate is NOT verified",
                self.name
            ));
        }
        if self.encrypt == Encrypt::Plaintext {
            w.push(format!(
                "{}: Encrypt=DANGER_PLAINTEXT: the login and all traffic are unencrypted",
                self.name
            ));
        }
        if self.allow_writes {
            w.push(format!(
                "{}: allow_writes = true: chainwatch may run RESTORE and Managed Backup procedures here",
                self.name
            ));
        }
        w
    }

    /// An instance from a `--server` connection string (like `sqlcmd -S`).
    /// The password is the string's own, else `CHAINWATCH_PASSWORD`, else a prompt.
    pub fn from_connection_string(text: &str) -> Result<InstanceConfig, String> {
        let ado = Ado::parse(text)?;
        let name = match (&ado.instance_name, ado.port) {
            (Some(i), _) => format!("{}\\{i}", ado.host),
            (None, Some(p)) if p != 1433 => format!("{},{p}", ado.host),
            _ => ado.host.clone(),
        };
        let auth = if ado.access_token {
            Auth::AccessToken {
                env: "CHAINWATCH_ACCESS_TOKEN".into(),
            }
        } else {
            let user = ado
                .user
                .clone()
                .ok_or("the connection string has no User ID= (SQL login)")?;
            let password = match &ado.password {
                Some(p) => PasswordSource::Inline(Secret::new(p.clone())),
                None if std::env::var_os("CHAINWATCH_PASSWORD").is_some() => {
                    PasswordSource::Env("CHAINWATCH_PASSWORD".into())
                }
                None => PasswordSource::Prompt,
            };
            Auth::SqlLogin { user, password }
        };
        Ok(InstanceConfig {
            name,
            host: ado.host,
            port: ado.port,
            instance_name: ado.instance_name,
            database: ado.database,
            auth,
            encrypt: ado.encrypt.unwrap_or_default(),
            trust_server_certificate: ado.trust_server_certificate.unwrap_or(false),
            allow_writes: false,
            environment: None,
            accent: None,
            storage: None,
            line: 0,
        })
    }
}

/// A validated config file.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub path: PathBuf,
    pub defaults: Defaults,
    pub instances: Vec<InstanceConfig>,
    /// Per-database policy: `[defaults]`, per instance, per `[[database]]` glob.
    pub policies: crate::model::policy::PolicyBook,
}

/// Everything wrong with a config file, each with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// `(line, column, message)`, 1-based.
    pub problems: Vec<(usize, usize, String)>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (line, col, msg)) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{line}:{col}: {msg}", self.path.display())?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// The config file to use: `--config`, else `CHAINWATCH_CONFIG`, else the
/// config dir's `config.toml` when it exists (`config::dirs`).
pub fn resolve_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    dirs::default_config_path().filter(|p| p.exists())
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            problems: vec![(0, 0, format!("cannot read the config file: {e}"))],
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates config text; `path` only labels messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let fail = |problems| ConfigError {
            path: path.to_path_buf(),
            problems,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            fail(vec![(line, col, e.message().trim().to_string())])
        })?;
        let mut problems = Vec::new();
        let mut instances = Vec::new();
        let mut seen: Vec<(String, usize)> = Vec::new();
        let at = |offset: usize| line_col(text, offset);
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut book = crate::model::policy::PolicyBook::default();
        if let Some(d) = &raw.defaults {
            let layer = policy::layer(
                &d.policy_keys(),
                &file,
                "[defaults]".into(),
                &at,
                &mut problems,
            );
            book.defaults = Some(layer).filter(|l| !l.values.is_empty());
        }
        book.databases = policy::database_rules(raw.databases, path, &at, &mut problems);
        for spanned in raw.instances {
            let (line, _) = line_col(text, spanned.span().start);
            let raw = spanned.into_inner();
            let name = raw.name.get_ref().trim().to_string();
            let scope = format!("[[instance]] {name:?}");
            let layer = policy::layer(&raw.policy_keys(), &file, scope, &at, &mut problems);
            if !layer.values.is_empty() {
                book.instances.push((name.clone(), layer));
            }
            if let Some((_, prev)) = seen.iter().find(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                problems.push((
                    line,
                    1,
                    format!("instance {name:?} is already defined on line {prev}"),
                ));
            }
            seen.push((name, line));
            match validate(raw, text, line, path.parent().unwrap_or(Path::new("."))) {
                Ok(i) => instances.push(i),
                Err(mut p) => problems.append(&mut p),
            }
        }
        let defaults = raw
            .defaults
            .as_ref()
            .map(RawDefaults::settings)
            .unwrap_or_default();
        let d = &defaults;
        if d.parallelism == 0 {
            problems.push((0, 0, "defaults.parallelism must be at least 1".into()));
        }
        if d.connect_timeout_secs == 0 || d.query_timeout_secs == 0 {
            problems.push((0, 0, "defaults: timeouts must be at least 1 second".into()));
        }
        if !problems.is_empty() {
            problems.sort();
            return Err(fail(problems));
        }
        Ok(Config {
            path: path.to_path_buf(),
            defaults,
            instances,
            policies: book,
        })
    }

    pub fn warnings(&self) -> Vec<String> {
        self.instances.iter().flat_map(|i| i.warnings()).collect()
    }

    pub fn instance(&self, name: &str) -> Option<&InstanceConfig> {
        self.instances
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(name))
    }
}

fn validate(
    raw: RawInstance,
    text: &str,
    line: usize,
    dir: &Path,
) -> Result<InstanceConfig, Vec<(usize, usize, String)>> {
    let mut problems = Vec::new();
    let at = |span: std::ops::Range<usize>| line_col(text, span.start);
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty() {
        let (l, c) = at(raw.name.span());
        problems.push((l, c, "name must not be empty".to_string()));
    }
    let mut host = raw.host.clone().unwrap_or_default();
    let mut port = raw.port;
    let mut instance_name = raw.instance_name.clone();
    let mut database = raw.database.clone();
    let mut user = raw.user.clone();
    let mut encrypt = Encrypt::default();
    let mut access_token = false;
    let mut connection_ok = true;
    if let Some(p) = &raw.password {
        let (l, c) = at(p.span());
        problems.push((
            l,
            c,
            "passwords are not stored in the config file: use password_env = \"VAR\" or password_prompt = true".into(),
        ));
    }
    match (&raw.connection, &raw.host) {
        (Some(conn), None) => {
            let (l, c) = at(conn.span());
            match Ado::parse(conn.get_ref()) {
                Ok(ado) => {
                    if ado.password.is_some() {
                        problems.push((l, c, "the connection string carries a password: remove it and use password_env or password_prompt".into()));
                    }
                    if ado.trust_server_certificate == Some(true) {
                        problems.push((l, c, "TrustServerCertificate in the connection string: set trust_server_certificate = true on the instance instead".into()));
                    }
                    host = ado.host;
                    port = port.or(ado.port);
                    instance_name = instance_name.or(ado.instance_name);
                    database = database.or(ado.database);
                    user = user.or(ado.user);
                    encrypt = ado.encrypt.unwrap_or_default();
                    access_token = ado.access_token;
                }
                Err(e) => {
                    connection_ok = false;
                    problems.push((l, c, format!("connection: {e}")));
                }
            }
        }
        (None, Some(_)) => {}
        (Some(conn), Some(_)) => {
            let (l, c) = at(conn.span());
            problems.push((l, c, "give either connection or host, not both".into()));
        }
        (None, None) => problems.push((
            line,
            1,
            format!("instance {name:?} needs connection = \"Server=...\" or host = \"...\""),
        )),
    }
    if let Some(e) = &raw.encrypt {
        let (l, c) = at(e.span());
        match e.get_ref().to_ascii_lowercase().as_str() {
            "required" | "true" => encrypt = Encrypt::Required,
            "strict" => encrypt = Encrypt::Strict,
            "login_only" | "false" => encrypt = Encrypt::LoginOnly,
            "danger_plaintext" => encrypt = Encrypt::Plaintext,
            other => problems.push((
                l,
                c,
                format!("encrypt = {other:?}: expected \"required\", \"strict\", \"login_only\" or \"danger_plaintext\""),
            )),
        }
    }
    if let Some(env) = &raw.environment {
        // One list: the names the console reads (`theme::Environment`).
        if crate::theme::Environment::parse(env.get_ref()).is_none() {
            let (l, c) = at(env.span());
            problems.push((
                l,
                c,
                format!(
                    "environment = {:?}: expected {}",
                    env.get_ref(),
                    crate::theme::Environment::NAMES
                ),
            ));
        }
    }
    if let Some(a) = &raw.accent {
        let v = a.get_ref();
        // Read as themes read colours, so what is accepted is what is drawn.
        if crate::theme::parse_color(v).is_none() {
            let (l, c) = at(a.span());
            problems.push((
                l,
                c,
                format!(
                    "accent = {v:?}: expected a colour name (red, green, yellow, blue, magenta, cyan, white, gray, light…), #rrggbb or 0-255"
                ),
            ));
        }
    }
    let storage = {
        let span = |s: &Spanned<String>| (s.get_ref().clone(), at(s.span()));
        let raw_storage = storage::RawStorage {
            url: raw.container_url.as_ref().map(span),
            sas_env: raw.container_sas_env.clone(),
            key_env: raw.container_key_env.clone(),
            connection_string_env: raw.container_connection_string_env.clone(),
            token_env: raw.container_token_env.clone(),
            auth: raw.container_auth.as_ref().map(span),
            ca_file: raw.container_ca_file.as_ref().map(span),
            history_name: raw.container_history_name.as_ref().map(span),
        };
        match storage::validate(raw_storage, line, dir) {
            Ok(s) => s,
            Err(mut p) => {
                problems.append(&mut p);
                None
            }
        }
    };
    let auth = if let Some(env) = raw.access_token_env.clone() {
        Some(Auth::AccessToken { env })
    } else if access_token {
        problems.push((
            line,
            1,
            "Authentication=ActiveDirectoryAccessToken needs access_token_env = \"VAR\"".into(),
        ));
        None
    } else {
        let keyring = match &raw.password_keyring {
            None | Some(toml::Value::Boolean(false)) => None,
            Some(toml::Value::Boolean(true)) => Some(name.clone()),
            Some(toml::Value::String(entry)) if !entry.is_empty() => Some(entry.clone()),
            Some(_) => {
                problems.push((
                    line,
                    1,
                    "password_keyring is true or the name of a keyring entry".into(),
                ));
                None
            }
        };
        let sources = usize::from(raw.password_env.is_some())
            + usize::from(raw.password_prompt)
            + usize::from(keyring.is_some());
        match (&user, &raw.password_env, raw.password_prompt) {
            (Some(_), _, _) if sources > 1 => {
                problems.push((
                    line,
                    1,
                    "give one of password_env, password_prompt or password_keyring".into(),
                ));
                None
            }
            (Some(u), None, false) if keyring.is_some() => Some(Auth::SqlLogin {
                user: u.clone(),
                password: PasswordSource::Keyring(keyring.clone().unwrap_or_default()),
            }),
            (None, _, _) if !connection_ok => None,
            (None, _, _) => {
                problems.push((line, 1, format!("instance {name:?} has no user (User ID= in the connection, or user = \"...\")")));
                None
            }
            (Some(u), Some(env), false) => Some(Auth::SqlLogin {
                user: u.clone(),
                password: PasswordSource::Env(env.clone()),
            }),
            (Some(u), None, true) => Some(Auth::SqlLogin {
                user: u.clone(),
                password: PasswordSource::Prompt,
            }),
            (Some(_), Some(_), true) => {
                problems.push((
                    line,
                    1,
                    "give one of password_env, password_prompt or password_keyring".into(),
                ));
                None
            }
            (Some(_), None, false) => {
                problems.push((line, 1, format!("instance {name:?}: say where the password comes from: password_env = \"VAR\", password_prompt = true or password_keyring = true")));
                None
            }
        }
    };
    match auth {
        Some(auth) if problems.is_empty() => Ok(InstanceConfig {
            name,
            host,
            port,
            instance_name,
            database,
            auth,
            encrypt,
            trust_server_certificate: raw.trust_server_certificate,
            allow_writes: raw.allow_writes,
            environment: raw.environment.map(|e| e.into_inner()),
            accent: raw.accent.map(|a| a.into_inner()),
            storage,
            line,
        }),
        _ => Err(problems),
    }
}
