//! The command line: the console and its non-interactive twins.

mod chain;
mod check;
mod plan;
mod time;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::sources::{self, Source};

pub use time::parse_target_time;

#[derive(Debug, Parser)]
#[command(
    name = "chainwatch",
    version,
    about = "Terminal operations console for SQL Server backups: log chains, retention windows, restore plans"
)]
pub struct Cli {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// SOURCE: where the estate comes from (accepted before or after the subcommand).
#[derive(Debug, Args, Clone, Default)]
pub struct SourceArgs {
    /// Use the embedded demo estate.
    #[arg(long, global = true, conflicts_with_all = ["snapshot", "config"])]
    pub demo: bool,
    /// Read a chainwatch.snapshot.v1 JSON file.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "config")]
    pub snapshot: Option<PathBuf>,
    /// Use this config file instead of the default one.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Judge the estate at this instant (ISO-8601; default: the snapshot's
    /// collected_at, or the clock for the demo).
    #[arg(long, global = true, value_name = "TIME", hide = true)]
    pub now: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum PlanFormat {
    #[default]
    Text,
    Json,
    Tsql,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Findings for every database; exit 0 OK, 1 warning, 2 critical, 3 unknown.
    Check {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Chains, breaks and recoverable windows of one database.
    Chain {
        #[arg(long)]
        database: String,
        #[arg(long)]
        instance: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The restore plan for a database: latest, a time, or an LSN.
    Plan {
        #[arg(long)]
        database: String,
        #[arg(long)]
        instance: Option<String>,
        /// Target time: server local time unless it carries Z or an offset.
        #[arg(long, conflicts_with = "lsn")]
        at: Option<String>,
        /// Target LSN (decimal digits, or vlf:block:slot hex).
        #[arg(long)]
        lsn: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: PlanFormat,
    },
    /// Writes the README screenshots (SVG, and PNG when rsvg-convert is installed).
    #[command(hide = true)]
    Screenshots {
        #[arg(long, value_name = "DIR", default_value = "screenshots")]
        out: PathBuf,
    },
    /// The embedded demo estate.
    Demo {
        /// Write the demo estate as a snapshot file.
        #[arg(long, value_name = "FILE")]
        export: PathBuf,
    },
}

impl SourceArgs {
    pub fn source(&self) -> Source {
        if let Some(path) = &self.snapshot {
            Source::Snapshot(path.clone())
        } else if let Some(path) = &self.config {
            Source::Config(path.clone())
        } else {
            Source::Demo
        }
    }

    pub fn now(&self) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
        self.now
            .as_deref()
            .map(|t| match crate::snapshot::parse_datetime(t) {
                Some(t) => Ok(t.to_utc(0)),
                None => anyhow::bail!("--now {t:?} is not an ISO-8601 date and time"),
            })
            .transpose()
    }
}

/// Runs a non-interactive command. `None` means "open the console".
pub fn run_command(cli: &Cli) -> Option<ExitCode> {
    let command = cli.command.as_ref()?;
    let is_check = matches!(command, Command::Check { .. });
    let result = (|| -> anyhow::Result<u8> {
        let now = cli.source.now()?;
        if let Command::Demo { export } = command {
            let now = now.unwrap_or_else(chrono::Utc::now);
            let text = serde_json::to_string_pretty(&crate::demo::generate(now))?;
            std::fs::write(export, text + "\n")
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", export.display()))?;
            eprintln!("wrote the demo estate to {}", export.display());
            return Ok(0);
        }
        if let Command::Screenshots { out } = command {
            return write_screenshots(out);
        }
        let loaded = sources::load(&cli.source.source(), now)?;
        match command {
            Command::Check { format } => check::run(&loaded, *format),
            Command::Chain {
                database,
                instance,
                format,
            } => chain::run(&loaded, instance.as_deref(), database, *format),
            Command::Plan {
                database,
                instance,
                at,
                lsn,
                format,
            } => plan::run(
                &loaded,
                instance.as_deref(),
                database,
                at.as_deref(),
                lsn.as_deref(),
                *format,
            ),
            Command::Demo { .. } | Command::Screenshots { .. } => Ok(0),
        }
    })();
    Some(match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("chainwatch: {e:#}");
            // Monitoring convention: a check that cannot judge is UNKNOWN.
            ExitCode::from(if is_check { 3 } else { 1 })
        }
    })
}

/// Writes every screenshot as SVG, then PNG through `rsvg-convert` if present.
fn write_screenshots(dir: &std::path::Path) -> anyhow::Result<u8> {
    std::fs::create_dir_all(dir)?;
    for (name, svg) in crate::ui::screenshots::render_all()? {
        let svg_path = dir.join(format!("{name}.svg"));
        std::fs::write(&svg_path, svg)?;
        let png_path = dir.join(format!("{name}.png"));
        match std::process::Command::new("rsvg-convert")
            .arg("-o")
            .arg(&png_path)
            .arg(&svg_path)
            .status()
        {
            Ok(s) if s.success() => {
                eprintln!("wrote {} and {}", svg_path.display(), png_path.display())
            }
            _ => eprintln!(
                "wrote {} (install librsvg2-bin for PNG)",
                svg_path.display()
            ),
        }
    }
    Ok(0)
}

/// Writes JSON to stdout.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Opens the console on the chosen source.
pub fn open_console(cli: &Cli) -> anyhow::Result<()> {
    let now = cli.source.now()?;
    let loaded = sources::load(&cli.source.source(), now)?;
    crate::app::run(
        loaded.estate,
        crate::app::ConsoleOptions { now_override: now },
    )
}
