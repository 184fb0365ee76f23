//! `chainwatch history` and `chainwatch report compliance`: recoverability
//! over the past, from the archive's rows (not from today's msdb).

use chrono::{DateTime, Duration, Utc};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::{print_json, Format, SourceArgs};
use crate::analysis::history::history_for;
use crate::analysis::past::{recoverability, Breach, Context, Past, Span, DEFAULT_RPO_LIMIT};
use crate::analysis::{find_database, ChainState};
use crate::model::catalog::{parse_datetime, LocalOrUtc};
use crate::model::time::utc_seconds;
use crate::model::{Database, Estate, Instance, MirroringRole};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[arg(long)]
    pub database: String,
    #[arg(long)]
    pub instance: Option<String>,
    /// Start (server local time unless it carries Z or an offset; default: the oldest row).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// End (default: the newest collection).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// The policy: the largest acceptable RPO, e.g. 15m, 6h, 1d.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub rpo: Option<Duration>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Markdown,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum ReportKind {
    /// Per database: the worst RPO, the minutes outside policy, each breach
    /// and its evidence. Exit 0 when every database met the policy, 1 otherwise.
    Compliance {
        /// Start (UTC unless it carries an offset; default: the whole archive).
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        #[arg(long, value_name = "TIME")]
        to: Option<String>,
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        rpo: Option<Duration>,
        #[arg(long, value_enum, default_value_t)]
        format: ReportFormat,
    },
}

/// `15m`, `6h`, `1d`, `900s`, or a bare number of minutes.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 15m, 6h, 1d)"))?;
    let d = match unit.trim() {
        "s" => Duration::try_seconds(n),
        "" | "m" | "min" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?} (use s, m, h or d)"
            ))
        }
    };
    d.filter(|d| *d > Duration::zero())
        .ok_or_else(|| format!("{text:?} is not a positive duration"))
}

/// A time given on the command line; `offset_minutes` applies to one without a zone.
fn parse_time(flag: &str, text: &str, offset_minutes: i32) -> anyhow::Result<DateTime<Utc>> {
    match parse_datetime(text) {
        Some(LocalOrUtc::Utc(t)) => Ok(t),
        Some(local) => Ok(local.to_utc(offset_minutes)),
        None => anyhow::bail!(
            "--{flag} {text:?} is not a date and time (use e.g. 2026-10-01 or 2026-10-01T00:00:00Z)"
        ),
    }
}

/// The oldest backup the estate knows of.
fn oldest_row(estate: &Estate) -> Option<DateTime<Utc>> {
    estate
        .instances
        .iter()
        .flat_map(|i| &i.backups)
        .filter_map(|b| b.finish.or(b.start))
        .min()
}

fn range(
    estate: &Estate,
    now: DateTime<Utc>,
    from: Option<&str>,
    to: Option<&str>,
    offset: i32,
) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let to = match to {
        Some(t) => parse_time("to", t, offset)?,
        None => now,
    };
    let from = match from {
        Some(t) => parse_time("from", t, offset)?,
        None => oldest_row(estate).unwrap_or(to).min(to),
    };
    if from > to {
        anyhow::bail!("--from is after --to");
    }
    Ok((from, to))
}

fn judge(
    estate: &Estate,
    inst: &Instance,
    db: &Database,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: Duration,
) -> Past {
    let history = history_for(estate, inst, db);
    let watched_since = history
        .sources
        .iter()
        .filter_map(|name| estate.instance(name))
        .flat_map(|i| &i.backups)
        .filter_map(|b| b.finish.or(b.start))
        .min();
    let span = Span {
        from,
        to,
        limit,
        watched_since,
    };
    let roles = crate::analysis::roles::roles(estate, inst, db);
    let in_estate = |name: &str| crate::analysis::roles::instance_named(estate, name).is_some();
    let context = Context {
        roles: &roles,
        in_estate: &in_estate,
        policy: crate::analysis::policy_book::resolve(&estate.policies, &inst.name, &db.name).0,
    };
    recoverability(
        &inst.name,
        db,
        inst.history_collected,
        &history,
        &context,
        span,
    )
}

#[derive(Serialize)]
struct HistoryJson<'a> {
    database: &'a str,
    instance: &'a str,
    #[serde(flatten)]
    past: &'a Past,
    minutes_outside_policy: f64,
}

