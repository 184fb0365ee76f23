//! Columns sized from what they hold (issue 17, "Build 3"): the detail
//! view's findings tab (WHEN filled, WHAT never cut while a less important
//! column could go), the findings view (widths from content), the storage
//! view (blob names cut where they are alike, its findings listed).

use crate::support::ui::{chars, demo, key, line_with, open_detail, press, render};
use chainwatch::app::{DetailTab, Headless, View};
use ratatui::crossterm::event::KeyCode;

const PROD: &str = "SQL16\\PROD";

fn detail(app: &mut Headless, instance: &str, name: &str) {
    open_detail(app, instance, name);
    assert_eq!(app.view, View::Detail);
    assert_eq!(
        app.detail.as_ref().map(|d| d.tab),
        Some(DetailTab::Findings)
    );
}

const GAP: &str = "gap in Managed Backup's files after 2026-11-15 23:31:00Z";

#[test]
fn findings_tab_when_shows_the_evidence_time() {
    let mut app = demo();
    detail(&mut app, PROD, "Telemetry");
    let screen = render(&app, 80, 24);
    // The gap finding's first evidence set is the log before the gap.
    let gap = line_with(&screen, "gap in Managed Backup's files");
    assert!(gap.contains("11-15 23:31Z"), "{gap}");
    let full = line_with(&screen, "an unscheduled Managed Backup full");
    assert!(
        full.trim_end_matches(['"', '┃', ' ']).ends_with('Z'),
        "WHEN is filled for the unscheduled full: {full}"
    );
}

#[test]
fn findings_tab_drops_when_before_cutting_what() {
    let mut app = demo();
    detail(&mut app, PROD, "Telemetry");
    // 70 columns hold SEV and the whole title, not WHEN beside them: the
    // old fixed widths cut the title to keep WHEN.
    let screen = render(&app, 70, 24);
    assert!(
        line_with(&screen, "gap in Managed").contains(GAP),
        "{screen}"
    );
    assert!(!screen.contains("WHEN"), "{screen}");
    // With room for both, both.
    let screen = render(&app, 90, 24);
    assert!(
        line_with(&screen, "gap in Managed").contains(GAP),
        "{screen}"
    );
    assert!(screen.contains("WHEN"), "{screen}");
}

#[test]
fn findings_view_sizes_columns_from_content() {
    let mut app = demo();
    press(&mut app, &chars("F"));
    assert_eq!(app.view, View::Findings);
    let screen = render(&app, 80, 24);
    // Instance and database as wide as their longest value: the titles the
    // old fixed 18-column cells cut now fit.
    for title in [
        "log shipping on a Managed Backup database",
        "Managed Backup database is in SIMPLE recovery",
    ] {
        assert!(screen.contains(title), "{title:?} is cut:\n{screen}");
    }
    assert!(line_with(&screen, "SEV").contains("INSTANCE"), "{screen}");
    // 40 columns: severity and a readable title, instance and database dropped.
    let screen = render(&app, 40, 10);
    let head = line_with(&screen, "SEV");
    assert!(!head.contains("INSTA") && !head.contains("DATAB"), "{head}");
    assert!(
        line_with(&screen, "▶ CRIT").contains("Agent job 'Ledger - log backup"),
        "{screen}"
    );
}

/// The storage view on the demo's first container that has findings.
fn storage_with_findings() -> Headless {
    let mut app = demo();
    press(&mut app, &chars("S"));
    assert_eq!(app.view, View::Storage);
    for _ in 0..app.storage.containers.len() {
        if let Some(chainwatch::app::view::storage::Listing::Loaded(c)) =
            app.storage.current().map(|c| &c.listing)
        {
            if !c.findings.is_empty() {
                return app;
            }
        }
        press(&mut app, &[key(KeyCode::Tab)]);
    }
    panic!("no demo container has storage findings");
}

