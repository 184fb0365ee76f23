//! Pre-flight checks of a restore: each passes, fails (execution refused)
//! or is unknown (shown, not blocking: the server will check it too).

use serde::{Deserialize, Serialize};

use crate::analysis::restore_facts::{self, UrlCredential};
use crate::analysis::RestorePlan;
use crate::model::{container_of_url, Instance};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Unknown,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Unknown => "????",
        }
    }
}

/// One pre-flight check and why it came out so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub outcome: Outcome,
    pub reason: String,
}

fn check(name: &str, outcome: Outcome, reason: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        outcome,
        reason: reason.into(),
    }
}

/// What the checks look at.
pub struct CheckInput<'a> {
    pub plan: &'a RestorePlan,
    pub target: Option<&'a Instance>,
    pub target_name: &'a str,
    pub replace: bool,
    pub allow_writes: bool,
    /// A connection is configured for the target (not the demo, not a snapshot).
    pub connectable: bool,
    /// Blob URLs known to exist in storage (a container listing), if any.
    pub present_blobs: Option<&'a std::collections::BTreeSet<String>>,
}

/// Every check, in the order the wizard shows them.
pub fn run(input: &CheckInput<'_>) -> Vec<Check> {
    vec![
        chain(input.plan),
        files(input),
        credential(input),
        target_exists(input),
        writes(input),
    ]
}

fn chain(plan: &RestorePlan) -> Check {
    const NAME: &str = "chain complete for the target";
    if !plan.recoverable {
        return check(NAME, Outcome::Fail, plan.reason.clone());
    }
    if let Some(s) = plan.steps.iter().find(|s| s.virtual_device) {
        return check(
            NAME,
            Outcome::Fail,
            format!(
                "{} #{} was made through a virtual device (VSS/DPM/third party): only that tool can restore it",
                s.kind, s.backup_set_id
            ),
        );
    }
    if let Some(s) = plan.steps.iter().find(|s| s.files.is_empty()) {
        return check(
            NAME,
            Outcome::Fail,
            format!(
                "{} #{} has no file in history (backupmediafamily)",
                s.kind, s.backup_set_id
            ),
        );
    }
    check(
        NAME,
        Outcome::Pass,
        format!("{} backups, continuous by LSN", plan.steps.len()),
    )
}

fn files(input: &CheckInput<'_>) -> Check {
    const NAME: &str = "every backup file present in storage";
    let urls: Vec<&String> = input
        .plan
        .steps
        .iter()
        .flat_map(|s| &s.files)
        .filter(|f| container_of_url(f).is_some())
        .collect();
    let total = input
        .plan
        .steps
        .iter()
        .map(|s| s.files.len())
        .sum::<usize>();
    if urls.is_empty() {
        return check(
            NAME,
            Outcome::Unknown,
            format!("{total} disk files: chainwatch cannot see the server's disks; RESTORE will check them"),
        );
    }
    let Some(present) = input.present_blobs else {
        return check(
            NAME,
            Outcome::Unknown,
            format!("{} blobs: no container listing for this instance (configure container_url to check)", urls.len()),
        );
    };
    let base = |u: &str| u.split(['?', '#']).next().unwrap_or(u).to_string();
    let missing: Vec<&String> = urls
        .iter()
        .copied()
        .filter(|u| !present.contains(&base(u)))
        .collect();
    match missing.first() {
        None => check(
            NAME,
            Outcome::Pass,
            format!("{} blobs listed in the container", urls.len()),
        ),
        Some(first) => check(
            NAME,
            Outcome::Fail,
            format!(
                "{} of {} blobs missing, first: {first}",
                missing.len(),
                urls.len()
            ),
        ),
    }
}

fn credential(input: &CheckInput<'_>) -> Check {
    const NAME: &str = "credential for the backup URL on the target";
    let Some(url) = input
        .plan
        .steps
        .iter()
        .flat_map(|s| &s.files)
        .find(|f| container_of_url(f).is_some())
    else {
        return check(NAME, Outcome::Pass, "no URL backups in the plan");
    };
    let Some(target) = input.target else {
        return check(
            NAME,
            Outcome::Unknown,
            "the target instance is not in the estate",
        );
    };
    let container = restore_facts::container_url(url);
    match restore_facts::url_credential(target, url) {
        UrlCredential::Sas(name) => check(NAME, Outcome::Pass, format!("SAS credential {name}")),
        UrlCredential::Key(name) => check(
            NAME,
            Outcome::Pass,
            format!("storage-key credential {name}: the script adds WITH CREDENTIAL"),
        ),
        UrlCredential::Missing => check(
            NAME,
            Outcome::Fail,
            format!("no credential named {container} (SAS) and none for the storage account (key) on {}", target.name),
        ),
        UrlCredential::Unknown => check(NAME, Outcome::Unknown, "sys.credentials was not collected on the target"),
    }
}

fn target_exists(input: &CheckInput<'_>) -> Check {
    const NAME: &str = "target database";
    let Some(target) = input.target else {
        return check(
            NAME,
            Outcome::Unknown,
            "the target instance is not in the estate",
        );
    };
    match (
        restore_facts::target_exists(target, input.target_name),
        input.replace,
    ) {
        (None, _) => check(
            NAME,
            Outcome::Unknown,
            "sys.databases was not collected on the target",
        ),
        (Some(true), true) => check(
            NAME,
            Outcome::Pass,
            format!(
                "{} exists and will be overwritten (REPLACE)",
                input.target_name
            ),
        ),
        (Some(true), false) => check(
            NAME,
            Outcome::Fail,
            format!(
                "{} exists on {}: restore under the same name with REPLACE, or choose a new name",
                input.target_name, target.name
            ),
        ),
        (Some(false), _) => check(
            NAME,
            Outcome::Pass,
            format!(
                "{} does not exist on {}: it will be created",
                input.target_name, target.name
            ),
        ),
    }
}

fn writes(input: &CheckInput<'_>) -> Check {
    const NAME: &str = "writes allowed on the target";
    if !input.connectable {
        return check(
            NAME,
            Outcome::Fail,
            "no configured connection to the target (demo estate or snapshot): the script can be saved or copied, not run",
        );
    }
    if input.allow_writes {
        check(NAME, Outcome::Pass, "allow_writes = true in the config")
    } else {
        check(
            NAME,
            Outcome::Fail,
            "allow_writes is not set for this instance in the config: chainwatch stays read-only",
        )
    }
}
