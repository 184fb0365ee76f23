//! Every view, pane and popup of the console on the demo estate, drawn at
//! a usual terminal (80x24) and a tiny one (40x10), each an insta snapshot.
//! Each scene also asserts that the keys reached what it is named after, so
//! a scene that silently stayed on the databases view fails instead of
//! snapshotting the wrong screen.

use chainwatch::app::wizard::{Key, Step};
use chainwatch::app::{Action, App, DetailTab, Headless, Pane, Popup, View};
use ratatui::crossterm::event::KeyCode;

use crate::support::now;
use crate::support::ui::{chars, key, press, render};

/// One screen: how to get there from the databases view, and what proves it.
struct Scene {
    name: &'static str,
    reach: fn(&mut Headless),
    reached: fn(&App) -> bool,
}

use crate::support::ui::{demo, open_detail as detail};

const PROD: &str = "SQL16\\PROD";

fn tab(app: &App) -> Option<DetailTab> {
    (app.view == View::Detail).then(|| app.detail.as_ref().map(|d| d.tab))?
}

fn wizard_step(app: &App) -> Option<Step> {
    app.wizard.as_ref().map(|w| w.step)
}

fn wizard_to(app: &mut Headless, steps: usize) {
    detail(app, PROD, "Archive");
    app.update(Action::WizardOpen);
    for _ in 0..steps {
        app.update(Action::Wizard(Key::Next));
    }
}

const SCENES: &[Scene] = &[
    Scene {
        name: "instances_pane",
        reach: |app| press(app, &[key(KeyCode::Tab)]),
        reached: |app| app.view == View::Databases && app.databases.focus == Pane::Instances,
    },
    Scene {
        name: "filter_typing",
        reach: |app| press(app, &chars("/sales")),
        reached: |app| app.filter().editing && app.filter().text == "sales",
    },
    Scene {
        name: "detail_findings",
        reach: |app| detail(app, PROD, "Telemetry"),
        reached: |app| tab(app) == Some(DetailTab::Findings),
    },
    Scene {
        name: "detail_backups",
        reach: |app| {
            detail(app, PROD, "Telemetry");
            press(app, &chars("2"));
        },
        reached: |app| tab(app) == Some(DetailTab::Backups),
    },
    Scene {
        name: "detail_windows",
        reach: |app| {
            detail(app, PROD, "Telemetry");
            press(app, &chars("3"));
        },
        reached: |app| tab(app) == Some(DetailTab::Windows),
    },
    Scene {
        name: "evidence_popup",
        reach: |app| {
            detail(app, PROD, "Telemetry");
            press(app, &[key(KeyCode::Enter)]);
        },
        reached: |app| matches!(app.popup, Some(Popup::Evidence { .. })),
    },
    Scene {
        name: "plan_popup",
        reach: |app| {
            detail(app, PROD, "Sales");
            press(app, &chars("p"));
        },
        reached: |app| matches!(app.popup, Some(Popup::Plan { .. })),
    },
    Scene {
        name: "findings_view",
        reach: |app| press(app, &chars("F")),
        reached: |app| app.view == View::Findings && !app.findings.rows.is_empty(),
    },
    Scene {
        name: "storage_view",
        reach: |app| press(app, &chars("S")),
        reached: |app| app.view == View::Storage && !app.storage.containers.is_empty(),
    },
    Scene {
        name: "help",
        reach: |app| press(app, &chars("?")),
        reached: |app| app.help,
    },
    Scene {
        name: "palette",
        reach: |app| press(app, &chars(":sales")),
        reached: |app| app.palette.as_ref().is_some_and(|p| p.input == "sales"),
    },
    Scene {
        name: "back_up_now_refused",
        reach: |app| {
            detail(app, PROD, "Sales");
            press(app, &chars("B"));
        },
        reached: |app| app.on_demand.is_some(),
    },
    Scene {
        name: "wizard_target",
        reach: |app| wizard_to(app, 0),
        reached: |app| wizard_step(app) == Some(Step::Target),
    },
    Scene {
        name: "wizard_point",
        reach: |app| wizard_to(app, 1),
        reached: |app| wizard_step(app) == Some(Step::Point),
    },
    Scene {
        name: "wizard_files",
        reach: |app| wizard_to(app, 2),
        reached: |app| wizard_step(app) == Some(Step::Files),
    },
    Scene {
        name: "wizard_preflight",
        reach: |app| wizard_to(app, 3),
        reached: |app| wizard_step(app) == Some(Step::Preflight),
    },
    Scene {
        name: "wizard_help",
        reach: |app| {
            wizard_to(app, 0);
            press(app, &chars("?"));
        },
        reached: |app| app.wizard.is_some() && app.help,
    },
];

#[test]
fn every_view_pane_and_popup_at_80x24_and_40x10() {
    for scene in SCENES {
        let mut app = demo();
        (scene.reach)(&mut app);
        app.settle();
        assert!(
            (scene.reached)(&app),
            "scene {} did not get where it is named: view {:?}, popup {:?}, status {:?}",
            scene.name,
            app.view,
            app.popup.is_some(),
            app.status
        );
        for (w, h) in [(80, 24), (40, 10)] {
            let screen = render(&app, w, h);
            insta::assert_snapshot!(format!("{}_{w}x{h}", scene.name), screen);
        }
    }
}

#[test]
fn the_loading_screen_at_80x24_and_40x10() {
    let app = App::loading("demo estate", now());
    for (w, h) in [(80, 24), (40, 10)] {
        let screen = render(&app, w, h);
        assert!(screen.contains("loading"), "{screen}");
        insta::assert_snapshot!(format!("loading_{w}x{h}"), screen);
    }
}
