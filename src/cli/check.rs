//! `chainwatch check`: every finding, with a monitoring exit code.

use serde::Serialize;

use super::print_json;
use crate::analysis::{analyze_estate, ChainState, Finding, Severity};
use crate::sources::Loaded;

/// Output of `check`: text for terminals and monitoring, JSON for tools,
/// Markdown for a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum CheckFormat {
    #[default]
    Text,
    Json,
    Markdown,
}

#[derive(Serialize)]
struct DatabaseLine<'a> {
    instance: &'a str,
    database: &'a str,
    state: ChainState,
    worst: Option<Severity>,
    findings: usize,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    status: &'static str,
    exit_code: u8,
    now: chrono::DateTime<chrono::Utc>,
    source: &'a str,
    instances: &'a [crate::analysis::report::InstanceStatus],
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

pub fn run(loaded: &Loaded, format: CheckFormat) -> anyhow::Result<u8> {
    let report = analyze_estate(&loaded.estate, loaded.now);
    let code = report.exit_code();
    let findings: Vec<&Finding> = report
        .instances
        .iter()
        .flat_map(|i| i.findings.iter())
        .chain(report.databases.iter().flat_map(|d| d.findings.iter()))
        .collect();
    match format {
        CheckFormat::Markdown => print!(
            "{}",
            markdown(&report, &loaded.estate.source, status_word(code), &findings)
        ),
        CheckFormat::Json => print_json(&CheckJson {
            status: status_word(code),
            exit_code: code as u8,
            now: report.now,
            source: &loaded.estate.source,
            instances: &report.instances,
            databases: report
                .databases
                .iter()
                .map(|d| DatabaseLine {
                    instance: &d.instance,
                    database: &d.database.name,
                    state: d.health.state,
                    worst: d.worst_severity(),
                    findings: d.findings.len(),
                })
                .collect(),
            findings,
        })?,
        CheckFormat::Text => {
            let count = |s| findings.iter().filter(|f| f.severity == s).count();
            println!(
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
                println!(
                    "UNKN  {}  not collected: {}",
                    i.instance,
                    i.missing_tables.join(", ")
                );
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
                println!(
                    "{:<4}  {}  {}  {}: {}",
                    f.severity.label(),
                    f.instance,
                    f.database.as_deref().unwrap_or("-"),
                    f.id,
                    f.title
                );
                println!("      {}", f.explanation);
                if !f.evidence.is_empty() {
                    println!(
                        "      evidence: backup sets {}",
                        crate::analysis::chain::join_ids(&f.evidence)
                    );
                }
                const ROWS: usize = 3;
                for r in f.rows.iter().take(ROWS) {
                    println!("      row: {}", row_label(r));
                }
                if f.rows.len() > ROWS {
                    println!("      row: … {} more", f.rows.len() - ROWS);
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
