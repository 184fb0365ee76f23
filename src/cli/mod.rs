//! The command line: the console and its non-interactive twins.

/// `println!` for command output: a closed pipe ends the command quietly.
macro_rules! outln {
    () => { $crate::cli::out::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::out::write(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` for command output: a closed pipe ends the command quietly.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::out::write(format_args!($($arg)*)) };
}

mod archive;
mod blobs;
mod chain;
mod check;
mod config_init;
mod doctor;
mod headers;
mod history;
mod live;
pub mod out;
mod plan;
mod restore;
mod serve;
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

/// How the console looks and behaves: options of the console alone, so the
/// other commands neither list nor accept them.
#[derive(Debug, Args, Clone, Default)]
pub struct ConsoleArgs {
    /// Colour theme: default, dark, light, high-contrast, none, or a file
    /// NAME.toml in the config dir's themes/ folder.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// No colours (as NO_COLOR does); bold and reverse video still mark things.
    #[arg(long)]
    pub no_color: bool,
    /// ASCII borders and markers, for terminals and fonts without box drawing.
    #[arg(long)]
    pub ascii: bool,
    /// Capture the mouse (wheel scrolls); off by default so text can be selected.
    #[arg(long)]
    pub mouse: bool,
    /// How `y` copies: auto (OSC 52 unless TERM is dumb/linux), osc52, off.
    #[arg(long, value_name = "MODE", default_value = "auto",
          value_parser = ["auto", "osc52", "off"])]
    pub clipboard: String,
    /// Show times in utc, server (each SQL Server's own clock, from the
    /// offsets its backups recorded) or local (this machine's); `z` cycles.
    #[arg(long, value_name = "ZONE", default_value = "utc",
          value_parser = ["utc", "server", "local"])]
    pub time: String,
}

/// SOURCE: where the estate comes from (accepted before or after the subcommand).
#[derive(Debug, Args, Clone, Default)]
pub struct SourceArgs {
    /// Use the embedded demo estate.
    #[arg(long, global = true, conflicts_with_all = ["snapshot", "config"])]
    pub demo: bool,
    /// Read a chainwatch.snapshot.v1 JSON file (with --config: judged by that config's policy).
    #[arg(long, global = true, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Backup files or folders (recursive), or container URLs: rebuild the history from their headers, no msdb needed.
    #[arg(long, global = true, value_name = "PATH", num_args = 1.., conflicts_with_all = ["snapshot", "config", "demo"])]
    pub files: Vec<PathBuf>,
    /// Use this config file instead of the default one.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The archive of catalog history (default for archive, history and
    /// report: `<data dir>/archive/<config name>.sqlite`). With a config, the
    /// console and `check` start from it, read only newer rows, and store them.
    #[arg(long, global = true, value_name = "FILE")]
    pub archive: Option<PathBuf>,
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
        /// Also list this backup container and check it against history
        /// (configured instances' `container_url`s are always checked).
        #[arg(long, value_name = "URL")]
        container_url: Option<String>,
        /// Environment variable with the SAS token for --container-url.
        #[arg(long, value_name = "VAR", default_value = blobs::SAS_ENV)]
        sas_env: String,
        /// `account/container` as history names --container-url, when it differs.
        #[arg(long, value_name = "ACCOUNT/CONTAINER")]
        history_container: Option<String>,
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
        /// Plan on the recovery path that ends on this fork (a branch the
        /// database left after a point-in-time restore) instead of the current one.
        #[arg(long, value_name = "FORK_GUID")]
        fork: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: PlanFormat,
    },
    /// Prints the restore script, or runs it with --execute (needs
    /// allow_writes in the config and --confirm with the database name).
    Restore(restore::RestoreArgs),
    /// Prints sys.sp_rda_reauthorize_db for a restored Stretch-enabled
    /// database, or runs it (and the verify queries) with --execute.
    Reauthorize(restore::ReauthorizeArgs),
    /// Managed Backup's on-demand backup (keeps the chain): prints the
    /// statement, or runs it with --execute and --confirm NAME.
    BackupNow(restore::BackupNowArgs),
    /// Backup headers read from the files themselves (no SQL Server needed).
    Headers {
        /// Backup files or folders (recursive), or container URLs (two ranged GETs per blob).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Compare with the msdb history in this snapshot (same files).
        #[arg(long, value_name = "SNAPSHOT")]
        against: Option<PathBuf>,
        /// Extra CA roots (PEM) for containers behind a private CA.
        #[arg(long, value_name = "PEM")]
        ca_file: Option<PathBuf>,
        /// Print times in server (the zone the header recorded), utc or
        /// local (this machine's); each time carries its zone.
        #[arg(long, value_name = "ZONE", default_value = "server",
              value_parser = ["utc", "server", "local"])]
        time: String,
    },
    /// Writes the README screenshots (SVG, and PNG when rsvg-convert is installed).
    #[command(hide = true)]
    Screenshots {
        #[arg(long, value_name = "DIR", default_value = "screenshots")]
        out: PathBuf,
    },
    /// Connects, runs every catalog query and says per object OK, not on
    /// this version, or denied / not visible with the GRANT that fixes it.
    /// Exit 0 all visible, 1 something not visible, 2 no backup history, 3 no connection.
    Doctor {
        /// One configured instance (default: all of them).
        #[arg(long, value_name = "NAME")]
        instance: Option<String>,
        /// A connection string instead of the config.
        #[arg(long, value_name = "CONNECTION_STRING", conflicts_with = "instance")]
        server: Option<String>,
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
    /// checks it against history. SAS from the URL or from $CHAINWATCH_SAS;
    /// Entra ID with --entra or an access token in $CHAINWATCH_STORAGE_TOKEN.
    Blobs {
        /// `https://ACCOUNT.blob.core.windows.net/CONTAINER[?SAS]`.
        #[arg(long, value_name = "URL")]
        container_url: String,
        /// Environment variable with the SAS token when the URL has none.
        #[arg(long, value_name = "VAR", default_value = blobs::SAS_ENV)]
        sas_env: String,
        /// Entra ID: an access token for storage in this variable (from
        /// `az account get-access-token --resource https://storage.azure.com/`).
        /// Without it, $CHAINWATCH_STORAGE_TOKEN is used when set.
        #[arg(long, value_name = "VAR", conflicts_with = "entra")]
        token_env: Option<String>,
        /// Entra ID through azure_identity: AZURE_* service principal or
        /// workload identity, else the Azure CLI / azd login, else managed identity.
        #[arg(long)]
        entra: bool,
        /// Also trust the CA certificates in this PEM file (a private CA,
        /// a test emulator). Certificates are always verified.
        #[arg(long, value_name = "PEM")]
        ca_file: Option<PathBuf>,
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
    /// The archive of catalog history: `archive import SNAPSHOT…`, `archive export`, `archive info`.
    Archive {
        #[command(subcommand)]
        action: archive::ArchiveAction,
    },
    /// Recoverability of one database over the past (windows, breaks, RPO at
    /// each moment), from the archive.
    History(history::HistoryArgs),
    /// Reports from the archive: `report compliance`.
    Report {
        #[command(subcommand)]
        kind: history::ReportKind,
    },
    /// Exporter: collects the configured instances on the console's
    /// schedule and serves /metrics (Prometheus), /healthz and / (status page).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:9187 (port 0: any free port, printed).
        #[arg(long, value_name = "ADDR")]
        listen: String,
        /// Collect only shard I of N (1-based; by a stable hash of the instance name).
        #[arg(long, value_name = "I/N", conflicts_with = "instances")]
        shard: Option<String>,
        /// Collect only the instances whose names match this glob.
        #[arg(long, value_name = "GLOB")]
        instances: Option<String>,
        /// Seconds between collection rounds (default: the console's 60).
        #[arg(long, value_name = "SECS", hide = true)]
        every_secs: Option<u64>,
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
    Check {
        /// Print the effective policy of INSTANCE/DATABASE and where each value comes from.
        #[arg(long, value_name = "INSTANCE/DB")]
        explain: Option<String>,
    },
    /// Writes a commented config template (never over an existing file).
    Init,
    /// Stores an instance's password in the OS keyring (for
    /// `password_keyring = true`): asked without echo, or read from --from-env.
    SetPassword {
        #[arg(long)]
        instance: String,
        /// Read the password from this environment variable instead of asking.
        #[arg(long, value_name = "VAR")]
        from_env: Option<String>,
    },
    /// Removes an instance's password from the OS keyring.
    ForgetPassword {
        #[arg(long)]
        instance: String,
    },
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
            .map(|t| match crate::model::catalog::parse_datetime(t) {
                Some(t) => Ok(t.to_utc(0)),
                None => anyhow::bail!("--now {t:?} is not an ISO-8601 date and time"),
            })
            .transpose()
    }
}

/// Runs a non-interactive command. `None` means "open the console".
pub fn run_command(cli: &Cli) -> Option<ExitCode> {
    let command = cli.command.as_ref()?;
    let is_check = matches!(command, Command::Check { .. } | Command::Doctor { .. });
    // plan / restore: 0 reachable, 1 not reachable, 2 bad arguments or input.
    let is_plan = matches!(command, Command::Plan { .. } | Command::Restore { .. });
    let result = (|| -> anyhow::Result<u8> {
        let now = cli.source.now()?;
        let src = &cli.source;
        let config = src.config.as_deref();
        match command {
            Command::Demo { export } => export_demo(export, now),
            Command::Headers {
                paths,
                format,
                against,
                ca_file,
                time,
            } => headers::run(
                paths,
                *format,
                against.as_ref(),
                ca_file.as_deref(),
                crate::model::zone::Zone::parse(time).unwrap_or(crate::model::zone::Zone::Server),
            ),
            Command::ConfigFile { action } => match action {
                ConfigAction::Check { explain } => live::config_check(config, explain.as_deref()),
                ConfigAction::Init => config_init::run(config),
                ConfigAction::SetPassword { instance, from_env } => {
                    live::set_password(config, instance, from_env.as_deref())
                }
                ConfigAction::ForgetPassword { instance } => {
                    live::forget_password(config, instance)
                }
            },
            Command::Doctor { instance, server } => {
                doctor::run(config, instance.as_deref(), server.as_deref())
            }
            Command::Serve {
                listen,
                shard,
                instances,
                every_secs,
            } => serve::run(&serve::ServeArgs {
                config,
                listen,
                shard: shard.as_deref(),
                instances: instances.as_deref(),
                every_secs: *every_secs,
                now,
            }),
            Command::Collect {
                instance,
                server,
                output,
                print_sql,
            } => live::collect(&live::CollectArgs {
                config,
                instance: instance.as_deref(),
                server: server.as_deref(),
                output: output.as_deref(),
                print_sql: *print_sql,
            }),
            Command::Archive { action } => archive::run(action, src),
            Command::History(args) => history::history(args, src),
            Command::Report { kind } => history::report(kind, src),
            Command::Screenshots { out } => write_screenshots(out),
            Command::Blobs {
                container_url,
                sas_env,
                token_env,
                entra,
                ca_file,
                prefix,
                history_container,
                api_version,
                format,
            } => {
                let loaded = load_if_given(src, now)?;
                let args = blobs::BlobsArgs {
                    container_url: container_url.clone(),
                    credential: crate::blob::given::CredentialChoice {
                        entra: *entra,
                        token_env: token_env.clone(),
                        sas_env: sas_env.clone(),
                    },
                    ca_file: ca_file.clone(),
                    prefix: prefix.clone(),
                    history_container: history_container.clone(),
                    api_version: api_version.clone(),
                    format: *format,
                };
                blobs::run(&args, loaded.as_ref())
            }
            Command::Check {
                format,
                container_url,
                sas_env,
                history_container,
            } => {
                let storage = check::StorageArgs {
                    container_url: container_url.clone(),
                    sas_env: sas_env.clone(),
                    history_container: history_container.clone(),
                };
                check::run(&load(src, now)?, *format, &storage)
            }
            Command::Chain {
                database,
                instance,
                format,
            } => chain::run(&load(src, now)?, instance.as_deref(), database, *format),
            Command::Restore(args) => restore::restore(&load(src, now)?, args),
            Command::BackupNow(args) => restore::backup_now(&load(src, now)?, args),
            Command::Reauthorize(args) => restore::reauthorize(&load(src, now)?, args),
            Command::Plan {
                database,
                instance,
                at,
                lsn,
                fork,
                format,
            } => plan::run(
                &load(src, now)?,
                instance.as_deref(),
                database,
                at.as_deref(),
                lsn.as_deref(),
                fork.as_deref(),
                *format,
            ),
        }
    })();
    Some(match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("chainwatch: {e:#}");
            // A monitoring plugin always prints its one status line.
            if matches!(
                command,
                Command::Check {
                    format: check::CheckFormat::Nagios,
                    ..
                }
            ) {
                out!("{}", crate::monitor::nagios::unknown(&format!("{e:#}")));
            }
            // Monitoring convention: a check that cannot judge is UNKNOWN.
            ExitCode::from(if is_check {
                3
            } else if is_plan {
                2
            } else {
                1
            })
        }
    })
}

