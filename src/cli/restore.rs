//! `chainwatch restore` and `chainwatch reauthorize`: the wizard's
//! non-interactive twins. Without `--execute` they print the script. With
//! it they run only when the target instance has `allow_writes = true` in
//! the config, `--confirm` repeats the target database name exactly, and
//! every pre-flight check the wizard runs passes.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};

use crate::analysis::restore_facts::{self, UrlCredential};
use crate::analysis::{analyze_database, find_database, plan, Target};
use crate::app::wizard::checks::{self, CheckInput, Outcome};
use crate::app::wizard::safety;
use crate::config::{Config, InstanceConfig};
use crate::model::Lsn;
use crate::sources::Loaded;
use crate::sqlserver::exec::{self, ExecEvent, Job};
use crate::tsql::{self, RestoreOptions, Script};

// What to restore, how, and whether to run it: `chainwatch restore`'s
// options (plain comments: a doc comment here would become its --help text).
#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    #[arg(long)]
    pub database: String,
    #[arg(long)]
    pub instance: Option<String>,
    /// Target time: server local time unless it carries Z or an offset.
    #[arg(long, conflicts_with = "lsn")]
    pub at: Option<String>,
    /// Target LSN (decimal digits, or vlf:block:slot hex).
    #[arg(long, conflicts_with = "mark")]
    pub lsn: Option<String>,
    /// Stop at this marked transaction (STOPATMARK; msdb.dbo.logmarkhistory).
    #[arg(long, conflicts_with = "at")]
    pub mark: Option<String>,
    /// Restore onto this instance (default: the database's own).
    #[arg(long, value_name = "NAME")]
    pub target_instance: Option<String>,
    /// Restore under this new name (default: <db>_restored_<yyyymmdd_hhmm>).
    #[arg(long = "as", value_name = "NAME", conflicts_with = "replace")]
    pub new_name: Option<String>,
    /// Overwrite the database of the same name (REPLACE), after a
    /// tail-log backup of it (FULL / BULK_LOGGED) and SINGLE_USER.
    #[arg(long)]
    pub replace: bool,
    /// With --replace: no tail-log backup first (its changes are lost).
    #[arg(long, requires = "replace")]
    pub no_tail_log: bool,
    /// RESTORE VERIFYONLY ... WITH CHECKSUM of every backup first.
    #[arg(long)]
    pub verify: bool,
    /// DBCC CHECKDB of the restored database after the recovery.
    #[arg(long)]
    pub checkdb: bool,
    /// MOVE a logical file: LOGICAL=PATH (repeatable).
    #[arg(long = "move", value_name = "LOGICAL=PATH")]
    pub moves: Vec<String>,
    /// Run the script on the target instead of printing it.
    #[arg(long)]
    pub execute: bool,
    /// The target database name, typed exactly (required with --execute).
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
}

