//! Everything chainwatch sends or prints as T-SQL, for ordinary and hostile
//! names, through Microsoft's own T-SQL parser (../shared/tsql-parser,
//! built by scripts/test into `$CHAINWATCH_MSPARSE`): it parses for the
//! grammar of every version it is meant for, and no name changes the number
//! of statements. The parser knows grammars up to 2017 (Version140); newer
//! servers are checked with that one.
//!
//! Without the parser the test fails under CI=true and skips loudly otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::plan::step;
use chainwatch::analysis::{RestorePlan, Target};
use chainwatch::model::{Lsn, ManagedBackupSchema};
use chainwatch::sqlserver::queries::{self, Scope};
use chainwatch::tsql::{
    backup_on_demand, reauthorize_batch, restore_batches, Reauthorize, RestoreOptions, Script,
};
use chrono::{TimeZone, Utc};

/// An ordinary name first (the reference statement count), then hostile ones.
fn names() -> Vec<String> {
    vec![
        "Sales".into(),
        "a]b".into(),
        "]".into(),
        "O'Brien".into(),
        "x';--".into(),
        ";-- DROP DATABASE victim".into(),
        "a\nb".into(),
        "a\nGO\nb".into(),
        "x\n!! rm -rf /\n".into(),
        "x\n:r evil.sql\n".into(),
        "$(SQLCMDPASSWORD)".into(),
        "{db}".into(),
        "'+N'x' AS database_name, 1 AS a FROM sys.objects; DROP DATABASE victim; SELECT N'{db}"
            .into(),
        "{db_name}]; SELECT 1; --".into(),
        "*/ SELECT 1 /*".into(),
        "a\0b".into(),
        "x".repeat(129),
        "]".repeat(128),
        "Ünïcødé 名前 🙂".into(),
        "GO".into(),
    ]
}

fn grammar(major: u32) -> &'static str {
    match major {
        0..=11 => "Version110",
        12 => "Version120",
        13 => "Version130",
        _ => "Version140",
    }
}

/// One text to parse: its file, the grammars, whether sqlcmd splits it first,
/// and the group whose members must all have the same statement count.
struct Case {
    file: PathBuf,
    grammars: Vec<&'static str>,
    sqlcmd: bool,
    group: String,
}

struct Cases {
    dir: PathBuf,
    list: Vec<Case>,
}

impl Cases {
    fn add(&mut self, group: &str, text: &str, grammars: Vec<&'static str>, sqlcmd: bool) {
        let file = self.dir.join(format!("{:05}.sql", self.list.len()));
        std::fs::write(&file, text).unwrap();
        self.list.push(Case {
            file,
            grammars,
            sqlcmd,
            group: group.to_string(),
        });
    }
}

/// Lines command-line sqlcmd would act on (it reads every line start, quoted or not).
fn sqlcmd_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| {
            let u = l.to_ascii_uppercase();
            l.starts_with(':')
                || l.starts_with("!!")
                || u == "GO"
                || u.starts_with("GO ")
                || u.starts_with("EXIT")
                || u.starts_with("QUIT")
                || u.starts_with("RESET")
                || u == "ED"
        })
        .map(String::from)
        .collect()
}

fn parser() -> Option<PathBuf> {
    match std::env::var_os("CHAINWATCH_MSPARSE") {
        Some(p) if Path::new(&p).is_file() => Some(PathBuf::from(p)),
        other => {
            let why = format!(
                "Microsoft's T-SQL parser is not available (CHAINWATCH_MSPARSE = {other:?}); scripts/test builds it from ../shared/tsql-parser"
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{why}");
            }
            eprintln!("\n!!!!!!!! SKIPPED: {why} !!!!!!!!\n");
            None
        }
    }
}

/// The restore script with `name` as the database, a file and a MOVE
/// target, and every safety step (verify, single user, tail-log backup,
/// CHECKDB); `latest` restores the tail too (no STOPATMARK).
fn restore(name: &str, latest: bool) -> Result<Script, chainwatch::tsql::QuoteError> {
    let mut last = step(
        "log",
        3,
        format!("https://acct.blob.core.windows.net/c/{name}_2.log"),
    );
    if !latest {
        last.stop_at_lsn = "399".parse::<Lsn>().ok();
    }
    let plan = RestorePlan::of_steps(
        Target::Latest,
        vec![
            step("full", 1, format!("D:\\b\\{name}.bak")),
            step("diff", 2, format!("D:\\b\\{name}.dif")),
            last,
        ],
    );
    let options = RestoreOptions {
        target_name: Some(name.to_string()),
        moves: vec![(name.to_string(), format!("E:\\data\\{name}.mdf"))],
        credential: Some(name.to_string()),
        stop_mark: Some(chainwatch::tsql::StopMark {
            name: name.to_string(),
            after_local: Some("2026-01-01T00:00:00".into()),
        }),
        reauthorize: Some(Reauthorize {
            credential: Some(name.to_string()),
            candidates: vec![name.to_string()],
            with_copy: true,
            azure_server: Some(name.to_string()),
            azure_database: Some(name.to_string()),
            unreadable: Some(name.to_string()),
        }),
        verify_first: true,
        single_user: true,
        checkdb: true,
        tail_log: Some(chainwatch::tsql::TailLog {
            file: format!("https://acct.blob.core.windows.net/c/{name}_tail.trn"),
            no_truncate: latest,
            restore_it: true,
            keeps: name.to_string(),
        }),
        ..RestoreOptions::default()
    };
    let options = RestoreOptions {
        stop_mark: if latest {
            None
        } else {
            options.stop_mark.clone()
        },
        ..options
    };
    restore_batches(name, &plan, &options)
}

