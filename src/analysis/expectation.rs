//! What each database is expected to have: which backup kinds, how often,
//! judged from where, and why. Derived from what kind of database it is
//! (system, tempdb, snapshot), its state, its role (availability group,
//! mirroring, log shipping), its recovery model and history, its age and
//! whether it is read-only. Health findings measure backups against it, so
//! the special cases that are healthy stay quiet.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::policy::{every_label, within_label, Cadence, Policy};
use super::roles::{LogShipping, Roles};
use crate::model::time::fmt_time;
use crate::model::{BackupSet, BackupType, Database, RecoveryModel};

/// Where backups are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judged {
    /// This instance takes the backups.
    Here,
    /// Another replica, partner or primary takes them.
    Elsewhere,
    /// No backup is expected anywhere, or none can be taken now.
    Nowhere,
}

/// The fact an expectation rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    User,
    /// master, msdb, model: fulls (model's log by its recovery model).
    System,
    Tempdb,
    /// A database snapshot (`source_database_id` set).
    Snapshot,
    ReadOnly,
    Simple,
    Offline,
    /// SUSPECT, EMERGENCY, RECOVERY_PENDING, RECOVERING.
    Unavailable,
    /// RESTORING with no sign of log shipping: a restore in progress or left WITH NORECOVERY.
    Restoring,
    /// Restored WITH STANDBY: read-only between log restores.
    Standby,
    LogShippingSecondary,
    LogShippingPrimary,
    Mirror,
    /// An availability database whose backups belong on another replica.
    AgReplica,
    /// An availability database on its preferred backup replica.
    AgPreferred,
    Dropped,
    /// The config's policy says `ignore = true`.
    Ignored,
}

/// One kind of backup that is expected, and when it is late.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Need {
    /// `full`, `diff` or `log`.
    pub kind: &'static str,
    /// The schedule history shows ("15 min", "weekly"), when it shows one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every_seconds: Option<i64>,
    /// Older than this is late (a warning); None: any age will do.
    pub late_after_seconds: Option<i64>,
    /// Older than this is critical (logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical_after_seconds: Option<i64>,
    /// Which backup's age is measured.
    pub measured_on: &'static str,
    /// The replica this kind is expected on, when the database is in an
    /// availability group (kinds can belong to different replicas).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<String>,
    /// In words, when that replica is not where the database's other
    /// backups are judged: "on the primary SQLAG01".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// This instance judges it: its late findings are raised here.
    pub judged_here: bool,
}

impl Need {
    pub fn late_after(&self) -> Option<Duration> {
        self.late_after_seconds.map(Duration::seconds)
    }

    pub fn critical_after(&self) -> Option<Duration> {
        self.critical_after_seconds.map(Duration::seconds)
    }

    /// "log 15 min" / "full within 8 days" / "full (any age)", and where
    /// when it is another replica than the rest ("diff daily on the primary SQLAG01").
    pub fn short(&self) -> String {
        let what = match (&self.every, self.late_after()) {
            (Some(e), _) => format!("{} {e}", self.kind),
            (None, Some(l)) => format!("{} within {}", self.kind, within_label(l)),
            (None, None) => format!("{} (any age)", self.kind),
        };
        match &self.place {
            Some(p) => format!("{what} {p}"),
            None => what,
        }
    }

    /// The rule a finding measures: "log every 15 min: late after 60 min (newest log)".
    pub fn rule(&self) -> String {
        let every = self
            .every
            .as_ref()
            .map(|e| format!(" every {e}"))
            .unwrap_or_default();
        let every = match (&self.place, &self.replica) {
            (Some(p), _) => format!("{every} {p}"),
            (None, Some(r)) => format!("{every} on {r}"),
            (None, None) => every,
        };
        match self.late_after() {
            Some(l) => format!(
                "{}{every}: late after {} ({}){}",
                self.kind,
                within_label(l),
                self.measured_on,
                self.critical_after()
                    .map(|c| format!(", critical after {}", within_label(c)))
                    .unwrap_or_default()
            ),
            None => format!("{}{every}: any age ({})", self.kind, self.measured_on),
        }
    }
}

