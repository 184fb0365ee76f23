//! `chainwatch restore` / `reauthorize` (and `plan --format tsql`) through
//! the real binary, against the TDS test server over TCP: the script is
//! printed by default; --execute runs only with allow_writes in the config
//! and --confirm naming the database exactly, and then sends exactly the
//! printed batches.

use std::path::PathBuf;
use std::process::Output;

use crate::support::bin::run;
use crate::support::{demo_instances, ServerOptions, TdsServer, NOW};

const PROD: &str = "SQL16\\PROD";

struct Live {
    _rt: tokio::runtime::Runtime,
    server: TdsServer,
    options: ServerOptions,
    dir: PathBuf,
}

fn live(tag: &str) -> Live {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = ServerOptions::default();
    let served = demo_instances(NOW).remove(PROD).unwrap();
    let server = rt.block_on(TdsServer::start(served, options.clone()));
    let dir = std::env::temp_dir().join(format!(
        "chainwatch-restore-cli-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Live {
        _rt: rt,
        server,
        options,
        dir,
    }
}

impl Live {
    fn config(&self, allow_writes: bool) -> String {
        let path = self.dir.join(format!("config-{allow_writes}.toml"));
        std::fs::write(
            &path,
            format!(
                "[[instance]]\nname = 'SQL16\\PROD'\nconnection = \"Server=tcp:{},{};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\npassword_env = \"CW_TEST_RESTORE_PW\"\nallow_writes = {allow_writes}\n",
                self.server.addr.ip(),
                self.server.addr.port()
            ),
        )
        .unwrap();
        path.to_string_lossy().into_owned()
    }

    fn run(&self, args: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_chainwatch"))
            .args(args)
            .env("CW_TEST_RESTORE_PW", "s3cret!")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn writes(&self) -> Vec<String> {
        self.options.writes.lock().unwrap().clone()
    }
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The runnable statements of a printed script, in order.
fn statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in script.lines() {
        if line.starts_with("--") || line.trim().is_empty() {
            continue;
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(line);
        if line.ends_with(';') && !line.starts_with("USE ") {
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}

#[test]
fn plan_tsql_ends_with_the_reauthorize_step_for_stretch() {
    let out = run(&[
        "plan",
        "--demo",
        "--now",
        NOW,
        "--database",
        "Archive",
        "--format",
        "tsql",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.trim_end().ends_with(
        "USE [Archive];\nEXEC sys.sp_rda_reauthorize_db @credential = N'StretchCred', @with_copy = 1;"
    ), "{stdout}");
    // A database that is not Stretch-enabled has no reauthorize step.
    let out = run(&[
        "plan",
        "--demo",
        "--now",
        NOW,
        "--database",
        "Sales",
        "--instance",
        PROD,
        "--format",
        "tsql",
    ]);
    let (stdout, _) = text(&out);
    assert!(!stdout.contains("sp_rda_reauthorize_db"));
    assert!(stdout.trim_end().ends_with("WITH RECOVERY;"));
}

#[test]
fn execute_is_refused_without_allow_writes_or_the_right_confirmation() {
    let live = live("refuse");
    let read_only = live.config(false);
    let writable = live.config(true);
    for (args, why) in [
        (
            vec![
                "restore",
                "--replace",
                "--demo",
                "--now",
                NOW,
                "--database",
                "Archive",
                "--execute",
                "--confirm",
                "Archive",
            ],
            "--execute needs --config",
        ),
        (
            vec![
                "restore",
                "--replace",
                "--config",
                &read_only,
                "--database",
                "Archive",
                "--execute",
                "--confirm",
                "Archive",
            ],
            "does not allow writes",
        ),
        (
            vec![
                "restore",
                "--replace",
                "--config",
                &writable,
                "--database",
                "Archive",
                "--execute",
            ],
            "needs --confirm",
        ),
        (
            vec![
                "restore",
                "--replace",
                "--config",
                &writable,
                "--database",
                "Archive",
                "--execute",
                "--confirm",
                "archive",
            ],
            "does not match",
        ),
        (
            vec![
                "reauthorize",
                "--config",
                &read_only,
                "--database",
                "Archive",
                "--execute",
                "--confirm",
                "Archive",
            ],
            "does not allow writes",
        ),
        (
            vec![
                "reauthorize",
                "--config",
                &writable,
                "--database",
                "Archive",
                "--execute",
                "--confirm",
                "Archiv",
            ],
            "does not match",
        ),
        (
            vec![
                "restore",
                "--config",
                &writable,
                "--database",
                "Archive",
                "--execute",
                "--confirm",
                "Archive",
            ],
            "needs --as NAME",
        ),
        (
            vec![
                "restore",
                "--config",
                &writable,
                "--database",
                "Archive",
                "--as",
                "archive",
                "--execute",
                "--confirm",
                "archive",
            ],
            "pass --replace to overwrite it",
        ),
    ] {
        let out = live.run(&args);
        let (_, stderr) = text(&out);
        assert!(!out.status.success(), "{args:?} must be refused");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }
    assert!(
        live.writes().is_empty(),
        "nothing reached the server: {:?}",
        live.writes()
    );
}

#[test]
fn execute_sends_exactly_the_printed_script_then_reauthorizes() {
    let live = live("run");
    let config = live.config(true);
    let args = [
        "restore",
        "--config",
        &config,
        "--now",
        NOW,
        "--database",
        "Archive",
        "--replace",
        "--verify",
        "--checkdb",
    ];
    let printed = live.run(&args);
    let (script, stderr) = text(&printed);
    assert!(printed.status.success(), "{stderr}");
    assert!(live.writes().is_empty(), "printing runs nothing");
    // REPLACE over the online FULL database: WARN, tail-log and single user first.
    assert!(
        stderr.contains("WARN target database: Archive exists (ONLINE, FULL)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("PASS tail-log backup: BACKUP LOG"),
        "{stderr}"
    );
    assert!(
        stderr.contains("keeps changes since the last log backup (34m)"),
        "{stderr}"
    );
    assert!(stderr.contains("WARN exclusive access"), "{stderr}");
    assert!(
        script.contains("-- REPLACE: overwrites the existing database"),
        "{script}"
    );
    let out = live.run(&[&args[..], &["--execute", "--confirm", "Archive"]].concat());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("percent processed"), "{stderr}");
    let writes = live.writes();
    assert_eq!(writes, statements(&script));
    // The executor's allow-list let every safety statement through, in order.
    let first = |needle: &str| {
        writes
            .iter()
            .position(|w| w.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not sent: {writes:#?}"))
    };
    let verify = first("RESTORE VERIFYONLY");
    let single = first("ALTER DATABASE [Archive] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;");
    let tail = first("BACKUP LOG [Archive]");
    let data = first("RESTORE DATABASE [Archive]\n  FROM");
    let tail_restore = writes
        .iter()
        .rposition(|w| w.starts_with("RESTORE LOG"))
        .unwrap();
    let recovery = first("WITH RECOVERY;");
    let multi = first("SET MULTI_USER;");
    let checkdb = first("DBCC CHECKDB ([Archive]) WITH NO_INFOMSGS, ALL_ERRORMSGS;");
    assert!(
        verify < single && single < tail && tail < data,
        "{writes:#?}"
    );
    assert!(data < tail_restore && tail_restore < recovery && recovery < multi && multi < checkdb);
    assert!(writes[tail].contains("WITH NORECOVERY"), "{}", writes[tail]);
    assert!(
        !writes[tail].contains("NO_TRUNCATE"),
        "an online database: {}",
        writes[tail]
    );
    // Restored to the latest point: the tail it took is restored last.
    let tail_file = writes[tail]
        .split("N'")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        writes[tail_restore].contains(tail_file),
        "{}",
        writes[tail_restore]
    );
    assert!(
        stdout.contains("measured restore time (the RTO this restore achieved)"),
        "{stdout}"
    );
    let out = live.run(&[
        "reauthorize",
        "--config",
        &config,
        "--database",
        "Archive",
        "--with-copy",
        "0",
        "--execute",
        "--confirm",
        "Archive",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        live.writes().last().unwrap(),
        "USE [Archive];\nEXEC sys.sp_rda_reauthorize_db @credential = N'StretchCred', @with_copy = 0;"
    );
    assert!(stdout.contains("RDAArchive1A2B"), "{stdout}");
}

#[test]
fn backup_now_is_refused_then_runs_the_printed_statement() {
    let live = live("backup-now");
    let read_only = live.config(false);
    let writable = live.config(true);
    for (args, why) in [
        (
            vec![
                "backup-now",
                "--demo",
                "--now",
                NOW,
                "--database",
                "Archive",
                "--execute",
                "--confirm",
                "Archive",
            ],
            "--execute needs --config",
        ),
        (
            vec![
                "backup-now",
                "--config",
                &read_only,
                "--database",
                "Archive",
                "--execute",
                "--confirm",
                "Archive",
            ],
            "does not allow writes",
        ),
        (
            vec![
                "backup-now",
                "--config",
                &writable,
                "--database",
                "Archive",
                "--execute",
                "--confirm",
                "ARCHIVE",
            ],
            "does not match",
        ),
        (
            vec![
                "backup-now",
                "--config",
                &writable,
                "--database",
                "Archive",
                "--execute",
            ],
            "needs --confirm",
        ),
    ] {
        let out = live.run(&args);
        assert!(!out.status.success(), "{args:?} must be refused");
        assert!(text(&out).1.contains(why), "{args:?}: {}", text(&out).1);
    }
    assert!(live.writes().is_empty());
    let printed = live.run(&[
        "backup-now",
        "--config",
        &writable,
        "--database",
        "Archive",
        "--log",
    ]);
    let stmt = statements(&text(&printed).0);
    assert_eq!(stmt, vec!["EXEC msdb.managed_backup.sp_backup_on_demand @database_name = N'Archive', @type = N'Log';".to_string()]);
    let out = live.run(&[
        "backup-now",
        "--config",
        &writable,
        "--database",
        "Archive",
        "--log",
        "--execute",
        "--confirm",
        "Archive",
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(live.writes(), stmt);
}

#[test]
fn restore_to_a_marked_transaction_by_name() {
    let out = run(&[
        "restore",
        "--demo",
        "--now",
        NOW,
        "--database",
        "Orders",
        "--instance",
        PROD,
        "--mark",
        "PriceListUpdate",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let logs: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("STOPATMARK"))
        .collect();
    assert!(!logs.is_empty(), "{stdout}");
    assert!(
        logs.iter()
            .all(|l| l.contains("STOPATMARK = N'PriceListUpdate' AFTER N'")),
        "{logs:?}"
    );
    let out = run(&[
        "restore",
        "--demo",
        "--now",
        NOW,
        "--database",
        "Orders",
        "--instance",
        PROD,
        "--mark",
        "NoSuchMark",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("no such marked transaction"),
        "{}",
        text(&out).1
    );
}

#[test]
fn a_new_name_is_the_default_and_moves_every_file() {
    let base = [
        "restore",
        "--demo",
        "--now",
        NOW,
        "--database",
        "Sales",
        "--instance",
        PROD,
    ];
    let out = run(&base);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let name = "Sales_restored_20261122_1000";
    assert!(
        stdout.contains(&format!("RESTORE DATABASE [{name}]\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("MOVE N'Sales' TO N'D:\\SQLData\\{name}.mdf'")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "MOVE N'Sales_log' TO N'L:\\SQLLogs\\{name}_log.ldf'"
        )),
        "{stdout}"
    );
    for never in ["REPLACE,", "SINGLE_USER", "BACKUP LOG"] {
        assert!(
            !stdout.contains(never),
            "{never} without --replace: {stdout}"
        );
    }
    assert!(
        stderr.contains("PASS file moves: 2 file(s) moved"),
        "{stderr}"
    );
    // --as: the same MOVE rows (one function), --move overrides one of them.
    let out = run(&[
        &base[..],
        &["--as", "Sales_copy", "--move", "Sales=E:\\x.mdf"],
    ]
    .concat());
    let (stdout, _) = text(&out);
    assert!(stdout.contains("MOVE N'Sales' TO N'E:\\x.mdf'"), "{stdout}");
    assert!(
        stdout.contains("MOVE N'Sales_log' TO N'L:\\SQLLogs\\Sales_copy_log.ldf'"),
        "{stdout}"
    );
    // --replace: the explicit choice, with its WARN and its own steps.
    let out = run(&[&base[..], &["--replace"]].concat());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("WITH NORECOVERY, REPLACE"), "{stdout}");
    assert!(
        stdout.contains("ALTER DATABASE [Sales] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;"),
        "{stdout}"
    );
    assert!(stdout.contains("BACKUP LOG [Sales]"), "{stdout}");
    assert!(
        stderr.contains("WARN target database: Sales exists"),
        "{stderr}"
    );
    // --replace --no-tail-log: the loss in words.
    let out = run(&[&base[..], &["--replace", "--no-tail-log"]].concat());
    let (stdout, stderr) = text(&out);
    assert!(!stdout.contains("BACKUP LOG"), "{stdout}");
    assert!(
        stderr.contains("WARN tail-log backup: off: changes since the last log backup ("),
        "{stderr}"
    );
    assert!(stdout.contains("WITHOUT a tail-log backup"), "{stdout}");
    assert!(!run(&[&base[..], &["--replace", "--as", "X"]].concat())
        .status
        .success());
}

#[test]
fn a_name_sqlcmd_would_act_on_is_refused_with_a_way_out_that_exists() {
    for hostile in ["Sales\nGO", "Sales$(SQLCMDPASSWORD)"] {
        let out = run(&[
            "restore",
            "--demo",
            "--now",
            NOW,
            "--instance",
            PROD,
            "--database",
            "Sales",
            "--as",
            hostile,
        ]);
        let (stdout, stderr) = text(&out);
        assert!(!out.status.success(), "{stdout}");
        assert!(stdout.is_empty(), "no half script: {stdout}");
        assert!(stderr.contains("--as"), "{stderr}");
        // The console runs the same script, so it is no way round the refusal.
        assert!(
            !stderr.contains("run the batches from chainwatch"),
            "{stderr}"
        );
    }
}