/// Prints or runs the restore; returns the exit code.
pub fn restore(loaded: &Loaded, args: &RestoreArgs) -> anyhow::Result<u8> {
    let (inst, db) = find_database(&loaded.estate, args.instance.as_deref(), &args.database)
        .map_err(anyhow::Error::msg)?;
    let a = analyze_database(&loaded.estate, inst, db, loaded.now);
    let mut stop_mark = None;
    let target = match (
        args.at.as_deref(),
        args.lsn.as_deref(),
        args.mark.as_deref(),
    ) {
        (Some(t), _, _) => Target::Time(super::parse_target_time(
            t,
            &a,
            inst.server.utc_offset_minutes,
        )?),
        (None, Some(l), _) => Target::Lsn(l.parse::<Lsn>().map_err(|e| anyhow!("--lsn: {e}"))?),
        (None, None, Some(name)) => {
            let marks = restore_facts::marks(inst, &db.name)
                .ok_or_else(|| anyhow!("--mark: msdb.dbo.logmarkhistory was not collected"))?;
            // The latest mark of that name (names may repeat).
            let m = marks.iter().rev().find(|m| m.name == name).ok_or_else(|| {
                anyhow!("--mark {name:?}: no such marked transaction in {}", db.name)
            })?;
            stop_mark = Some(tsql::StopMark {
                name: m.name.clone(),
                after_local: m.time_local.clone(),
            });
            Target::Lsn(m.lsn)
        }
        (None, None, None) => Target::Latest,
    };
    let p = plan(&a, target);
    if !p.recoverable {
        // Exit 1: the target cannot be reached (design.md §3); no script.
        eprintln!(
            "chainwatch: {} cannot be restored to that target: {}",
            db.name, p.reason
        );
        return Ok(1);
    }
    let target_instance = args.target_instance.as_deref().unwrap_or(&inst.name);
    let target_inst = loaded.estate.instance(target_instance);
    // A new name unless --replace: `<db>_restored_<yyyymmdd_hhmm>` by default.
    let default_name;
    let name = match (args.replace, args.new_name.as_deref()) {
        (true, Some(_)) => bail!(
            "--replace overwrites {}: it cannot be given with --as",
            db.name
        ),
        (true, None) => db.name.as_str(),
        (false, Some(n)) if n.eq_ignore_ascii_case(&db.name) && target_instance == inst.name => {
            bail!("--as {n}: that is the database itself; pass --replace to overwrite it")
        }
        (false, Some(n)) => n,
        (false, None) => {
            default_name = restore_facts::default_restore_name(&db.name, loaded.now);
            default_name.as_str()
        }
    };
    if args.execute && !args.replace && args.new_name.is_none() {
        bail!(
            "refused: --execute needs --as NAME (a new database, e.g. --as {name}) or --replace (overwrite {}); the default name is for the printed script only",
            db.name
        );
    }
    let new_name = (!args.replace).then(|| name.to_string());
    let facts = checks::Facts::gather(&loaded.estate, &p, &inst.name);
    // The same MOVE rows the wizard proposes, then the --move overrides.
    let mut moves: Vec<(String, String)> = match (&facts.files, &new_name) {
        (Some(files), Some(n)) => restore_facts::file_moves(files, &db.name, Some(n))
            .into_iter()
            .map(|m| (m.logical, m.physical))
            .collect(),
        _ => Vec::new(),
    };
    for m in &args.moves {
        let (l, path) = m
            .split_once('=')
            .ok_or_else(|| anyhow!("--move {m:?}: expected LOGICAL=PATH"))?;
        match moves.iter_mut().find(|(x, _)| x == l) {
            Some(row) => row.1 = path.to_string(),
            None => moves.push((l.to_string(), path.to_string())),
        }
    }
    let credential = target_inst.and_then(|t| {
        let url = p
            .steps
            .iter()
            .flat_map(|s| &s.files)
            .find(|f| f.contains("://"))?;
        match restore_facts::url_credential(t, url) {
            UrlCredential::Key(n) => Some(n),
            _ => None,
        }
    });
    let existing = args
        .replace
        .then(|| safety::existing(target_inst, name, loaded.now))
        .flatten();
    let same_database_latest =
        args.replace && target_instance == inst.name && matches!(target, Target::Latest);
    let tail_log = match (&existing, args.no_tail_log) {
        (Some(e), false) => safety::tail_log(e, &p, same_database_latest, loaded.now),
        _ => None,
    };
    let options = RestoreOptions {
        target_name: new_name.clone(),
        replace: args.replace,
        moves,
        stats: Some(10),
        credential,
        reauthorize: None,
        stop_mark,
        verify_first: args.verify,
        single_user: args.replace
            && existing
                .as_ref()
                .is_some_and(safety::Existing::needs_exclusive),
        tail_log,
        checkdb: args.checkdb,
        without_checksums: facts.without_checksums.clone(),
    };
    let writable_config = loaded
        .config
        .as_ref()
        .and_then(|c| c.instance(target_instance));
    let checks = checks::run(&CheckInput {
        plan: &p,
        target: target_inst,
        target_name: name,
        replace: options.replace,
        allow_writes: writable_config.is_some_and(|i| i.allow_writes),
        connectable: writable_config.is_some(),
        present_blobs: None,
        existing: existing.as_ref(),
        tail_log: options.tail_log.as_ref(),
        single_user: options.single_user,
        moves: &options.moves,
        source_on_target: checks::source_on_target(
            target_inst,
            &db.name,
            target_instance == inst.name,
        ),
        facts: &facts,
    });
    let script = tsql::restore_batches(&db.name, &p, &options)?;
    if !args.execute {
        // The pre-flight, to stderr: the script on stdout stays a script.
        for c in checks
            .iter()
            .filter(|c| c.name != "writes allowed on the target")
        {
            eprintln!("{} {}: {}", c.outcome.label(), c.name, c.reason);
        }
        out!("{}", script.text());
        if db.stretch_enabled == Some(true) {
            outln!(
                "-- Stretch-enabled: after the restore, run chainwatch reauthorize --database {}",
                tsql::comment_safe(name)
            );
        }
        return Ok(0);
    }
    let instance = writable(
        loaded.config.as_ref(),
        target_instance,
        name,
        args.confirm.as_deref(),
    )?;
    for c in &checks {
        eprintln!("{} {}: {}", c.outcome.label(), c.name, c.reason);
    }
    if checks.iter().any(|c| c.outcome == Outcome::Fail) {
        bail!("refused: pre-flight failed; nothing ran (print the script without --execute)");
    }
    let batches = script
        .batches
        .iter()
        .enumerate()
        .map(|(i, b)| (i, b.sql.clone()))
        .collect();
    run(instance, &script, batches, Vec::new())
}