#[test]
fn storage_keeps_the_differing_end_of_blob_names() {
    let app = storage_with_findings();
    let files = app.storage.files();
    let names: Vec<&str> = app.storage.rows[..4]
        .iter()
        .map(|&i| files[i].entry.name.as_str())
        .collect();
    // They share a long prefix (database, GUID, date) and differ at the end.
    let shared = chainwatch::text::shared_prefix(names[1], names[2]);
    assert!(shared > 30, "{names:?}");
    let screen = render(&app, 80, 24);
    for name in &names {
        let tail = &name[name.len() - 12..];
        assert!(
            screen.contains(tail),
            "{tail:?} of {name} is cut:\n{screen}"
        );
    }
    // The tails differ, so no two blob lines start alike.
    let tiny = render(&app, 40, 10);
    for name in &names[..2] {
        let tail = &name[name.len() - 8..];
        assert!(tiny.contains(tail), "{tail:?} of {name} at 40x10:\n{tiny}");
    }
}

#[test]
fn storage_lists_the_findings_of_its_container() {
    let app = storage_with_findings();
    let Some(chainwatch::app::view::storage::Listing::Loaded(c)) =
        app.storage.current().map(|c| &c.listing)
    else {
        unreachable!()
    };
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains(&format!("{} finding(s)", c.findings.len())),
        "{screen}"
    );
    for f in &c.findings {
        let db = f.database.as_deref().unwrap_or("");
        let line = line_with(&screen, &format!("{} {db}", f.severity.label()));
        let start: String = f.title.chars().take(40).collect();
        assert!(line.contains(&start), "{start:?} not listed:\n{screen}");
    }
    // A small terminal still names one and counts the rest.
    let tiny = render(&app, 40, 10);
    assert!(
        tiny.contains(&format!("(+{} more)", c.findings.len() - 1)),
        "{tiny}"
    );
}

#[test]
fn storage_findings_take_the_cursor_and_open_their_evidence() {
    let mut app = storage_with_findings();
    let findings: Vec<chainwatch::analysis::Finding> =
        app.storage.findings().into_iter().cloned().collect();
    // Enter on a blob no finding names does nothing; F moves the cursor up.
    press(&mut app, &chars("F"));
    assert!(app.storage.findings_focus);
    assert_eq!(app.storage.finding, 0);
    let screen = render(&app, 80, 24);
    insta::assert_snapshot!("storage_findings_focus_80x24", screen);
    insta::assert_snapshot!("storage_findings_focus_40x10", render(&app, 40, 10));
    // j moves through the findings, not the blobs; G reaches the last one.
    let blob = app.storage.selected;
    press(&mut app, &chars("G"));
    assert_eq!(app.storage.finding, findings.len() - 1);
    assert_eq!(app.storage.selected, blob, "the blob cursor stayed");
    press(&mut app, &chars("g"));
    // Enter opens the evidence of the finding under the cursor.
    press(&mut app, &[key(KeyCode::Enter)]);
    let Some(chainwatch::app::view::Popup::Evidence { finding, .. }) = &app.popup else {
        panic!("no evidence popup: {:?}", app.popup)
    };
    let opened = finding.as_deref().unwrap();
    assert_eq!(opened, &findings[0]);
    let screen = render(&app, 80, 24);
    let start: String = opened.explanation.chars().take(30).collect();
    assert!(screen.contains(&start), "{start:?}:\n{screen}");
    // Backup sets are looked up in the database it names, and the rows it
    // rests on (the retention promise) are shown.
    let db = opened
        .database
        .as_deref()
        .expect("a retention finding names its database");
    let report_db = app.evidence_database().expect("the database it names");
    assert_eq!(report_db.database.name, db);
    assert_eq!(report_db.instance, opened.instance);
    assert!(screen.contains("retention_days = 14"), "{screen}");
    insta::assert_snapshot!("storage_finding_evidence_80x24", screen);
    let tiny = render(&app, 40, 10);
    insta::assert_snapshot!("storage_finding_evidence_40x10", tiny);
    // Esc closes it; F again gives the cursor back to the blobs.
    press(&mut app, &[key(KeyCode::Esc)]);
    assert!(app.popup.is_none());
    press(&mut app, &chars("F"));
    assert!(!app.storage.findings_focus);
}
