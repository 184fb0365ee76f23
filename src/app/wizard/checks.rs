//! Pre-flight checks of a restore: each passes, fails (execution refused)
//! or is unknown (shown, not blocking: the server will check it too).

use serde::{Deserialize, Serialize};

use super::safety::Existing;
use crate::analysis::restore_facts::{self, BackupFile, UrlCredential};
use crate::analysis::RestorePlan;
use crate::model::{container_of_url, Estate, Instance};
use crate::tsql::TailLog;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Unknown,
    /// Allowed, but the operator must know (REPLACE, no tail-log backup).
    Warn,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Unknown => "????",
            Outcome::Warn => "WARN",
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
    /// The database a REPLACE overwrites, when it exists.
    pub existing: Option<&'a Existing>,
    /// The tail-log backup the script takes first, if any.
    pub tail_log: Option<&'a TailLog>,
    /// The script takes the target to SINGLE_USER first.
    pub single_user: bool,
    /// MOVE clauses the script writes: (logical name, new path).
    pub moves: &'a [(String, String)],
    /// The source database exists on the target under its own name (its
    /// files are in use there: a copy under a new name needs MOVE).
    pub source_on_target: bool,
    pub facts: &'a Facts,
}

/// What history says about the backups of a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The full backup's files (backupfile); None when not collected.
    pub files: Option<Vec<BackupFile>>,
    /// `software_major_version` of the full backup.
    pub backup_major: Option<u32>,
    /// Bytes of every backup in the plan (`backup_size`), when all are known.
    pub backup_bytes: Option<u64>,
    /// Backups of the plan taken without CHECKSUM (`has_backup_checksums = 0`).
    pub without_checksums: Vec<i64>,
}

impl Facts {
    /// Reads the facts of `plan`'s backups from the instance that recorded them.
    pub fn gather(estate: &Estate, plan: &RestorePlan, source_instance: &str) -> Facts {
        let Some(full) = plan.steps.first() else {
            return Facts::default();
        };
        let inst = estate
            .instance(&full.source_instance)
            .or_else(|| estate.instance(source_instance));
        let Some(inst) = inst else {
            return Facts::default();
        };
        let set = |id: i64| {
            estate
                .instances
                .iter()
                .flat_map(|i| &i.backups)
                .find(|b| b.backup_set_id == id && b.collected_from == inst.name)
                .or_else(|| inst.backups.iter().find(|b| b.backup_set_id == id))
        };
        let size_of = |id: i64| set(id).and_then(|b| b.backup_size);
        Facts {
            files: restore_facts::backup_files(inst, full.backup_set_id),
            backup_major: inst
                .backups
                .iter()
                .find(|b| b.backup_set_id == full.backup_set_id)
                .and_then(|b| b.software_major_version),
            backup_bytes: plan
                .steps
                .iter()
                .map(|s| size_of(s.backup_set_id))
                .sum::<Option<u64>>(),
            without_checksums: plan
                .steps
                .iter()
                .map(|s| s.backup_set_id)
                .filter(|id| set(*id).and_then(|b| b.has_backup_checksums) == Some(false))
                .collect(),
        }
    }
}

/// Every check, in the order the wizard shows them.
pub fn run(input: &CheckInput<'_>) -> Vec<Check> {
    vec![
        chain(input.plan),
        version(input),
        files(input),
        sizes(input),
        credential(input),
        target_exists(input),
        exclusive(input),
        tail_log(input),
        moves(input),
        writes(input),
    ]
}

/// Whether the source database's files are in use on the target: known
/// to exist there, or (on its own instance) not known to be gone.
pub fn source_on_target(target: Option<&Instance>, database: &str, same_instance: bool) -> bool {
    let exists = target.and_then(|t| restore_facts::target_exists(t, database));
    if same_instance {
        exists != Some(false)
    } else {
        exists == Some(true)
    }
}

/// "12.3 GiB", "512 MiB".
pub fn bytes(n: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let mib = n as f64 / MIB;
    if mib >= 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{mib:.0} MiB")
    }
}

fn version_name(major: u32) -> String {
    let info = crate::model::ServerInfo {
        product_version: Some(format!("{major}.0")),
        ..Default::default()
    };
    format!("SQL Server {} ({major})", info.version_name())
}