/// What one database is expected to have.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expectation {
    pub judged: Judged,
    /// In words: "here", "on the secondary SQLAG02", "on the principal SQL02".
    pub place: String,
    /// The instance whose history is judged, when it is not this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged_on: Option<String>,
    pub basis: Basis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full: Option<Need>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<Need>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<Need>,
    /// Until then a missing first full is not late (new or just restored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_grace_until: Option<DateTime<Utc>>,
    /// Until then a missing first log backup is not late.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_grace_until: Option<DateTime<Utc>>,
    /// Why, in words.
    pub reason: String,
    /// Where the database came from, when restore history tells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The server whose backup it was restored from, when that was another server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_server: Option<String>,
    /// The backup sets of that restore (rows RESTORE wrote in this msdb).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub origin_backup_sets: Vec<i64>,
    /// The newest restore that recovered it (restorehistory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_at: Option<DateTime<Utc>>,
    /// One line: "full weekly, log 15 min, here".
    pub summary: String,
    /// RPO now above this is a warning / critical (the config's `rpo_warn` / `rpo_crit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpo_warn_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpo_crit_seconds: Option<i64>,
}

impl Expectation {
    pub fn in_full_grace(&self, now: DateTime<Utc>) -> bool {
        self.full_grace_until.is_some_and(|t| now < t)
    }

    pub fn in_log_grace(&self, now: DateTime<Utc>) -> bool {
        self.log_grace_until.is_some_and(|t| now < t)
    }

    fn none(judged: Judged, basis: Basis, place: &str, reason: String) -> Expectation {
        let summary = match judged {
            Judged::Nowhere => "no backups expected".to_string(),
            _ => format!("backups {place}"),
        };
        Expectation {
            judged,
            place: place.into(),
            judged_on: None,
            basis,
            full: None,
            diff: None,
            log: None,
            full_grace_until: None,
            log_grace_until: None,
            reason,
            origin: None,
            origin_server: None,
            origin_backup_sets: Vec::new(),
            restored_at: None,
            summary,
            rpo_warn_seconds: None,
            rpo_crit_seconds: None,
        }
    }
}

/// The facts an expectation is derived from, besides the database row.
pub struct Inputs<'r, 'a> {
    /// The database's local history (rows another server wrote are not in it).
    pub rows: &'r [&'a BackupSet],
    /// Rows RESTORE wrote for backups taken elsewhere.
    pub foreign: &'r [&'a BackupSet],
    pub roles: &'r Roles,
    /// Instance names in the estate (to say whether a replica is judged here).
    pub in_estate: &'r dyn Fn(&str) -> bool,
    pub policy: &'r Policy,
    pub now: DateTime<Utc>,
}

/// Derives the expectation of one database.
pub fn expect(db: &Database, x: &Inputs<'_, '_>) -> Expectation {
    let mut e = placement(db, x);
    e.origin = origin(x);
    let from_elsewhere: Vec<&super::roles::Restore> = x
        .roles
        .restores
        .iter()
        .filter(|r| r.from_elsewhere)
        .collect();
    e.origin_server = from_elsewhere.last().and_then(|r| r.from_server.clone());
    e.origin_backup_sets = from_elsewhere
        .iter()
        .filter_map(|r| r.backup_set_id)
        .collect();
    e.restored_at = x.roles.last_recovery().map(|r| r.at);
    // Elsewhere, the needs describe the history judged there (merged replicas).
    if e.judged == Judged::Here || (e.judged == Judged::Elsewhere && !x.rows.is_empty()) {
        needs(db, x, &mut e);
        let here = e.judged == Judged::Here;
        for n in [&mut e.full, &mut e.diff, &mut e.log].into_iter().flatten() {
            n.judged_here = here;
        }
        if let Some(ag) = &x.roles.ag {
            super::ag_needs::attribute(&mut e, ag, x.rows, x.in_estate);
        }
    }
    if e.judged == Judged::Here {
        e.rpo_warn_seconds = x.policy.rpo_warn.map(|d| d.num_seconds());
        e.rpo_crit_seconds = x.policy.rpo_crit.map(|d| d.num_seconds());
    }
    e.summary = summary(&e);
    e
}

fn state(db: &Database) -> String {
    db.state_desc
        .as_deref()
        .unwrap_or("ONLINE")
        .trim()
        .to_ascii_uppercase()
}

