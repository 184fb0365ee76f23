//! The evidence popup of an interoperability finding shows what proves it
//! beyond backup sets: the explanation, the remedy, the catalog rows (jobs,
//! plans, config) and the T-SQL remedy.

use crate::support::now;
use chainwatch::app::palette::Command;
use chainwatch::app::{Action, App, Popup};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| chainwatch::ui::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

#[test]
fn finding_evidence_shows_rows_and_sql() {
    let mut app =
        chainwatch::app::Headless::open(chainwatch::sources::demo_estate(now()).unwrap(), now());
    let (db, j) = app
        .report
        .databases
        .iter()
        .enumerate()
        .find_map(|(i, d)| {
            d.findings
                .iter()
                .position(|f| !f.rows.is_empty() && f.sql.is_some())
                .map(|j| (i, j))
        })
        .expect("the demo has a finding with catalog rows and T-SQL");
    let finding = app.report.databases[db].findings[j].clone();
    app.run_command(Command::Database(db));
    let pos = app
        .detail
        .as_ref()
        .unwrap()
        .rows
        .iter()
        .position(|&r| r == j)
        .unwrap();
    for _ in 0..pos {
        app.update(Action::Down);
    }
    app.update(Action::Open);
    match &app.popup {
        Some(Popup::Evidence {
            finding: Some(f), ..
        }) => assert_eq!(f.title, finding.title),
        other => panic!("no finding evidence: {other:?}"),
    }
    let s = screen(&app, 140, 60);
    assert!(s.contains("Remedy"), "{s}");
    assert!(s.contains(&finding.rows[0].table), "{s}");
    assert!(s.contains("T-SQL"), "{s}");
    let first_sql_line = finding
        .sql
        .as_ref()
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_string();
    assert!(
        s.contains(&first_sql_line[..first_sql_line.len().min(60)]),
        "{s}"
    );
    // Scrolling reaches the backup sets after the finding's own items.
    let items = 1 + finding.rows.len() + 1 + finding.evidence.len();
    for _ in 0..items + 3 {
        app.update(Action::Down);
    }
    match &app.popup {
        Some(Popup::Evidence { scroll, .. }) => assert_eq!(*scroll, items - 1),
        other => panic!("{other:?}"),
    }
    // Copy carries the rows and the T-SQL too.
    let text = app.copy_text().unwrap();
    assert!(text.contains(&finding.rows[0].text));
    assert!(text.contains(finding.sql.as_ref().unwrap()));
}

#[test]
fn findings_view_lists_instance_and_database_findings_worst_first() {
    use chainwatch::analysis::Severity;
    use chainwatch::app::view::findings::FindingRef;
    use chainwatch::app::View;
    let mut app =
        chainwatch::app::Headless::open(chainwatch::sources::demo_estate(now()).unwrap(), now());
    app.update(Action::ShowFindings);
    assert_eq!(app.view, View::Findings);
    let total: usize = app
        .report
        .instances
        .iter()
        .map(|i| i.findings.len())
        .sum::<usize>()
        + app
            .report
            .databases
            .iter()
            .map(|d| d.findings.len())
            .sum::<usize>();
    assert_eq!(
        app.findings.rows.len(),
        total,
        "every finding, instance-level too"
    );
    let sev: Vec<Severity> = app
        .findings
        .rows
        .iter()
        .map(|r| app.finding(*r).unwrap().severity)
        .collect();
    assert!(sev.windows(2).all(|w| w[0] >= w[1]), "worst first: {sev:?}");
    let s = screen(&app, 120, 30);
    let crit = sev.iter().filter(|s| **s == Severity::Critical).count();
    assert!(s.contains(&format!("{crit} CRIT")), "{s}");
    // Enter shows the evidence of the first (worst) finding.
    app.update(Action::Open);
    let first = app.finding(app.findings.rows[0]).unwrap().clone();
    assert!(screen(&app, 140, 50).contains(&first.title[..first.title.len().min(40)]));
    app.update(Action::Close);
    // `o` opens the database of a database finding.
    let k = app
        .findings
        .rows
        .iter()
        .position(|r| matches!(r, FindingRef::Database(..)))
        .unwrap();
    for _ in 0..k {
        app.update(Action::Down);
    }
    let FindingRef::Database(d, _) = app.findings.rows[k] else {
        unreachable!()
    };
    app.update(Action::OpenDatabase);
    assert_eq!(app.view, View::Detail);
    assert_eq!(app.detail.as_ref().unwrap().db, d);
    // Filter narrows; scope follows the instance picked in the databases view.
    app.update(Action::Back);
    app.update(Action::ShowFindings);
    for c in "mirror".chars() {
        app.update(Action::FilterInput(c));
    }
    assert!(!app.findings.rows.is_empty());
    assert!(app.findings.rows.len() < total);
    assert!(app.findings.rows.iter().all(|r| app
        .finding(*r)
        .unwrap()
        .title
        .to_lowercase()
        .contains("mirror")
        || app.finding(*r).unwrap().id.contains("mirror")));
    // Instance-level findings show as "(instance)" and open like any other.
    // The demo has none: leave a table uncollected on one instance, which
    // the rules report on the instance ("not collected").
    let mut estate = chainwatch::sources::demo_estate(now()).unwrap();
    estate
        .instances
        .iter_mut()
        .find(|i| i.name == "SQL16\\PROD")
        .unwrap()
        .tables
        .remove("msdb.dbo.sysjobsteps");
    let mut app = chainwatch::app::Headless::open(estate, now());
    app.update(Action::ShowFindings);
    let k = app
        .findings
        .rows
        .iter()
        .position(|r| matches!(r, FindingRef::Instance(..)))
        .expect("an instance-level finding");
    app.findings.selected = k;
    assert!(screen(&app, 120, 40).contains("(instance)"));
    let title = app.finding(app.findings.rows[k]).unwrap().title.clone();
    app.update(Action::Open);
    let shown = screen(&app, 140, 50);
    assert!(shown.contains(&title[..title.len().min(40)]), "{shown}");
}