pub fn history(args: &HistoryArgs, source: &SourceArgs) -> anyhow::Result<u8> {
    let loaded = super::archive::load(&super::archive::path(source)?)?;
    let estate = &loaded.estate;
    let (inst, db) = find_database(estate, args.instance.as_deref(), &args.database)
        .map_err(anyhow::Error::msg)?;
    let offset = inst.server.utc_offset_minutes.unwrap_or(0);
    let (from, to) = range(
        estate,
        loaded.now,
        args.from.as_deref(),
        args.to.as_deref(),
        offset,
    )?;
    let past = judge(
        estate,
        inst,
        db,
        from,
        to,
        args.rpo.unwrap_or(DEFAULT_RPO_LIMIT),
    );
    match args.format {
        Format::Json => print_json(&HistoryJson {
            database: &db.name,
            instance: &inst.name,
            past: &past,
            minutes_outside_policy: minutes(past.seconds_outside_policy),
        })?,
        Format::Text => print_history_text(&inst.name, &db.name, &past),
    }
    Ok(0)
}

fn minutes(seconds: i64) -> f64 {
    (seconds as f64 / 60.0 * 10.0).round() / 10.0
}

fn fmt_secs(s: Option<i64>) -> String {
    let Some(s) = s else {
        return "not recoverable".into();
    };
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m}m{:02}s", s % 60),
        (0, _) => format!("{h}h{m:02}m"),
        _ => format!("{d}d{h:02}h{m:02}m"),
    }
}

fn print_history_text(instance: &str, database: &str, p: &Past) {
    outln!(
        "{database} on {instance}: {} to {} (judged from {}), policy RPO {}",
        utc_seconds(p.from),
        utc_seconds(p.to),
        utc_seconds(p.judged_from),
        fmt_secs(Some(p.rpo_limit_seconds))
    );
    outln!(
        "  outside policy {} min ({} min with nothing recoverable), worst RPO {}{}",
        minutes(p.seconds_outside_policy),
        minutes(p.seconds_unrecoverable),
        fmt_secs(p.worst_rpo_seconds),
        p.worst_rpo_at
            .map(|t| format!(" at {}", utc_seconds(t)))
            .unwrap_or_default()
    );
    outln!(
        "  {} moments analysed, {} breaches",
        p.moments.len(),
        p.breaches.len()
    );
    // The moments where the state changed, not every backup.
    let mut last: Option<ChainState> = None;
    for m in &p.moments {
        if last == Some(m.state) {
            continue;
        }
        last = Some(m.state);
        outln!(
            "  {}  {:<10} recoverable to {}  breaks {}",
            utc_seconds(m.at),
            m.state.label(),
            m.latest_recoverable.map_or("-".into(), utc_seconds),
            m.breaks
        );
    }
    for b in &p.breaches {
        outln!("  breach {}", breach_line(b));
    }
}

fn breach_line(b: &Breach) -> String {
    format!(
        "{} .. {} ({} min, worst RPO {}): recoverable to {} by backup_set_id {}{}{}; evidence {}",
        utc_seconds(b.from),
        utc_seconds(b.to),
        minutes(b.seconds),
        fmt_secs(b.worst_rpo_seconds),
        b.recoverable_to.map_or("nothing".into(), utc_seconds),
        b.last_good_backup_set_id
            .map_or("-".into(), |i| i.to_string()),
        if b.breaks.is_empty() {
            String::new()
        } else {
            format!(
                ", breaks: {}",
                b.breaks
                    .iter()
                    .map(|k| k.reason.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        if b.ended_by.is_empty() {
            ", still open".to_string()
        } else {
            format!(", ended by {}", join_ids(&b.ended_by))
        },
        join_ids(&b.evidence)
    )
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")
}

#[derive(Serialize)]
struct ComplianceJson<'a> {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    rpo_limit_seconds: i64,
    compliant: bool,
    databases: Vec<DatabaseCompliance<'a>>,
    skipped: Vec<Skipped<'a>>,
}

#[derive(Serialize)]
struct DatabaseCompliance<'a> {
    instance: &'a str,
    database: &'a str,
    judged_from: DateTime<Utc>,
    compliant: bool,
    worst_rpo_seconds: Option<i64>,
    minutes_outside_policy: f64,
    seconds_outside_policy: i64,
    seconds_unrecoverable: i64,
    breaches: Vec<Breach>,
}

#[derive(Serialize)]
struct Skipped<'a> {
    instance: &'a str,
    database: &'a str,
    reason: &'static str,
}

/// Which databases a recoverability policy applies to (the tests the
/// health state makes for Unknown, Dropped, Passive and snapshots).
fn skip_reason(inst: &Instance, db: &Database) -> Option<&'static str> {
    if db.is_system() {
        Some("system database")
    } else if !inst.history_collected {
        Some("backup history not collected")
    } else if db.dropped {
        Some("dropped (when is not known)")
    } else if db.source_database_id.is_some() {
        Some("database snapshot (cannot be backed up)")
    } else if db.mirroring_role == Some(MirroringRole::Mirror)
        || db.is_primary_replica == Some(false)
    {
        Some("mirror or secondary replica (backups are judged on the primary)")
    } else {
        None
    }
}

