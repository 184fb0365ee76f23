//! The console's state: the estate, its report, and each view's state
//! (`view/`). Keys become actions here (`handle_key`); actions change the
//! state in the `impl App` files beside it (`update.rs` first). Drawing only
//! reads it. This module imports only plain-data modules, never the files
//! that add behaviour, so `src/app` has no import cycle.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::KeyEvent;

use super::action::Action;
use super::effect::Effect;
use super::keymap::{Context, HelpEntry, Keymap};
use super::live::InstanceHealth;
use super::palette::{self, Palette};
use super::rows::{self, InstanceRow};
use super::view::databases::DatabasesState;
use super::view::detail::DetailState;
use super::view::findings::FindingsState;
use super::view::on_demand::{OnDemand, OnDemandState};
use super::view::storage::StorageState;
use super::view::{Filter, Pane, Popup, View};
use super::wizard::{Access, Wizard};
use super::ClipboardMode;
use crate::analysis::{analyze_estate, DatabaseReport, EstateReport};
use crate::config::Config;
use crate::model::zone::{OperatorZone, Shown, Zone};
use crate::model::Estate;
use crate::theme::{Environment, Theme};

/// Said once over the demo estate (until the first key): how to get from
/// the demo to one's own servers.
pub const DEMO_HINT: &str = "demo data: `chainwatch config init` adds your servers";

/// Everything the console shows.
#[derive(Debug)]
pub struct App {
    /// Shared with the threads that analyse or list it in the background.
    pub estate: Arc<Estate>,
    pub report: EstateReport,
    pub theme: Theme,
    pub view: View,
    pub databases: DatabasesState,
    pub detail: Option<DetailState>,
    pub popup: Option<Popup>,
    pub help: bool,
    pub help_scroll: usize,
    /// The `:` command palette, when open.
    pub palette: Option<Palette>,
    /// The keymap in force (default plus user overrides).
    pub keymap: Arc<Keymap>,
    /// A one-line message in the key bar until the next key (e.g. "copied").
    pub status: Option<String>,
    pub clipboard_mode: ClipboardMode,
    /// Drop colours whatever theme is chosen (NO_COLOR, `--no-color`).
    pub no_color: bool,
    /// Where user themes and keymap live.
    pub config_dir: Option<PathBuf>,
    /// Environment of each instance (production, staging, ...), for the
    /// header accent: the config's `environment`.
    pub environments: BTreeMap<String, Environment>,
    /// The config's `accent` per instance: the header's background when
    /// that instance is in focus (over the environment's).
    pub accents: BTreeMap<String, ratatui::style::Color>,
    /// The restore wizard, when open (drawn over the views).
    pub wizard: Option<Wizard>,
    /// A wizard saved in the data dir, offered by `W`.
    pub resumable: Option<Wizard>,
    /// Which instances can be written to (from the config; empty = none).
    pub access: BTreeMap<String, Access>,
    /// Connections of configured instances, for the wizard's executor.
    pub instance_configs: BTreeMap<String, crate::config::InstanceConfig>,
    /// Where the wizard state, saved scripts and summaries go.
    pub data_dir: Option<PathBuf>,
    /// Blob URLs a container listing found (the wizard's file check).
    pub present_blobs: Option<std::collections::BTreeSet<String>>,
    /// The findings view.
    pub findings: FindingsState,
    /// The "back up now" box, when open.
    pub on_demand: Option<OnDemand>,
    /// Backup containers and their listings (the storage view, retention bars).
    pub storage: StorageState,
    pub should_quit: bool,
    /// What is being built in the background ("demo estate") while the
    /// first frames say so; None once the estate is here (see `loading.rs`).
    pub loading: Option<String>,
    /// Per-instance collection status in live mode; empty otherwise.
    pub health: BTreeMap<String, InstanceHealth>,
    /// Why the console cannot go on (the estate failed to load); the
    /// runner ends with it.
    pub failed: Option<String>,
    /// The estate the minute's re-analysis reads, while one runs.
    pub(super) reanalysis: Option<Arc<Estate>>,
    /// Effects of the `update` under way (see `effect.rs`); always empty
    /// between updates.
    pub(super) effects: Vec<Effect>,
    pub(super) dirty: bool,
    /// The clock times are shown in (`z` cycles UTC, server, local).
    pub zone: Zone,
    /// The operator's own zone (the system's unless fixed for tests).
    pub operator_zone: OperatorZone,
}