#[test]
fn evidence_is_highlighted_on_the_timeline_and_stays_visible_under_the_popup() {
    let mut app =
        chainwatch::app::Headless::open(chainwatch::sources::demo_estate(now()).unwrap(), now());
    let db = app
        .report
        .databases
        .iter()
        .position(|d| d.database.name == "Telemetry")
        .unwrap();
    app.run_command(Command::Database(db));
    let first = app.detail.as_ref().unwrap().rows[0];
    let evidence = chainwatch::app::rows::issue(&app.report.databases[db], first)
        .unwrap()
        .evidence()
        .to_vec();
    assert!(!evidence.is_empty());
    let before = screen(&app, 120, 44);
    // The evidence keeps its own glyph, drawn reversed (it was a ◆ that
    // hid whether the backup was a full or a log).
    assert!(!before.contains('◆'), "{before}");
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 44)).unwrap();
    term.draw(|f| chainwatch::ui::draw(f, &app)).unwrap();
    let buf = term.backend().buffer();
    let reversed: Vec<&str> = (5..12)
        .flat_map(|y| (0..120).map(move |x| (x, y)))
        .map(|xy| &buf[xy])
        .filter(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
        .map(|c| c.symbol())
        .collect();
    assert!(
        !reversed.is_empty()
            && reversed
                .iter()
                .all(|g| ["█", "│", "!", "b", "c", "▯"].contains(g)),
        "selected evidence drawn reversed with its kind's glyph: {reversed:?}\n{before}"
    );
    assert!(before.contains('△'), "and pointed at on the axis");
    app.update(Action::Open);
    let open = screen(&app, 120, 44);
    assert!(
        open.contains("Chain timeline"),
        "timeline not covered: {open}"
    );
    assert!(open.contains('△'), "the evidence still pointed at: {open}");
    assert!(open.contains("Evidence:"));
    // A backup with no evidence (Backups tab, a plain log) highlights only itself.
    app.update(Action::Close);
    app.update(Action::SelectTab(chainwatch::app::DetailTab::Windows));
    let none = screen(&app, 120, 44);
    let axis = none
        .lines()
        .find(|l| l.contains("UTC   "))
        .unwrap_or_default();
    assert!(
        !axis.contains('△'),
        "no evidence on the windows tab: {none}"
    );
}

#[test]
fn palette_runs_the_check() {
    let mut app =
        chainwatch::app::Headless::open(chainwatch::sources::demo_estate(now()).unwrap(), now());
    app.update(Action::PaletteOpen);
    for c in "check sql14".chars() {
        app.update(Action::PaletteInput(c));
    }
    app.update(Action::PaletteRun);
    assert_eq!(app.view, chainwatch::app::View::Findings);
    assert_eq!(app.findings.instance.as_deref(), Some("SQL14\\LEGACY"));
    assert!(!app.findings.rows.is_empty());
    assert!(app
        .findings
        .rows
        .iter()
        .all(|r| app.finding(*r).unwrap().instance == "SQL14\\LEGACY"));
}
