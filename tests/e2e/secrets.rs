//! Secrets never leak: with a distinctive SQL password and a distinctive SAS
//! signature in the environment, the config and the command line, the real
//! binary runs `collect` (against the TDS test server), `check`, `config
//! check`, `blobs` (against a closed port) and the console (under tmux, with
//! HOME and the XDG dirs in a temp dir so its log file lands there, at trace
//! level). Then every stdout, stderr, snapshot, pane capture and file under
//! the temp dir is searched for the secrets. Any hit fails.
//!
//! The secrets are searched for by their distinctive cores, so a leak shows
//! up whether it is printed as given, URL-decoded or percent-encoded.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{closed_port, demo_instances, ServerOptions, TdsServer};

/// The SQL login's password, as the environment gives it.
const PASSWORD: &str = "Pw-7f3a9c-SECRET";
/// A second password, for the inline `--server` connection string.
const INLINE_PASSWORD: &str = "Pw-inline-4b8e1d-SECRET";
/// A wrong password whose login the server refuses.
const WRONG_PASSWORD: &str = "Pw-wrong-0c5e2a-SECRET";
/// The `sig=` value of a SAS token (URL-encoded, as SAS tokens are).
const SIG: &str = "Sg9d2e6bQSECRETtoken%2Bx%3D";
/// An Entra ID access token (JWT-shaped) for storage.
const TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.Tk9f4c2bSECRETsig";
/// What no output may contain: each secret's distinctive core.
const NEEDLES: &[&str] = &[
    "7f3a9c",
    "4b8e1d",
    "0c5e2a",
    "Sg9d2e6bQ",
    "SECRETtoken",
    "Tk9f4c2b",
];

fn sas() -> String {
    format!("sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&spr=https,http&sig={SIG}")
}

/// A temp home with its own XDG dirs; nothing from the machine's own config.
struct Home {
    dir: PathBuf,
}

impl Home {
    fn new(name: &str) -> Home {
        let dir = std::env::temp_dir().join(format!("cw-secrets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in [
            "input",
            "home",
            "xdg-config",
            "xdg-state",
            "xdg-data",
            "xdg-cache",
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        Home { dir }
    }

    /// Environment for the binary: temp dirs, secrets in their variables.
    fn env(&self) -> Vec<(String, String)> {
        let d = |s: &str| self.dir.join(s).display().to_string();
        vec![
            ("HOME".into(), d("home")),
            ("XDG_CONFIG_HOME".into(), d("xdg-config")),
            ("XDG_STATE_HOME".into(), d("xdg-state")),
            ("XDG_DATA_HOME".into(), d("xdg-data")),
            ("XDG_CACHE_HOME".into(), d("xdg-cache")),
            ("CW_TEST_PASSWORD".into(), PASSWORD.into()),
            ("CW_WRONG_PASSWORD".into(), WRONG_PASSWORD.into()),
            ("CW_TEST_SAS".into(), sas()),
            ("CHAINWATCH_SAS".into(), sas()),
            ("CW_TEST_TOKEN".into(), TOKEN.into()),
            ("CHAINWATCH_LOG".into(), "trace".into()),
            ("NO_COLOR".into(), "1".into()),
        ]
    }

    /// Variables that would point the binary outside the temp dirs.
    const UNSET: &'static [&'static str] = &[
        "CHAINWATCH_CONFIG",
        "CHAINWATCH_CONFIG_DIR",
        "CHAINWATCH_STATE_DIR",
        "CHAINWATCH_DATA_DIR",
        "CHAINWATCH_PASSWORD",
        "CHAINWATCH_STORAGE_CONNECTION_STRING",
    ];
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where secrets were found: one line per hit.
#[derive(Default)]
struct Scan {
    hits: Vec<String>,
    scanned: usize,
}

impl Scan {
    fn text(&mut self, what: &str, text: &str) {
        self.scanned += 1;
        for needle in NEEDLES {
            if let Some(at) = text.find(needle) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                let to = (at + needle.len() + 60).min(text.len());
                let to = (to..=text.len())
                    .find(|i| text.is_char_boundary(*i))
                    .unwrap();
                self.hits
                    .push(format!("{what}: {needle:?} in …{}…", &text[from..to]));
            }
        }
    }

    fn output(&mut self, what: &str, out: &Output) {
        self.text(
            &format!("{what} stdout"),
            &String::from_utf8_lossy(&out.stdout),
        );
        self.text(
            &format!("{what} stderr"),
            &String::from_utf8_lossy(&out.stderr),
        );
    }

    /// Every file under `dir`, recursively.
    fn tree(&mut self, dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(bytes) = std::fs::read(&p) {
                    self.text(&p.display().to_string(), &String::from_utf8_lossy(&bytes));
                    files.push(p);
                }
            }
        }
        files
    }

    /// Every file the binary could have written: the temp home and XDG dirs
    /// (not `input/`, where the test keeps its own config files).
    fn home(&mut self, home: &Home) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for sub in ["home", "xdg-config", "xdg-state", "xdg-data", "xdg-cache"] {
            files.extend(self.tree(&home.dir.join(sub)));
        }
        files
    }

    fn assert_clean(&self) {
        assert!(
            self.hits.is_empty(),
            "secrets leaked:\n{}",
            self.hits.join("\n")
        );
    }
}

