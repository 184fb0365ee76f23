//! Which replica of an availability group each kind of backup belongs on.
//!
//! A secondary replica can take only copy-only full backups and regular log
//! backups; differentials and full backups that are not copy-only run only
//! on the primary (Microsoft: "Offload supported backups to secondary
//! replicas of an availability group"). So log backups are expected where
//! the group's backup preference points (`sys.fn_hadr_backup_is_preferred_replica`),
//! differentials and regular fulls on the primary, copy-only fulls on the
//! preferred replica. Every need is judged on the merged history of all
//! replicas; this only says on which instance a late one is raised.

use super::expectation::{Expectation, Need};
use super::roles::AgPlace;
use crate::model::BackupSet;

/// Where one kind is expected.
enum Target {
    Preferred,
    Primary,
}

/// Sets each need's replica and whether this instance judges it.
pub fn attribute(
    e: &mut Expectation,
    ag: &AgPlace,
    rows: &[&BackupSet],
    in_estate: &dyn Fn(&str) -> bool,
) {
    // Regular fulls (or differentials, which need one as their base) can only come from the primary.
    let regular_fulls = e.diff.is_some() || rows.iter().any(|b| b.is_full() && !b.is_copy_only);
    let full = if regular_fulls {
        Target::Primary
    } else {
        Target::Preferred
    };
    if let Some(n) = e.full.as_mut() {
        place(n, full, ag, in_estate);
    }
    if let Some(n) = e.diff.as_mut() {
        place(n, Target::Primary, ag, in_estate);
    }
    if let Some(n) = e.log.as_mut() {
        place(n, Target::Preferred, ag, in_estate);
    }
    let primary_kinds: Vec<&str> = [&e.full, &e.diff]
        .into_iter()
        .flatten()
        .filter(|n| n.judged_here && !ag.here)
        .map(|n| n.kind)
        .collect();
    if !primary_kinds.is_empty() {
        e.reason = format!(
            "{}; {} backups run only on the primary (a secondary can take only copy-only fulls and log backups), so they are judged here",
            e.reason,
            primary_kinds.join(" and ")
        );
    }
}

fn place(n: &mut Need, target: Target, ag: &AgPlace, in_estate: &dyn Fn(&str) -> bool) {
    match (target, &ag.primary) {
        (Target::Primary, Some(primary))
            if !ag.preferred.iter().any(|p| p.eq_ignore_ascii_case(primary)) =>
        {
            n.replica = Some(primary.clone());
            n.place = Some(format!("on the primary {primary}"));
            // A primary outside the estate: the replica judging the rest judges this too.
            n.judged_here = ag.primary_here == Some(true) || (ag.here && !in_estate(primary));
        }
        _ => {
            n.replica = match ag.preferred.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            };
            n.judged_here = ag.here;
        }
    }
}
