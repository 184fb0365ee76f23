//! Sustained-load benchmark (not a test, not CI): the console on 200 TDS
//! test-server instances through a long run of live refreshes.
//!
//! The app is built as `run_live` builds it (`configured_app` on
//! `Start::Live`), drawn into a ratatui `TestBackend` (200x50), and fed as
//! the event loop feeds it: refreshes from the real collector thread
//! (`app::live`) are applied through `update`, a one-second `Tick`
//! comes in between. After every refresh a user looks around (databases
//! list, scrolling, the instances pane, a database's detail and its tabs,
//! the findings view) and every tick scrolls a little; every frame is
//! timed. Odd refreshes leave the detail view open, so swapping a refresh
//! in under an open detail is measured too.
//!
//! The servers run in a child process (this binary again, with
//! `CHAINWATCH_SUSTAINED_SERVE=1`), so the figures are the console's own:
//! the test server keeps every query it was sent and its hung connections,
//! which would otherwise count as the console's memory and descriptors.
//! The instances are the demo's `SQL16\PROD` under 200 names, trimmed as
//! a smaller server with msdb history cleanup would be: three databases,
//! seven days of history (about 1,060 catalog rows each; `..._HISTORY_DAYS=0`
//! serves the whole instance, about 13,000 rows, which at 200 instances
//! needs well over 12 GB in the collector), 5–34 ms of latency each; a few
//! are faulty: hung after prelogin (connect timeout), wrong password, a
//! denied table, a result cut off halfway, and nothing listening.
//!
//! Sampled every 2 s: RSS (`VmRSS`), threads, open descriptors, alive tasks
//! of the collector's runtime (`live::collector_metrics`) and of the event
//! loop's. A table is printed every few minutes, then a verdict on the
//! samples after the warm-up (the given minutes, and at least until the
//! first whole re-read of the history has been swapped in: see
//! `warm_up_end`): RSS (average of the last third against the
//! first third) within the tolerance, no more threads, descriptors or
//! tasks between rounds at the end than at the start (maxima of those
//! thirds), frame p99 within 5 ms. Frames are judged on the drawing
//! thread's CPU time (what a frame costs, whatever else the machine runs);
//! wall times are printed beside. Exits 1 when the verdict fails.
//!
//! Run: `cargo bench --bench sustained`. Environment (defaults):
//! `CHAINWATCH_SUSTAINED_MINUTES` (30), `..._INTERVAL_SECS` (20, the
//! collector's `every`), `..._INSTANCES` (200), `..._PARALLELISM` (8, the
//! config default), `..._TABLE_MINUTES` (5), `..._WARMUP_MINUTES` (3, or a
//! sixth of a shorter run), `..._RSS_TOLERANCE_PCT` (5),
//! `..._HISTORY_DAYS` (7), `..._DATABASES` (`Sales,Orders,Telemetry`).

#[path = "../tests/support/tds/mod.rs"]
mod tds;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chainwatch::app::background::{BackgroundEvent, Start};
use chainwatch::app::live::{self, LiveSource};
use chainwatch::app::{Action, App, ConsoleOptions, View};
use chainwatch::config::InstanceConfig;
use chainwatch::console::{configured_app, Runner};
use chainwatch::sqlserver::{credential, Settings};
use chrono::Utc;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tds::{closed_port, demo_instances, Faults, ServerOptions, TdsServer};

const SERVE: &str = "CHAINWATCH_SUSTAINED_SERVE";
const FRAME_BUDGET_MS: f64 = 5.0;
const SAMPLE_EVERY: Duration = Duration::from_secs(2);

