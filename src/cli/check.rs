//! `chainwatch check`: every finding, with a monitoring exit code.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::print_json;
use crate::analysis::storage::{ListingOrigin, RetentionWindow};
use crate::analysis::{analyze_estate, ChainState, Finding, Severity};
use crate::monitor::storage::{self, Target};
use crate::monitor::ContainerAnswer;
use crate::sources::Loaded;

/// Containers to list besides the estate: `--container-url` and the
/// config's per-instance `container_url`s.
#[derive(Debug, Clone, Default)]
pub struct StorageArgs {
    pub container_url: Option<String>,
    /// Environment variable with the SAS for `--container-url`.
    pub sas_env: String,
    /// `account/container` as history names `--container-url`.
    pub history_container: Option<String>,
}

/// What listing one container gave, as `check` reports it.
#[derive(Debug, Serialize)]
struct StorageStatus {
    instance: Option<String>,
    container: String,
    history_container: String,
    /// `ok` or `unknown` (the listing failed: the reason says why).
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<ListingOrigin>,
    blobs: usize,
    findings: usize,
    #[serde(flatten)]
    files: crate::monitor::FileCounts,
    retention: Vec<RetentionWindow>,
}

/// The containers to list: each configured instance's (from the config the
/// estate was loaded with), then `--container-url`.
fn targets(
    config: Option<&crate::config::Config>,
    args: &StorageArgs,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Target>> {
    let mut out: Vec<Target> = config
        .map(|c| storage::configured(&c.instances, now))
        .unwrap_or_default();
    if let Some(text) = &args.container_url {
        let choice = crate::blob::given::CredentialChoice {
            sas_env: args.sas_env.clone(),
            ..Default::default()
        };
        let url = crate::blob::given::resolve_given(text, &choice, now)?;
        out.push(Target {
            instance: None,
            display: url.to_string(),
            history_key: args
                .history_container
                .clone()
                .map(|h| h.to_ascii_lowercase())
                .unwrap_or_else(|| url.key()),
            url: Ok(url),
        });
    }
    storage::dedup(&mut out);
    Ok(out)
}

/// Lists and judges every target, concurrently; a failure is that
/// container's "unknown" with the reason, never an error of `check`.
fn check_storage(
    loaded: &Loaded,
    targets: Vec<Target>,
) -> anyhow::Result<(Vec<StorageStatus>, Vec<Finding>, Vec<ContainerAnswer>)> {
    if targets.is_empty() {
        return Ok(Default::default());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listed = runtime.block_on(storage::list(targets));
    let mut statuses = Vec::new();
    let mut findings = Vec::new();
    let mut answers = Vec::new();
    for j in storage::judge(&listed, &loaded.estate, loaded.now) {
        answers.push(j.answer());
        let l = j.listed;
        match j.checked {
            Ok(c) => {
                statuses.push(StorageStatus {
                    instance: l.instance.clone(),
                    container: l.display.clone(),
                    history_container: l.history_key.clone(),
                    status: "ok",
                    reason: None,
                    origin: Some(c.origin),
                    blobs: c.check.files.len(),
                    findings: j.findings.len(),
                    files: crate::monitor::FileCounts::of(&j.findings),
                    retention: c.retention,
                });
                findings.extend(j.findings);
            }
            Err(reason) => statuses.push(StorageStatus {
                instance: l.instance.clone(),
                container: l.display.clone(),
                history_container: l.history_key.clone(),
                status: "unknown",
                reason: Some(reason),
                origin: None,
                blobs: 0,
                findings: 0,
                files: Default::default(),
                retention: Vec::new(),
            }),
        }
    }
    Ok((statuses, findings, answers))
}

/// The estate's exit code combined with storage: critical and warning
/// findings win; an unlisted container makes an otherwise clean check unknown.
fn combined_exit_code(base: i32, storage: &[Finding], storage_unknown: bool) -> i32 {
    let worst = storage.iter().map(|f| f.severity).max();
    if base == 2 || worst == Some(Severity::Critical) {
        2
    } else if base == 1 || worst == Some(Severity::Warning) {
        1
    } else if base == 3 || storage_unknown {
        3
    } else {
        0
    }
}

fn storage_line(s: &StorageStatus) -> String {
    let who = s.instance.as_deref().unwrap_or("-");
    match s.reason.as_deref() {
        Some(r) => format!("UNKN  {who}  storage {}: not listed: {r}", s.container),
        None => format!(
            "STOR  {who}  storage {}: {} blobs {}, {} finding(s)",
            s.container,
            s.blobs,
            s.origin.map_or("", |o| o.label()),
            s.findings
        ),
    }
}

/// Output of `check`: text for terminals and monitoring, JSON for tools,
/// Markdown for a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum CheckFormat {
    #[default]
    Text,
    Json,
    Markdown,
    /// Prometheus text exposition, for node_exporter's textfile collector.
    Prometheus,
    /// One monitoring-plugin status line with perfdata (Nagios, Icinga).
    Nagios,
}

#[derive(Serialize)]
struct DatabaseLine<'a> {
    instance: &'a str,
    database: &'a str,
    state: ChainState,
    worst: Option<Severity>,
    findings: usize,
    /// What the database is expected to have, as the findings judged it.
    expectation: &'a crate::analysis::Expectation,
    /// RPO, recoverable points and backup ages: what every monitoring format reads.
    #[serde(flatten)]
    answer: &'a crate::monitor::DatabaseAnswer,
    /// Recoverable windows on the current recovery path.
    windows: &'a [crate::analysis::Window],
}