/// `demo --export FILE`: the demo estate as a snapshot.
fn export_demo(
    export: &std::path::Path,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<u8> {
    let now = now.unwrap_or_else(chrono::Utc::now);
    let text = serde_json::to_string_pretty(&crate::demo::generate(now))?;
    std::fs::write(export, text + "\n")
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", export.display()))?;
    eprintln!("wrote the demo estate to {}", export.display());
    Ok(0)
}

/// The SOURCE a command reads (the archive stands in for live servers when
/// given; a config's policies apply to a snapshot), its warnings printed.
fn load(
    src: &SourceArgs,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<sources::Loaded> {
    let mut loaded = match (&src.source(), &src.archive) {
        (Source::Config(config), Some(file)) => archive::load_live(config, file, now)?,
        (source, _) => sources::load(source, now)?,
    };
    print_warnings(&loaded);
    if let (Source::Snapshot(_), Some(path)) = (src.source(), &src.config) {
        loaded.estate.policies = crate::config::Config::load(path)?.policies.into();
    }
    Ok(loaded)
}

/// The SOURCE when one was given on the command line (`blobs` works without).
fn load_if_given(
    src: &SourceArgs,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<Option<sources::Loaded>> {
    let given = src.demo || src.snapshot.is_some() || src.config.is_some() || !src.files.is_empty();
    let loaded = given
        .then(|| sources::load(&src.source(), now))
        .transpose()?;
    if let Some(l) = &loaded {
        print_warnings(l);
    }
    Ok(loaded)
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
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// What a load had to say without failing, on stderr.
fn print_warnings(loaded: &sources::Loaded) {
    for w in &loaded.warnings {
        eprintln!("chainwatch: {w}");
    }
}

/// Opens the console on the chosen source.
pub fn open_console(cli: &Cli) -> anyhow::Result<()> {
    let now = cli.source.now()?;
    let source = cli.source.source();
    // Loaded once: a bad config stops here with its message.
    let config = match &source {
        sources::Source::Config(path) => Some(crate::config::Config::load(path)?),
        _ => None,
    };
    let c = &cli.console;
    let options = crate::app::ConsoleOptions {
        now_override: now,
        theme: c.theme.clone(),
        no_color: c.no_color,
        ascii: c.ascii,
        mouse: c.mouse,
        clipboard: crate::app::ClipboardMode::parse(&c.clipboard).unwrap_or_default(),
        zone: crate::model::zone::Zone::parse(&c.time).unwrap_or_default(),
        config,
    };
    if source == sources::Source::Demo {
        // Building the demo takes a few hundred ms: draw first, build behind.
        let at = now.unwrap_or_else(chrono::Utc::now);
        let load = Box::new(move || sources::demo_estate(at));
        return crate::console::run_loading("demo estate", load, options);
    }
    if let (sources::Source::Config(path), Some(config)) = (&source, &options.config) {
        let archive = cli.source.archive.as_deref();
        let live = live_source(path, config, now, archive);
        return crate::console::run_live(live, options);
    }
    let mut loaded = sources::load(&source, now)?;
    print_warnings(&loaded);
    if let Some(path) = &cli.source.config {
        loaded.estate.policies = crate::config::Config::load(path)?.policies.into();
    }
    crate::console::run(loaded.estate, options)
}

/// The configured instances for the console's live refresh. Credentials
/// are resolved here, before the terminal is taken, so a prompt works.
fn live_source(
    path: &std::path::Path,
    config: &crate::config::Config,
    now: Option<chrono::DateTime<chrono::Utc>>,
    archive: Option<&std::path::Path>,
) -> crate::app::live::LiveSource {
    for w in config.warnings() {
        eprintln!("chainwatch: warning: {w}");
    }
    let instances = config
        .instances
        .iter()
        .map(|i| (i.clone(), crate::sqlserver::credential(i)))
        .collect();
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    crate::app::live::LiveSource {
        label,
        instances,
        settings: crate::sqlserver::Settings::from(&config.defaults),
        every: crate::app::live::REFRESH_EVERY,
        now_override: now,
        archive: archive.map(std::path::Path::to_path_buf),
        policies: config.policies.clone().into(),
    }
}
