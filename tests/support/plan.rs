//! Restore-plan steps for the T-SQL tests.
#![allow(dead_code)]

use chainwatch::analysis::PlanStep;
use chainwatch::model::Lsn;
use chrono::{TimeZone, Utc};

/// A step of kind `kind` for backup set `id` from `file`, with LSNs
/// `id * 100 ..= id * 100 + 99`, finished 2026-01-01, from instance `S`.
pub fn step(kind: &'static str, id: i64, file: String) -> PlanStep {
    PlanStep {
        first_lsn: (id * 100).to_string().parse::<Lsn>().ok(),
        last_lsn: (id * 100 + 99).to_string().parse::<Lsn>().ok(),
        finish: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
        source_instance: "S".into(),
        ..PlanStep::new(kind, id, vec![file])
    }
}
