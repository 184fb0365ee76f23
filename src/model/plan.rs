//! A restore plan as data: what the analysis decides (`analysis::plan`)
//! and what `tsql` turns into statements, so neither imports the other.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Lsn;

/// What the operator wants to restore to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// The most recent recoverable point.
    Latest,
    /// A point in time (UTC).
    Time(DateTime<Utc>),
    /// A log sequence number (STOPATMARK = 'lsn:…').
    Lsn(Lsn),
}

/// One RESTORE statement's worth: a backup set (all its stripes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanStep {
    /// "full", "diff" or "log".
    pub kind: &'static str,
    pub backup_set_id: i64,
    pub backup_set_uuid: Option<Uuid>,
    pub first_lsn: Option<Lsn>,
    pub last_lsn: Option<Lsn>,
    pub files: Vec<String>,
    pub finish: Option<DateTime<Utc>>,
    /// STOPAT for this step (the log that holds the target time), UTC.
    pub stop_at: Option<DateTime<Utc>>,
    /// The same instant in the server's local time, as RESTORE expects it.
    pub stop_at_local: Option<NaiveDateTime>,
    /// STOPATMARK = 'lsn:…' for an LSN target.
    pub stop_at_lsn: Option<Lsn>,
    pub is_copy_only: bool,
    pub has_bulk_logged_data: bool,
    /// Written through a virtual device (VSS, DPM, third party): only that tool can restore it.
    pub virtual_device: bool,
    /// "native", "needs_tool" or "metadata_only".
    pub restorability: &'static str,
    /// What else this step needs (the tool, the storage snapshot).
    pub needs: Option<String>,
    /// A copy-only log at the end of the chain (a tail-log backup).
    pub tail: bool,
    /// The backup is damaged or has incomplete metadata: RESTORE needs
    /// CONTINUE_AFTER_ERROR.
    pub continue_after_error: bool,
    /// What the operator must know about this step.
    pub warnings: Vec<String>,
    /// The instance whose msdb recorded this backup.
    pub source_instance: String,
}

/// A restore plan or the reason there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestorePlan {
    pub target: Target,
    pub recoverable: bool,
    /// Why not, when not recoverable; otherwise a short summary.
    pub reason: String,
    pub steps: Vec<PlanStep>,
    /// The point the plan recovers to (for `Latest`, the end of the last log).
    pub recovery_point: Option<DateTime<Utc>>,
    pub recovery_lsn: Option<Lsn>,
    /// Nearest recoverable points before and after an unreachable target.
    pub nearest_before: Option<DateTime<Utc>>,
    pub nearest_after: Option<DateTime<Utc>>,
    /// "current" (the recovery path the database is on) or "abandoned".
    pub path: &'static str,
    /// The recovery fork the plan ends on.
    pub fork: Option<Uuid>,
    /// What else the plan needs beyond RESTORE (a tool, a storage snapshot).
    pub needs: Option<String>,
    /// When the plan needs another tool: the best plan RESTORE alone can do.
    pub native_alternative: Option<Box<RestorePlan>>,
    /// What the operator must know before running it.
    pub warnings: Vec<String>,
}

impl PlanStep {
    /// A natively restorable step of backup set `backup_set_id` reading
    /// `files`, every other field empty (hand-made plans and tests).
    pub fn new(kind: &'static str, backup_set_id: i64, files: Vec<String>) -> PlanStep {
        PlanStep {
            kind,
            backup_set_id,
            backup_set_uuid: None,
            first_lsn: None,
            last_lsn: None,
            files,
            finish: None,
            stop_at: None,
            stop_at_local: None,
            stop_at_lsn: None,
            is_copy_only: false,
            has_bulk_logged_data: false,
            virtual_device: false,
            restorability: "native",
            needs: None,
            tail: false,
            continue_after_error: false,
            warnings: Vec::new(),
            source_instance: String::new(),
        }
    }
}

impl RestorePlan {
    /// A recoverable plan of `steps` on the current path, with no summary,
    /// point or labels yet.
    pub fn of_steps(target: Target, steps: Vec<PlanStep>) -> RestorePlan {
        RestorePlan {
            target,
            recoverable: true,
            reason: String::new(),
            steps,
            recovery_point: None,
            recovery_lsn: None,
            nearest_before: None,
            nearest_after: None,
            path: "current",
            fork: None,
            needs: None,
            native_alternative: None,
            warnings: Vec::new(),
        }
    }
}