// `chainwatch reauthorize`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct ReauthorizeArgs {
    #[arg(long)]
    pub database: String,
    #[arg(long)]
    pub instance: Option<String>,
    /// The database scoped credential (default: the database's only one).
    #[arg(long)]
    pub credential: Option<String>,
    /// @with_copy: 1 = connect to a copy of the remote data, 0 = the existing data.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub with_copy: u8,
    #[arg(long)]
    pub execute: bool,
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
}

// `chainwatch backup-now`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct BackupNowArgs {
    #[arg(long)]
    pub database: String,
    #[arg(long)]
    pub instance: Option<String>,
    /// A log backup instead of a full one.
    #[arg(long)]
    pub log: bool,
    #[arg(long)]
    pub execute: bool,
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
}

/// Prints or runs `sys.sp_rda_reauthorize_db`, then the verify queries.
pub fn reauthorize(loaded: &Loaded, args: &ReauthorizeArgs) -> anyhow::Result<u8> {
    let (inst, db) = find_database(&loaded.estate, args.instance.as_deref(), &args.database)
        .map_err(anyhow::Error::msg)?;
    let mut r = restore_facts::reauthorize_for(inst, &db.name);
    r.with_copy = args.with_copy == 1;
    if let Some(c) = args.credential.as_deref() {
        r.credential = Some(c.to_string());
    }
    let batch = tsql::reauthorize_batch(&db.name, &r)?;
    let script = Script {
        header: vec![format!(
            "chainwatch: reconnect {} to its Stretch remote data",
            db.name
        )],
        batches: vec![batch],
    };
    if !args.execute {
        out!("{}", script.text());
        return Ok(0);
    }
    if r.credential.is_none() {
        bail!(
            "refused: {} has {} database scoped credentials; name one with --credential",
            db.name,
            r.candidates.len()
        );
    }
    let instance = writable(
        loaded.config.as_ref(),
        &inst.name,
        &db.name,
        args.confirm.as_deref(),
    )?;
    let queries = exec::verify_queries(&db.name)?;
    run(
        instance,
        &script,
        vec![(0, script.batches[0].sql.clone())],
        queries,
    )
}

