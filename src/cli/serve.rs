//! `chainwatch serve --listen ADDR [--shard I/N | --instances GLOB]`: the
//! configured instances (or this exporter's share of them), collected on
//! the console's schedule, as `/metrics`, `/healthz` and `/`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};

use crate::monitor::serve::{self, Selection, Shared};

pub struct ServeArgs<'a> {
    pub config: Option<&'a Path>,
    pub listen: &'a str,
    pub shard: Option<&'a str>,
    pub instances: Option<&'a str>,
    /// Seconds between rounds (default: the console's).
    pub every_secs: Option<u64>,
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn run(args: &ServeArgs<'_>) -> anyhow::Result<u8> {
    let path = super::live::config_path(args.config)?;
    let config = crate::config::Config::load(&path)?;
    for w in config.warnings() {
        eprintln!("chainwatch: warning: {w}");
    }
    let selection = match (args.shard, args.instances) {
        (Some(s), None) => Selection::parse_shard(s).map_err(anyhow::Error::msg)?,
        (None, Some(g)) => Selection::Glob(g.to_string()),
        (None, None) => Selection::All,
        (Some(_), Some(_)) => bail!("give --shard or --instances, not both"),
    };
    let chosen = serve::select(&config.instances, &selection);
    if chosen.is_empty() {
        bail!(
            "no configured instance is selected ({} in {})",
            config.instances.len(),
            path.display()
        );
    }
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let source = crate::app::live::LiveSource {
        archive: None,
        label,
        instances: chosen
            .iter()
            .map(|i| (i.clone(), crate::sqlserver::credential(i)))
            .collect(),
        settings: crate::sqlserver::Settings::from(&config.defaults),
        every: args
            .every_secs
            .map(std::time::Duration::from_secs)
            .unwrap_or(crate::app::live::REFRESH_EVERY),
        now_override: args.now,
        policies: config.policies.clone().into(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("chainwatch-http")
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("--listen {}", args.listen))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(chosen.len()));
        serve::start(source, shared.clone())?;
        eprintln!(
            "chainwatch serve: listening on http://{addr} ({} of {} instance(s)): /metrics /healthz /",
            chosen.len(),
            config.instances.len()
        );
        tokio::select! {
            _ = crate::monitor::http::run(listener, shared) => {}
            _ = shutdown() => eprintln!("chainwatch serve: stopping"),
        }
        anyhow::Ok(())
    })?;
    // The collector thread ends with the process.
    Ok(0)
}

/// SIGTERM or Ctrl-C.
async fn shutdown() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