/// CPU time of the calling thread: what a frame costs, apart from the
/// time the scheduler gave other processes (the machine may be busy).
#[cfg(target_os = "linux")]
fn thread_cpu() -> Duration {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: a valid clock id and a pointer to a live, writable timespec.
    if unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(t.sec as u64, t.nsec as u32)
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu() -> Duration {
    Duration::ZERO
}

/// Wall and CPU time of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (wall, cpu) = (Instant::now(), thread_cpu());
    let out = f();
    (out, wall.elapsed(), thread_cpu().saturating_sub(cpu))
}

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(format!("CHAINWATCH_SUSTAINED_{name}"))
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// What the run is asked to do.
struct Plan {
    instances: usize,
    run: Duration,
    every: Duration,
    parallelism: usize,
    table_every: Duration,
    warmup: Duration,
    rss_tolerance: f64,
}

impl Plan {
    fn from_env() -> Plan {
        let minutes = env_f64("MINUTES", 30.0);
        let warmup = env_f64("WARMUP_MINUTES", (minutes / 6.0).min(3.0));
        Plan {
            instances: env_f64("INSTANCES", 200.0) as usize,
            run: Duration::from_secs_f64(minutes * 60.0),
            every: Duration::from_secs_f64(env_f64("INTERVAL_SECS", 20.0)),
            parallelism: env_f64("PARALLELISM", 8.0).max(1.0) as usize,
            table_every: Duration::from_secs_f64(env_f64("TABLE_MINUTES", 5.0) * 60.0),
            warmup: Duration::from_secs_f64(warmup * 60.0),
            rss_tolerance: env_f64("RSS_TOLERANCE_PCT", 5.0) / 100.0,
        }
    }
}

/// How a test-server instance misbehaves (a few of the 200).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Healthy,
    /// Answers the prelogin, never the login: the connect timeout.
    Hung,
    WrongPassword,
    /// `msdb.dbo.sysjobs` denied: permission missing, still collected.
    Denied,
    /// The backupset result stops halfway (socket closed).
    Cut,
    /// Nothing listening: connection refused.
    Refused,
}

fn kind(i: usize) -> Kind {
    match (i % 50, i % 100) {
        (7, _) => Kind::Hung,
        (_, 13) => Kind::WrongPassword,
        (_, 29) => Kind::Denied,
        (_, 41) => Kind::Cut,
        (_, 67) => Kind::Refused,
        _ => Kind::Healthy,
    }
}

fn name(i: usize) -> String {
    format!("SQL{i:03}\\PROD")
}

/// The databases of `SQL16\\PROD` kept by default: a gap, a clean chain and
/// one with a differential-free log run.
const DATABASES: &str = "Sales,Orders,Telemetry";

/// Trims the instance as msdb history cleanup and a smaller server would:
/// only `keep`'s databases, history since `cutoff` (text, as stored).
fn trim(inst: &mut chainwatch::snapshot::SnapshotInstance, keep: &[&str], cutoff: &str) {
    use chainwatch::model::RowRef;
    let text = |r: &RowRef<'_>, k: &str| r.get(k)?.as_text().map(|t| t.into_owned());
    let id = |r: &RowRef<'_>, k: &str| r.get(k)?.to_value().as_i64();
    let kept_db = |name: Option<String>| name.is_none_or(|n| keep.contains(&n.as_str()));
    let t = &mut inst.tables;
    if let Some(rows) = t.get_mut("sys.databases") {
        rows.retain(|r| id(&r, "database_id").is_some_and(|i| i <= 4) || kept_db(text(&r, "name")));
    }
    let ids: Vec<i64> = t
        .get("sys.databases")
        .map(|rows| rows.rows().filter_map(|r| id(&r, "database_id")).collect())
        .unwrap_or_default();
    for (name, rows) in t.iter_mut() {
        if name == "sys.databases" {
            continue;
        }
        rows.retain(|r| {
            [
                "database_name",
                "db_name",
                "destination_database_name",
                "primary_database",
            ]
            .iter()
            .all(|k| kept_db(text(&r, k)))
                && id(&r, "database_id").is_none_or(|i| ids.contains(&i))
                && text(&r, "backup_start_date").is_none_or(|d| d.as_str() >= cutoff)
        });
    }
    let sets: std::collections::BTreeSet<i64> = t["msdb.dbo.backupset"]
        .rows()
        .filter_map(|r| id(&r, "backup_set_id"))
        .collect();
    let media: std::collections::BTreeSet<i64> = t["msdb.dbo.backupset"]
        .rows()
        .filter_map(|r| id(&r, "media_set_id"))
        .collect();
    for name in ["msdb.dbo.backupmediaset", "msdb.dbo.backupmediafamily"] {
        if let Some(rows) = t.get_mut(name) {
            rows.retain(|r| id(&r, "media_set_id").is_some_and(|m| media.contains(&m)));
        }
    }
    if let Some(rows) = t.get_mut("msdb.dbo.backupfile") {
        rows.retain(|r| id(&r, "backup_set_id").is_some_and(|b| sets.contains(&b)));
    }
}