/// Owned arguments for [`run_bin`].
fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Runs the binary with `env` and none of the variables of [`Home::UNSET`].
fn run_bin(env: Vec<(String, String)>, args: Vec<String>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainwatch"));
    cmd.args(&args).envs(env);
    for v in Home::UNSET {
        cmd.env_remove(v);
    }
    cmd.output().expect("run chainwatch")
}

fn write_config(home: &Home, name: &str, server: SocketAddr, storage: SocketAddr) -> PathBuf {
    let path = home.dir.join("input").join(name);
    let text = format!(
        "[defaults]\nconnect_timeout_secs = 2\nretries = 0\n\n\
         [[instance]]\nname = 'SQL16\\PROD'\n\
         connection = \"Server=tcp:{ip},{port};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\n\
         password_env = \"CW_TEST_PASSWORD\"\nenvironment = \"test\"\n\
         container_url = \"http://{sip}:{sport}/devstoreaccount1/backups\"\n\
         container_sas_env = \"CW_TEST_SAS\"\n\n\
         [[instance]]\nname = 'WRONG'\n\
         connection = \"Server=tcp:{ip},{port};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\n\
         password_env = \"CW_WRONG_PASSWORD\"\n",
        ip = server.ip(),
        port = server.port(),
        sip = storage.ip(),
        sport = storage.port(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The tests' own check that the scan can find a secret at all.
#[test]
fn the_scan_finds_a_planted_secret() {
    let mut scan = Scan::default();
    scan.text("planted", &format!("login failed for password {PASSWORD}"));
    scan.text("decoded", "sig=Sg9d2e6bQSECRETtoken+x=");
    assert_eq!(scan.hits.len(), 3, "{:?}", scan.hits);
    let clean = Scan::default();
    clean.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_commands_never_show_passwords_or_sas_tokens() {
    let served = demo_instances("2026-11-22T10:00:00Z")
        .remove("SQL16\\PROD")
        .unwrap();
    let options = ServerOptions {
        password: PASSWORD.into(),
        ..ServerOptions::default()
    };
    let server = TdsServer::start(served.clone(), options).await;
    // A second server whose login takes the password given inline.
    let inline_options = ServerOptions {
        password: INLINE_PASSWORD.into(),
        ..ServerOptions::default()
    };
    let inline_server = TdsServer::start(served, inline_options).await;
    let storage = closed_port().await;
    let home = Home::new("cli");
    let cfg = write_config(&home, "cw.toml", server.addr, storage);
    let cfg_s = cfg.display().to_string();
    let snap = home.dir.join("xdg-data").join("live.json");
    let snap_s = snap.display().to_string();
    let inline = home.dir.join("xdg-data").join("inline.json");
    let inline_s = inline.display().to_string();
    let server_string = format!(
        "Server=tcp:{},{};User ID=monitor;Password={INLINE_PASSWORD};Encrypt=DANGER_PLAINTEXT",
        inline_server.addr.ip(),
        inline_server.addr.port()
    );
    // A password with an unquoted `;` splits into what reads as keywords:
    // the parse errors must not show those pieces.
    let split_passwords = [
        "Server=tcp:127.0.0.1,1;User ID=m;Password=Pw;inline-4b8e1d-SECRET;Encrypt=True",
        "Server=tcp:127.0.0.1,1;User ID=m;Password=Pw;inline-4b8e1d-SECRET",
        "Server=tcp:127.0.0.1,1;User ID=m;Pwd=Pw;inline-4b8e1d-SECRET=x",
    ];
    let sas_url = format!(
        "http://{}:{}/devstoreaccount1/backups?{}",
        storage.ip(),
        storage.port(),
        sas()
    );
    let plain_url = format!(
        "http://{}:{}/devstoreaccount1/backups",
        storage.ip(),
        storage.port()
    );
    // A config that puts the secrets in the file: refused, without echoing them.
    let in_file = home.dir.join("input").join("sas-in-file.toml");
    std::fs::write(
        &in_file,
        format!(
            "[[instance]]\nname = 'X'\nconnection = \"Server=x;User ID=m;Password={PASSWORD}\"\n\
             password = \"{PASSWORD}\"\ncontainer_url = \"{sas_url}\"\n"
        ),
    )
    .unwrap();
    let in_file_s = in_file.display().to_string();
    // Entra ID: an instance whose container takes the token from CW_TEST_TOKEN.
    let https_url = format!(
        "https://{}:{}/devstoreaccount1/backups",
        storage.ip(),
        storage.port()
    );
    let entra_cfg = home.dir.join("input").join("entra.toml");
    std::fs::write(
        &entra_cfg,
        format!(
            "[defaults]\nconnect_timeout_secs = 2\nretries = 0\n\n\
             [[instance]]\nname = 'SQL16\\PROD'\n\
             connection = \"Server=tcp:{},{};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\n\
             password_env = \"CW_TEST_PASSWORD\"\n\
             container_url = \"{https_url}\"\ncontainer_token_env = \"CW_TEST_TOKEN\"\n",
            server.addr.ip(),
            server.addr.port()
        ),
    )
    .unwrap();
    let entra_cfg_s = entra_cfg.display().to_string();

    let runs: Vec<(&str, Vec<String>, Option<i32>)> = vec![
        (
            "collect",
            args(&[
                "collect",
                "--config",
                &cfg_s,
                "--instance",
                "SQL16\\PROD",
                "-o",
                &snap_s,
            ]),
            Some(0),
        ),
        (
            "collect wrong password",
            args(&["collect", "--config", &cfg_s, "--instance", "WRONG"]),
            None,
        ),
        (
            "collect --server",
            args(&["collect", "--server", &server_string, "-o", &inline_s]),
            Some(0),
        ),
        ("check", args(&["check", "--config", &cfg_s]), None),
        (
            "check json",
            args(&["check", "--config", &cfg_s, "--format", "json"]),
            None,
        ),
        (
            "check snapshot",
            args(&["check", "--snapshot", &snap_s]),
            None,
        ),
        (
            "config check",
            args(&["config", "check", "--config", &cfg_s]),
            Some(0),
        ),
        (
            "config check, secrets in the file",
            args(&["config", "check", "--config", &in_file_s]),
            Some(1),
        ),
        (
            "blobs, SAS in the URL",
            args(&["blobs", "--container-url", &sas_url]),
            None,
        ),
        (
            "blobs, SAS from CHAINWATCH_SAS",
            args(&["blobs", "--container-url", &plain_url, "--format", "json"]),
            None,
        ),
        (
            "blobs, SAS from the URL, checked against history",
            args(&["blobs", "--container-url", &sas_url, "--config", &cfg_s]),
            None,
        ),
        (
            "blobs, Entra ID token from --token-env",
            args(&[
                "blobs",
                "--container-url",
                &https_url,
                "--token-env",
                "CW_TEST_TOKEN",
            ]),
            None,
        ),
        (
            "blobs, Entra ID token refused over http",
            args(&[
                "blobs",
                "--container-url",
                &plain_url,
                "--token-env",
                "CW_TEST_TOKEN",
                "--format",
                "json",
            ]),
            None,
        ),
        (
            "config check, Entra ID token",
            args(&["config", "check", "--config", &entra_cfg_s]),
            Some(0),
        ),
        (
            "check, Entra ID token",
            args(&["check", "--config", &entra_cfg_s, "--format", "json"]),
            None,
        ),
    ];
    let mut runs = runs;
    for (i, text) in split_passwords.iter().enumerate() {
        let what = ["split password 1", "split password 2", "split password 3"][i];
        runs.push((what, args(&["collect", "--server", text]), None));
    }
    let mut scan = Scan::default();
    for (what, args, want) in runs {
        let env = home.env();
        let out = tokio::task::spawn_blocking(move || run_bin(env, args))
            .await
            .unwrap();
        if let Some(code) = want {
            assert_eq!(
                out.status.code(),
                Some(code),
                "{what}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if what.starts_with("blobs") || what.starts_with("split") {
            // The closed port must really have been tried and failed.
            assert_ne!(out.status.code(), Some(0), "{what}");
            assert!(!out.stderr.is_empty(), "{what}: no error shown");
        }
        scan.output(what, &out);
    }
    // The runs did reach the server: a real snapshot, a refused login.
    let text = std::fs::read_to_string(&snap).unwrap();
    assert!(text.contains("msdb.dbo.backupset"));
    assert!(inline.is_file());
    let files = scan.home(&home);
    assert!(files.contains(&snap) && files.contains(&inline));
    scan.assert_clean();
    assert!(scan.scanned >= 30 + 2);
}

/// The console, under tmux, on the configured instances (one reachable, one
/// refusing the login): pane captures and the log file must not hold them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_never_shows_or_logs_secrets() {
    if Command::new("tmux").arg("-V").output().is_err() {
        panic!("tmux is required for this test (scripts/test installs it)");
    }
    let served = demo_instances("2026-11-22T10:00:00Z")
        .remove("SQL16\\PROD")
        .unwrap();
    let options = ServerOptions {
        password: PASSWORD.into(),
        ..ServerOptions::default()
    };
    let server = TdsServer::start(served, options).await;
    let storage = closed_port().await;
    let home = Home::new("console");
    let cfg = write_config(&home, "cw.toml", server.addr, storage);
    let socket = format!("cw-secrets-{}", std::process::id());
    // Single-quoted: the SAS token holds `&`, which the shell would act on.
    let mut vars: Vec<String> = home
        .env()
        .iter()
        .map(|(k, v)| format!("'{k}={v}'"))
        .collect();
    vars.extend(Home::UNSET.iter().map(|v| format!("'{v}='")));
    let script = format!(
        "env {} {} --config {} --now 2026-11-22T10:00:00Z; echo EXITED $?; sleep 60",
        vars.join(" "),
        env!("CARGO_BIN_EXE_chainwatch"),
        cfg.display()
    );
    let tmux = |args: &[&str]| -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    tmux(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "main",
        "-x",
        "120",
        "-y",
        "40",
        &script,
    ]);
    let mut scan = Scan::default();
    let mut captures = 0;
    let mut capture = |scan: &mut Scan| {
        captures += 1;
        let screen = tmux(&["capture-pane", "-p", "-t", "main"]);
        scan.text(&format!("pane capture {captures}"), &screen);
        screen
    };
    // Wait until both configured instances are on screen, then a few more
    // seconds of refreshes (the refused login, the storage listing).
    let start = Instant::now();
    loop {
        let screen = capture(&mut scan);
        // The console's own screen (not the collection's stderr lines).
        let alternate = tmux(&["display-message", "-p", "-t", "main", "#{alternate_on}"]);
        if alternate.trim() == "1" && screen.contains("SQL16\\PROD") && screen.contains("WRONG") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "console never showed the instances:\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        capture(&mut scan);
    }
    // Walk the views most likely to show connection details.
    for keys in [
        &["Tab"][..],
        &["Tab"],
        &["Enter"],
        &["Escape"],
        &["?"],
        &["Escape"],
    ] {
        tmux(&[&["send-keys", "-t", "main"][..], keys].concat());
        tokio::time::sleep(Duration::from_millis(300)).await;
        capture(&mut scan);
    }
    tmux(&["send-keys", "-t", "main", "q"]);
    let start = Instant::now();
    loop {
        let screen = capture(&mut scan);
        if screen.contains("EXITED") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "console did not quit:\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let history = tmux(&["capture-pane", "-p", "-S", "-", "-t", "main"]);
    scan.text("pane history", &history);
    let _ = Command::new("tmux")
        .arg("-L")
        .arg(&socket)
        .arg("kill-server")
        .output();
    let files = scan.home(&home);
    let log = home.dir.join("xdg-state/chainwatch/chainwatch.log");
    assert!(
        files.contains(&log),
        "the log file landed in the temp state dir: {files:?}\n{history}"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("console starting"), "{text}");
    scan.assert_clean();
}
