//! The console's storage view on a real listing: a configured container in
//! Azurite is listed in the background (the app draws "listing…" at once,
//! never waits), then shows the blobs with their cross-check status, and
//! the retention bar says "listed from storage". A container that cannot be
//! listed shows UNKNOWN with the reason.

use crate::support::azurite;
use crate::support::blob_fixture as fixture;
use crate::support::ui::render_plain;

use std::time::{Duration as StdDuration, Instant};

use azure_core::http::RequestContent;
use chainwatch::app::view::storage::Listing;
use chainwatch::app::Action;
use chainwatch::blob::sas::{ConnectionString, EMULATOR_KEY};
use chainwatch::config::Config;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn config(text: &str) -> Config {
    Config::parse(text, std::path::Path::new("cw.toml")).unwrap()
}

/// Ticks until no container is loading any more (at most 60 s).
fn wait_listed(app: &mut chainwatch::app::Headless) {
    app.settle();
    assert!(!app
        .storage
        .containers
        .iter()
        .any(|c| c.listing == Listing::Loading));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_container_is_listed_in_the_background() {
    let az = azurite::Azurite::start();
    let conn = ConnectionString::parse(&format!(
        "AccountName=devstoreaccount1;AccountKey={EMULATOR_KEY};BlobEndpoint={}",
        az.blob_endpoint()
    ))
    .unwrap();
    let client = crate::support::azurite::create_container(&conn, "sql16-prod").await;
    let fx = fixture::demo();
    // A log of Sales that the restore to latest needs: left out of storage.
    let needed = fx
        .blobs
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| n.starts_with("Sales_") && n.ends_with(".log"))
        .rfind(|n| fx.file(n).needed)
        .expect("a needed Sales log");
    // ... and the oldest Sales full, so the promised window starts short.
    let oldest_full = fx
        .blobs
        .iter()
        .map(|(n, _)| n.clone())
        .find(|n| n.starts_with("Sales_") && n.ends_with(".bak"))
        .expect("a Sales full");
    let sales: Vec<&(String, Vec<u8>)> = fx
        .blobs
        .iter()
        .filter(|(n, _)| n.starts_with("Sales_") && *n != needed && *n != oldest_full)
        .collect();
    assert!(!sales.is_empty());
    for (name, body) in &sales {
        client
            .blob_client(name)
            .upload(RequestContent::from(body.clone()), None)
            .await
            .unwrap();
    }
    client
        .blob_client("stranger/tool.bak")
        .upload(RequestContent::from(b"x".to_vec()), None)
        .await
        .unwrap();
    std::env::set_var("CW_CONSOLE_TEST_KEY", EMULATOR_KEY);
    let cfg = config(&format!(
        "[[instance]]\nname = 'SQL16\\PROD'\nhost = 'h'\nuser = 'u'\npassword_env = 'P'\n\
         container_url = '{}/sql16-prod'\ncontainer_key_env = 'CW_CONSOLE_TEST_KEY'\n\
         container_history_name = '{}'\n\
         [[instance]]\nname = 'SQL14\\LEGACY'\nhost = 'h'\nuser = 'u'\npassword_env = 'P'\n\
         container_url = 'http://127.0.0.1:1/devstoreaccount1/gone'\n",
        az.blob_endpoint(),
        fixture::CONTAINER
    ));

    let app = tokio::task::spawn_blocking(move || {
        let mut app = chainwatch::app::Headless::open(fx.estate.clone(), fx.now);
        app.set_config(&cfg);
        let began = Instant::now();
        app.start_storage();
        // Listing is not done on this thread: start returns before it ends.
        let first = app
            .storage
            .containers
            .iter()
            .position(|c| c.instance == "SQL16\\PROD")
            .unwrap();
        let started = began.elapsed();
        app.update(Action::ShowStorage);
        let loading = render_plain(&app, 120, 30);
        wait_listed(&mut app);
        (app, first, started, loading)
    })
    .await
    .unwrap();
    let (mut app, first, started, loading) = app;
    assert!(started < StdDuration::from_secs(5), "{started:?}");
    assert!(
        loading.contains("listing the container in the background"),
        "{loading}"
    );
    app.storage.current = first;
    app.update(Action::Resize);
    let c = app.storage.current().unwrap();
    assert!(c.display.starts_with("http://127.0.0.1:"), "{}", c.display);
    let Listing::Loaded(checked) = &c.listing else {
        panic!("{:?}", c.listing)
    };
    assert_eq!(
        checked.origin,
        chainwatch::analysis::storage::ListingOrigin::Storage
    );
    assert_eq!(checked.check.files.len(), sales.len() + 1);
    assert!(checked
        .findings
        .iter()
        .any(|f| f.id == "storage.missing_needed"));
    // The storage view: blob names, statuses, "listed from storage".
    app.update(Action::FilterStart);
    for ch in "stranger".chars() {
        app.update(Action::FilterInput(ch));
    }
    app.update(Action::FilterAccept);
    assert_eq!(app.storage.rows.len(), 1);
    let screen = render_plain(&app, 120, 30);
    assert!(screen.contains("listed from storage"), "{screen}");
    assert!(screen.contains("stranger/tool.bak"), "{screen}");
    assert!(screen.contains("unknown"), "{screen}");
    assert!(!screen.contains("sig="));
    // Enter on that blob opens the finding that names it, with its row.
    app.update(Action::Open);
    let Some(chainwatch::app::view::Popup::Evidence { finding, .. }) = &app.popup else {
        panic!("no evidence popup: {:?}", app.popup)
    };
    let f = finding.as_deref().expect("a finding");
    assert_eq!(f.id, "storage.unknown_file");
    assert!(chainwatch::analysis::storage::names_blob(
        f,
        "stranger/tool.bak"
    ));
    let popup = render_plain(&app, 120, 30);
    assert!(popup.contains("stranger/tool.bak: 1 bytes"), "{popup}");
    app.update(Action::Close);
    // A blob no finding names opens nothing.
    app.update(Action::FilterClear);
    let files = app.storage.files().to_vec();
    let findings: Vec<chainwatch::analysis::Finding> =
        app.storage.findings().into_iter().cloned().collect();
    let plain = app
        .storage
        .rows
        .iter()
        .position(|&i| {
            !findings
                .iter()
                .any(|f| chainwatch::analysis::storage::names_blob(f, &files[i].entry.name))
        })
        .expect("a blob no finding names");
    app.storage.selected = plain;
    app.update(Action::Open);
    assert!(app.popup.is_none(), "{:?}", app.popup);
    // The needed log's finding is reached with F and j from the findings.
    app.update(Action::ShowFindings);
    let at = app
        .storage
        .findings()
        .iter()
        .position(|f| {
            f.id == "storage.missing_needed"
                && chainwatch::analysis::storage::names_blob(f, &needed)
        })
        .expect("the needed Sales log's finding");
    for _ in 0..at {
        app.update(Action::Down);
    }
    app.update(Action::Open);
    let Some(chainwatch::app::view::Popup::Evidence { finding, .. }) = &app.popup else {
        panic!("no evidence popup: {:?}", app.popup)
    };
    assert!(chainwatch::analysis::storage::names_blob(
        finding.as_deref().unwrap(),
        &needed
    ));
    let popup = render_plain(&app, 120, 30);
    assert!(popup.contains("Sales_"), "{popup}");
    app.update(Action::Close);
    app.update(Action::ShowFindings);
    app.update(Action::FilterStart);
    for ch in "stranger".chars() {
        app.update(Action::FilterInput(ch));
    }
    app.update(Action::FilterAccept);
    // The wizard's file check now knows which history URLs are present.
    let present = app.present_blobs.as_ref().expect("present blobs");
    assert!(present
        .iter()
        .any(|u| u.starts_with("https://prodstore.blob.core.windows.net/sql16-prod/Sales_")));
    assert!(!present.iter().any(|u| u.ends_with(&needed)));
    // The retention bar of Sales comes from storage.
    let (w, origin) = app.storage.window_for("SQL16\\PROD", "Sales").unwrap();
    assert_eq!(
        origin,
        chainwatch::analysis::storage::ListingOrigin::Storage
    );
    assert!(w.is_short(), "the oldest full is missing: {w:?}");
    assert!(
        w.reasons.iter().any(|r| r.contains(&oldest_full)),
        "{:?}",
        w.reasons
    );

    // The detail view of Sales: the bar starts lost (the oldest full is
    // gone), and log ticks take the colour of what is under them.
    let sales_db = app
        .report
        .databases
        .iter()
        .position(|d| d.instance == "SQL16\\PROD" && d.database.name == "Sales")
        .unwrap();
    app.update(Action::FilterClear);
    app.update(Action::Back);
    app.databases.selected = app
        .databases
        .rows
        .iter()
        .position(|&i| i == sales_db)
        .unwrap();
    app.update(Action::Open);
    let mut term = Terminal::new(TestBackend::new(120, 32)).unwrap();
    term.draw(|f| chainwatch::ui::draw(f, &app)).unwrap();
    let buf = term.backend().buffer().clone();
    let row = (0..32u16)
        .find(|&y| buf[(0, y)].symbol() == "r" && buf[(1, y)].symbol() == "e")
        .expect("a retention bar row");
    let cells: Vec<&ratatui::buffer::Cell> = (0..120u16).map(|x| &buf[(x, row)]).collect();
    let open = cells.iter().position(|c| c.symbol() == "[").unwrap();
    let first = cells[open + 1];
    assert_eq!(
        first.fg,
        app.theme.crit.fg.unwrap_or_default(),
        "lost start"
    );
    let tick_on_lost = cells[open + 1..]
        .iter()
        .take_while(|c| c.symbol() != "━" && c.symbol() != "=")
        .find(|c| c.symbol() == "|");
    if let Some(t) = tick_on_lost {
        assert_eq!(t.fg, app.theme.crit.fg.unwrap_or_default());
    }
    let tick_on_recoverable = cells
        .iter()
        .rposition(|c| c.symbol() == "|")
        .map(|i| cells[i])
        .unwrap();
    assert_eq!(
        tick_on_recoverable.fg,
        app.theme.window.fg.unwrap_or_default()
    );
    app.update(Action::Back);

    // The unreachable container: UNKNOWN with the reason, no panic.
    let dev = app
        .storage
        .containers
        .iter()
        .position(|c| c.instance == "SQL14\\LEGACY")
        .unwrap();
    let Listing::Failed(reason) = &app.storage.containers[dev].listing else {
        panic!("{:?}", app.storage.containers[dev].listing)
    };
    assert!(reason.contains("storage request failed"), "{reason}");
    app.update(Action::ShowStorage);
    app.storage.current = dev;
    app.update(Action::Resize);
    let screen = render_plain(&app, 120, 30);
    assert!(screen.contains("UNKNOWN not listed"), "{screen}");
}
