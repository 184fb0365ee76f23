//! One truth beyond the demo: on an estate holding the histories of the
//! restore-truth issue (a recovery fork, a copy-only tail, a full with a
//! missing stripe, a VSS full, a gap, a broken chain, no log backups),
//! `check`, `chain` and `plan` JSON, the databases table, the detail header
//! and the STATE / SEV columns all give each database the same answer.

use crate::support::estates::*;
use chrono::Duration;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use serde_json::Value;

const SERVER: &str = "SQLRT";

/// Hourly logs from `from` for `n` hours; returns their ids.
fn hourly(s: &mut Server, d: &mut Db, from: chrono::DateTime<chrono::Utc>, n: i64) -> Vec<i64> {
    (0..n).map(|i| s.log(d, from + mins(60 * i))).collect()
}

/// The estate: one instance, one database per history shape.
fn estate() -> Server {
    let mut s = Server::new(SERVER, 60);
    let start = ago_days(3);

    let mut d = s.database("Healthy", "FULL", ago_days(400));
    s.full(&mut d, start);
    hourly(&mut s, &mut d, start + mins(60), 71);

    // A gap two days ago, a new full after it: restorable now, loss inside the horizon.
    let mut d = s.database("Gapped", "FULL", ago_days(400));
    s.full(&mut d, start);
    hourly(&mut s, &mut d, start + mins(60), 20);
    s.lose_log(&mut d);
    hourly(&mut s, &mut d, start + mins(60 * 21), 3);
    s.full(&mut d, start + mins(60 * 24 + 5));
    hourly(&mut s, &mut d, start + mins(60 * 25), 46);

    // A gap after the newest full and logs on past it: the newest backups cannot be restored.
    let mut d = s.database("Broken", "FULL", ago_days(400));
    s.full(&mut d, start);
    hourly(&mut s, &mut d, start + mins(60), 60);
    s.lose_log(&mut d);
    hourly(&mut s, &mut d, start + mins(60 * 61), 11);

    // Restored over itself to a point inside a log yesterday; logs go on after.
    let mut d = s.database("Forked", "FULL", ago_days(400));
    s.full(&mut d, start);
    let logs = hourly(&mut s, &mut d, start + mins(60), 40);
    s.restore_to_point(&mut d, logs[37], 20_000, start + mins(60 * 40 + 30));
    hourly(&mut s, &mut d, start + mins(60 * 41), 31);

    // The log backups ended two hours ago; a tail-log backup after a failure.
    let mut d = s.database("Tailed", "FULL", ago_days(400));
    s.full(&mut d, start);
    hourly(&mut s, &mut d, start + mins(60), 69);
    s.tail_log(&mut d, ago_min(20));

    // The newest full is striped over three files, one of which msdb lost.
    let mut d = s.database("Striped", "FULL", ago_days(400));
    s.full(&mut d, start);
    hourly(&mut s, &mut d, start + mins(60), 47);
    let f2 = s.full(&mut d, start + mins(60 * 48 + 5));
    s.stripe(f2, 3, &[1, 3]);
    hourly(&mut s, &mut d, start + mins(60 * 49), 23);

    // The newest full is a VSS snapshot taken by another tool.
    let mut d = s.database("Snapshotted", "FULL", ago_days(400));
    s.full(&mut d, start);
    hourly(&mut s, &mut d, start + mins(60), 47);
    let vss = s.full(&mut d, start + mins(60 * 48 + 5));
    s.vss(vss, "Microsoft Data Protection Manager");
    hourly(&mut s, &mut d, start + mins(60 * 49), 23);

    // FULL recovery, daily fulls, never a log backup.
    let mut d = s.database("NoLogs", "FULL", ago_days(400));
    for day in 0..3 {
        s.full(&mut d, start + Duration::days(day) + mins(30));
    }

    let mut d = s.database("Simple", "SIMPLE", ago_days(400));
    for day in 0..3 {
        s.full(&mut d, start + Duration::days(day) + mins(30));
    }
    s
}

fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .output()
        .expect("run chainwatch")
}