/// Where backups belong, and the reason; `Here` gets its needs afterwards.
fn placement(db: &Database, x: &Inputs<'_, '_>) -> Expectation {
    use Basis::*;
    let name = db.name.to_ascii_lowercase();
    if let Some(origin) = &x.policy.ignored_by {
        return Expectation::none(
            Judged::Nowhere,
            Ignored,
            "nowhere",
            format!("ignored by the config's policy (ignore = true, {origin})"),
        );
    }
    if db.dropped {
        return Expectation::none(
            Judged::Nowhere,
            Dropped,
            "nowhere",
            "dropped or detached: only its history and backup files remain".into(),
        );
    }
    if name == "tempdb" {
        return Expectation::none(
            Judged::Nowhere,
            Tempdb,
            "nowhere",
            "tempdb is re-created at every start of SQL Server and cannot be backed up".into(),
        );
    }
    if let Some(src) = db.source_database_id {
        return Expectation::none(
            Judged::Nowhere,
            Snapshot,
            "nowhere",
            format!("a database snapshot (of database_id {src}): snapshots cannot be backed up; the source database's backups protect the data"),
        );
    }
    let state = state(db);
    match state.as_str() {
        "OFFLINE" => {
            return Expectation::none(
                Judged::Nowhere,
                Offline,
                "nowhere",
                "OFFLINE: nothing is written to it and it cannot be backed up; the backups taken before it went offline are what would restore it".into(),
            )
        }
        "SUSPECT" | "EMERGENCY" | "RECOVERY_PENDING" | "RECOVERING" => {
            return Expectation::none(
                Judged::Nowhere,
                Unavailable,
                "nowhere",
                format!("{state}: the database is not available, so no backup can run until it is"),
            )
        }
        _ => {}
    }
    // A mirror cannot be backed up; the principal takes the backups.
    if db.mirroring_role == Some(crate::model::MirroringRole::Mirror) {
        let partner = x.roles.mirror_partner.clone();
        let place = match &partner {
            Some(p) => format!("on the principal {p}"),
            None => "on the principal".into(),
        };
        let mut e = Expectation::none(
            Judged::Elsewhere,
            Mirror,
            &place,
            format!("mirror of a database mirroring session: it cannot be backed up; backups are taken {place}"),
        );
        e.judged_on = partner.filter(|p| (x.in_estate)(p));
        return e;
    }
    if let Some(ag) = &x.roles.ag {
        if !ag.here {
            let place = match ag.preferred.as_slice() {
                [] => "on no replica (no replica is eligible: check backup_priority)".to_string(),
                [one] => format!(
                    "on the {} {one}",
                    if ag.primary_here == Some(true) {
                        "secondary"
                    } else if ag.preference == "PRIMARY" {
                        "primary"
                    } else {
                        "replica"
                    }
                ),
                many => format!("on {}", many.join(" or ")),
            };
            let mut e = Expectation::none(
                Judged::Elsewhere,
                AgReplica,
                &place,
                format!(
                    "availability group backup preference {}: the preferred backup replica is {}; this replica{} is not",
                    ag.preference,
                    if ag.preferred.is_empty() { "none".to_string() } else { ag.preferred.join(", ") },
                    match ag.primary_here { Some(true) => " (the primary)", Some(false) => " (a secondary)", None => "" },
                ),
            );
            e.judged_on = ag.preferred.iter().find(|p| (x.in_estate)(p)).cloned();
            return e;
        }
    } else if db.group_database_id.is_some()
        && db.is_primary_replica == Some(false)
        && x.rows.is_empty()
    {
        return Expectation::none(
            Judged::Elsewhere,
            AgReplica,
            "on another replica",
            "an availability group secondary with no backups of its own; the group's backup preference was not collected, so its backups are assumed to run on another replica".into(),
        );
    }
    let restoring = state == "RESTORING";
    if restoring || db.is_in_standby {
        let ls = match &x.roles.log_shipping {
            Some(LogShipping::Secondary { primary, evidence }) => {
                Some((primary.clone(), evidence.clone()))
            }
            _ => log_restores(x),
        };
        if let Some((primary, evidence)) = ls {
            let place = match &primary {
                Some(p) => format!("on the log shipping primary {p}"),
                None => "on the log shipping primary".into(),
            };
            let mut e = Expectation::none(
                Judged::Elsewhere,
                LogShippingSecondary,
                &place,
                format!(
                    "log shipping secondary ({}, {evidence}): it receives the primary's log backups and cannot be backed up itself; backups are taken {place}",
                    if db.is_in_standby { "STANDBY" } else { "RESTORING" }
                ),
            );
            e.judged_on = primary.filter(|p| (x.in_estate)(p));
            return e;
        }
        if db.is_in_standby {
            return Expectation::none(
                Judged::Elsewhere,
                Standby,
                "where the restored logs come from",
                "restored WITH STANDBY (read-only between log restores): it cannot be backed up; the backups belong to the database the logs come from".into(),
            );
        }
        return Expectation::none(
            Judged::Nowhere,
            Restoring,
            "nowhere",
            "RESTORING: a restore is in progress or was left WITH NORECOVERY; it cannot be backed up until it is recovered".into(),
        );
    }
    let (basis, reason) = if x.roles.ag.is_some() {
        (
            AgPreferred,
            "availability database on its preferred backup replica".to_string(),
        )
    } else if matches!(x.roles.log_shipping, Some(LogShipping::Primary)) {
        (
            LogShippingPrimary,
            "log shipping primary: its log backup job takes the log backups".to_string(),
        )
    } else if db.is_system() {
        (System, "system database".to_string())
    } else if db.is_read_only {
        (ReadOnly, "READ_ONLY: nothing changes, so a full taken after the last change stays valid and no log backup is needed".to_string())
    } else if db.recovery_model == Some(RecoveryModel::Simple) {
        (
            Simple,
            "SIMPLE recovery: fulls (and differentials), no log backups".to_string(),
        )
    } else {
        (User, "user database".to_string())
    };
    let place = match basis {
        AgPreferred => "here (the preferred backup replica)",
        _ => "here",
    };
    Expectation::none(Judged::Here, basis, place, reason)
}

