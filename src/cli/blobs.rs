//! `chainwatch blobs --container-url URL [--format json]`: what a backup
//! container really holds, checked against history when a SOURCE is given.
//!
//! The SAS token comes from the URL (`…/container?sv=…`) or, to keep it out
//! of shell history, from an environment variable (`CHAINWATCH_SAS` by
//! default). An account connection string in
//! `CHAINWATCH_STORAGE_CONNECTION_STRING` is turned into a one-hour read/list
//! SAS locally. Entra ID: `--entra` (azure_identity: service principal or
//! workload identity from `AZURE_*`, else the Azure CLI / azd login, else
//! managed identity), or an access token in `--token-env VAR`
//! (`CHAINWATCH_STORAGE_TOKEN` when set). `--ca-file PEM` adds CA roots
//! (a private CA, a test emulator). Output never shows a token.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{print_json, Format};
use crate::analysis::storage::{
    cross_check, history_files, retention_windows, BlobKind, ParsedName, RetentionWindow,
    StorageFile,
};
use crate::analysis::{Finding, Severity};
use crate::blob::given::{resolve_given, CredentialChoice};
use crate::blob::{list_all, AzureBlobSource, AzureOptions, ContainerUrl};
use crate::model::time::fmt_time;
use crate::sources::Loaded;

pub use crate::blob::given::SAS_ENV;

/// What `blobs` was asked.
#[derive(Debug, Clone)]
pub struct BlobsArgs {
    pub container_url: String,
    /// `--entra`, `--token-env`, `--sas-env`.
    pub credential: CredentialChoice,
    /// `--ca-file`: extra CA roots (PEM).
    pub ca_file: Option<std::path::PathBuf>,
    pub prefix: Option<String>,
    pub history_container: Option<String>,
    pub api_version: Option<String>,
    pub format: Format,
}

#[derive(Serialize)]
struct BlobsJson<'a> {
    container: String,
    history_container: &'a str,
    now: DateTime<Utc>,
    checked_against_history: bool,
    blobs: &'a [StorageFile],
    findings: &'a [Finding],
    retention: &'a [RetentionWindow],
}

/// Resolves the URL and credential (see [`crate::blob::given`]);
/// `--ca-file` applies to all.
pub fn resolve_url(args: &BlobsArgs, now: DateTime<Utc>) -> anyhow::Result<ContainerUrl> {
    Ok(resolve_given(&args.container_url, &args.credential, now)?
        .with_ca_file(args.ca_file.as_deref()))
}

/// Lists the container, cross-checks with `history` when given, prints.
pub fn run(args: &BlobsArgs, history: Option<&Loaded>) -> anyhow::Result<u8> {
    let clock = Utc::now();
    let url = resolve_url(args, clock)?;
    let key = args.history_container.clone().unwrap_or_else(|| url.key());
    let display = url.to_string();
    let source = AzureBlobSource::new(
        url,
        AzureOptions {
            api_version: args.api_version.clone(),
            ..Default::default()
        },
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listing = runtime.block_on(list_all(&source, args.prefix.as_deref(), None))?;
    let now = history.map_or(clock, |l| l.now);
    let (check, retention) = match history {
        Some(loaded) => {
            let h = history_files(&loaded.estate, now);
            let check = cross_check(&key, &h, &listing, now);
            let retention = retention_windows(&loaded.estate, &check, now);
            (check, retention)
        }
        None => (
            cross_check(&key, &Default::default(), &listing, now),
            Vec::new(),
        ),
    };
    // Without history every blob is "unknown": report only what history can judge.
    let findings: Vec<Finding> = if history.is_some() {
        check.findings.clone()
    } else {
        Vec::new()
    };
    let code = match findings.iter().map(|f| f.severity).max() {
        Some(Severity::Critical) => 2,
        Some(Severity::Warning) => 1,
        _ => 0,
    };
    match args.format {
        Format::Json => print_json(&BlobsJson {
            container: display,
            history_container: &key,
            now,
            checked_against_history: history.is_some(),
            blobs: &check.files,
            findings: &findings,
            retention: &retention,
        })?,
        Format::Text => out!(
            "{}",
            text(
                &display,
                &check.files,
                &findings,
                &retention,
                history.is_some()
            )
        ),
    }
    Ok(code)
}

fn text(
    container: &str,
    files: &[StorageFile],
    findings: &[Finding],
    retention: &[RetentionWindow],
    with_history: bool,
) -> String {
    let mut out = String::new();
    let total: u64 = files.iter().map(|f| f.entry.size).sum();
    out += &format!(
        "{container}: {} blobs, {}\n",
        files.len(),
        crate::text::size(total)
    );
    for f in files {
        let shape = match &f.parsed {
            ParsedName::Managed(m) => format!(
                "{} {}{}",
                match m.kind {
                    BlobKind::Full => "full",
                    BlobKind::Log => "log ",
                },
                f.database.as_deref().unwrap_or(&m.db_prefix),
                m.stripe.map(|s| format!(" stripe {s}")).unwrap_or_default()
            ),
            ParsedName::Other => "other".into(),
        };
        out += &format!(
            "  {:<70} {:>10}  {}  {}\n",
            f.entry.name,
            crate::text::size(f.entry.size),
            fmt_time(f.entry.last_modified),
            shape
        );
    }
    if !with_history {
        out +=
            "(no SOURCE given: add --snapshot FILE or --demo to check the blobs against history)\n";
        return out;
    }
    for r in retention {
        out += &format!(
            "retention {}/{}: {} days promised from {}, recoverable from {}{}\n",
            r.instance,
            r.database,
            r.retention_days,
            fmt_time(Some(r.promised_from)),
            fmt_time(r.recoverable_from),
            if r.is_short() {
                format!(" (short: {})", r.reasons.join("; "))
            } else {
                String::new()
            }
        );
        out += &format!("  [{}] now\n", crate::ui::retention_bar::ascii_bar(r, 56));
        if let Some(e) = r.next_expiring.first() {
            out += &format!(
                "  next deletion {}: {} file(s); then recoverable from {}\n",
                fmt_time(Some(e.at)),
                e.files.len(),
                fmt_time(e.earliest_after)
            );
        }
    }
    if findings.is_empty() {
        out += "storage matches history\n";
    }
    for f in findings {
        out += &format!(
            "{} {} {}{}: {}\n    {}\n",
            f.severity.label(),
            f.id,
            f.instance,
            f.database
                .as_deref()
                .map(|d| format!("/{d}"))
                .unwrap_or_default(),
            f.title,
            f.explanation
        );
        for r in f.rows.iter().take(5) {
            out += &format!("    - {}\n", r.text);
        }
        if f.rows.len() > 5 {
            out += &format!("    - ... {} more\n", f.rows.len() - 5);
        }
        if !f.remedy.is_empty() {
            out += &format!("    remedy: {}\n", f.remedy);
        }
    }
    out
}