impl App {
    /// Analyses the estate at `now` and opens on the databases view.
    pub fn new(estate: Estate, now: DateTime<Utc>) -> App {
        let report = analyze_estate(&estate, now);
        let status = estate.is_demo.then(|| DEMO_HINT.to_string());
        let mut app = App {
            databases: DatabasesState {
                focus: Pane::Databases,
                instance: 0,
                instances: rows::instance_rows(&report),
                rows: Vec::new(),
                selected: 0,
                filter: Filter::default(),
                widths: rows::RowWidths::default(),
                sort: rows::SortKey::default(),
            },
            estate: Arc::new(estate),
            report,
            theme: Theme::from_env(),
            view: View::Databases,
            detail: None,
            popup: None,
            help: false,
            help_scroll: 0,
            palette: None,
            keymap: Keymap::default_map(),
            status,
            clipboard_mode: ClipboardMode::default(),
            no_color: Theme::no_color_env(),
            config_dir: None,
            environments: BTreeMap::new(),
            accents: BTreeMap::new(),
            wizard: None,
            resumable: None,
            access: BTreeMap::new(),
            instance_configs: BTreeMap::new(),
            data_dir: None,
            present_blobs: None,
            on_demand: None,
            findings: Default::default(),
            storage: Default::default(),
            should_quit: false,
            loading: None,
            health: BTreeMap::new(),
            failed: None,
            reanalysis: None,
            effects: Vec::new(),
            dirty: true,
            zone: Zone::default(),
            operator_zone: OperatorZone::default(),
        };
        app.refresh_databases();
        app
    }