/// The target's connection, only when writes are allowed and confirmed.
fn writable(
    config: Option<&Config>,
    instance: &str,
    name: &str,
    confirm: Option<&str>,
) -> anyhow::Result<InstanceConfig> {
    let Some(config) = config else {
        bail!("refused: --execute needs --config (the demo estate, snapshots and files cannot be written to)");
    };
    let Some(inst) = config.instance(instance) else {
        bail!("refused: {instance} is not in the config");
    };
    if !inst.allow_writes {
        bail!("refused: {instance} does not allow writes (set allow_writes = true for it in the config)");
    }
    match confirm {
        Some(c) if c == name => Ok(inst.clone()),
        Some(c) => {
            bail!("refused: --confirm {c:?} does not match the database name {name:?}; nothing ran")
        }
        None => {
            bail!("refused: --execute needs --confirm {name:?} (the database name, typed exactly)")
        }
    }
}

/// Runs the batches, printing progress and every server message.
fn run(
    instance: InstanceConfig,
    script: &Script,
    batches: Vec<(usize, String)>,
    queries: Vec<(String, String)>,
) -> anyhow::Result<u8> {
    let credential = crate::sqlserver::credential(&instance).map_err(anyhow::Error::msg)?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = exec::spawn(
        Job {
            instance,
            credential,
            batches,
            queries,
            cancel: Arc::new(AtomicBool::new(false)),
            connect_timeout: Duration::from_secs(15),
        },
        tx,
    );
    let label = |i: usize| {
        script
            .batches
            .get(i)
            .map(|b| b.label.clone())
            .unwrap_or_default()
    };
    let mut result = Ok(0);
    let mut elapsed = Vec::new();
    while let Some(ev) = rx.blocking_recv() {
        match ev {
            ExecEvent::Connected { .. } => eprintln!("connected"),
            ExecEvent::Started { batch, .. } => eprintln!("{}: started", label(batch)),
            ExecEvent::Message { batch, text } => eprintln!("{}: {text}", label(batch)),
            ExecEvent::Done { batch, elapsed_ms } => {
                elapsed.push((batch, elapsed_ms));
                outln!(
                    "{}: ok in {:.1} s",
                    label(batch),
                    elapsed_ms as f64 / 1000.0
                )
            }
            ExecEvent::Failed { batch, error, .. } => {
                result = Err(anyhow!(
                    "{} failed: {error}; the database is left RESTORING until the sequence completes",
                    label(batch)
                ));
            }
            ExecEvent::ConnectFailed { error } => result = Err(anyhow!("cannot connect: {error}")),
            ExecEvent::Cancelled { .. } => result = Err(anyhow!("cancelled")),
            ExecEvent::Rows { query, rows } => {
                for row in rows {
                    outln!("{query}: {}", serde_json::Value::Object(row));
                }
            }
            ExecEvent::Finished => {}
        }
    }
    let _ = handle.join();
    if result.is_ok()
        && script
            .batches
            .iter()
            .any(|b| b.kind == tsql::BatchKind::Recovery)
    {
        outln!("{}", crate::app::wizard::measured(script, &elapsed));
    }
    result.context("execution stopped")
}

/// Prints or runs Managed Backup's on-demand backup of one database.
pub fn backup_now(loaded: &Loaded, args: &BackupNowArgs) -> anyhow::Result<u8> {
    let (inst, db) = find_database(&loaded.estate, args.instance.as_deref(), &args.database)
        .map_err(anyhow::Error::msg)?;
    let Some(mb) = db.managed_backup.as_ref().filter(|m| m.enabled) else {
        bail!(
            "refused: {} is not protected by Managed Backup on {}; an ad hoc backup would move its chain (take a COPY_ONLY backup instead)",
            db.name,
            inst.name
        );
    };
    let batch = tsql::backup_on_demand(mb.schema, &db.name, args.log)?;
    let script = Script {
        header: vec![format!(
            "chainwatch: on-demand backup of {} on {}",
            db.name, inst.name
        )],
        batches: vec![batch],
    };
    if !args.execute {
        out!("{}", script.text());
        return Ok(0);
    }
    let target = writable(
        loaded.config.as_ref(),
        &inst.name,
        &db.name,
        args.confirm.as_deref(),
    )?;
    run(
        target,
        &script,
        vec![(0, script.batches[0].sql.clone())],
        Vec::new(),
    )
}