/// `chainwatch <command> --snapshot <snap>` for one database, as JSON.
fn for_database(command: &str, snap: &str, name: &str) -> std::process::Output {
    run(&[
        command,
        "--snapshot",
        snap,
        "--instance",
        SERVER,
        "--database",
        name,
        "--format",
        "json",
    ])
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "info" => 1,
        "warning" => 2,
        "critical" => 3,
        _ => 0,
    }
}

/// The state names whose own concern sets a least severity (as
/// `ChainState::concern` says; spelled out here so the test can fail).
fn least_severity(state: &str) -> u8 {
    match state {
        "broken" | "no_full" => 3,
        "degraded" | "no_log_backups" => 2,
        _ => 0,
    }
}

/// The command line: check, chain and plan agree for every database, and
/// no state sounds more alarming than the database's severity.
#[test]
fn check_chain_and_plan_agree_on_the_restore_truth_histories() {
    let s = estate();
    let path = write(&[&s]);
    let snap = path.to_str().unwrap();
    let check = json(&run(&["check", "--snapshot", snap, "--format", "json"]));
    let dbs = check["databases"].as_array().unwrap();
    let states: Vec<(&str, &str)> = dbs
        .iter()
        .map(|d| {
            (
                d["database"].as_str().unwrap(),
                d["state"].as_str().unwrap(),
            )
        })
        .collect();
    // The fixture holds what it claims to.
    for (name, state) in [
        ("Healthy", "ok"),
        ("Gapped", "degraded"),
        ("Broken", "broken"),
        ("Forked", "ok"),
        ("Tailed", "ok"),
        ("NoLogs", "no_log_backups"),
        ("Simple", "simple"),
    ] {
        assert!(
            states.contains(&(name, state)),
            "{name} is not {state}: {states:?}"
        );
    }
    for d in dbs {
        let name = d["database"].as_str().unwrap();
        let state = d["state"].as_str().unwrap();
        let worst = d["worst"].as_str().unwrap_or("none");
        assert!(
            severity_rank(worst) >= least_severity(state),
            "{name}: state {state} but worst {worst}"
        );
        let chain = json(&for_database("chain", snap, name));
        assert_eq!(
            chain["latest_recoverable"], d["latest_recoverable"],
            "{name}"
        );
        assert_eq!(chain["rpo_now_seconds"], d["rpo_seconds"], "{name}");
        assert_eq!(chain["windows"], d["windows"], "{name}");
        assert_eq!(chain["state"], d["state"], "{name}");
        let out = for_database("plan", snap, name);
        let plan = json(&out);
        if d["latest_recoverable"].is_null() {
            assert_eq!(plan["recoverable"], false, "{name}");
            assert_eq!(out.status.code(), Some(1), "{name}");
        } else {
            assert_eq!(plan["recoverable"], true, "{name}: {plan:#}");
            assert_eq!(
                plan["recovery_point"], d["latest_recoverable"],
                "{name}: {plan:#}"
            );
            assert_eq!(out.status.code(), Some(0), "{name}");
        }
    }
    let _ = std::fs::remove_file(path);
}

fn render(app: &chainwatch::app::App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| chainwatch::ui::draw(f, app)).unwrap();
    term.backend().buffer().clone()
}

