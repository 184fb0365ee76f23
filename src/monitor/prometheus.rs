//! Prometheus text exposition (format 0.0.4) of the answers: for
//! node_exporter's textfile collector (`check --format prometheus`) and
//! `serve`'s `/metrics`. Base units (seconds), `chainwatch_` prefix, labels
//! `instance`, `database` and `ag` where they apply; one series per
//! database and kind at most, no backup_set_id labels (bounded cardinality).
//! Scrape with `honor_labels: true` so the exported `instance` label stays.

use std::fmt::Write;

use super::answers::{Answers, DatabaseAnswer};
use crate::analysis::Severity;

/// Extra series only `serve` knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServeStats {
    /// Collection rounds finished since start.
    pub rounds: u64,
    pub last_round_seconds: f64,
    /// Seconds since the served collection finished.
    pub served_age_seconds: f64,
}

/// One metric family: name, type and help, then its samples.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
    started: bool,
    kind: &'static str,
    help: &'static str,
}

impl Family<'_> {
    fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        if !self.started {
            let _ = writeln!(self.out, "# HELP {} {}", self.name, self.help);
            let _ = writeln!(self.out, "# TYPE {} {}", self.name, self.kind);
            self.started = true;
        }
        self.out.push_str(self.name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", number(value));
    }
}

fn family<'a>(
    out: &'a mut String,
    name: &'static str,
    kind: &'static str,
    help: &'static str,
) -> Family<'a> {
    Family {
        out,
        name,
        started: false,
        kind,
        help,
    }
}

/// Label values: backslash, double quote and line feed escaped.
pub fn escape(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

fn db_labels(d: &DatabaseAnswer) -> Vec<(&'static str, &str)> {
    let mut l = vec![
        ("instance", d.instance.as_str()),
        ("database", d.database.as_str()),
    ];
    if let Some(ag) = &d.ag {
        l.push(("ag", ag.as_str()));
    }
    l
}

fn with<'a>(
    mut base: Vec<(&'a str, &'a str)>,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    base.extend_from_slice(extra);
    base
}

