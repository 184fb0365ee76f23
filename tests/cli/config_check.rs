//! The config file: valid and invalid fixtures with exact messages, secrets
//! never shown, `config check` exit codes.

use std::path::Path;
use std::process::Command;

use chainwatch::config::{Auth, Config, Encrypt, InstanceConfig, PasswordSource};

fn problems(text: &str) -> Vec<String> {
    Config::parse(text, Path::new("cw.toml"))
        .unwrap_err()
        .to_string()
        .lines()
        .map(String::from)
        .collect()
}

const GOOD: &str = r#"[defaults]
horizon_days = 14
parallelism = 4

[[instance]]
name = "SQL16\\PROD"
connection = "Server=tcp:sql16.contoso.com\\PROD,1433;User ID=monitor;Encrypt=True"
password_env = "CW_PROD"
environment = "prod"
accent = "red"

[[instance]]
name = "LAB"
host = "lab"
port = 14330
user = "monitor"
password_prompt = true
trust_server_certificate = true
encrypt = "login_only"
environment = "test"

[[instance]]
name = "AZ"
connection = "Server=tcp:az.database.windows.net;Authentication=ActiveDirectoryAccessToken"
access_token_env = "CW_TOKEN"
"#;

#[test]
fn a_valid_file_gives_typed_instances() {
    let c = Config::parse(GOOD, Path::new("cw.toml")).unwrap();
    assert_eq!(c.defaults.horizon_days, 14);
    assert_eq!(c.defaults.parallelism, 4);
    assert_eq!(c.defaults.connect_timeout_secs, 10);
    let prod = &c.instances[0];
    assert_eq!(prod.host, "sql16.contoso.com");
    assert_eq!(prod.port, Some(1433));
    assert_eq!(prod.instance_name.as_deref(), Some("PROD"));
    assert_eq!(prod.encrypt, Encrypt::Required);
    assert!(!prod.trust_server_certificate && !prod.allow_writes);
    assert_eq!(prod.line, 5);
    assert_eq!(
        prod.auth,
        Auth::SqlLogin {
            user: "monitor".into(),
            password: PasswordSource::Env("CW_PROD".into())
        }
    );
    assert_eq!(c.instances[1].encrypt, Encrypt::LoginOnly);
    assert_eq!(
        c.instances[2].auth,
        Auth::AccessToken {
            env: "CW_TOKEN".into()
        }
    );
    assert_eq!(
        c.warnings(),
        vec![
            "LAB: trust_server_certificate = true: the server's certificate is NOT verified"
                .to_string()
        ]
    );
}

#[test]
fn bad_toml_names_the_line() {
    assert_eq!(
        problems("[[instance]\nname = \"A\"\n"),
        vec!["cw.toml:1:12: unclosed array table, expected `]`"]
    );
}

#[test]
fn unknown_keys_are_errors_with_their_line() {
    let text = "[[instance]]\nname = \"A\"\nhost = \"a\"\nuser = \"m\"\npassword_env = \"X\"\ncolour = \"red\"\n";
    let p = problems(text);
    assert_eq!(p.len(), 1);
    assert!(
        p[0].starts_with("cw.toml:6:1: unknown field `colour`, expected one of `name`"),
        "{}",
        p[0]
    );
    let p = problems("[defaults]\nhorizon = 3\n");
    assert!(
        p[0].starts_with("cw.toml:2:1: unknown field `horizon`"),
        "{}",
        p[0]
    );
}

#[test]
fn bad_connection_strings_and_values_are_all_reported() {
    let text = r##"[[instance]]
name = "A"
connection = "Server=tcp:a,14x33;User ID=m"
password_env = "X"

[[instance]]
name = "B"
connection = "Server=b;User ID=m;Password=hunter2;TrustServerCertificate=true"
password_env = "X"
environment = "lab"

[[instance]]
name = "A"
host = "c"
user = "m"
password_prompt = true
accent = "#12345"

[[instance]]
name = "D"
connection = "Server=d;Colour=red"

[[instance]]
name = "E"
host = "e"
user = "m"
password = "plain"
"##;
    assert_eq!(
        problems(text),
        vec![
            "cw.toml:3:14: connection: server \"tcp:a,14x33\": port \"14x33\" is not a number",
            "cw.toml:8:14: TrustServerCertificate in the connection string: set trust_server_certificate = true on the instance instead",
            "cw.toml:8:14: the connection string carries a password: remove it and use password_env or password_prompt",
            "cw.toml:10:15: environment = \"lab\": expected prod, staging, test or dev (also production, uat, qa, development, ...)",
            "cw.toml:12:1: instance \"A\" is already defined on line 1",
            "cw.toml:17:10: accent = \"#12345\": expected a colour name (red, green, yellow, blue, magenta, cyan, white, gray, light…), #rrggbb or 0-255",
            "cw.toml:21:14: connection: unknown connection string keyword \"Colour\"",
            "cw.toml:23:1: instance \"E\": say where the password comes from: password_env = \"VAR\", password_prompt = true or password_keyring = true",
            "cw.toml:27:12: passwords are not stored in the config file: use password_env = \"VAR\" or password_prompt = true",
        ]
    );
}

#[test]
fn secrets_never_show() {
    let i = InstanceConfig::from_connection_string(
        "Server=tcp:127.0.0.1,1;User ID=m;Password=hunter2;Encrypt=DANGER_PLAINTEXT",
    )
    .unwrap();
    let debug = format!("{i:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("<redacted>"));
    assert!(i.warnings()[0].contains("DANGER_PLAINTEXT"));
    // A config problem about a password never repeats it.
    let text = "[[instance]]\nname = \"B\"\nconnection = \"Server=b;User ID=m;Password=hunter2\"\npassword_env = \"X\"\n";
    assert!(!problems(text).concat().contains("hunter2"));
}

#[test]
fn config_check_exit_codes() {
    let dir = std::env::temp_dir().join(format!("cw-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, GOOD).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[instance]\n").unwrap();
    let run = |args: &[&str], env: Option<&Path>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chainwatch"));
        c.args(args).env_remove("CHAINWATCH_CONFIG");
        if let Some(p) = env {
            c.env("CHAINWATCH_CONFIG", p);
        }
        c.output().unwrap()
    };
    let out = run(
        &["config", "check", "--config", good.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("OK, 3 instances"), "{text}");
    assert!(
        text.contains("warning: LAB: trust_server_certificate"),
        "{text}"
    );
    // CHAINWATCH_CONFIG is used when --config is not given.
    let out = run(&["config", "check"], Some(&bad));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("bad.toml:1:12: unclosed array table"));
    std::fs::remove_dir_all(&dir).ok();
}