/// Remedy T-SQL of the demo estate's findings with every database renamed.
fn remedies(name: &str) -> Vec<(String, String)> {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let mut estate = chainwatch::sources::demo_estate(now).unwrap();
    for inst in &mut estate.instances {
        for d in &mut inst.databases {
            d.name = format!("{name}{}", d.name);
        }
        for b in &mut inst.backups {
            b.database_name = format!("{name}{}", b.database_name);
        }
    }
    let report = chainwatch::analysis::analyze_estate(&estate, now);
    let mut out = Vec::new();
    for d in &report.databases {
        for f in &d.findings {
            if let Some(sql) = &f.sql {
                let original = f
                    .database
                    .as_deref()
                    .and_then(|n| n.strip_prefix(name))
                    .unwrap_or("-");
                out.push((
                    format!("remedy {} {original} {}", f.instance, f.id),
                    sql.clone(),
                ));
            }
        }
    }
    out
}

#[test]
fn everything_chainwatch_writes_parses_and_no_name_adds_a_statement() {
    let Some(msparse) = parser() else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("msparse-inputs");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases = Cases { dir, list: vec![] };
    let mut refused = Vec::new();

    // Every catalog query, for every version it is sent to.
    let mut all: Vec<(&str, &str, Scope, (u32, u32))> = queries::ALL
        .iter()
        .map(|q| (q.name, q.sql, q.scope, q.versions()))
        .collect();
    for (n, sql) in [
        ("SERVER", queries::SERVER),
        ("USER_DATABASES", queries::USER_DATABASES),
        ("MANAGED_DATABASES_MB", queries::MANAGED_DATABASES_MB),
        ("MAX_RETENTION_MB", queries::MAX_RETENTION_MB),
        ("PERMISSIONS", queries::PERMISSIONS),
        ("MSDB_BACKUPOPERATOR", queries::MSDB_BACKUPOPERATOR),
    ] {
        all.push((n, sql, Scope::Server, (11, u32::MAX)));
    }
    for (n, sql) in [
        ("MANAGED_DATABASES_SA", queries::MANAGED_DATABASES_SA),
        ("MAX_RETENTION_SA", queries::MAX_RETENTION_SA),
    ] {
        all.push((n, sql, Scope::Server, (12, 13)));
    }
    for (qname, sql, scope, (from, before)) in &all {
        let grammars: Vec<&str> = [11u32, 12, 13, 14, 15, 16]
            .into_iter()
            .filter(|m| m >= from && m < before)
            .map(grammar)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let per_db = matches!(scope, Scope::PerDatabase | Scope::PerManagedDatabase);
        for name in names() {
            match queries::render(sql, 42, 30, per_db.then_some(name.as_str())) {
                Ok(text) => cases.add(&format!("query {qname}"), &text, grammars.clone(), false),
                // The collector skips a database it cannot quote, saying so.
                Err(e) => refused.push(format!("query {qname} {name:?}: {e}")),
            }
            if !per_db {
                break;
            }
        }
    }

    // The collection script (2016+, split by sqlcmd as it runs).
    let script = chainwatch::sqlserver::script::collection_script(30);
    assert_eq!(sqlcmd_lines(&script), [":on error exit", "GO"]);
    // The Tools Service splitter leaves sqlcmd's own commands in the batch.
    let script = script.replace("\n:on error exit\n", "\n-- :on error exit\n");
    cases.add(
        "collect --print-sql",
        &script,
        vec!["Version130", "Version140"],
        true,
    );

    // Restore (with reauthorize), backup-now: scripts meant for sqlcmd -i.
    let all_grammars = vec!["Version120", "Version130", "Version140"];
    for name in names() {
        let sqlcmd_hostile = chainwatch::tsql::sqlcmd_safe(&name).is_err();
        for (group, latest) in [("restore", false), ("restore latest", true)] {
            match restore(&name, latest) {
                Ok(s) => {
                    assert!(!sqlcmd_hostile, "{name:?} went into a sqlcmd script");
                    assert!(sqlcmd_lines(&s.text()).is_empty(), "{name:?}");
                    cases.add(group, &s.text(), all_grammars.clone(), true);
                }
                Err(e) => refused.push(format!("{group} {name:?}: {e}")),
            }
        }
        for (schema, grammars) in [
            (ManagedBackupSchema::SmartAdmin, vec!["Version120"]),
            (
                ManagedBackupSchema::ManagedBackup,
                vec!["Version130", "Version140"],
            ),
        ] {
            for log in [false, true] {
                match backup_on_demand(schema, &name, log) {
                    Ok(b) => {
                        assert!(!sqlcmd_hostile, "{name:?} went into a sqlcmd script");
                        let s = Script {
                            header: vec![format!("backup-now {name}")],
                            batches: vec![b],
                        };
                        cases.add(
                            &format!("backup-now {schema:?} {log}"),
                            &s.text(),
                            grammars.clone(),
                            true,
                        );
                    }
                    Err(e) => refused.push(format!("backup-now {name:?}: {e}")),
                }
            }
        }
        let r = Reauthorize::for_credentials(vec![name.clone()]);
        match reauthorize_batch(&name, &r) {
            Ok(b) => {
                let s = Script {
                    header: vec![format!("reauthorize {name}")],
                    batches: vec![b],
                };
                cases.add(
                    "reauthorize",
                    &s.text(),
                    vec!["Version130", "Version140"],
                    true,
                );
            }
            Err(e) => refused.push(format!("reauthorize {name:?}: {e}")),
        }
    }

    // Remedies of every finding that carries T-SQL, databases renamed. A name
    // that cannot be bracketed (NUL, over 128) is shown as a comment there, so
    // those remedies are not statements to parse.
    for name in names()
        .into_iter()
        .filter(|n| chainwatch::tsql::quote_ident(&format!("{n}Sales")).is_ok())
    {
        for (group, sql) in remedies(&name) {
            cases.add(&group, &sql, all_grammars.clone(), false);
        }
    }

    // One msparse run per grammar and mode.
    let mut runs: BTreeMap<(&str, bool), Vec<&Case>> = BTreeMap::new();
    for c in &cases.list {
        for g in &c.grammars {
            runs.entry((g, c.sqlcmd)).or_default().push(c);
        }
    }
    let mut counts: BTreeMap<(String, String), BTreeMap<usize, Vec<String>>> = BTreeMap::new();
    let mut problems = Vec::new();
    for ((g, sqlcmd), list) in &runs {
        let mut cmd = Command::new(&msparse);
        cmd.arg(g);
        if *sqlcmd {
            cmd.arg("--sqlcmd");
        }
        cmd.args(list.iter().map(|c| &c.file));
        let out = cmd.output().expect("msparse runs");
        assert!(
            out.status.success(),
            "msparse: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let by_file: BTreeMap<String, serde_json::Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (v["file"].as_str().unwrap().to_string(), v)
            })
            .collect();
        for c in list {
            let file = c.file.to_string_lossy().to_string();
            let v = &by_file[&file];
            let text = std::fs::read_to_string(&c.file).unwrap();
            if let Some(e) = v.get("exception").or(v.get("split_error")) {
                problems.push(format!("{} {g}: {e}\n{text}", c.group));
                continue;
            }
            let mut statements = 0;
            for piece in v["pieces"].as_array().unwrap() {
                for e in piece["errors"].as_array().unwrap() {
                    if !e["warning"].as_bool().unwrap_or(false) {
                        problems.push(format!(
                            "{} {g}: {} at {}\n{text}",
                            c.group, e["message"], e["start"]
                        ));
                    }
                }
                if let Some(e) = piece.get("exception") {
                    problems.push(format!("{} {g}: {e}", c.group));
                }
                for b in piece["batches"].as_array().unwrap() {
                    statements += b["statements"].as_array().unwrap().len();
                }
            }
            counts
                .entry((c.group.clone(), g.to_string()))
                .or_default()
                .entry(statements)
                .or_default()
                .push(file);
        }
    }
    for ((group, g), by_count) in &counts {
        if by_count.len() > 1 {
            problems.push(format!(
                "{group} {g}: the statement count changes with the name: {by_count:?}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems
            .iter()
            .map(|p| p.lines().next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Names sqlcmd would act on are refused for the sqlcmd scripts, with the reason.
    for bad in ["a\\nGO\\nb", "$(SQLCMDPASSWORD)", "x\\n!! rm -rf /\\n"] {
        assert!(
            refused
                .iter()
                .any(|r| r.starts_with(&format!("restore \"{bad}\""))),
            "{bad}: {refused:#?}"
        );
    }
    assert!(cases.list.len() > 100, "{} texts", cases.list.len());
}
