//! `check --format nagios`: one status line and perfdata, as the
//! monitoring-plugins guidelines define them (Nagios, Icinga, Naemon,
//! Checkmk's classic checks); the exit code is the check's 0/1/2/3.

use std::fmt::Write;

use super::answers::Answers;
use crate::analysis::Severity;

const WORDS: [&str; 4] = ["OK", "WARNING", "CRITICAL", "UNKNOWN"];
/// Databases named in the status text, worst first.
const NAMED: usize = 3;

/// Status text without `|` or line breaks (they would end the text).
fn text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '|' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// A perfdata label: quoted, `'` doubled, `=` (never allowed) replaced.
fn label(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| match c {
            '=' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("'{}'", clean.replace('\'', "''"))
}

/// The one status line of a check that could not judge (exit 3): what
/// went wrong instead of an empty output, which Nagios shows as "(null)".
pub fn unknown(reason: &str) -> String {
    format!("CHAINWATCH {} - {}\n", WORDS[3], text(reason.trim()))
}

pub fn render(a: &Answers) -> String {
    let count = |s: Severity| -> usize {
        a.databases
            .iter()
            .flat_map(|d| d.findings.iter())
            .chain(a.instances.iter().flat_map(|i| i.findings.iter()))
            .filter(|((sev, _), _)| *sev == s)
            .map(|(_, n)| n)
            .sum()
    };
    let (crit, warn, info) = (
        count(Severity::Critical),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let down = a.instances.iter().filter(|i| !i.up).count();
    let mut line = format!(
        "CHAINWATCH {} - {crit} critical, {warn} warning, {info} info in {} databases on {} instances",
        WORDS[usize::from(a.status.min(3))],
        a.databases.len(),
        a.instances.len()
    );
    if down > 0 {
        let _ = write!(line, ", {down} not collected");
    }
    let mut worst: Vec<_> = a
        .databases
        .iter()
        .filter(|d| d.status == 1 || d.status == 2)
        .collect();
    worst.sort_by_key(|d| {
        (
            std::cmp::Reverse(d.status),
            std::cmp::Reverse(d.rpo_seconds),
        )
    });
    if !worst.is_empty() {
        let named: Vec<String> = worst
            .iter()
            .take(NAMED)
            .map(|d| {
                let sev = if d.status == 2 {
                    Severity::Critical
                } else {
                    Severity::Warning
                };
                let rules: Vec<&str> = d
                    .findings
                    .keys()
                    .filter(|(s, _)| *s == sev)
                    .map(|(_, r)| *r)
                    .collect();
                format!("{}/{} {}", d.instance, d.database, rules.join(","))
            })
            .collect();
        let more = worst.len().saturating_sub(NAMED);
        let _ = write!(line, ": {}", named.join("; "));
        if more > 0 {
            let _ = write!(line, " and {more} more");
        }
    }
    let mut perf = vec![
        format!("critical={crit};;;0"),
        format!("warning={warn};;;0"),
        format!("databases={};;;0", a.databases.len()),
        format!("instances_down={down};;;0;{}", a.instances.len()),
    ];
    for d in &a.databases {
        if let Some(rpo) = d.rpo_seconds {
            let t = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            perf.push(format!(
                "{}={rpo}s;{};{};0",
                label(&format!("{}/{} rpo", d.instance, d.database)),
                t(d.rpo_warn_seconds),
                t(d.rpo_crit_seconds)
            ));
        }
    }
    format!("{} | {}\n", text(&line), perf.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_text_cannot_break_the_format() {
        assert_eq!(
            label("SQL16\\PROD/O'Brien=x rpo"),
            "'SQL16\\PROD/O''Brien_x rpo'"
        );
        assert_eq!(text("a|b\nc"), "a/b c");
        assert_eq!(
            unknown("cannot read x|y:\nno such file"),
            "CHAINWATCH UNKNOWN - cannot read x/y: no such file\n"
        );
    }
}
