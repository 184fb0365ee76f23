//! A deterministic demo estate: four instances with ~21 days of backup history whose rows follow
//! SQL Server's LSN rules, plus named scenarios (conflicts, gaps, forks) for the analysis to find.
//!
//! The output depends only on `now`: every random choice comes from a fixed-seed generator.

mod ag;
mod catalog;
mod fork;
mod history;
mod inst;
mod kinds;
mod lsn;
mod media;
mod plan;
mod rng;
mod scenarios;
mod sim;
mod sql14;
mod sql16;
mod sql16_special;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::{json, Value};

pub use scenarios::{Scenario, SCENARIOS};

/// Builds the demo estate as a `chainwatch.snapshot.v1` document collected at `now`.
pub fn generate(now: DateTime<Utc>) -> Value {
    let now = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
    let naive = now.naive_utc();
    let (ag1, ag2) = ag::build(naive);
    json!({
        "format": "chainwatch.snapshot.v1",
        "collected_at": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "source": "demo",
        "instances": [sql14::build(naive), sql16::build(naive), ag1, ag2],
    })
}