pub fn report(kind: &ReportKind, source: &SourceArgs) -> anyhow::Result<u8> {
    let ReportKind::Compliance {
        from,
        to,
        rpo,
        format,
    } = kind;
    let loaded = super::archive::load(&super::archive::path(source)?)?;
    let estate = &loaded.estate;
    let (from, to) = range(estate, loaded.now, from.as_deref(), to.as_deref(), 0)?;
    let rpo = rpo.unwrap_or(DEFAULT_RPO_LIMIT);
    let mut databases = Vec::new();
    let mut skipped = Vec::new();
    for inst in &estate.instances {
        for db in &inst.databases {
            if let Some(reason) = skip_reason(inst, db) {
                skipped.push(Skipped {
                    instance: &inst.name,
                    database: &db.name,
                    reason,
                });
                continue;
            }
            let p = judge(estate, inst, db, from, to, rpo);
            databases.push(DatabaseCompliance {
                instance: &inst.name,
                database: &db.name,
                judged_from: p.judged_from,
                compliant: p.seconds_outside_policy == 0,
                worst_rpo_seconds: p.worst_rpo_seconds,
                minutes_outside_policy: minutes(p.seconds_outside_policy),
                seconds_outside_policy: p.seconds_outside_policy,
                seconds_unrecoverable: p.seconds_unrecoverable,
                breaches: p.breaches,
            });
        }
    }
    let report = ComplianceJson {
        from,
        to,
        rpo_limit_seconds: rpo.num_seconds(),
        compliant: databases.iter().all(|d| d.compliant),
        databases,
        skipped,
    };
    match format {
        ReportFormat::Json => print_json(&report)?,
        ReportFormat::Csv => out!("{}", compliance_csv(&report)),
        ReportFormat::Markdown => out!("{}", compliance_markdown(&report)),
    }
    Ok(u8::from(!report.compliant))
}

/// One line per breach (a compliant database gets one line with empty breach columns).
fn compliance_csv(r: &ComplianceJson<'_>) -> String {
    let mut out = String::from(
        "instance,database,compliant,worst_rpo_seconds,minutes_outside_policy,breach_from,breach_to,breach_seconds,evidence\n",
    );
    for d in &r.databases {
        let head = format!(
            "{},{},{},{},{}",
            csv(d.instance),
            csv(d.database),
            d.compliant,
            d.worst_rpo_seconds.map_or(String::new(), |s| s.to_string()),
            d.minutes_outside_policy
        );
        if d.breaches.is_empty() {
            out.push_str(&format!("{head},,,,\n"));
        }
        for b in &d.breaches {
            out.push_str(&format!(
                "{head},{},{},{},{}\n",
                b.from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                b.to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                b.seconds,
                join_ids(&b.evidence)
            ));
        }
    }
    out
}

/// RFC 4180 quoting when a field needs it.
fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn compliance_markdown(r: &ComplianceJson<'_>) -> String {
    let mut out = format!(
        "# Recoverability compliance\n\n{} to {}, policy RPO {}: {}\n\n",
        utc_seconds(r.from),
        utc_seconds(r.to),
        fmt_secs(Some(r.rpo_limit_seconds)),
        if r.compliant {
            "every database met it"
        } else {
            "**breached**"
        }
    );
    out.push_str("| Instance | Database | Worst RPO | Minutes outside policy | Breaches |\n|---|---|---|---|---|\n");
    let cell = |s: &str| s.replace('|', "\\|");
    for d in &r.databases {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(d.instance),
            cell(d.database),
            fmt_secs(d.worst_rpo_seconds),
            d.minutes_outside_policy,
            d.breaches.len()
        ));
    }
    for d in r.databases.iter().filter(|d| !d.breaches.is_empty()) {
        out.push_str(&format!(
            "\n## {} on {}\n\n",
            cell(d.database),
            cell(d.instance)
        ));
        for b in &d.breaches {
            out.push_str(&format!("- {}\n", breach_line(b)));
        }
    }
    if !r.skipped.is_empty() {
        out.push_str("\nNot judged: ");
        let list: Vec<String> = r
            .skipped
            .iter()
            .map(|s| {
                format!(
                    "{} on {} ({})",
                    cell(s.database),
                    cell(s.instance),
                    s.reason
                )
            })
            .collect();
        out.push_str(&list.join("; "));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m"), Ok(Duration::minutes(15)));
        assert_eq!(parse_duration("15"), Ok(Duration::minutes(15)));
        assert_eq!(parse_duration("6h"), Ok(Duration::hours(6)));
        assert_eq!(parse_duration("900s"), Ok(Duration::seconds(900)));
        assert_eq!(parse_duration("1d"), Ok(Duration::days(1)));
        assert!(parse_duration("0m").is_err());
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv("SQL01\\PROD"), "SQL01\\PROD");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