#[derive(Serialize)]
struct CheckJson<'a> {
    status: &'static str,
    exit_code: u8,
    now: chrono::DateTime<chrono::Utc>,
    source: &'a str,
    instances: &'a [crate::analysis::report::InstanceStatus],
    #[serde(skip_serializing_if = "<[StorageStatus]>::is_empty")]
    storage: &'a [StorageStatus],
    databases: Vec<DatabaseLine<'a>>,
    findings: Vec<&'a Finding>,
}

fn status_word(code: i32) -> &'static str {
    match code {
        0 => "OK",
        1 => "WARNING",
        2 => "CRITICAL",
        _ => "UNKNOWN",
    }
}

pub fn run(loaded: &Loaded, format: CheckFormat, storage: &StorageArgs) -> anyhow::Result<u8> {
    let report = analyze_estate(&loaded.estate, loaded.now);
    let targets = targets(loaded.config.as_ref(), storage, Utc::now())?;
    let (storage, storage_findings, containers) = check_storage(loaded, targets)?;
    let code = combined_exit_code(
        report.exit_code(),
        &storage_findings,
        storage.iter().any(|s| s.status != "ok"),
    );
    let answers = crate::monitor::Answers::of(
        &loaded.estate,
        &report,
        code as u8,
        &loaded.runs,
        containers,
    );
    let findings: Vec<&Finding> = report
        .instances
        .iter()
        .flat_map(|i| i.findings.iter())
        .chain(report.databases.iter().flat_map(|d| d.findings.iter()))
        .chain(storage_findings.iter())
        .collect();
    match format {
        CheckFormat::Prometheus => out!("{}", crate::monitor::prometheus::render(&answers)),
        CheckFormat::Nagios => out!("{}", crate::monitor::nagios::render(&answers)),
        CheckFormat::Markdown => out!(
            "{}",
            markdown(
                &report,
                &loaded.estate.source,
                status_word(code),
                &findings,
                &storage
            )
        ),
        CheckFormat::Json => print_json(&CheckJson {
            status: status_word(code),
            exit_code: code as u8,
            now: report.now,
            source: &loaded.estate.source,
            instances: &report.instances,
            storage: &storage,
            databases: report
                .databases
                .iter()
                .zip(&answers.databases)
                .map(|(d, answer)| DatabaseLine {
                    answer,
                    instance: &d.instance,
                    database: &d.database.name,
                    state: d.health.state,
                    worst: d.worst_severity(),
                    findings: d.findings.len(),
                    expectation: &d.health.expectation,
                    windows: &d.windows,
                })
                .collect(),
            findings,
        })?,
        CheckFormat::Text => {
            let count = |s| findings.iter().filter(|f| f.severity == s).count();
            outln!(
                "{} - {} critical, {} warning, {} info in {} databases on {} instances ({}, at {})",
                status_word(code),
                count(Severity::Critical),
                count(Severity::Warning),
                count(Severity::Info),
                report.databases.len(),
                report.instances.len(),
                loaded.estate.source,
                report.now.format("%Y-%m-%dT%H:%M:%SZ"),
            );
            for i in report
                .instances
                .iter()
                .filter(|i| !i.history_collected || !i.missing_tables.is_empty())
            {
                outln!(
                    "UNKN  {}  not collected: {}",
                    i.instance,
                    i.missing_tables.join(", ")
                );
            }
            for s in &storage {
                outln!("{}", storage_line(s));
            }
            let mut sorted = findings.clone();
            sorted.sort_by_key(|f| {
                (
                    std::cmp::Reverse(f.severity),
                    f.instance.clone(),
                    f.database.clone(),
                )
            });
            for f in sorted {
                outln!(
                    "{:<4}  {}  {}  {}: {}",
                    f.severity.label(),
                    f.instance,
                    f.database.as_deref().unwrap_or("-"),
                    f.id,
                    f.title
                );
                outln!("      {}", f.explanation);
                if !f.evidence.is_empty() {
                    outln!(
                        "      evidence: backup sets {}",
                        crate::analysis::chain::join_ids(&f.evidence)
                    );
                }
                const ROWS: usize = 3;
                for r in f.rows.iter().take(ROWS) {
                    outln!("      row: {}", row_label(r));
                }
                if f.rows.len() > ROWS {
                    outln!("      row: … {} more", f.rows.len() - ROWS);
                }
            }
        }
    }
    Ok(code as u8)
}

