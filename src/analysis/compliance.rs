//! Which databases a recoverability-over-the-past judgement applies to,
//! and by which RPO limit: the config's policy for each database (the same
//! `PolicyBook` resolution `check` uses), its `ignore` and grace, and the
//! replica the expectation judges an availability database on.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::expectation::Judged;
use super::history::history_for;
use super::past::{recoverability, Context, Past, Span, DEFAULT_RPO_LIMIT};
use super::policy::Policy;
use super::policy_book::resolve;
use crate::model::{Database, Estate, Instance};

/// The largest acceptable RPO of one database, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Limit {
    pub seconds: i64,
    /// `--rpo`, `cw.toml:3 [defaults] (rpo_warn)`, or `built-in`.
    pub from: String,
}

impl Limit {
    pub fn duration(&self) -> Duration {
        Duration::seconds(self.seconds)
    }
}

/// The limit a database is judged by: `--rpo` when given, else its policy's
/// `rpo_warn` (the RPO the policy asks for; above it `check` already warns),
/// else its `rpo_crit`, else the built-in 6 h.
pub fn limit_for(estate: &Estate, instance: &str, database: &str, rpo: Option<Duration>) -> Limit {
    if let Some(d) = rpo {
        return Limit {
            seconds: d.num_seconds(),
            from: "--rpo".into(),
        };
    }
    let (policy, explained) = resolve(&estate.policies, instance, database);
    let origin = |key: &str| {
        explained
            .iter()
            .find(|e| e.key == key)
            .map(|e| format!("{} ({key})", e.origin))
            .unwrap_or_else(|| key.to_string())
    };
    match (policy.rpo_warn, policy.rpo_crit) {
        (Some(w), _) => Limit {
            seconds: w.num_seconds(),
            from: origin("rpo_warn"),
        },
        (None, Some(c)) => Limit {
            seconds: c.num_seconds(),
            from: origin("rpo_crit"),
        },
        (None, None) => Limit {
            seconds: DEFAULT_RPO_LIMIT.num_seconds(),
            from: "built-in".into(),
        },
    }
}

/// Why a database is not judged, or `None` when it is: system databases,
/// no history, `ignore = true`, dropped ones, and every database whose
/// backups the expectation places elsewhere (a mirror, an availability
/// replica that is not the preferred backup replica) or nowhere.
pub fn not_judged(
    estate: &Estate,
    inst: &Instance,
    db: &Database,
    at: DateTime<Utc>,
) -> Option<String> {
    let policy = resolve(&estate.policies, &inst.name, &db.name).0;
    if let Some(origin) = &policy.ignored_by {
        return Some(format!("ignored by the config's policy ({origin})"));
    }
    if db.is_system() {
        return Some("system database".into());
    }
    if !inst.history_collected {
        return Some("backup history not collected".into());
    }
    if db.dropped {
        return Some("dropped (when is not known)".into());
    }
    if db.source_database_id.is_some() {
        return Some("database snapshot (cannot be backed up)".into());
    }
    let e = super::analyze_database(estate, inst, db, at)
        .health
        .expectation;
    match e.judged {
        Judged::Here => None,
        Judged::Elsewhere => Some(match &e.judged_on {
            Some(on) => format!("judged on {on} ({})", e.reason),
            None => format!("judged {} ({})", e.place, e.reason),
        }),
        Judged::Nowhere => Some(format!("no backups expected ({})", e.reason)),
    }
}

/// Recoverability of one database over `[from, to]` against `limit`, with
/// its policy (grace for a new database included).
pub fn judge(
    estate: &Estate,
    inst: &Instance,
    db: &Database,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: &Limit,
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
        limit: limit.duration(),
        watched_since,
    };
    let roles = super::roles::roles(estate, inst, db);
    let in_estate = |name: &str| super::roles::instance_named(estate, name).is_some();
    let policy: Policy = resolve(&estate.policies, &inst.name, &db.name).0;
    let context = Context {
        roles: &roles,
        in_estate: &in_estate,
        policy,
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
