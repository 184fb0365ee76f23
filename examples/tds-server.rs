//! Serves one instance of a snapshot over TDS, so the live path can be tried
//! without a SQL Server:
//!
//! ```text
//! cargo run --example tds-server -- --snapshot demo.json --listen 127.0.0.1:14330 --login monitor:s3cret!
//! chainwatch collect --server "Server=tcp:127.0.0.1,14330;User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT" -o live.json
//! ```
//!
//! `--instance NAME` picks the instance (default: the first). The server is the
//! one the integration tests use (tests/support/tds).

#[path = "../tests/support/tds/mod.rs"]
mod tds;

use chainwatch::snapshot::Snapshot;
use tds::{ServerOptions, TdsServer};

fn usage() -> ! {
    eprintln!(
        "usage: tds-server --snapshot FILE [--listen 127.0.0.1:14330] [--login USER:PASSWORD] [--instance NAME]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (mut snapshot, mut listen, mut login, mut instance) = (
        None,
        "127.0.0.1:14330".to_string(),
        "monitor:s3cret!".to_string(),
        None,
    );
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--snapshot" => snapshot = Some(v),
            "--listen" => listen = v,
            "--login" => login = v,
            "--instance" => instance = Some(v),
            _ => usage(),
        }
    }
    let path = snapshot.unwrap_or_else(|| usage());
    let snap = Snapshot::from_file(std::path::Path::new(&path)).unwrap_or_else(|e| {
        eprintln!("tds-server: {e}");
        std::process::exit(1)
    });
    let inst = match &instance {
        Some(n) => snap
            .instances
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(n)),
        None => snap.instances.first(),
    }
    .cloned()
    .unwrap_or_else(|| {
        eprintln!("tds-server: no such instance in {path}");
        std::process::exit(1)
    });
    let (user, password) = login.split_once(':').unwrap_or_else(|| usage());
    let options = ServerOptions {
        user: user.into(),
        password: password.into(),
        ..ServerOptions::default()
    };
    let name = inst.name.clone();
    let server = TdsServer::start_on(&listen, inst, options)
        .await
        .unwrap_or_else(|e| {
            eprintln!("tds-server: cannot listen on {listen}: {e}");
            std::process::exit(1)
        });
    eprintln!(
        "serving {name} on {} (login {user}); connection string:\n  Server=tcp:{},{};User ID={user};Password=…;Encrypt=DANGER_PLAINTEXT",
        server.addr,
        server.addr.ip(),
        server.addr.port()
    );
    let _ = tokio::signal::ctrl_c().await;
}
