//! The console in live mode, driven without a terminal: the collector
//! thread refreshes the configured instances (TDS test servers) in the
//! background and the app, fed exactly as the event loop feeds it, shows
//! each instance's status: ok, permission missing, login failed,
//! unreachable, and "stale since HH:MM" with the last data kept.

use std::time::Duration;

use crate::support::live::instance;
use crate::support::ui::render_plain;
use crate::support::{closed_port, demo_instances, now, Faults, ServerOptions, TdsServer, NOW};
use chainwatch::app::background::{Background, BackgroundEvent, Start};
use chainwatch::app::live::LiveSource;
use chainwatch::app::App;
use chainwatch::app::{Effect, Msg};
use chainwatch::sqlserver::{credential, Settings, Status};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The row naming `instance` in the instances pane (the left pane, up to
/// its border beside the focused databases pane).
fn line_of<'a>(screen: &'a str, instance: &str) -> &'a str {
    screen
        .lines()
        .filter_map(|l| l.split("│┃").next())
        .find(|l| l.contains(&format!(" {instance} ")))
        .unwrap_or_else(|| panic!("{instance} not on screen:\n{screen}"))
}

/// The next background event, as the event loop would get it.
async fn next(background: &mut Background) -> BackgroundEvent {
    tokio::time::timeout(Duration::from_secs(30), background.next())
        .await
        .expect("a refresh within 30 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_refresh_shows_each_instance_status_and_keeps_stale_data() {
    let demo = demo_instances(NOW);
    let prod = demo["SQL16\\PROD"].clone();
    let good = TdsServer::start(prod.clone(), ServerOptions::default()).await;
    let deny = TdsServer::start(
        demo["SQLAG02"].clone(),
        ServerOptions {
            faults: Faults {
                deny: vec!["msdb.dbo.sysjobs".into()],
                ..Faults::default()
            },
            ..ServerOptions::default()
        },
    )
    .await;
    let wrong = TdsServer::start(prod.clone(), ServerOptions::default()).await;
    let refused = closed_port().await;
    let configs = [
        instance("GOOD", good.addr, "s3cret!"),
        instance("DENY", deny.addr, "s3cret!"),
        instance("WRONG", wrong.addr, "not-it"),
        instance("REFUSED", refused, "s3cret!"),
    ];
    let source = LiveSource {
        label: "live.toml".into(),
        instances: configs.iter().map(|i| (i.clone(), credential(i))).collect(),
        settings: Settings {
            connect_timeout: Duration::from_secs(2),
            query_timeout: Duration::from_secs(10),
            retries: 0,
            backoff: Duration::from_millis(10),
            ..Settings::default()
        },
        every: Duration::from_millis(200),
        now_override: Some(now()),
        archive: None,
        policies: Default::default(),
    };

    // As `run_live` starts: a placeholder estate, drawn at once.
    let (estate, waiting, mut background) = Start::Live(source).begin(now()).unwrap();
    let mut app = App::new(estate, now());
    app.loading = waiting;
    let screen = render_plain(&app, 160, 30);
    assert!(screen.contains("loading 4 live instances…"), "{screen}");

    app.update(next(&mut background).await);
    assert!(app.failed.is_none());
    assert!(app.loading.is_none());
    let screen = render_plain(&app, 160, 30);
    assert!(line_of(&screen, "GOOD").contains(" ok"), "{screen}");
    assert!(
        line_of(&screen, "DENY").contains("permission missing"),
        "{screen}"
    );
    assert!(
        line_of(&screen, "WRONG").contains("login failed"),
        "{screen}"
    );
    assert!(
        line_of(&screen, "REFUSED").contains("unreachable"),
        "{screen}"
    );
    let good_dbs = |app: &App| {
        app.report
            .databases
            .iter()
            .filter(|d| d.instance == "GOOD")
            .count()
    };
    let served = good_dbs(&app);
    assert!(served > 3, "GOOD's databases are listed");

    // Keep a database selected across refreshes.
    app.databases.selected = 3;
    let chosen = app.selected_database().unwrap().database.name.clone();
    let chosen_instance = app.selected_database().unwrap().instance.clone();

    // GOOD goes away: its last data stays, marked stale since it was collected.
    let first_ok = app.health["GOOD"].collected_at.unwrap();
    drop(good);
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 50, "GOOD never went stale");
        match next(&mut background).await {
            BackgroundEvent::Refreshed(r) => app.on_refresh(r),
            other => panic!("unexpected {other:?}"),
        }
        if app.health["GOOD"].is_stale() {
            break;
        }
    }
    let health = &app.health["GOOD"];
    assert!(
        matches!(health.status, Status::Unreachable(_)),
        "{health:?}"
    );
    let since = health.collected_at.unwrap();
    assert!(since >= first_ok);
    let screen = render_plain(&app, 160, 30);
    let label = format!("stale since {}", since.format("%H:%M"));
    assert!(line_of(&screen, "GOOD").contains(&label), "{screen}");
    assert_eq!(good_dbs(&app), served, "stale data is kept, not dropped");
    let d = app.selected_database().unwrap();
    assert_eq!((&d.instance, &d.database.name), (&chosen_instance, &chosen));

    // Quitting drops the receiver: the collector thread ends on its own.
    drop(background);
}

/// Feeds a key through the keymap and passes a refresh request on, as the
/// event loop does.
fn press(app: &mut App, background: &Background, key: KeyEvent) {
    let Some(action) = app.handle_key(key) else {
        return;
    };
    for effect in app.update(action) {
        if let Effect::RefreshLive = effect {
            app.update(Msg::RefreshStarted(background.refresh_now()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_r_refreshes_now_and_says_so_when_not_live() {
    let server = TdsServer::start(
        demo_instances(NOW)["SQLAG02"].clone(),
        ServerOptions::default(),
    )
    .await;
    let inst = instance("AG", server.addr, "s3cret!");
    let source = LiveSource {
        label: "live.toml".into(),
        instances: vec![(inst.clone(), credential(&inst))],
        settings: Settings::default(),
        // Far away: only Ctrl-R can bring the second refresh in time.
        every: Duration::from_secs(3600),
        now_override: Some(now()),
        archive: None,
        policies: Default::default(),
    };
    let (estate, waiting, mut background) = Start::Live(source).begin(now()).unwrap();
    let mut app = App::new(estate, now());
    app.loading = waiting;
    app.update(next(&mut background).await);
    assert!(app.failed.is_none());
    assert_eq!(app.health["AG"].status, Status::Ok);
    let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
    press(&mut app, &background, ctrl_r);
    assert!(app.status.as_deref().unwrap_or("").contains("refreshing"));
    match next(&mut background).await {
        BackgroundEvent::Refreshed(r) => assert_eq!(r.round, 2),
        other => panic!("unexpected {other:?}"),
    }

    // Not live: nothing to wake, and the console says so.
    let mut demo = App::new(chainwatch::sources::demo_estate(now()).unwrap(), now());
    press(&mut demo, &Background::default(), ctrl_r);
    assert!(
        demo.status
            .as_deref()
            .unwrap_or("")
            .contains("not watching"),
        "{:?}",
        demo.status
    );
}
