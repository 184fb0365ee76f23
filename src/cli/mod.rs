//! The command line: the console and its non-interactive twins.

mod blobs;
mod chain;
mod check;
mod headers;
mod live;
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
    #[command(flatten)]
    pub console: ConsoleArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How the console looks and behaves (ignored by the non-interactive commands).
#[derive(Debug, Args, Clone, Default)]
pub struct ConsoleArgs {
    /// Colour theme: default, dark, light, high-contrast, none, or a file
    /// NAME.toml in the config dir's themes/ folder.
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// No colours (as NO_COLOR does); bold and reverse video still mark things.
    #[arg(long, global = true)]
    pub no_color: bool,
    /// ASCII borders and markers, for terminals and fonts without box drawing.
    #[arg(long, global = true)]
    pub ascii: bool,
    /// Capture the mouse (wheel scrolls); off by default so text can be selected.
    #[arg(long, global = true)]
    pub mouse: bool,
    /// How `y` copies: auto (OSC 52 unless TERM is dumb/linux), osc52, off.
    #[arg(long, global = true, value_name = "MODE", default_value = "auto",
          value_parser = ["auto", "osc52", "off"])]
    pub clipboard: String,
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
    /// Backup files or folders (recursive): rebuild the history from their headers, no msdb needed.
    #[arg(long, global = true, value_name = "PATH", num_args = 1.., conflicts_with_all = ["snapshot", "config", "demo"])]
    pub files: Vec<PathBuf>,
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
        format: check::CheckFormat,
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
    /// Backup headers read from the files themselves (no SQL Server needed).
    Headers {
        /// Backup files or folders (recursive).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Compare with the msdb history in this snapshot (same files).
        #[arg(long, value_name = "SNAPSHOT")]
        against: Option<PathBuf>,
    },
    /// Writes the README screenshots (SVG, and PNG when rsvg-convert is installed).
    #[command(hide = true)]
    Screenshots {
        #[arg(long, value_name = "DIR", default_value = "screenshots")]
        out: PathBuf,
    },
    /// Live collection into a snapshot: `collect --instance NAME -o FILE`,
    /// or `collect --print-sql` for a T-SQL script that makes the same
    /// snapshot with sqlcmd. Exit 0 all collected, 1 some tables denied, 3 an
    /// instance not collected.
    Collect {
        /// One configured instance (default: all of them).
        #[arg(long, value_name = "NAME")]
        instance: Option<String>,
        /// A connection string instead of the config (like `sqlcmd -S`); the
        /// password from the string, CHAINWATCH_PASSWORD or a prompt.
        #[arg(long, value_name = "CONNECTION_STRING", conflicts_with = "instance")]
        server: Option<String>,
        /// Where to write the snapshot (default: stdout).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Print the T-SQL collection script instead of connecting.
        #[arg(long)]
        print_sql: bool,
    },
    /// The config file: `config check` validates it with line numbers.
    #[command(name = "config")]
    ConfigFile {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Lists a backup container (Azure Blob Storage) and, with a SOURCE,
    /// checks it against history. SAS from the URL or from $CHAINWATCH_SAS.
    Blobs {
        /// `https://ACCOUNT.blob.core.windows.net/CONTAINER[?SAS]`.
        #[arg(long, value_name = "URL")]
        container_url: String,
        /// Environment variable with the SAS token when the URL has none.
        #[arg(long, value_name = "VAR", default_value = blobs::SAS_ENV)]
        sas_env: String,
        /// Only blobs whose names start with this.
        #[arg(long)]
        prefix: Option<String>,
        /// `account/container` as history names it, when it differs (copies, emulators).
        #[arg(long, value_name = "ACCOUNT/CONTAINER")]
        history_container: Option<String>,
        /// Storage API version to send (x-ms-version).
        #[arg(long, value_name = "VERSION", hide = true)]
        api_version: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The embedded demo estate.
    Demo {
        /// Write the demo estate as a snapshot file.
        #[arg(long, value_name = "FILE")]
        export: PathBuf,
    },
}

/// `chainwatch config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validates the config file (exit 0 valid, 1 invalid); never shows secrets.
    Check,
}

impl SourceArgs {
    pub fn source(&self) -> Source {
        if !self.files.is_empty() {
            Source::Files(self.files.clone())
        } else if let Some(path) = &self.snapshot {
            Source::Snapshot(path.clone())
        } else if let Some(path) = &self.config {
            Source::Config(path.clone())
        } else if let Some(path) = (!self.demo)
            .then(|| crate::config::resolve_path(None))
            .flatten()
        {
            // The configured instances when a config exists (CHAINWATCH_CONFIG or the default path).
            Source::Config(path)
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
        if let Command::Headers {
            paths,
            format,
            against,
        } = command
        {
            return headers::run(paths, *format, against.as_ref());
        }
        match command {
            Command::ConfigFile {
                action: ConfigAction::Check,
            } => return live::config_check(cli.source.config.as_deref()),
            Command::Collect {
                instance,
                server,
                output,
                print_sql,
            } => {
                return live::collect(&live::CollectArgs {
                    config: cli.source.config.as_deref(),
                    instance: instance.as_deref(),
                    server: server.as_deref(),
                    output: output.as_deref(),
                    print_sql: *print_sql,
                })
            }
            _ => {}
        }
        if let Command::Screenshots { out } = command {
            return write_screenshots(out);
        }
        if let Command::Blobs {
            container_url,
            sas_env,
            prefix,
            history_container,
            api_version,
            format,
        } = command
        {
            let src = &cli.source;
            let with_history =
                src.demo || src.snapshot.is_some() || src.config.is_some() || !src.files.is_empty();
            let loaded = with_history
                .then(|| sources::load(&src.source(), now))
                .transpose()?;
            let args = blobs::BlobsArgs {
                container_url: container_url.clone(),
                sas_env: sas_env.clone(),
                prefix: prefix.clone(),
                history_container: history_container.clone(),
                api_version: api_version.clone(),
                format: *format,
            };
            return blobs::run(&args, loaded.as_ref());
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
            Command::Demo { .. }
            | Command::Blobs { .. }
            | Command::Screenshots { .. }
            | Command::Headers { .. }
            | Command::Collect { .. }
            | Command::ConfigFile { .. } => Ok(0),
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
    let c = &cli.console;
    crate::app::run(
        loaded.estate,
        crate::app::ConsoleOptions {
            now_override: now,
            theme: c.theme.clone(),
            no_color: c.no_color,
            ascii: c.ascii,
            mouse: c.mouse,
            clipboard: crate::app::ClipboardMode::parse(&c.clipboard).unwrap_or_default(),
        },
    )
}
