//! A deterministic demo estate: seven instances with ~21 days of backup history whose rows follow
//! SQL Server's LSN rules, plus named scenarios (conflicts, gaps, forks) for the analysis to find.
//!
//! The output depends only on `now`: every random choice comes from a fixed-seed generator.

mod ag;
mod ag14;
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
mod sql19;
mod sql19_chains;
mod sql19_states;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use crate::snapshot::{Snapshot, FORMAT};

pub use scenarios::{Scenario, SCENARIOS};

/// The seven demo instances at `now` (floored to the minute), in document order.
fn instances(now: DateTime<Utc>) -> (DateTime<Utc>, [inst::Inst; 7]) {
    let now = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
    let naive = now.naive_utc();
    let (ag1, ag2) = ag::build(naive);
    let (ag14a, ag14b) = ag14::build(naive);
    let mut all = [
        sql14::build(naive),
        sql16::build(naive),
        ag1,
        ag2,
        ag14a,
        ag14b,
        sql19::build(naive),
    ];
    for inst in &mut all {
        catalog::volumes(inst);
    }
    (now, all)
}

/// Builds the demo estate as a `chainwatch.snapshot.v1` document collected at `now`.
pub fn generate(now: DateTime<Utc>) -> Value {
    let (now, instances) = instances(now);
    let mut doc = json!({
        "format": "chainwatch.snapshot.v1",
        "collected_at": collected_at(now),
        "source": "demo",
    });
    // Moved in, not through `json!`, which would deep-copy every instance.
    let instances = instances.into_iter().map(inst::Inst::into_json).collect();
    if let Value::Object(map) = &mut doc {
        map.insert("instances".into(), Value::Array(instances));
    }
    doc
}

/// The same estate as `Snapshot::from_value(generate(now))`, built without
/// the JSON document in between (the console's start waits for it).
pub fn snapshot(now: DateTime<Utc>) -> Snapshot {
    let (now, instances) = instances(now);
    Snapshot {
        format: FORMAT.to_string(),
        collected_at: Some(collected_at(now)),
        source: Some("demo".into()),
        instances: instances
            .into_iter()
            .map(inst::Inst::into_snapshot)
            .collect(),
        extra: Map::new(),
    }
}

fn collected_at(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn snapshot_equals_the_loaded_document() {
        for now in [
            Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 27).unwrap(),
            Utc.with_ymd_and_hms(2025, 3, 30, 1, 30, 0).unwrap(),
        ] {
            let loaded = Snapshot::from_value(generate(now)).expect("the document loads");
            assert!(loaded == snapshot(now), "demo snapshot differs at {now}");
        }
    }
}
