//! Pure analysis: chains, breaks, windows, plans, RPO and findings.
//! No I/O and no clock: the caller passes `now`, and the same input always
//! gives the same output.

pub mod ag_needs;
pub mod chain;
pub mod compliance;
pub mod expectation;
pub mod expected_findings;
pub mod findings;
pub mod forks;
pub mod health;
pub mod history;
pub mod localtime;
pub mod past;
pub mod plan;
pub mod policy;
pub mod policy_book;
pub mod recoverability;
pub mod report;
pub mod restore_facts;
pub mod restore_findings;
pub mod roles;
pub mod rpo_findings;
pub mod rules;
pub mod storage;
pub mod window;

use chrono::{DateTime, Utc};

use crate::model::{Database, Estate, Instance};

pub use chain::{Break, BreakReason, ChainAnalysis};
pub use expectation::{Expectation, Judged, Need};
pub use findings::{EvidenceRow, Finding, Severity};
pub use health::{ChainState, Health};
pub use history::History;
pub use plan::{plan, plan_on, PlanStep, RestorePlan, Target};
pub use report::{analyze_estate, DatabaseReport, EstateReport, TimelineItem};
pub use window::{StartPoint, Window};

/// Everything known about one database's backups.
#[derive(Debug, Clone)]
pub struct DatabaseAnalysis<'a> {
    pub instance: String,
    pub database: Database,
    pub history: History<'a>,
    pub chain: ChainAnalysis<'a>,
    pub starts: Vec<StartPoint<'a>>,
    /// Recoverable windows on the database's current recovery path.
    pub windows: Vec<Window>,
    /// Windows on the paths it left (abandoned branches, older incarnations).
    pub other_windows: Vec<Window>,
    pub health: Health,
    /// The thresholds it was judged by (the config's policy for it, or the built-in).
    pub policy: policy::Policy,
}

/// Analyses one database of an instance (with AG replicas' history merged in).
pub fn analyze_database<'a>(
    estate: &'a Estate,
    instance: &'a Instance,
    database: &Database,
    now: DateTime<Utc>,
) -> DatabaseAnalysis<'a> {
    let history = history::history_for(estate, instance, database);
    let roles = roles::roles(estate, instance, database);
    let in_estate = |name: &str| roles::instance_named(estate, name).is_some();
    let (policy, _) = policy_book::resolve(&estate.policies, &instance.name, &database.name);
    analyze_with_roles(
        instance.name.clone(),
        database.clone(),
        instance.history_collected,
        history,
        &roles,
        &in_estate,
        policy,
        now,
    )
}

/// Analyses an already selected history.
pub fn analyze_history<'a>(
    instance: String,
    database: Database,
    history_collected: bool,
    history: History<'a>,
    now: DateTime<Utc>,
) -> DatabaseAnalysis<'a> {
    let roles = roles::Roles {
        managed: database.managed_backup.as_ref().is_some_and(|m| m.enabled),
        ..Default::default()
    };
    analyze_with_roles(
        instance,
        database,
        history_collected,
        history,
        &roles,
        &|_| false,
        policy::Policy::default(),
        now,
    )
}

/// Analyses a selected history with the role facts of its instance.
#[allow(clippy::too_many_arguments)]
pub fn analyze_with_roles<'a>(
    instance: String,
    database: Database,
    history_collected: bool,
    history: History<'a>,
    roles: &roles::Roles,
    in_estate: &dyn Fn(&str) -> bool,
    policy: policy::Policy,
    now: DateTime<Utc>,
) -> DatabaseAnalysis<'a> {
    let chain = chain::analyze_chain_on(&history.rows, database.recovery_fork_guid);
    let starts = window::start_points(&history.rows);
    let windows = window::recoverable_windows(&chain, &starts);
    let other_windows = window::abandoned_windows(&chain, &starts);
    let expected = expectation::expect(
        &database,
        &expectation::Inputs {
            rows: &history.rows,
            foreign: &history.foreign,
            roles,
            in_estate,
            policy: &policy,
            now,
        },
    );
    let health = health::assess(
        &database,
        history_collected,
        &history.rows,
        &chain,
        &windows,
        expected,
        now,
    );
    DatabaseAnalysis {
        instance,
        database,
        history,
        chain,
        starts,
        windows,
        other_windows,
        health,
        policy,
    }
}

/// Finds a database by name, on one instance or (when `instance` is None)
/// wherever the name is unique.
pub fn find_database<'a>(
    estate: &'a Estate,
    instance: Option<&str>,
    database: &str,
) -> Result<(&'a Instance, &'a Database), String> {
    let matches: Vec<(&Instance, &Database)> = estate
        .instances
        .iter()
        .filter(|i| instance.is_none_or(|n| i.name.eq_ignore_ascii_case(n)))
        .flat_map(|i| i.databases.iter().map(move |d| (i, d)))
        .filter(|(_, d)| d.name.eq_ignore_ascii_case(database))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => match instance {
            Some(i) if estate.instance(i).is_none() => Err(format!("no instance named {i:?}")),
            Some(i) => Err(format!("no database {database:?} on instance {i:?}")),
            None => Err(format!("no database named {database:?}")),
        },
        many => Err(format!(
            "database {database:?} exists on several instances ({}): add --instance",
            many.iter()
                .map(|(i, _)| i.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
