//! The steps that make a restore over an existing database safe, decided
//! once for the wizard and `chainwatch restore`: what the database to be
//! overwritten is, whether a tail-log backup would save anything (and
//! where it goes), and whether it must first be taken to SINGLE_USER.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::restore_facts::{self, TargetDatabase};
use crate::analysis::RestorePlan;
use crate::model::Instance;
use crate::tsql::TailLog;

/// The database a REPLACE would overwrite, as the pre-flight shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Existing {
    pub name: String,
    /// `state_desc` ("ONLINE", "SUSPECT", …), "?" when not collected.
    pub state: String,
    /// "FULL", "BULK_LOGGED", "SIMPLE" or "?".
    pub model: String,
    pub damaged: bool,
    /// Its log holds changes a tail-log backup would keep.
    pub has_tail: bool,
    /// Those changes in words: "changes since the last log backup (1h05m)".
    pub keeps: String,
}

impl Existing {
    /// Users may be connected: take it to SINGLE_USER first (a damaged
    /// database cannot be altered, and nobody can use it anyway).
    pub fn needs_exclusive(&self) -> bool {
        !self.damaged && self.state != "OFFLINE"
    }
}

/// The database named `name` on the target, when it exists there.
pub fn existing(target: Option<&Instance>, name: &str, now: DateTime<Utc>) -> Option<Existing> {
    let t = target?;
    let db: TargetDatabase = restore_facts::target_database(t, name)?;
    let keeps = match db.last_log {
        Some(at) => format!(
            "changes since the last log backup ({})",
            restore_facts::span(now - at)
        ),
        None => "changes since the last backup (no log backup of it is recorded)".into(),
    };
    Some(Existing {
        name: name.to_string(),
        state: db.state.clone().unwrap_or_else(|| "?".into()),
        model: db
            .recovery_model
            .map(|m| m.label().to_string())
            .unwrap_or_else(|| "?".into()),
        damaged: db.damaged(),
        has_tail: db.has_tail(),
        keeps,
    })
}

/// The tail-log backup for a REPLACE of `existing`: beside the plan's
/// newest backup file. It is restored at the end of the sequence only when
/// the plan restores the same database (same instance, same name) to its
/// latest point — otherwise it only keeps the changes, to be used later.
pub fn tail_log(
    existing: &Existing,
    plan: &RestorePlan,
    same_database_latest: bool,
    now: DateTime<Utc>,
) -> Option<TailLog> {
    if !existing.has_tail {
        return None;
    }
    let beside = plan
        .steps
        .iter()
        .rev()
        .find_map(|s| s.files.first())
        .map(String::as_str);
    Some(TailLog {
        file: restore_facts::tail_log_file(beside, &existing.name, now),
        no_truncate: existing.damaged,
        restore_it: same_database_latest,
        keeps: existing.keeps.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(state: &str, model: &str, has_tail: bool) -> Existing {
        Existing {
            name: "Sales".into(),
            state: state.into(),
            model: model.into(),
            damaged: state == "SUSPECT",
            has_tail,
            keeps: "changes since the last log backup (1h05m)".into(),
        }
    }

    #[test]
    fn damaged_databases_get_no_truncate_and_no_single_user() {
        let plan = RestorePlan::of_steps(crate::analysis::Target::Latest, Vec::new());
        let now = chrono::Utc::now();
        let suspect = ex("SUSPECT", "FULL", true);
        assert!(!suspect.needs_exclusive());
        assert!(tail_log(&suspect, &plan, true, now).unwrap().no_truncate);
        let online = ex("ONLINE", "FULL", true);
        assert!(online.needs_exclusive());
        let t = tail_log(&online, &plan, false, now).unwrap();
        assert!(!t.no_truncate && !t.restore_it);
        assert!(tail_log(&ex("ONLINE", "SIMPLE", false), &plan, true, now).is_none());
    }
}