fn row_label(r: &crate::analysis::EvidenceRow) -> String {
    match r.row {
        Some(n) => format!("{} row {n}: {}", r.table, r.text),
        None => format!("{}: {}", r.table, r.text),
    }
}

/// Every finding as Markdown, worst first, ready to paste into a ticket.
fn markdown(
    report: &crate::analysis::EstateReport,
    source: &str,
    status: &str,
    findings: &[&Finding],
    storage: &[StorageStatus],
) -> String {
    use std::fmt::Write;
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let mut out = String::new();
    let _ = writeln!(out, "# chainwatch check: {status}\n");
    let _ = writeln!(
        out,
        "{} critical, {} warning, {} info in {} databases on {} instances ({}, at {}).\n",
        count(Severity::Critical),
        count(Severity::Warning),
        count(Severity::Info),
        report.databases.len(),
        report.instances.len(),
        md(source),
        report.now.format("%Y-%m-%dT%H:%M:%SZ"),
    );
    for s in storage {
        let _ = writeln!(out, "- {}", md(&storage_line(s)));
    }
    if !storage.is_empty() {
        out.push('\n');
    }
    let mut sorted = findings.to_vec();
    sorted.sort_by_key(|f| {
        (
            std::cmp::Reverse(f.severity),
            f.instance.clone(),
            f.database.clone(),
        )
    });
    for f in sorted {
        let _ = writeln!(
            out,
            "## {} · {} · {} · `{}`\n",
            f.severity.label(),
            md(&f.instance),
            f.database
                .as_deref()
                .map(md)
                .unwrap_or_else(|| "(instance)".into()),
            f.id
        );
        let _ = writeln!(out, "**{}**\n", md(&f.title));
        let _ = writeln!(out, "{}\n", md(&f.explanation));
        if !f.evidence.is_empty() {
            let ids: Vec<String> = f.evidence.iter().map(|i| format!("#{i}")).collect();
            let _ = writeln!(out, "- Backup sets: {}", ids.join(", "));
        }
        for r in &f.rows {
            let _ = writeln!(out, "- Row: {}", md(&row_label(r)));
        }
        if !f.remedy.is_empty() {
            let _ = writeln!(out, "- Remedy: {}", md(&f.remedy));
        }
        if let Some(sql) = &f.sql {
            let _ = writeln!(out, "\n```sql\n{}\n```", sql.replace("```", "` ` `"));
        }
        out.push('\n');
    }
    out
}

/// Escapes the characters Markdown would interpret in running text.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity) -> Finding {
        Finding {
            id: "storage.test",
            severity,
            instance: "I".into(),
            database: None,
            title: String::new(),
            explanation: String::new(),
            evidence: Vec::new(),
            remedy: String::new(),
            rows: Vec::new(),
            sql: None,
            expectation: None,
        }
    }

    #[test]
    fn an_unlisted_container_is_unknown_only_when_nothing_is_worse() {
        assert_eq!(combined_exit_code(0, &[], false), 0);
        assert_eq!(combined_exit_code(0, &[], true), 3);
        assert_eq!(combined_exit_code(1, &[], true), 1);
        assert_eq!(combined_exit_code(2, &[], true), 2);
        assert_eq!(combined_exit_code(3, &[], false), 3);
        assert_eq!(combined_exit_code(0, &[finding(Severity::Info)], false), 0);
        assert_eq!(
            combined_exit_code(3, &[finding(Severity::Warning)], true),
            1
        );
        assert_eq!(
            combined_exit_code(1, &[finding(Severity::Critical)], false),
            2
        );
    }
}