/// A backup restores on the same or a newer major version, never an older one.
fn version(input: &CheckInput<'_>) -> Check {
    const NAME: &str = "target version can read the backup";
    let target = input.target.and_then(|t| t.server.major_version());
    match (input.facts.backup_major, target) {
        (Some(b), Some(t)) if b > t => check(
            NAME,
            Outcome::Fail,
            format!(
                "the backup was taken on {}; the target runs {}: a backup cannot be restored on an older version",
                version_name(b),
                version_name(t)
            ),
        ),
        (Some(b), Some(t)) if b < t => check(
            NAME,
            Outcome::Pass,
            format!(
                "{} backup on {}: the database is upgraded during recovery (no way back to {b})",
                version_name(b),
                version_name(t)
            ),
        ),
        (Some(b), Some(_)) => check(NAME, Outcome::Pass, format!("both {}", version_name(b))),
        (None, _) => check(
            NAME,
            Outcome::Unknown,
            "software_major_version of the backup is not in the history",
        ),
        (_, None) => check(
            NAME,
            Outcome::Unknown,
            "the target's product_version is not known",
        ),
    }
}

/// What the restore writes: the backup sizes, the files it creates, and
/// whether the target's volumes hold them (`sys.dm_os_volume_stats`, when
/// collected). Each file goes to its MOVE path, or else to the path it had.
fn sizes(input: &CheckInput<'_>) -> Check {
    const NAME: &str = "sizes and free space";
    let restored: Option<u64> = input
        .facts
        .files
        .as_ref()
        .and_then(|f| f.iter().map(|f| f.file_size).sum::<Option<u64>>());
    let mut parts = Vec::new();
    if let Some(b) = input.facts.backup_bytes {
        parts.push(format!("{} of backups to read", bytes(b)));
    }
    if let (Some(files), Some(total)) = (&input.facts.files, restored) {
        let of = |t: &str| {
            files
                .iter()
                .filter(|f| (f.file_type == "L") == (t == "L"))
                .filter_map(|f| f.file_size)
                .sum::<u64>()
        };
        parts.push(format!(
            "the database files take {} once restored (data {}, log {})",
            bytes(total),
            bytes(of("D")),
            bytes(of("L"))
        ));
    }
    if parts.is_empty() {
        return check(
            NAME,
            Outcome::Unknown,
            "backup and file sizes are not in the collected history (backupset.backup_size, backupfile.file_size)",
        );
    }
    let volumes = input.target.and_then(restore_facts::volumes);
    let (outcome, room) = match (&input.facts.files, volumes) {
        (Some(files), Some(volumes)) if restored.is_some() => {
            free_space(files, input.moves, &volumes, input.replace)
        }
        (_, None) => (
            Outcome::Unknown,
            "free space on the target's volumes is not collected (sys.dm_os_volume_stats needs VIEW SERVER STATE): check that they hold the files".into(),
        ),
        _ => (
            Outcome::Unknown,
            "the file sizes are not known, so free space cannot be compared".into(),
        ),
    };
    parts.push(room);
    check(NAME, outcome, parts.join("; "))
}