fn line(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

/// Where `word` starts on line `y`, searching from column `from`.
fn column_of(buf: &Buffer, y: u16, word: &str, from: usize) -> Option<u16> {
    let text = line(buf, y);
    let at = text.get(from..)?.find(word)? + from;
    Some(text[..at].chars().count() as u16)
}

/// The console: the databases table's RPO and LATEST, the detail header,
/// and STATE coloured exactly as SEV, for every database of the fixture.
#[test]
fn the_console_agrees_with_the_one_answer_on_the_restore_truth_histories() {
    let s = estate();
    let path = write(&[&s]);
    let loaded = chainwatch::sources::load(
        &chainwatch::sources::Source::Snapshot(path.clone()),
        Some(now()),
    )
    .unwrap();
    let _ = std::fs::remove_file(path);
    let app = chainwatch::app::Headless::open(loaded.estate, loaded.now);
    let buf = render(&app, 260, 40);
    let lines: Vec<String> = (0..buf.area.height).map(|y| line(&buf, y)).collect();
    let screen = lines.join("\n");
    assert!(app.report.databases.len() >= 9);
    // The columns, from the table's header row.
    let header_y = lines
        .iter()
        .position(|l| l.contains(" DATABASE ") && l.contains(" STATE "))
        .unwrap_or_else(|| panic!("no table header:\n{screen}"));
    let state_x = column_of(&buf, header_y as u16, " STATE ", 0).unwrap() + 1;
    // The instances pane has a SEV column too: the table's is the last.
    let sev_x = {
        let l = &lines[header_y];
        l[..l.rfind(" SEV").unwrap()].chars().count() as u16 + 1
    };
    for d in &app.report.databases {
        let r = &d.recoverability;
        let name = &d.database.name;
        assert_eq!(r.severity, d.worst_severity(), "{name}");
        assert!(
            r.severity >= d.health.state.concern(),
            "{name}: {:?} but {:?}",
            d.health.state,
            r.severity
        );
        let rpo = r
            .rpo_seconds
            .map(chainwatch::ui::text::span)
            .unwrap_or_else(|| "—".into());
        let latest = r
            .latest_recoverable
            .map(chainwatch::ui::text::utc_short)
            .unwrap_or_else(|| "—".into());
        let y = lines
            .iter()
            .position(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name} not in the table:\n{screen}"));
        let row = &lines[y];
        assert!(
            row.contains(&format!(" {rpo} ")),
            "{name}: RPO {rpo}: {row}"
        );
        assert!(row.contains(&latest), "{name}: LATEST {latest}: {row}");
        // STATE and SEV: one colour scale, the same colour.
        let state = d.health.state.label();
        let sev = chainwatch::ui::text::severity_label(r.severity);
        let at = |x: u16| {
            line(&buf, y as u16)
                .chars()
                .skip(x as usize)
                .collect::<String>()
        };
        assert!(
            at(state_x).starts_with(state),
            "{name}: STATE is not {state}: {row}"
        );
        assert!(
            at(sev_x).starts_with(sev),
            "{name}: SEV is not {sev}: {row}"
        );
        assert_eq!(
            buf[(state_x, y as u16)].fg,
            buf[(sev_x, y as u16)].fg,
            "{name}: STATE {state} and SEV {sev} coloured differently: {row}"
        );
        // The detail header says the same RPO and state.
        let mut detail = chainwatch::app::Headless::open((*app.estate).clone(), app.report.now);
        detail.databases.focus = chainwatch::app::Pane::Databases;
        let i = app
            .report
            .databases
            .iter()
            .position(|x| std::ptr::eq(x, d))
            .unwrap();
        detail.databases.selected = detail.databases.rows.iter().position(|&r| r == i).unwrap();
        detail.update(chainwatch::app::Action::Open);
        let b = render(&detail, 200, 40);
        let header: String = (0..6).map(|y| line(&b, y)).collect();
        assert!(
            header.contains(&rpo),
            "{name}: header lacks RPO {rpo}: {header}"
        );
        assert!(
            header.contains(state),
            "{name}: header lacks {state}: {header}"
        );
    }
}

/// Findings speak the same answer: a late log backup job beside a tail-log
/// backup names the point the tail reaches, which is the latest
/// recoverable point, not the end of the last scheduled log.
#[test]
fn a_late_log_job_beside_a_tail_log_names_what_the_tail_reaches() {
    let s = estate();
    let path = write(&[&s]);
    let check = json(&run(&[
        "check",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let _ = std::fs::remove_file(path);
    let d = db(&check, SERVER, "Tailed");
    let latest = d["latest_recoverable"].as_str().unwrap();
    let late = findings(&check, SERVER, "Tailed")
        .into_iter()
        .find(|f| f["id"] == "log.late")
        .expect("the log job is late");
    let detail = late["explanation"].as_str().unwrap();
    let shown = chrono::DateTime::parse_from_rfc3339(latest)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%SZ")
        .to_string();
    assert!(detail.contains(&shown), "{detail} lacks {shown}");
    assert!(
        !detail.contains("everything after it would be lost"),
        "{detail}"
    );
    // The media finding names the missing family of the striped full.
    let m = findings(&check, SERVER, "Striped")
        .into_iter()
        .find(|f| f["id"] == "media.incomplete")
        .expect("a missing stripe is a finding");
    assert!(
        m["explanation"].as_str().unwrap().contains("family 2 of 3"),
        "{m}"
    );
}
