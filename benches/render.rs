//! Console render benchmark (not a test).
//!
//! 1. Time to first frame on the demo estate, as the binary starts: the
//!    "loading demo estate…" frame drawn at once into a 120x40 buffer while
//!    the estate is built and analysed on a loader thread; then the time
//!    until the first frame with the estate, and where that time goes.
//! 2. Frame render time on a big estate: 500 instances and 10,000
//!    databases (the demo's reports copied and renamed), drawn at 200x50 in
//!    the databases view, a detail view and with the help overlay; the
//!    selection moves every frame so each frame is a real change.
//!
//! Run: `cargo bench --bench render` (`-- --frames N` to change the count).
//! Targets: first frame < 100 ms, frame p99 < 5 ms.

use std::time::{Duration, Instant};

use chainwatch::analysis::{DatabaseReport, EstateReport};
use chainwatch::app::{loading, rows, Action, App};
use chrono::{TimeZone, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// 500 instances x 20 databases, copied from the demo's reports.
fn big_app(now: chrono::DateTime<Utc>, instances: usize) -> App {
    let estate = chainwatch::sources::demo_estate(now).expect("demo estate");
    let mut app = App::new(estate, now);
    let demo: Vec<DatabaseReport> = app.report.databases.clone();
    let template = app.report.instances[0].clone();
    let mut report = EstateReport {
        now,
        instances: Vec::with_capacity(instances),
        databases: Vec::with_capacity(instances * demo.len()),
    };
    for i in 0..instances {
        let name = format!("SQL{:03}\\INST{}", i, i % 7);
        let mut status = template.clone();
        status.instance = name.clone();
        status.databases = demo.len();
        status.history_collected = true;
        status.findings.clear();
        report.instances.push(status);
        for d in &demo {
            let mut d = d.clone();
            d.instance = name.clone();
            d.database.name = format!("{}_{i}", d.database.name);
            report.databases.push(d);
        }
    }
    app.databases.instances = rows::instance_rows(&report);
    app.report = report;
    // Recomputes the rows for the new report.
    app.update(Action::FilterClear);
    app
}

/// Draws `frames` frames, applying `step` before each; returns sorted durations.
fn measure(
    terminal: &mut Terminal<TestBackend>,
    app: &mut App,
    frames: usize,
    step: Action,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(frames);
    for n in 0..frames {
        app.update(if n % 400 < 200 { step } else { Action::Up });
        app.take_dirty();
        let t = Instant::now();
        terminal
            .draw(|f| chainwatch::ui::draw(f, app))
            .expect("draw");
        times.push(t.elapsed());
    }
    times.sort();
    times
}

fn report(label: &str, times: &[Duration]) {
    println!(
        "{label:<34} p50 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms   ({} frames)",
        ms(percentile(times, 0.50)),
        ms(percentile(times, 0.99)),
        ms(times.last().copied().unwrap_or_default()),
        times.len()
    );
}

fn main() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let frames = arg("--frames", 1000);

    // Time to first frame, the way the binary starts on the demo estate:
    // the loader thread starts, the "loading demo estate…" frame is drawn at
    // once, and the estate (built and analysed on that thread) arrives later.
    let start = Instant::now();
    let load = Box::new(move || chainwatch::sources::demo_estate(now));
    let pending = loading::spawn(load, now).expect("loader thread");
    let mut app = App::loading("demo estate", now);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    terminal
        .draw(|f| chainwatch::ui::draw(f, &app))
        .expect("draw");
    let first = start.elapsed();
    let loaded = pending
        .blocking_recv()
        .expect("loader")
        .expect("demo estate");
    let arrived = start.elapsed();
    app.loaded(loaded);
    terminal
        .draw(|f| chainwatch::ui::draw(f, &app))
        .expect("draw");
    let with_data = start.elapsed();
    println!(
        "first frame (demo estate, 120x40)  {:.2} ms  (loading screen; target < 100 ms)",
        ms(first)
    );
    println!(
        "  first frame with the estate {:.1} ms  (built and analysed on the loader thread {:.1} ms, draw {:.1} ms)",
        ms(with_data),
        ms(arrived),
        ms(with_data - arrived)
    );

    // Where the loader's time goes, stage by stage (what `demo_estate` and
    // the analysis do), and the JSON document `demo --export` writes.
    let t = Instant::now();
    let snapshot = chainwatch::demo::snapshot(now);
    let generated = t.elapsed();
    let estate = chainwatch::snapshot::to_estate(snapshot, "demo", true).expect("estate");
    let typed = t.elapsed();
    let _ = chainwatch::analysis::analyze_estate(&estate, now);
    let analysed = t.elapsed();
    let t = Instant::now();
    let doc = chainwatch::demo::generate(now);
    let document = t.elapsed();
    drop(doc);
    println!(
        "  stages: generate {:.1} ms, snapshot to estate {:.1} ms, analyze_estate {:.1} ms   (JSON document {:.1} ms)",
        ms(generated),
        ms(typed - generated),
        ms(analysed - typed),
        ms(document)
    );

    let t = Instant::now();
    let mut app = big_app(now, 500);
    println!(
        "big estate: {} instances, {} databases (built in {:.0} ms)",
        app.report.instances.len(),
        app.report.databases.len(),
        ms(t.elapsed())
    );
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let databases = measure(&mut terminal, &mut app, frames, Action::Down);
    report("databases view 200x50", &databases);

    // The detail views open on the database with the most backups.
    let most = (0..app.databases.rows.len())
        .max_by_key(|&n| app.report.databases[app.databases.rows[n]].timeline.len())
        .unwrap_or(0);
    app.databases.selected = most;
    let db = &app.report.databases[app.databases.rows[most]];
    println!(
        "detail database: {} ({} backups, {} windows)",
        db.database.name,
        db.timeline.len(),
        db.windows.len()
    );
    app.update(Action::Open);
    let detail = measure(&mut terminal, &mut app, frames, Action::Down);
    report("detail view 200x50", &detail);

    app.update(Action::FocusNext);
    let backups = measure(&mut terminal, &mut app, frames, Action::Down);
    report("detail view, backups tab 200x50", &backups);

    app.update(Action::Back);
    app.update(Action::ToggleHelp);
    let help = measure(&mut terminal, &mut app, frames / 4, Action::Down);
    report("help overlay 200x50", &help);
    app.update(Action::Close);

    let mut all: Vec<Duration> = [databases, detail, backups, help].concat();
    all.sort();
    report("all frames", &all);
    let p99 = percentile(&all, 0.99);
    println!(
        "target p99 < 5 ms: {}   first frame < 100 ms: {}",
        if p99 < Duration::from_millis(5) {
            "met"
        } else {
            "MISSED"
        },
        if first < Duration::from_millis(100) {
            "met"
        } else {
            "MISSED"
        }
    );
}
