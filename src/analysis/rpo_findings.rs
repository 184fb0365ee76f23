//! `rpo.exceeded`: how much would be lost restoring now, against the
//! config's `rpo_warn` / `rpo_crit`. Only for databases judged here; a
//! database with no recoverable point at all is already CRIT elsewhere
//! (`backup.none`, `chain.no_full`).

use chrono::{DateTime, Duration, Utc};

use super::expectation::Judged;
use super::findings::{Finding, Severity};
use super::DatabaseAnalysis;
use crate::model::policy::format_duration;
use crate::model::time::{fmt_time, human_age};

pub fn rpo_findings(a: &DatabaseAnalysis<'_>, _now: DateTime<Utc>) -> Vec<Finding> {
    let h = &a.health;
    let p = &a.policy;
    if h.expectation.judged != Judged::Here || (p.rpo_warn.is_none() && p.rpo_crit.is_none()) {
        return Vec::new();
    }
    let Some(rpo) = h.rpo_now_seconds.map(Duration::seconds) else {
        return Vec::new();
    };
    let over = |t: Option<Duration>| t.is_some_and(|t| rpo > t);
    let (severity, limit) = if over(p.rpo_crit) {
        (Severity::Critical, p.rpo_crit)
    } else if over(p.rpo_warn) {
        (Severity::Warning, p.rpo_warn)
    } else {
        return Vec::new();
    };
    let limit = limit.unwrap_or_default();
    let rule = [("warn", p.rpo_warn), ("crit", p.rpo_crit)]
        .into_iter()
        .filter_map(|(k, d)| d.map(|d| format!("rpo_{k} {}", format_duration(d))))
        .collect::<Vec<_>>()
        .join(", ");
    vec![Finding {
        expectation: Some(format!("policy: {rule}")),
        ..a.finding(
            "rpo.exceeded",
            severity,
            format!(
                "RPO {} exceeds {}",
                human_age(rpo),
                format_duration(limit)
            ),
            format!(
                "restoring now would lose everything after {}, the latest recoverable point ({} ago); the policy allows {}",
                fmt_time(h.latest_recoverable),
                human_age(rpo),
                format_duration(limit)
            ),
            Vec::new(),
            "take a log backup (or a full if the chain is broken) and check the backup job's schedule",
        )
    }]
}
