//! `chainwatch check`: every finding, with a monitoring exit code.

use serde::Serialize;

use super::{print_json, Format};
use crate::analysis::{analyze_estate, ChainState, Finding, Severity};
use crate::sources::Loaded;

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

pub fn run(loaded: &Loaded, format: Format) -> anyhow::Result<u8> {
    let report = analyze_estate(&loaded.estate, loaded.now);
    let code = report.exit_code();
    let findings: Vec<&Finding> = report
        .databases
        .iter()
        .flat_map(|d| d.findings.iter())
        .collect();
    match format {
        Format::Json => print_json(&CheckJson {
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
        Format::Text => {
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
            }
        }
    }
    Ok(code as u8)
}