/// Bytes each target volume must take, against its free space. A REPLACE
/// writes over the existing files at the same paths, so a shortfall there
/// is a warning (only growth needs room), not a refusal.
fn free_space(
    files: &[restore_facts::BackupFile],
    moves: &[(String, String)],
    volumes: &[restore_facts::Volume],
    replace: bool,
) -> (Outcome, String) {
    let mut need: Vec<(&restore_facts::Volume, u64)> = Vec::new();
    let mut nowhere = Vec::new();
    for f in files {
        let path = moves
            .iter()
            .find(|(logical, _)| logical.eq_ignore_ascii_case(&f.logical_name))
            .map_or(f.physical_name.as_str(), |(_, p)| p.as_str());
        match restore_facts::volume_of(volumes, path) {
            Some(v) => match need.iter_mut().find(|(n, _)| *n == v) {
                Some((_, b)) => *b += f.file_size.unwrap_or(0),
                None => need.push((v, f.file_size.unwrap_or(0))),
            },
            None => nowhere.push(path.to_string()),
        }
    }
    let short: Vec<String> = need
        .iter()
        .filter(|(v, b)| *b > v.available_bytes)
        .map(|(v, b)| {
            format!(
                "{} needs {} and has {} free",
                v.mount_point,
                bytes(*b),
                bytes(v.available_bytes)
            )
        })
        .collect();
    let fits: Vec<String> = need
        .iter()
        .filter(|(v, b)| *b <= v.available_bytes)
        .map(|(v, b)| {
            format!(
                "{} takes {} of {} free",
                v.mount_point,
                bytes(*b),
                bytes(v.available_bytes)
            )
        })
        .collect();
    let mut said = Vec::new();
    if !short.is_empty() {
        said.push(format!("NOT ENOUGH ROOM: {}", short.join(", ")));
    }
    if !fits.is_empty() {
        said.push(fits.join(", "));
    }
    if !nowhere.is_empty() {
        said.push(format!(
            "no collected volume holds {} (free space unknown there)",
            nowhere.join(", ")
        ));
    }
    let outcome = match (short.is_empty(), nowhere.is_empty()) {
        (false, _) if replace => Outcome::Warn,
        (false, _) => Outcome::Fail,
        (true, false) => Outcome::Unknown,
        (true, true) => Outcome::Pass,
    };
    if replace && !short.is_empty() {
        said.push("REPLACE reuses the existing files' space: only growth needs room".into());
    }
    (outcome, said.join("; "))
}

fn exclusive(input: &CheckInput<'_>) -> Check {
    const NAME: &str = "exclusive access to the target database";
    match (input.existing, input.replace) {
        (Some(e), true) if input.single_user => check(
            NAME,
            Outcome::Warn,
            format!(
                "first step: ALTER DATABASE … SET SINGLE_USER WITH ROLLBACK IMMEDIATE: sessions in {} are disconnected and their open transactions rolled back",
                e.name
            ),
        ),
        (Some(e), true) => check(
            NAME,
            Outcome::Pass,
            format!("{} is {}: nobody can be connected to it", e.name, e.state),
        ),
        _ => check(NAME, Outcome::Pass, "a new database: nobody is connected to it"),
    }
}

fn tail_log(input: &CheckInput<'_>) -> Check {
    const NAME: &str = "tail-log backup";
    let Some(e) = input.existing.filter(|_| input.replace) else {
        return check(
            NAME,
            Outcome::Pass,
            "not needed: no existing database is overwritten",
        );
    };
    match (input.tail_log, e.has_tail) {
        (Some(t), _) => check(
            NAME,
            Outcome::Pass,
            format!(
                "BACKUP LOG … WITH NORECOVERY{} to {} first: keeps {}{}",
                if t.no_truncate { ", NO_TRUNCATE" } else { "" },
                t.file,
                t.keeps,
                if t.restore_it {
                    "; restored last, so nothing is lost"
                } else {
                    ""
                }
            ),
        ),
        (None, true) => check(
            NAME,
            Outcome::Warn,
            format!("off: {} of {} ({}) would be lost", e.keeps, e.name, e.model),
        ),
        (None, false) => check(
            NAME,
            Outcome::Pass,
            format!(
                "not possible: {} is {} / {} (no log to back up)",
                e.name, e.model, e.state
            ),
        ),
    }
}