/// Child-process mode: serves the instances, prints `index address` per
/// line, and runs until its stdin closes (the parent ended).
fn serve(count: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let now = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let mut prod = demo_instances(&now)
            .remove("SQL16\\PROD")
            .expect("SQL16\\PROD in the demo");
        let days = env_f64("HISTORY_DAYS", 7.0);
        if days > 0.0 {
            let databases = std::env::var("CHAINWATCH_SUSTAINED_DATABASES")
                .unwrap_or_else(|_| DATABASES.into());
            let keep: Vec<&str> = databases.split(',').map(str::trim).collect();
            let cutoff =
                Utc::now().naive_utc() - chrono::Duration::seconds((days * 86400.0) as i64);
            trim(
                &mut prod,
                &keep,
                &cutoff.format("%Y-%m-%dT%H:%M:%S").to_string(),
            );
        }
        let rows: usize = prod.tables.values().map(|t| t.len()).sum();
        eprintln!("each instance serves {rows} catalog rows");
        let mut servers = Vec::new();
        let mut out = std::io::stdout().lock();
        for i in 0..count {
            let mut faults = Faults {
                latency: Some(Duration::from_millis(5 + (i as u64 * 7) % 30)),
                ..Faults::default()
            };
            let mut options = ServerOptions::default();
            match kind(i) {
                Kind::Healthy => {}
                Kind::Hung => faults.hang_after_prelogin = true,
                Kind::WrongPassword => options.password = "not-what-the-config-says".into(),
                Kind::Denied => faults.deny = vec!["msdb.dbo.sysjobs".into()],
                Kind::Cut => faults.drop_mid_result = Some("msdb.dbo.backupset".into()),
                Kind::Refused => {
                    writeln!(out, "{i} {}", closed_port().await).expect("stdout");
                    continue;
                }
            }
            options.faults = faults;
            let server = TdsServer::start(prod.clone(), options).await;
            writeln!(out, "{i} {}", server.addr).expect("stdout");
            servers.push(server);
        }
        out.flush().expect("stdout");
        drop(out);
        let _ = tokio::task::spawn_blocking(|| {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        })
        .await;
    });
}

/// A config reaching the test server at `addr` with its fixed login.
fn instance(name: &str, addr: SocketAddr) -> InstanceConfig {
    let mut i = InstanceConfig::from_connection_string(&format!(
        "Server=tcp:{},{};User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT",
        addr.ip(),
        addr.port()
    ))
    .expect("connection string");
    i.name = name.into();
    i
}

/// One reading of the process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: f64,
    rss_kib: u64,
    threads: u64,
    fds: usize,
    collector_tasks: usize,
    loop_tasks: usize,
    server_rss_kib: u64,
}

fn status_field(path: &str, field: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn sample(at: f64, server: u32) -> Sample {
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count());
    Sample {
        at,
        rss_kib: status_field("/proc/self/status", "VmRSS:"),
        threads: status_field("/proc/self/status", "Threads:"),
        // Counted while listing, so one more than otherwise open.
        fds: fds.saturating_sub(1),
        collector_tasks: live::collector_metrics().map_or(0, |m| m.num_alive_tasks()),
        loop_tasks: tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        server_rss_kib: status_field(&format!("/proc/{server}/status"), "VmRSS:"),
    }
}

