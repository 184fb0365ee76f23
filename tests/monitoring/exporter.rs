//! Running `chainwatch serve` against TDS test servers on loopback, and a
//! small HTTP/1.1 GET for the tests (loopback only, every wait bounded).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{bin, temp_dir};
use crate::support::{closed_port, demo_instances, Faults, ServerOptions, TdsServer, NOW};

pub const PASSWORD_ENV: &str = "CW_MON_TEST_PASSWORD";

/// A child process killed when dropped.
pub struct Running {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// TDS test servers: SQL16\PROD and SQLAG02 healthy, one that hangs after
/// prelogin, one refused port; and a config naming them.
pub struct Estate {
    pub runtime: tokio::runtime::Runtime,
    pub servers: Vec<TdsServer>,
    pub dir: PathBuf,
    pub config: PathBuf,
}

fn block(addr: SocketAddr, name: &str) -> String {
    format!(
        "[[instance]]\nname = {name:?}\nconnection = \"Server=tcp:{},{};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\npassword_env = \"{PASSWORD_ENV}\"\n\n",
        addr.ip(),
        addr.port()
    )
}

pub fn estate(tag: &str, hung: bool, policy: &str) -> Estate {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let demo = demo_instances(NOW);
    let mut servers = Vec::new();
    let mut text = format!(
        "[defaults]\nconnect_timeout_secs = 2\nquery_timeout_secs = 10\nretries = 0\n{policy}\n"
    );
    for name in ["SQL16\\PROD", "SQLAG02"] {
        let s = runtime.block_on(TdsServer::start(
            demo[name].clone(),
            ServerOptions::default(),
        ));
        text.push_str(&block(s.addr, name));
        servers.push(s);
    }
    if hung {
        let s = runtime.block_on(TdsServer::start(
            demo["SQL14\\LEGACY"].clone(),
            ServerOptions {
                faults: Faults {
                    hang_after_prelogin: true,
                    ..Faults::default()
                },
                ..ServerOptions::default()
            },
        ));
        text.push_str(&block(s.addr, "HUNG"));
        servers.push(s);
        let refused = runtime.block_on(closed_port());
        text.push_str(&block(refused, "<b>REFUSED&co</b>"));
    }
    let dir = temp_dir(tag);
    let config = dir.join("cw.toml");
    std::fs::write(&config, text).unwrap();
    Estate {
        runtime,
        servers,
        dir,
        config,
    }
}

/// Starts `chainwatch serve` on a free loopback port; waits (bounded) for its address.
pub fn serve(config: &Path, extra: &[&str]) -> Running {
    serve_with_env(config, extra, &[])
}

/// `serve` with more environment variables (a container's credential).
pub fn serve_with_env(config: &Path, extra: &[&str], env: &[(&str, &str)]) -> Running {
    let mut args = vec!["--now", NOW];
    args.extend(extra);
    start_serve(config, &args, env)
}

/// `serve` on the wall clock (no `--now`): data ages grow as time passes.
pub fn serve_on_the_clock(config: &Path) -> Running {
    start_serve(config, &[], &[])
}

fn start_serve(config: &Path, extra: &[&str], env: &[(&str, &str)]) -> Running {
    let mut child = bin()
        .env(PASSWORD_ENV, "s3cret!")
        .envs(env.iter().copied())
        .args(["serve", "--config"])
        .arg(config)
        .args(["--listen", "127.0.0.1:0", "--every-secs", "2"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref().take(50).map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                let _ = tx.send(Ok(addr));
                break;
            }
            let _ = tx.send(Err(line));
        }
        // Keep draining so the child never blocks on a full pipe.
        for _ in lines.map_while(Result::ok) {}
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Ok(addr)) => {
                return Running {
                    child,
                    addr: addr.parse().unwrap_or_else(|_| panic!("address {addr:?}")),
                }
            }
            Ok(Err(line)) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("serve printed no address within 30 s: {seen:?}");
            }
        }
    }
}

/// GET `path`: (status, body). Loopback, 10 s timeouts.
pub fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

/// Polls `path` until it answers 200 and `ok(body)`; at most `secs` seconds.
pub fn wait_for(addr: SocketAddr, path: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok((200, body)) = get(addr, path) {
            if ok(&body) {
                return body;
            }
            last = body;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{path} not ready within {secs} s; last answer:\n{last}");
}