    /// How to show the times of `instance` in the chosen zone.
    pub fn shown(&self, instance: &str) -> Shown<'_> {
        Shown {
            zone: self.zone,
            server: self
                .report
                .instances
                .iter()
                .find(|i| i.instance == instance)
                .map(|i| &i.clock),
            operator: self.operator_zone,
        }
    }

    /// The clock for times that belong to no one server (the header's
    /// `now`): server time then reads as the focused instance's.
    pub fn shown_here(&self) -> Shown<'_> {
        self.shown(self.selected_instance().map_or("", |row| row.name.as_str()))
    }

    /// Lines of the help overlay (for its scrolling).
    pub fn help_lines(&self) -> usize {
        let keys: usize = self.help_sections().iter().map(|(_, e)| e.len() + 2).sum();
        match self.view {
            View::Detail => keys + super::view::detail::HELP_GLYPH_LINES,
            _ => keys,
        }
    }

    /// Whether something changed since the last `take_dirty`.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// The filter being shown or typed in the current view.
    pub fn filter(&self) -> &Filter {
        match (&self.view, &self.detail) {
            (View::Detail, Some(d)) => &d.filter,
            (View::Storage, _) => &self.storage.filter,
            (View::Findings, _) => &self.findings.filter,
            _ => &self.databases.filter,
        }
    }

    pub(super) fn filter_mut(&mut self) -> &mut Filter {
        match (&self.view, &mut self.detail) {
            (View::Detail, Some(d)) => &mut d.filter,
            (View::Storage, _) => &mut self.storage.filter,
            (View::Findings, _) => &mut self.findings.filter,
            _ => &mut self.databases.filter,
        }
    }

    /// The instance the databases view is limited to, if any.
    pub fn selected_instance(&self) -> Option<&InstanceRow> {
        let i = self.databases.instance.checked_sub(1)?;
        self.databases.instances.get(i)
    }

    /// The database highlighted in the databases view.
    pub fn selected_database(&self) -> Option<&DatabaseReport> {
        let i = *self.databases.rows.get(self.databases.selected)?;
        self.report.databases.get(i)
    }

    /// The database the detail view shows.
    pub fn detail_database(&self) -> Option<&DatabaseReport> {
        self.report.databases.get(self.detail.as_ref()?.db)
    }

    /// Contexts of the view or popup, ignoring help and filter typing.
    pub fn view_contexts(&self) -> Vec<Context> {
        let view = match self.view {
            View::Databases => Context::Databases,
            View::Detail => Context::Detail,
            View::Storage => Context::Storage,
            View::Findings => Context::Findings,
        };
        match self.popup {
            Some(_) => vec![Context::Popup, Context::Global, Context::Any],
            None => vec![view, Context::Global, Context::Any],
        }
    }

    /// Contexts whose bindings are in force now, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        if let Some(o) = &self.on_demand {
            return if o.state == OnDemandState::Typing {
                vec![Context::WizardInput, Context::Any]
            } else {
                vec![Context::Popup, Context::Any]
            };
        }
        if let Some(w) = &self.wizard {
            if self.help {
                return vec![Context::Help, Context::Any];
            }
            return if w.input.is_some() {
                vec![Context::WizardInput, Context::Any]
            } else {
                vec![Context::Wizard, Context::Any]
            };
        }
        if self.palette.is_some() {
            vec![Context::Palette, Context::Any]
        } else if self.help {
            vec![Context::Help, Context::Any]
        } else if self.filter().editing {
            vec![Context::Filter, Context::Any]
        } else {
            self.view_contexts()
        }
    }

    /// What the help overlay lists: the bindings under it, and how to
    /// type a filter when the view has one.
    pub fn help_sections(&self) -> Vec<(Context, Vec<HelpEntry>)> {
        if self.wizard.is_some() {
            return self.keymap.help_sections(&[
                Context::Wizard,
                Context::WizardInput,
                Context::Any,
            ]);
        }
        let mut sections = self.keymap.help_sections(&self.view_contexts());
        if self.popup.is_none() {
            sections.extend(self.keymap.help_sections(&[Context::Filter]));
        }
        sections.extend(self.keymap.help_sections(&[Context::Palette]));
        sections
    }

    /// The action a key asks for in the current state, if any.
    pub fn handle_key(&self, key: KeyEvent) -> Option<Action> {
        self.keymap.lookup(&self.contexts(), &key)
    }

    /// What the `:` palette can offer now.
    pub fn palette_offer(&self) -> palette::Offer<'_> {
        palette::Offer {
            report: &self.report,
            instances: &self.databases.instances,
            resumable: self.resumable.as_ref(),
        }
    }

    /// Key bar entries for the current state.
    pub fn bar_entries(&self) -> Vec<(String, String)> {
        self.keymap.bar_entries(&self.contexts())
    }

    /// Uses theme `name` (user file or built-in), keeping `no_color` and
    /// the ASCII setting. On failure the current theme stays and the error
    /// is returned.
    pub fn set_theme(&mut self, name: &str) -> Result<(), crate::theme::ThemeError> {
        let mut theme = Theme::load(name, self.config_dir.as_deref())?;
        theme.ascii = self.theme.ascii;
        self.theme = if self.no_color {
            theme.without_colours()
        } else {
            theme
        };
        self.dirty = true;
        Ok(())
    }

    /// Takes writes permissions and connections from the config.
    pub fn set_config(&mut self, config: &Config) {
        self.access = config
            .instances
            .iter()
            .map(|i| {
                (
                    i.name.clone(),
                    Access {
                        allow_writes: i.allow_writes,
                        connectable: true,
                    },
                )
            })
            .collect();
        self.instance_configs = config
            .instances
            .iter()
            .map(|i| (i.name.clone(), i.clone()))
            .collect();
        // The header's look per instance (validated when the config loaded).
        for i in &config.instances {
            if let Some(env) = i.environment.as_deref().and_then(Environment::parse) {
                self.environments.insert(i.name.clone(), env);
            }
            if let Some(c) = i.accent.as_deref().and_then(crate::theme::parse_color) {
                self.accents.insert(i.name.clone(), c);
            }
        }
        self.dirty = true;
    }

    /// Tags an instance with an environment (shown as a header accent).
    pub fn set_environment(&mut self, instance: &str, env: Environment) {
        self.environments.insert(instance.to_string(), env);
        self.dirty = true;
    }

    /// The instance in focus: the detail view's database's, or the one
    /// picked in the databases view (or the selected database's).
    fn focused_instance(&self) -> Option<&str> {
        Some(match (self.view, self.detail_database()) {
            (View::Detail, Some(db)) => db.instance.as_str(),
            _ => match self.selected_instance() {
                Some(i) => i.name.as_str(),
                None => self.selected_database()?.instance.as_str(),
            },
        })
    }

    /// The environment of the instance in focus.
    pub fn current_environment(&self) -> Option<Environment> {
        self.environments.get(self.focused_instance()?).copied()
    }

    /// The configured accent of the instance in focus (none without colours).
    pub fn current_accent(&self) -> Option<ratatui::style::Color> {
        if self.no_color {
            return None;
        }
        self.accents.get(self.focused_instance()?).copied()
    }
}