/// One delivered refresh, as the event loop saw it.
#[derive(Debug, Clone, Copy)]
struct RefreshRec {
    at: f64,
    /// The collector's round (1 and every `FULL_EVERY` after read history whole).
    round: u32,
    took: Duration,
    /// `update` with the refresh: the swap on the event loop (CPU time, wall time).
    apply: Duration,
    apply_wall: Duration,
    ok: usize,
    problems: usize,
    stale: usize,
    databases: usize,
}

struct Recorder {
    start: Instant,
    /// When drawn, CPU time, the view drawn, wall time.
    frames: Vec<(f64, Duration, View, Duration)>,
    /// Taken as each refresh arrives: the collector's round is over, its
    /// connections closed and tasks done, so growth here is a leak.
    idle: Vec<Sample>,
    /// Ticks: `Action::Tick` on the event loop (re-analyses once a
    /// minute): CPU time, wall time.
    ticks: Vec<(f64, Duration, Duration)>,
    refreshes: Vec<RefreshRec>,
    samples: Vec<Sample>,
}

impl Recorder {
    fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn draw(&mut self, terminal: &mut Terminal<TestBackend>, app: &mut App) {
        app.take_dirty();
        let (drawn, wall, cpu) =
            timed(|| terminal.draw(|f| chainwatch::ui::draw(f, app)).map(|_| ()));
        drawn.expect("draw");
        let at = self.now();
        self.frames.push((at, cpu, app.view, wall));
    }

    fn step(&mut self, terminal: &mut Terminal<TestBackend>, app: &mut App, action: Action) {
        app.update(action);
        self.draw(terminal, app);
    }
}