/// Logs restored into this database from another server's backups: the
/// sign of a log shipping secondary (or a hand-run restore sequence).
fn log_restores(x: &Inputs<'_, '_>) -> Option<(Option<String>, String)> {
    let logs: Vec<&super::roles::Restore> = x
        .roles
        .restores
        .iter()
        .filter(|r| r.restore_type.eq_ignore_ascii_case("L"))
        .collect();
    let last = logs.last()?;
    let primary = last.from_server.clone();
    Some((
        primary,
        format!(
            "restorehistory: {} log restore(s), the newest {}",
            logs.len(),
            fmt_time(Some(last.at))
        ),
    ))
}

fn origin(x: &Inputs<'_, '_>) -> Option<String> {
    let r = x
        .roles
        .restores
        .iter()
        .rev()
        .find(|r| r.restore_type.eq_ignore_ascii_case("D"))?;
    let from = match (&r.from_server, &r.from_database) {
        (Some(s), Some(d)) if r.from_elsewhere => format!(" from a backup of {d} on {s}"),
        (_, Some(d)) => format!(" from a backup of {d}"),
        _ => String::new(),
    };
    let foreign = if x.foreign.is_empty() {
        String::new()
    } else {
        format!(
            " ({} backup row(s) in this msdb were written by that restore, not taken here)",
            x.foreign.len()
        )
    };
    Some(format!(
        "restored {}{from}{}{foreign}",
        fmt_time(Some(r.at)),
        r.backup_set_id
            .map(|id| format!(", backup set #{id}"))
            .unwrap_or_default()
    ))
}

fn times(
    rows: &[&BackupSet],
    since: DateTime<Utc>,
    keep: impl Fn(&BackupSet) -> bool,
) -> Vec<DateTime<Utc>> {
    rows.iter()
        .filter(|b| keep(b))
        .filter_map(|b| b.finish)
        .filter(|t| *t >= since)
        .collect()
}

fn need(
    kind: &'static str,
    cadence: Option<Cadence>,
    late: Option<Duration>,
    critical: Option<Duration>,
    measured_on: &'static str,
) -> Need {
    Need {
        kind,
        every: cadence.map(|c| every_label(c.typical)),
        every_seconds: cadence.map(|c| c.typical.num_seconds()),
        late_after_seconds: late.map(|d| d.num_seconds()),
        critical_after_seconds: critical.map(|d| d.num_seconds()),
        measured_on,
        replica: None,
        place: None,
        judged_here: true,
    }
}