/// The whole exposition.
pub fn render(a: &Answers) -> String {
    let mut out = String::new();
    let now = a.now;
    let secs = |t: chrono::DateTime<chrono::Utc>| (now - t).num_milliseconds() as f64 / 1000.0;
    {
        let mut f = family(
            &mut out,
            "chainwatch_check_status",
            "gauge",
            "Monitoring-plugin status of the whole estate: 0 OK, 1 warning, 2 critical, 3 unknown.",
        );
        f.sample(&[], f64::from(a.status));
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_analysis_timestamp_seconds",
            "gauge",
            "When the estate was judged, as Unix time.",
        );
        f.sample(&[], now.timestamp_millis() as f64 / 1000.0);
    }
    // Instances.
    {
        let mut f = family(
            &mut out,
            "chainwatch_instance_up",
            "gauge",
            "1 when the instance's last collection succeeded (backup history read), else 0.",
        );
        for i in &a.instances {
            f.sample(&[("instance", &i.instance)], if i.up { 1.0 } else { 0.0 });
        }
    }
    {
        let mut f = family(&mut out, "chainwatch_instance_history_collected", "gauge", "1 when the backup history judged for the instance was collected, else 0 (its databases are unknown).");
        for i in &a.instances {
            f.sample(
                &[("instance", &i.instance)],
                if i.history_collected { 1.0 } else { 0.0 },
            );
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_instance_collection_duration_seconds",
            "gauge",
            "How long the instance's last collection took, retries included.",
        );
        for i in &a.instances {
            if let Some(s) = i.collection_seconds {
                f.sample(&[("instance", &i.instance)], s);
            }
        }
    }
    {
        let mut f = family(&mut out, "chainwatch_instance_data_age_seconds", "gauge", "Seconds since the data judged for the instance was collected (grows while the instance fails: stale).");
        for i in &a.instances {
            if let Some(s) = i.data_age_seconds {
                f.sample(&[("instance", &i.instance)], s as f64);
            }
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_instance_databases",
            "gauge",
            "Databases listed for the instance.",
        );
        for i in &a.instances {
            f.sample(&[("instance", &i.instance)], i.databases as f64);
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_instance_findings",
            "gauge",
            "Findings about the instance as a whole, by severity and rule.",
        );
        for i in &a.instances {
            for ((sev, rule), n) in &i.findings {
                f.sample(
                    &[
                        ("instance", &i.instance),
                        ("severity", severity_label(*sev)),
                        ("rule", rule),
                    ],
                    *n as f64,
                );
            }
        }
    }

    // Databases.
    {
        let mut f = family(
            &mut out,
            "chainwatch_database_status",
            "gauge",
            "Monitoring-plugin status of the database: 0 OK, 1 warning, 2 critical, 3 unknown.",
        );
        for d in &a.databases {
            f.sample(&db_labels(d), f64::from(d.status));
        }
    }
    {
        let mut f = family(&mut out, "chainwatch_database_chain_state", "gauge", "The database's chain state (label state), always 1: ok, simple, degraded, broken, no_log_backups, no_full, no_history, passive, dropped, unknown, pending, exempt, offline, unavailable, restoring.");
        for d in &a.databases {
            let state = state_label(d);
            f.sample(&with(db_labels(d), &[("state", &state)]), 1.0);
        }
    }
    {
        let mut f = family(&mut out, "chainwatch_database_rpo_seconds", "gauge", "Data lost if the database were restored now: seconds since its latest recoverable point.");
        for d in &a.databases {
            if let Some(r) = d.rpo_seconds {
                f.sample(&db_labels(d), r as f64);
            }
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_database_rpo_warning_seconds",
            "gauge",
            "The policy's rpo_warn for the database, when set.",
        );
        for d in &a.databases {
            if let Some(r) = d.rpo_warn_seconds {
                f.sample(&db_labels(d), r as f64);
            }
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_database_rpo_critical_seconds",
            "gauge",
            "The policy's rpo_crit for the database, when set.",
        );
        for d in &a.databases {
            if let Some(r) = d.rpo_crit_seconds {
                f.sample(&db_labels(d), r as f64);
            }
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_database_latest_recoverable_age_seconds",
            "gauge",
            "Seconds since the latest point the database can be restored to.",
        );
        for d in &a.databases {
            if let Some(t) = d.latest_recoverable {
                f.sample(&db_labels(d), secs(t));
            }
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_database_latest_recoverable_timestamp_seconds",
            "gauge",
            "The latest point the database can be restored to, as Unix time.",
        );
        for d in &a.databases {
            if let Some(t) = d.latest_recoverable {
                f.sample(&db_labels(d), t.timestamp_millis() as f64 / 1000.0);
            }
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_database_backup_age_seconds",
            "gauge",
            "Seconds since the newest backup of each kind (full, diff, log) finished.",
        );
        for d in &a.databases {
            for (kind, t) in [
                ("full", d.last_full),
                ("diff", d.last_diff),
                ("log", d.last_log),
            ] {
                if let Some(t) = t {
                    f.sample(&with(db_labels(d), &[("kind", kind)]), secs(t));
                }
            }
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_database_breaks_in_retention",
            "gauge",
            "Chain breaks inside the retention horizon.",
        );
        for d in &a.databases {
            f.sample(&db_labels(d), d.breaks_in_retention as f64);
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_database_findings",
            "gauge",
            "Findings about the database, by severity and rule.",
        );
        for d in &a.databases {
            for ((sev, rule), n) in &d.findings {
                f.sample(
                    &with(
                        db_labels(d),
                        &[("severity", severity_label(*sev)), ("rule", rule)],
                    ),
                    *n as f64,
                );
            }
        }
    }

    // Containers.
    {
        let mut f = family(
            &mut out,
            "chainwatch_container_up",
            "gauge",
            "1 when the backup container was listed, else 0.",
        );
        for c in &a.containers {
            f.sample(&container_labels(c), if c.listed { 1.0 } else { 0.0 });
        }
    }
    {
        let mut f = family(
            &mut out,
            "chainwatch_container_blobs",
            "gauge",
            "Blobs listed in the backup container.",
        );
        for c in a.containers.iter().filter(|c| c.listed) {
            f.sample(&container_labels(c), c.blobs as f64);
        }
    }
    {
        let mut f = family(&mut out, "chainwatch_container_files", "gauge", "Backup files with a problem, by problem: missing (in history, not in the container), orphan (in the container, unknown to history), expired (past retention, still there).");
        for c in a.containers.iter().filter(|c| c.listed) {
            for (problem, n) in [
                ("missing", c.files.missing_files),
                ("orphan", c.files.orphan_files),
                ("expired", c.files.expired_files),
            ] {
                f.sample(
                    &with(container_labels(c), &[("problem", problem)]),
                    n as f64,
                );
            }
        }
    }
    out
}

/// The lines only `serve` has, appended per scrape (the age changes).
pub fn render_serve_stats(s: &ServeStats) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "chainwatch_collection_rounds_total",
        "counter",
        "Collection rounds finished since the exporter started.",
    )
    .sample(&[], s.rounds as f64);
    family(
        &mut out,
        "chainwatch_collection_round_duration_seconds",
        "gauge",
        "How long the served collection round took: every instance collected, merged and judged.",
    )
    .sample(&[], s.last_round_seconds);
    family(
        &mut out,
        "chainwatch_collection_age_seconds",
        "gauge",
        "Seconds since the served collection round finished.",
    )
    .sample(&[], s.served_age_seconds);
    out
}

fn container_labels(c: &super::answers::ContainerAnswer) -> Vec<(&'static str, &str)> {
    let mut l = Vec::new();
    if let Some(i) = &c.instance {
        l.push(("instance", i.as_str()));
    }
    l.push(("container", c.container.as_str()));
    l
}

/// The state as `check --format json` spells it.
pub fn state_label(d: &DatabaseAnswer) -> String {
    serde_json::to_value(d.state)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape(r#"SQL16\PROD"#), r#"SQL16\\PROD"#);
        assert_eq!(escape("a\"b\nc"), "a\\\"b\\nc");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(1.5), "1.5");
    }
}