/// What a user does after a refresh: every view, scrolling, each drawn.
/// Odd rounds end in a database's detail view, even ones in the list.
fn tour(rec: &mut Recorder, terminal: &mut Terminal<TestBackend>, app: &mut App, round: u32) {
    if app.view != View::Databases {
        app.update(Action::Back);
    }
    rec.draw(terminal, app);
    for _ in 0..10 {
        rec.step(terminal, app, Action::Down);
    }
    for a in [
        Action::PageDown,
        Action::PageDown,
        Action::Bottom,
        Action::Top,
    ] {
        rec.step(terminal, app, a);
    }
    // The instances pane: pick one instance, then all again.
    rec.step(terminal, app, Action::FocusLeft);
    for a in [Action::Down, Action::Down, Action::Up, Action::Up] {
        rec.step(terminal, app, a);
    }
    rec.step(terminal, app, Action::FocusRight);
    let n = round as usize % 20;
    for _ in 0..n {
        app.update(Action::Down);
    }
    rec.step(terminal, app, Action::Open);
    for _ in 0..3 {
        rec.step(terminal, app, Action::FocusNext);
        for a in [Action::Down, Action::Down, Action::PageDown, Action::Top] {
            rec.step(terminal, app, a);
        }
    }
    rec.step(terminal, app, Action::Back);
    rec.step(terminal, app, Action::ShowFindings);
    for a in [Action::Down, Action::Down, Action::PageDown, Action::Top] {
        rec.step(terminal, app, a);
    }
    rec.step(terminal, app, Action::Back);
    if round % 2 == 1 {
        rec.step(terminal, app, Action::Open);
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(kib: f64) -> f64 {
    kib / 1024.0
}

fn header() {
    println!(
        "{:>6} {:>5} {:>13} {:>9} {:>9} {:>15} {:>4} {:>4} {:>9} {:>6} {:>7} {:>7} {:>7} {:>8} {:>9} {:>14}",
        "min",
        "rfsh",
        "round s avg/max",
        "apply ms",
        "tick ms",
        "RSS MiB avg/max",
        "thr",
        "fds",
        "tasks c/l",
        "frames",
        "p50 ms",
        "p99 ms",
        "max ms",
        "wall p99",
        "srv MiB",
        "ok/problem/dbs",
    );
}

/// One table row for everything recorded in `[from, to)` seconds.
fn row(rec: &Recorder, from: f64, to: f64) {
    let inside = |at: f64| at >= from && at < to;
    let refreshes: Vec<&RefreshRec> = rec.refreshes.iter().filter(|r| inside(r.at)).collect();
    let samples: Vec<&Sample> = rec.samples.iter().filter(|s| inside(s.at)).collect();
    let mut frames: Vec<Duration> = rec
        .frames
        .iter()
        .filter(|f| inside(f.0))
        .map(|f| f.1)
        .collect();
    frames.sort();
    let mut wall: Vec<Duration> = rec
        .frames
        .iter()
        .filter(|f| inside(f.0))
        .map(|f| f.3)
        .collect();
    wall.sort();
    let tick = rec
        .ticks
        .iter()
        .filter(|t| inside(t.0))
        .map(|t| t.1)
        .max()
        .unwrap_or_default();
    let took: Vec<f64> = refreshes.iter().map(|r| r.took.as_secs_f64()).collect();
    let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let maxf = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let rss: Vec<f64> = samples.iter().map(|s| s.rss_kib as f64).collect();
    let last = refreshes.last();
    println!(
        "{:>6.1} {:>5} {:>6.1}/{:<6.1} {:>9.1} {:>9.1} {:>7.1}/{:<7.1} {:>4} {:>4} {:>4}/{:<4} {:>6} {:>7.3} {:>7.3} {:>7.3} {:>8.3} {:>9.1} {:>14}",
        to / 60.0,
        refreshes.len(),
        avg(&took),
        maxf(&took),
        refreshes.iter().map(|r| ms(r.apply)).fold(0.0, f64::max),
        ms(tick),
        mib(avg(&rss)),
        mib(maxf(&rss)),
        samples.iter().map(|s| s.threads).max().unwrap_or(0),
        samples.iter().map(|s| s.fds).max().unwrap_or(0),
        samples.iter().map(|s| s.collector_tasks).max().unwrap_or(0),
        samples.iter().map(|s| s.loop_tasks).max().unwrap_or(0),
        frames.len(),
        ms(percentile(&frames, 0.5)),
        ms(percentile(&frames, 0.99)),
        ms(frames.last().copied().unwrap_or_default()),
        ms(percentile(&wall, 0.99)),
        mib(samples.iter().map(|s| s.server_rss_kib).max().unwrap_or(0) as f64),
        last.map_or("-".into(), |r| format!(
            "{}/{}({} stale)/{}",
            r.ok, r.problems, r.stale, r.databases
        )),
    );
}

/// When the warm-up ends: after the given minutes, and not before the first
/// refresh that follows a whole re-read of the history (round
/// `FULL_EVERY + 1`). Until then the heap has not yet held two whole
/// collections at once (the one on screen and the one coming in), which is
/// the working set from then on: measured, RSS rises to that plateau during
/// the first re-read and then stays there, so samples before it would judge
/// the warm-up, not a leak.
fn warm_up_end(rec: &Recorder, plan: &Plan) -> f64 {
    let reread = rec
        .refreshes
        .iter()
        .find(|r| r.round > live::FULL_EVERY)
        .map_or(f64::INFINITY, |r| r.at);
    plan.warmup.as_secs_f64().max(reread)
}

/// The verdict on what was recorded after the warm-up; true if it holds.
fn verdict(rec: &Recorder, plan: &Plan) -> bool {
    let warm = warm_up_end(rec, plan);
    let samples: Vec<&Sample> = rec.samples.iter().filter(|s| s.at >= warm).collect();
    if samples.len() < 6 {
        println!("VERDICT: not enough samples after the warm-up");
        return false;
    }
    let third = samples.len() / 3;
    let (first, last) = (&samples[..third], &samples[samples.len() - third..]);
    let avg =
        |v: &[&Sample], f: fn(&Sample) -> f64| v.iter().map(|s| f(s)).sum::<f64>() / v.len() as f64;
    let max = |v: &[&Sample], f: fn(&Sample) -> u64| v.iter().map(|s| f(s)).max().unwrap_or(0);
    let mut ok = true;
    let mut check = |pass: bool, what: String| {
        println!("  [{}] {what}", if pass { "PASS" } else { "FAIL" });
        ok &= pass;
    };
    let (a, b) = (
        avg(first, |s| s.rss_kib as f64),
        avg(last, |s| s.rss_kib as f64),
    );
    // Least-squares slope over every sample after the warm-up.
    let n = samples.len() as f64;
    let mx = samples.iter().map(|s| s.at).sum::<f64>() / n;
    let my = samples.iter().map(|s| s.rss_kib as f64).sum::<f64>() / n;
    let sxy: f64 = samples
        .iter()
        .map(|s| (s.at - mx) * (s.rss_kib as f64 - my))
        .sum();
    let sxx: f64 = samples.iter().map(|s| (s.at - mx).powi(2)).sum();
    let slope = if sxx > 0.0 { sxy / sxx * 3600.0 } else { 0.0 };
    println!(
        "after {:.1} min of warm-up, {} samples; thirds: {:.1}–{:.1} min and {:.1}–{:.1} min",
        warm / 60.0,
        samples.len(),
        first[0].at / 60.0,
        first[third - 1].at / 60.0,
        last[0].at / 60.0,
        last[third - 1].at / 60.0,
    );
    check(
        b <= a * (1.0 + plan.rss_tolerance),
        format!(
            "memory flat: RSS last third {:.1} MiB vs first third {:.1} MiB ({:+.1}%, tolerance {:.0}%); trend {:+.1} MiB/h",
            mib(b),
            mib(a),
            (b / a - 1.0) * 100.0,
            plan.rss_tolerance * 100.0,
            mib(slope)
        ),
    );
    // Threads, descriptors and tasks are read as each refresh arrives
    // (between rounds); mid-round they count the round's connections.
    let idle: Vec<&Sample> = rec.idle.iter().filter(|s| s.at >= warm).collect();
    let third = idle.len() / 3;
    if third == 0 {
        check(
            false,
            format!(
                "{} refreshes after the warm-up: too few to compare",
                idle.len()
            ),
        );
    } else {
        let (first, last) = (&idle[..third], &idle[idle.len() - third..]);
        for (name, f) in [
            ("thread", (|s: &Sample| s.threads) as fn(&Sample) -> u64),
            ("descriptor", |s: &Sample| s.fds as u64),
            ("collector task", |s: &Sample| s.collector_tasks as u64),
            ("event-loop task", |s: &Sample| s.loop_tasks as u64),
        ] {
            let (x, y) = (max(first, f), max(last, f));
            check(
                y <= x,
                format!("no {name} growth between rounds: at most {x} in the first third of refreshes, {y} in the last"),
            );
        }
    }
    let mut frames: Vec<Duration> = rec
        .frames
        .iter()
        .filter(|f| f.0 >= warm)
        .map(|f| f.1)
        .collect();
    frames.sort();
    let mut wall: Vec<Duration> = rec
        .frames
        .iter()
        .filter(|f| f.0 >= warm)
        .map(|f| f.3)
        .collect();
    wall.sort();
    let p99 = ms(percentile(&frames, 0.99));
    check(
        p99 <= FRAME_BUDGET_MS,
        format!(
            "frames within budget (CPU time): p50 {:.3} ms, p99 {p99:.3} ms (budget {FRAME_BUDGET_MS} ms), max {:.3} ms over {} frames; wall time p50 {:.3} ms, p99 {:.3} ms on this machine",
            ms(percentile(&frames, 0.5)),
            ms(frames.last().copied().unwrap_or_default()),
            frames.len(),
            ms(percentile(&wall, 0.5)),
            ms(percentile(&wall, 0.99)),
        ),
    );
    let apply = rec
        .refreshes
        .iter()
        .filter(|r| r.at >= warm)
        .map(|r| (ms(r.apply), ms(r.apply_wall)))
        .fold((0.0f64, 0.0f64), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    let tick = rec
        .ticks
        .iter()
        .filter(|t| t.0 >= warm)
        .map(|t| (ms(t.1), ms(t.2)))
        .fold((0.0f64, 0.0f64), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    println!(
        "  (event loop blocked at most {:.1} ms CPU / {:.1} ms wall by a refresh swap, {:.1} ms CPU / {:.1} ms wall by a tick)",
        apply.0, apply.1, tick.0, tick.1
    );
    println!("VERDICT: {}", if ok { "PASS" } else { "FAIL" });
    ok
}

async fn drive(plan: &Plan, configs: Vec<InstanceConfig>, server: u32) -> bool {
    let source = LiveSource {
        label: "sustained.toml".into(),
        instances: configs.iter().map(|i| (i.clone(), credential(i))).collect(),
        settings: Settings {
            connect_timeout: Duration::from_secs(3),
            query_timeout: Duration::from_secs(10),
            parallelism: plan.parallelism,
            retries: 1,
            backoff: Duration::from_millis(100),
            ..Settings::default()
        },
        every: plan.every,
        now_override: None,
        archive: None,
        policies: Default::default(),
    };
    let (estate, waiting, mut background) = Start::Live(source).begin(Utc::now()).expect("start");
    let mut app =
        configured_app(estate, Utc::now(), &ConsoleOptions::default()).expect("configured app");
    app.loading = waiting;
    // Effects are carried out as the console carries them (threads, one
    // answer channel): the minute's re-analysis and storage listings run.
    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = Runner::new(answers);
    for effect in app.start_storage_in_background() {
        runner.carry(effect, &background);
    }
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let mut rec = Recorder {
        start: Instant::now(),
        frames: Vec::with_capacity(64 * 1024),
        ticks: Vec::with_capacity(4096),
        refreshes: Vec::with_capacity(1024),
        samples: Vec::with_capacity(4096),
        idle: Vec::with_capacity(1024),
    };
    rec.draw(&mut terminal, &mut app);
    let deadline = tokio::time::Instant::now() + plan.run;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sampler = tokio::time::interval(SAMPLE_EVERY);
    sampler.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut table_from = 0.0;
    let mut scrolls = 0u64;
    header();
    loop {
        tokio::select! {
            ev = background.next() => {
                let mut r = match &ev {
                    BackgroundEvent::Refreshed(r) => RefreshRec {
                        at: 0.0,
                        round: r.round,
                        took: r.took,
                        apply: Duration::ZERO,
                        apply_wall: Duration::ZERO,
                        ok: r.health.values().filter(|h| !h.is_problem()).count(),
                        problems: r.health.values().filter(|h| h.is_problem()).count(),
                        stale: r.health.values().filter(|h| h.is_stale()).count(),
                        databases: r.loaded.report.databases.len(),
                    },
                    BackgroundEvent::RefreshStopped => {
                        println!("the collector stopped");
                        return false;
                    }
                    BackgroundEvent::Loaded(_) => unreachable!("live mode loads nothing"),
                };
                let round = match &ev {
                    BackgroundEvent::Refreshed(r) => r.round,
                    _ => 0,
                };
                let ((), wall, cpu) = timed(|| runner.update(&mut app, ev, &background));
                assert!(app.failed.is_none(), "{:?}", app.failed);
                (r.apply, r.apply_wall) = (cpu, wall);
                r.at = rec.now();
                rec.refreshes.push(r);
                let s = sample(r.at, server);
                rec.idle.push(s);
                tour(&mut rec, &mut terminal, &mut app, round);
            }
            _ = tick.tick() => {
                let ((), wall, cpu) =
                    timed(|| runner.update(&mut app, Action::Tick(Utc::now()), &background));
                let at = rec.now();
                rec.ticks.push((at, cpu, wall));
                // Someone scrolling: three steps a second, each drawn.
                for _ in 0..3 {
                    scrolls += 1;
                    let a = if scrolls % 60 < 30 { Action::Down } else { Action::Up };
                    rec.step(&mut terminal, &mut app, a);
                }
            }
            Some(msg) = answered.recv() => runner.update(&mut app, msg, &background),
            _ = sampler.tick() => {
                let s = sample(rec.now(), server);
                rec.samples.push(s);
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
        let now = rec.now();
        if now - table_from >= plan.table_every.as_secs_f64() {
            row(&rec, table_from, now);
            table_from = now;
        }
    }
    let now = rec.now();
    if now - table_from > 1.0 {
        row(&rec, table_from, now);
    }
    println!("whole run (including warm-up):");
    row(&rec, 0.0, now);
    let warm = warm_up_end(&rec, plan);
    for view in [View::Databases, View::Detail, View::Findings] {
        let mut frames: Vec<Duration> = rec
            .frames
            .iter()
            .filter(|f| f.0 >= warm && f.2 == view)
            .map(|f| f.1)
            .collect();
        frames.sort();
        println!(
            "  {view:?} view after the warm-up: {} frames, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            frames.len(),
            ms(percentile(&frames, 0.5)),
            ms(percentile(&frames, 0.99)),
            ms(frames.last().copied().unwrap_or_default()),
        );
    }
    let idle: Vec<String> = rec
        .idle
        .iter()
        .map(|s| format!("{}/{}/{}", s.threads, s.fds, s.collector_tasks))
        .collect();
    println!(
        "threads/fds/collector tasks as each refresh arrived: {}",
        idle.join(" ")
    );
    // Quitting: dropping the receiver stops the collector after its round.
    drop(background);
    verdict(&rec, plan)
}

fn main() {
    if std::env::var_os(SERVE).is_some() {
        serve(env_f64("INSTANCES", 200.0) as usize);
        return;
    }
    let plan = Plan::from_env();
    // Keep the user's saved wizard and settings out of the run.
    let scratch = std::env::temp_dir().join(format!("chainwatch-sustained-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    std::env::set_var("CHAINWATCH_DATA_DIR", &scratch);
    std::env::set_var("CHAINWATCH_CONFIG_DIR", &scratch);
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .env(SERVE, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server process");
    let lines = BufReader::new(child.stdout.take().expect("stdout"));
    let mut configs = Vec::with_capacity(plan.instances);
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for line in lines.lines().take(plan.instances) {
        let line = line.expect("server line");
        let (i, addr) = line.split_once(' ').expect("index address");
        let i: usize = i.parse().expect("index");
        configs.push(instance(&name(i), addr.parse().expect("address")));
        *kinds.entry(format!("{:?}", kind(i))).or_default() += 1;
    }
    assert_eq!(
        configs.len(),
        plan.instances,
        "the server process started them all"
    );
    println!(
        "sustained load: {} instances {:?}, refresh every {:.0} s, parallelism {}, {:.1} min (warm-up {:.1} min), table every {:.1} min",
        configs.len(),
        kinds,
        plan.every.as_secs_f64(),
        plan.parallelism,
        plan.run.as_secs_f64() / 60.0,
        plan.warmup.as_secs_f64() / 60.0,
        plan.table_every.as_secs_f64() / 60.0,
    );
    // The console's own runtime: current-thread, as `run_console` builds it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let ok = runtime.block_on(drive(&plan, configs, child.id()));
    drop(runtime);
    drop(child.stdin.take());
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&scratch);
    if !ok {
        std::process::exit(1);
    }
}