/// Which kinds a database judged here should have, and how often.
fn needs(db: &Database, x: &Inputs<'_, '_>, e: &mut Expectation) {
    let p = x.policy;
    let rows = x.rows;
    let since = x.now - p.cadence_window;
    let fulls = times(rows, since, |b| b.is_full());
    let diffs = times(rows, since, |b| b.is_diff() && !b.is_copy_only);
    let logs = times(rows, since, |b| b.is_log() && !b.is_copy_only);
    let newest_full = rows
        .iter()
        .filter(|b| b.is_full())
        .filter_map(|b| b.finish)
        .max();
    let diffs_in_use = diffs.len() >= 2
        || rows
            .iter()
            .any(|b| b.is_diff() && !b.is_copy_only && b.finish > newest_full);
    let full_cadence = Cadence::of(fulls.clone());
    let full_floor = if diffs_in_use {
        p.full_late_with_diffs
    } else {
        p.full_late
    };
    let name = db.name.to_ascii_lowercase();
    let read_only = db.is_read_only;
    e.full = Some(need(
        "full",
        full_cadence,
        (!read_only).then(|| {
            p.full_max_age
                .unwrap_or_else(|| p.data_late_after(full_cadence, full_floor))
        }),
        None,
        "newest full",
    ));
    if diffs_in_use && !read_only {
        let mut bases = fulls.clone();
        bases.extend(diffs.iter().copied());
        let base_cadence = Cadence::of(bases);
        let mut n = need(
            "diff",
            Cadence::of(diffs.clone()).or(base_cadence),
            Some(
                p.diff_max_age
                    .unwrap_or_else(|| p.data_late_after(base_cadence, p.base_late_floor)),
            ),
            None,
            "newest full or differential",
        );
        n.every = Cadence::of(diffs.clone()).map(|c| every_label(c.typical));
        e.diff = Some(n);
    }
    let keeps_log = db.recovery_model.is_none_or(|m| m.keeps_log_chain());
    let had_logs = rows.iter().any(|b| b.is_log());
    let model_changed = rows
        .iter()
        .any(|b| b.recovery_model.is_some() && b.recovery_model != db.recovery_model);
    let log_expected = keeps_log
        && !read_only
        && match name.as_str() {
            "master" => false,
            "msdb" => had_logs,
            "model" => had_logs || model_changed,
            _ => true,
        };
    if db.is_system() && keeps_log && !log_expected {
        e.reason = format!(
            "{} in {} recovery: full backups only{}",
            db.name,
            db.recovery_model.map(|m| m.label()).unwrap_or("FULL"),
            if name == "master" {
                " (master can only have full backups)"
            } else {
                " (no log backups were ever taken and the recovery model is the install default: nothing needs point-in-time restore)"
            }
        );
    }
    if log_expected {
        let cadence = Cadence::of(logs);
        let mut late = p.log_late_after(cadence);
        if x.roles.managed {
            // Managed Backup's own overdue rule speaks first; the chain finding after.
            late = late.max(p.log_late);
        }
        if let Some(max) = p.log_max_age {
            late = max;
        }
        e.log = Some(need(
            "log",
            cadence,
            Some(late),
            Some(p.log_critical_after(late)),
            "newest log",
        ));
    }
    grace(db, x, e);
}

/// New databases, restores and recovery model switches get time for their first backups.
fn grace(db: &Database, x: &Inputs<'_, '_>, e: &mut Expectation) {
    let p = x.policy;
    let restored = x.roles.last_recovery().map(|r| r.at);
    let start = [db.create_date, restored].into_iter().flatten().max();
    if let Some(s) = start {
        e.full_grace_until = Some(s + p.first_full_grace);
    }
    if e.log.is_none() {
        return;
    }
    // The chain's first full: after the database began (or was restored),
    // or after the last backup taken in SIMPLE recovery.
    let last_simple = x
        .rows
        .iter()
        .filter(|b| b.recovery_model == Some(RecoveryModel::Simple))
        .filter_map(|b| b.finish)
        .max();
    let begin = [start, last_simple].into_iter().flatten().max();
    let Some(begin) = begin else { return };
    let first_full = x
        .rows
        .iter()
        .filter(|b| matches!(b.backup_type, BackupType::Full | BackupType::Diff))
        .filter(|b| b.recovery_model.is_none_or(|m| m.keeps_log_chain()))
        .filter_map(|b| b.finish)
        .filter(|t| *t >= begin)
        .min();
    // A fixed point: an old database's first full is long past, so this never flaps.
    e.log_grace_until = first_full.map(|f| f + p.first_log_grace);
}

fn summary(e: &Expectation) -> String {
    match e.judged {
        Judged::Nowhere => format!("no backups expected ({})", short_basis(e.basis)),
        Judged::Elsewhere if e.full.is_none() => format!("backups {}", e.place),
        Judged::Elsewhere | Judged::Here => {
            let mut parts: Vec<String> = [&e.full, &e.diff, &e.log]
                .into_iter()
                .flatten()
                .map(Need::short)
                .collect();
            if e.log.is_none() {
                parts.push("no log".into());
            }
            parts.push(e.place.clone());
            parts.join(", ")
        }
    }
}

fn short_basis(b: Basis) -> &'static str {
    match b {
        Basis::Tempdb => "tempdb",
        Basis::Snapshot => "database snapshot",
        Basis::Offline => "offline",
        Basis::Unavailable => "not available",
        Basis::Restoring => "restoring",
        Basis::Dropped => "dropped",
        Basis::Ignored => "ignored by policy",
        _ => "not here",
    }
}