/// A copy under a new name on the instance that holds the original needs
/// its files moved, or RESTORE fails on files in use.
fn moves(input: &CheckInput<'_>) -> Check {
    const NAME: &str = "file moves";
    if input.replace {
        return check(NAME, Outcome::Pass, "same name: the files keep their paths");
    }
    if !input.moves.is_empty() {
        return check(
            NAME,
            Outcome::Pass,
            format!("{} file(s) moved to new paths", input.moves.len()),
        );
    }
    match (&input.facts.files, input.source_on_target) {
        (_, false) => check(
            NAME,
            Outcome::Pass,
            "no MOVE: the original database is not on the target, its paths are free there",
        ),
        (None, true) => check(
            NAME,
            Outcome::Fail,
            "msdb.dbo.backupfile was not collected: give MOVE targets (--move LOGICAL=PATH), the original files are in use on this instance",
        ),
        (Some(_), true) => check(
            NAME,
            Outcome::Fail,
            "no MOVE clauses: the original database's files are in use on this instance",
        ),
    }
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
            Outcome::Warn,
            format!(
                "{} exists{} and will be overwritten (REPLACE): its data is replaced by the backup's",
                input.target_name,
                input
                    .existing
                    .map(|e| format!(" ({}, {})", e.state, e.model))
                    .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Target;

    fn plan() -> RestorePlan {
        RestorePlan::of_steps(Target::Latest, Vec::new())
    }

    fn target(version: &str) -> Instance {
        Instance {
            name: "T".into(),
            server: crate::model::ServerInfo {
                product_version: Some(version.into()),
                ..Default::default()
            },
            databases: Vec::new(),
            backups: Vec::new(),
            history_collected: true,
            missing_tables: Vec::new(),
            row_problems: Vec::new(),
            not_visible: Default::default(),
            tables: Default::default(),
        }
    }

    fn input<'a>(
        plan: &'a RestorePlan,
        target: &'a Instance,
        facts: &'a Facts,
        existing: Option<&'a Existing>,
    ) -> CheckInput<'a> {
        CheckInput {
            plan,
            target: Some(target),
            target_name: "Sales",
            replace: existing.is_some(),
            allow_writes: true,
            connectable: true,
            present_blobs: None,
            existing,
            tail_log: None,
            single_user: false,
            moves: &[],
            source_on_target: true,
            facts,
        }
    }

    fn find<'a>(checks: &'a [Check], name: &str) -> &'a Check {
        checks.iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn a_newer_backup_never_restores_on_an_older_server() {
        let (p, t) = (plan(), target("13.0.5026.0"));
        let facts = Facts {
            backup_major: Some(15),
            ..Facts::default()
        };
        let c = run(&input(&p, &t, &facts, None));
        let v = find(&c, "target version can read the backup");
        assert_eq!(v.outcome, Outcome::Fail);
        assert!(v.reason.contains("SQL Server 2019 (15)"), "{}", v.reason);
        assert!(v.reason.contains("SQL Server 2016 (13)"), "{}", v.reason);
        let facts = Facts {
            backup_major: Some(12),
            ..Facts::default()
        };
        let c = run(&input(&p, &t, &facts, None));
        assert_eq!(
            find(&c, "target version can read the backup").outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn replace_without_a_tail_says_what_is_lost_and_a_copy_needs_moves() {
        let (p, t) = (plan(), target("15.0.2000.5"));
        let facts = Facts {
            files: Some(Vec::new()),
            backup_bytes: Some(3 << 30),
            ..Facts::default()
        };
        let e = Existing {
            name: "Sales".into(),
            state: "ONLINE".into(),
            model: "FULL".into(),
            damaged: false,
            has_tail: true,
            keeps: "changes since the last log backup (1h05m)".into(),
        };
        let c = run(&input(&p, &t, &facts, Some(&e)));
        let tail = find(&c, "tail-log backup");
        assert_eq!(tail.outcome, Outcome::Warn);
        assert_eq!(
            tail.reason,
            "off: changes since the last log backup (1h05m) of Sales (FULL) would be lost"
        );
        assert!(find(&c, "sizes and free space")
            .reason
            .contains("3.0 GiB of backups"));
        // A new name on the instance that holds the original, without MOVE: refused.
        let c = run(&input(&p, &t, &facts, None));
        assert_eq!(find(&c, "file moves").outcome, Outcome::Fail);
        assert!(c.iter().all(|c| c.outcome != Outcome::Warn), "{c:?}");
    }

    /// A target whose `sys.dm_os_volume_stats` lists these volumes.
    fn with_volumes(mut t: Instance, volumes: &[(&str, u64)]) -> Instance {
        let rows = volumes.iter().map(|(mount, free)| {
            serde_json::json!({
                "volume_mount_point": mount,
                "total_bytes": 4u64 << 40,
                "available_bytes": free,
            })
            .as_object()
            .unwrap()
            .clone()
        });
        t.tables.insert(
            crate::model::catalog::VOLUME_STATS.to_string(),
            crate::model::Table::from_maps(rows),
        );
        t
    }

    fn file(logical: &str, path: &str, kind: &str, gib: u64) -> BackupFile {
        BackupFile {
            logical_name: logical.into(),
            physical_name: path.into(),
            file_type: kind.into(),
            file_size: Some(gib << 30),
        }
    }

    #[test]
    fn free_space_is_compared_per_volume_at_the_paths_the_restore_writes() {
        let p = plan();
        let facts = Facts {
            files: Some(vec![
                file("Sales", "D:\\Data\\Sales.mdf", "D", 300),
                file("Sales_log", "L:\\Log\\Sales_log.ldf", "L", 40),
            ]),
            backup_bytes: Some(200 << 30),
            ..Facts::default()
        };
        // Not collected: said, and how to get it.
        let t = target("15.0.2000.5");
        let c = run(&input(&p, &t, &facts, None));
        let s = find(&c, "sizes and free space");
        assert_eq!(s.outcome, Outcome::Unknown);
        assert!(s.reason.contains("VIEW SERVER STATE"), "{}", s.reason);
        // Both volumes hold their files (the mount point without case).
        let t = with_volumes(
            target("15.0.2000.5"),
            &[("d:\\", 500 << 30), ("L:\\", 50 << 30)],
        );
        let c = run(&input(&p, &t, &facts, None));
        let s = find(&c, "sizes and free space");
        assert_eq!(s.outcome, Outcome::Pass, "{}", s.reason);
        assert!(
            s.reason.contains("d:\\ takes 300.0 GiB of 500.0 GiB free"),
            "{}",
            s.reason
        );
        // The log volume is too small: refused, and named.
        let t = with_volumes(
            target("15.0.2000.5"),
            &[("D:\\", 500 << 30), ("L:\\", 10 << 30)],
        );
        let c = run(&input(&p, &t, &facts, None));
        let s = find(&c, "sizes and free space");
        assert_eq!(s.outcome, Outcome::Fail, "{}", s.reason);
        assert!(
            s.reason
                .contains("NOT ENOUGH ROOM: L:\\ needs 40.0 GiB and has 10.0 GiB free"),
            "{}",
            s.reason
        );
        // A MOVE to the roomy volume fits; a nested mount point wins over its drive.
        let moves = vec![(
            "Sales_log".to_string(),
            "D:\\Logs\\Sales_log.ldf".to_string(),
        )];
        let t = with_volumes(
            target("15.0.2000.5"),
            &[
                ("D:\\", 500 << 30),
                ("D:\\Logs\\", 30 << 30),
                ("L:\\", 10 << 30),
            ],
        );
        let mut i = input(&p, &t, &facts, None);
        i.moves = &moves;
        let s = find(&run(&i), "sizes and free space").clone();
        assert_eq!(s.outcome, Outcome::Fail, "{}", s.reason);
        assert!(
            s.reason
                .contains("D:\\Logs\\ needs 40.0 GiB and has 30.0 GiB free"),
            "{}",
            s.reason
        );
        // Over an existing database the files are reused: a warning.
        let e = Existing {
            name: "Sales".into(),
            state: "ONLINE".into(),
            model: "FULL".into(),
            damaged: false,
            has_tail: true,
            keeps: "changes since the last log backup (5m)".into(),
        };
        let t = with_volumes(
            target("15.0.2000.5"),
            &[("D:\\", 1 << 30), ("L:\\", 1 << 30)],
        );
        let s = find(
            &run(&input(&p, &t, &facts, Some(&e))),
            "sizes and free space",
        )
        .clone();
        assert_eq!(s.outcome, Outcome::Warn, "{}", s.reason);
        assert!(s.reason.contains("only growth needs room"), "{}", s.reason);
        // A path on no collected volume leaves the answer open.
        let t = with_volumes(target("15.0.2000.5"), &[("D:\\", 500 << 30)]);
        let s = find(&run(&input(&p, &t, &facts, None)), "sizes and free space").clone();
        assert_eq!(s.outcome, Outcome::Unknown, "{}", s.reason);
        assert!(
            s.reason
                .contains("no collected volume holds L:\\Log\\Sales_log.ldf"),
            "{}",
            s.reason
        );
    }
}
