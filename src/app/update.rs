//! How actions change the app: one function per view or overlay, plus
//! the recomputation of the report when the clock moves on.

use chrono::{DateTime, Utc};

use super::action::Action;
use super::effect::{Effect, Msg};
use super::palette::{self, Command, Palette};
use super::rows;
use super::state::App;
use super::view::detail::{DetailState, DetailTab};
use super::view::{Filter, Pane, Popup, View};
use super::ClipboardMode;
use crate::analysis::{self, Target};

/// Largest text sent through OSC 52 (many terminals cap the sequence near 100 kB).
pub const OSC52_MAX: usize = 74_994;

impl App {
    /// Applies one action or answer, and returns what the runner must do
    /// (see `effect.rs`); nothing here spawns, writes or prints.
    pub fn update(&mut self, msg: impl Into<Msg>) -> Vec<Effect> {
        // A change not drawn yet stays pending whatever this message does.
        let pending = self.dirty;
        self.dirty = true;
        match msg.into() {
            Msg::Action(action) => {
                let cleared = !matches!(action, Action::Tick(_) | Action::Resize)
                    && self.status.take().is_some();
                self.apply(action);
                self.dirty |= cleared;
            }
            Msg::Storage(m) => self.storage_arrived(m),
            Msg::Reanalysed { estate, report } => self.reanalysed(estate, report),
            Msg::Exec(ev) => self.on_exec_event(ev),
            Msg::ExecEnded => self.exec_ended(),
            Msg::Background(ev) => {
                if let Err(e) = self.on_background(ev) {
                    self.failed = Some(format!("{e:#}"));
                    self.should_quit = true;
                }
            }
            Msg::RefreshStarted(live) => self.refresh_started(live),
            Msg::Written {
                path,
                purpose,
                result,
            } => self.written(&path, purpose, result),
        }
        self.dirty |= pending;
        std::mem::take(&mut self.effects)
    }

    fn apply(&mut self, action: Action) {
        if self.on_demand.is_some() {
            match action {
                Action::Quit => self.should_quit = true,
                Action::Tick(now) => self.dirty = self.tick(now),
                Action::Wizard(key) => self.on_demand_key(key),
                Action::Close => self.on_demand_key(super::wizard::Key::Cancel),
                _ => self.dirty = false,
            }
            return;
        }
        if self.wizard.is_some() {
            match action {
                Action::Quit => self.should_quit = true,
                Action::Tick(now) => {
                    self.dirty = self.tick(now);
                    if let Some(w) = self.wizard.as_mut().filter(|w| w.exec.running) {
                        w.exec.clock = Some(now);
                        self.dirty = true;
                    }
                }
                Action::Resize => {}
                Action::ToggleHelp => {
                    self.help = !self.help;
                    self.help_scroll = 0;
                }
                Action::Close if self.help => self.help = false,
                _ if self.help => {
                    let lines = self.help_lines();
                    self.help_scroll = action.moved(self.help_scroll, lines);
                }
                Action::Wizard(key) => self.wizard_key(key),
                _ => self.dirty = false,
            }
            return;
        }
        match action {
            Action::WizardResume => self.resume_wizard(),
            Action::Quit => self.should_quit = true,
            Action::Refresh => self.effects.push(Effect::RefreshLive),
            Action::CycleZone => {
                self.zone = self.zone.next();
                self.status = Some(format!(
                    "times in {} (z: UTC, server time, local time)",
                    self.zone.label()
                ));
            }
            Action::Tick(now) => self.dirty = self.tick(now),
            Action::Resize => {}
            Action::ScrollUp => self.apply(Action::Up),
            Action::ScrollDown => self.apply(Action::Down),
            Action::PaletteOpen => {
                self.palette = Some(Palette::default());
                self.help = false;
            }
            Action::PaletteInput(_) | Action::PaletteBackspace | Action::PaletteRun => {
                self.palette_action(action)
            }
            Action::Close if self.palette.is_some() => self.palette = None,
            Action::Up | Action::Down if self.palette.is_some() => self.palette_action(action),
            Action::Copy => self.copy(),
            Action::ToggleHelp => {
                self.help = !self.help;
                self.help_scroll = 0;
            }
            Action::Close if self.help => self.help = false,
            Action::Close => self.popup = None,
            Action::FilterStart
            | Action::FilterInput(_)
            | Action::FilterBackspace
            | Action::FilterAccept
            | Action::FilterClear => self.filter_action(action),
            _ if self.help => {
                let lines = self.help_lines();
                self.help_scroll = action.moved(self.help_scroll, lines);
            }
            _ if self.popup.is_some() => self.popup_action(action),
            Action::ShowStorage => {
                let instance = match (self.view, self.detail_database()) {
                    (View::Detail, Some(db)) => Some(db.instance.clone()),
                    _ => self
                        .selected_instance()
                        .map(|i| i.name.clone())
                        .or_else(|| self.selected_database().map(|d| d.instance.clone())),
                };
                self.open_storage(instance);
            }
            _ => match self.view {
                View::Databases => self.databases_action(action),
                View::Detail => self.detail_action(action),
                View::Storage => self.storage_action(action),
                View::Findings => self.findings_action(action),
            },
        }
    }

    /// Starts the minute's re-analysis when it is due. Nothing on screen
    /// changes until its report arrives, so the tick draws nothing.
    fn tick(&mut self, now: DateTime<Utc>) -> bool {
        // Analysing on the event loop froze it for seconds on a large
        // estate (measured: 11–13 s for 570 databases under load).
        self.reanalyse(now);
        false
    }

    fn filter_action(&mut self, action: Action) {
        let filter = self.filter_mut();
        match action {
            Action::FilterStart => filter.editing = true,
            Action::FilterInput(c) => filter.text.push(c),
            Action::FilterBackspace => {
                filter.text.pop();
            }
            Action::FilterAccept => filter.editing = false,
            Action::FilterClear => *filter = Filter::default(),
            _ => return,
        }
        if !matches!(action, Action::FilterStart | Action::FilterAccept) {
            self.reset_selection();
        }
    }

    fn reset_selection(&mut self) {
        match self.view {
            View::Databases => {
                self.databases.selected = 0;
                self.refresh_databases();
            }
            View::Detail => {
                if let Some(d) = &mut self.detail {
                    d.selected[d.tab.index()] = 0;
                }
                self.refresh_detail();
            }
            View::Storage => {
                self.storage.selected = 0;
                self.refresh_storage();
            }
            View::Findings => {
                self.findings.selected = 0;
                self.refresh_findings();
            }
        }
    }

    pub(super) fn refresh_databases(&mut self) {
        let instance = self.selected_instance().map(|i| i.name.clone());
        let s = &mut self.databases;
        s.rows =
            rows::sorted_database_rows(&self.report, instance.as_deref(), &s.filter.text, s.sort);
        s.widths = rows::row_widths(&self.report, &s.rows);
        s.selected = s.selected.min(s.rows.len().saturating_sub(1));
    }

    pub(super) fn refresh_detail(&mut self) {
        let Some(d) = &mut self.detail else { return };
        let Some(db) = self.report.databases.get(d.db) else {
            return;
        };
        d.rows = rows::detail_rows(db, d.tab, &d.filter.text);
        let sel = &mut d.selected[d.tab.index()];
        *sel = (*sel).min(d.rows.len().saturating_sub(1));
    }

    fn databases_action(&mut self, action: Action) {
        let s = &mut self.databases;
        match action {
            a if a.is_navigation() => match s.focus {
                Pane::Instances => {
                    let next = action.moved(s.instance, s.instances.len() + 1);
                    if next != s.instance {
                        s.instance = next;
                        s.selected = 0;
                        self.refresh_databases();
                    }
                }
                Pane::Databases => s.selected = action.moved(s.selected, s.rows.len()),
            },
            Action::FocusLeft => s.focus = Pane::Instances,
            Action::FocusRight => s.focus = Pane::Databases,
            Action::FocusNext | Action::FocusPrev => {
                s.focus = match s.focus {
                    Pane::Instances => Pane::Databases,
                    Pane::Databases => Pane::Instances,
                }
            }
            Action::ShowFindings => self.open_findings(),
            Action::CycleSort => {
                s.sort = s.sort.next();
                s.selected = 0;
                self.refresh_databases();
            }
            Action::Open if s.focus == Pane::Instances => s.focus = Pane::Databases,
            Action::Open => {
                if let Some(&db) = s.rows.get(s.selected) {
                    self.open_detail(db);
                }
            }
            Action::Cancel => {
                s.filter = Filter::default();
                self.refresh_databases();
            }
            _ => self.dirty = false,
        }
    }

    pub(super) fn open_detail(&mut self, db: usize) {
        self.detail = Some(DetailState {
            db,
            tab: DetailTab::Findings,
            rows: Vec::new(),
            selected: [0; 3],
            filter: Filter::default(),
        });
        self.view = View::Detail;
        self.refresh_detail();
    }

    fn detail_action(&mut self, action: Action) {
        let Some(d) = &mut self.detail else {
            self.view = View::Databases;
            return;
        };
        let tab = d.tab.index();
        match action {
            a if a.is_navigation() => d.selected[tab] = action.moved(d.selected[tab], d.rows.len()),
            Action::FocusNext | Action::FocusPrev | Action::SelectTab(_) => {
                d.tab = match action {
                    Action::SelectTab(t) => t,
                    _ => d.tab.step(action == Action::FocusNext),
                };
                d.filter = Filter::default();
                self.refresh_detail();
            }
            Action::Open => self.popup = self.evidence_popup(),
            Action::ShowPlan => self.popup = self.plan_popup(),
            Action::WizardOpen => self.open_wizard(),
            Action::BackupNow => self.open_on_demand(false),
            Action::Cancel if !d.filter.text.is_empty() => {
                d.filter = Filter::default();
                self.refresh_detail();
            }
            Action::Cancel | Action::Back => {
                self.view = View::Databases;
                self.detail = None;
            }
            _ => self.dirty = false,
        }
    }

    /// The evidence popup for the selected finding, break or backup.
    fn evidence_popup(&self) -> Option<Popup> {
        let d = self.detail.as_ref()?;
        let db = self.detail_database()?;
        let row = *d.rows.get(d.selected[d.tab.index()])?;
        let (title, ids, finding) = match d.tab {
            DetailTab::Findings => {
                let issue = rows::issue(db, row)?;
                let finding = match issue {
                    rows::Issue::Finding(f) => Some(Box::new(f.clone())),
                    rows::Issue::Break(_) => None,
                };
                (
                    format!("{} {}", issue.label(), issue.title()),
                    issue.evidence().to_vec(),
                    finding,
                )
            }
            DetailTab::Backups => {
                let t = db.timeline.get(row)?;
                (
                    format!("backup set {}", t.backup_set_id),
                    vec![t.backup_set_id],
                    None,
                )
            }
            DetailTab::Windows => return None,
        };
        Some(Popup::Evidence {
            title,
            ids,
            scroll: 0,
            finding,
        })
    }

    /// The restore plan to the latest recoverable point of the detail database.
    fn plan_popup(&self) -> Option<Popup> {
        let db = self.detail_database()?;
        let plan = self
            .estate
            .instances
            .iter()
            .find(|i| i.name == db.instance)
            .and_then(|i| Some((i, i.databases.iter().find(|x| x.name == db.database.name)?)))
            .map(|(instance, database)| {
                let a =
                    analysis::analyze_database(&self.estate, instance, database, self.report.now);
                Box::new(analysis::plan(&a, Target::Latest))
            })
            .ok_or_else(|| format!("{} is no longer in the estate", db.database.name));
        Some(Popup::Plan {
            title: format!("Restore plan: {} to the latest point", db.database.name),
            plan,
            scroll: 0,
        })
    }

    fn popup_action(&mut self, action: Action) {
        let (scroll, len) = match &mut self.popup {
            Some(Popup::Evidence {
                ids,
                scroll,
                finding,
                ..
            }) => (
                scroll,
                ids.len() + finding.as_ref().map_or(0, |f| finding_items_len(f)),
            ),
            Some(Popup::Plan { plan, scroll, .. }) => {
                let steps = plan.as_ref().map(|p| p.steps.len()).unwrap_or(0);
                (scroll, steps + 1)
            }
            None => return,
        };
        *scroll = action.moved(*scroll, len);
    }
}

impl App {
    fn palette_action(&mut self, action: Action) {
        let Some(p) = &mut self.palette else { return };
        match action {
            Action::PaletteInput(c) => {
                p.input.push(c);
                p.selected = 0;
            }
            Action::PaletteBackspace => {
                p.input.pop();
                p.selected = 0;
            }
            Action::Up | Action::Down => {
                let input = p.input.clone();
                let len = palette::matching(self.palette_offer(), &input).len();
                if let Some(p) = &mut self.palette {
                    p.selected = action.moved(p.selected, len);
                }
            }
            Action::PaletteRun => {
                let (input, selected) = (p.input.clone(), p.selected);
                let command = palette::matching(self.palette_offer(), &input)
                    .into_iter()
                    .nth(selected)
                    .map(|e| e.command)
                    .or_else(|| palette::typed(&input));
                self.palette = None;
                match command {
                    Some(c) => self.run_command(c),
                    None => self.status = Some(format!("nothing matches {input:?}")),
                }
            }
            _ => {}
        }
    }

    /// Runs one palette command.
    pub fn run_command(&mut self, command: Command) {
        match command {
            Command::Quit => self.should_quit = true,
            Command::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Command::Theme(name) => {
                self.status = Some(match self.set_theme(&name) {
                    Ok(()) => format!("theme {name}"),
                    Err(e) => e.to_string(),
                });
            }
            Command::AllDatabases => {
                self.show_databases();
                self.databases.instance = 0;
                self.databases.filter = Filter::default();
                self.refresh_databases();
            }
            Command::Instance(i) => {
                self.show_databases();
                self.databases.instance = i + 1;
                self.databases.filter = Filter::default();
                self.databases.selected = 0;
                self.databases.focus = Pane::Databases;
                self.refresh_databases();
            }
            Command::Database(db) => {
                self.show_databases();
                self.open_detail(db);
            }
            Command::Restore(db) => {
                self.show_databases();
                self.open_detail(db);
                self.open_wizard();
            }
            Command::ResumeWizard => self.resume_wizard(),
            Command::Check(instance) => {
                self.show_databases();
                self.open_findings();
                self.findings.instance = instance;
                self.refresh_findings();
            }
        }
    }

    fn show_databases(&mut self) {
        self.popup = None;
        self.help = false;
        self.detail = None;
        self.view = View::Databases;
    }

    /// Puts the selected row (or the open evidence) in the clipboard queue.
    fn copy(&mut self) {
        if self.clipboard_mode == ClipboardMode::Off {
            self.status = Some("copy is off (--clipboard off, or TERM has no OSC 52)".into());
            return;
        }
        let Some(text) = self.copy_text() else {
            self.status = Some("nothing to copy here".into());
            return;
        };
        self.clipboard_text(text);
    }

    /// Queues `text` for OSC 52, within the size terminals accept.
    pub(super) fn clipboard_text(&mut self, text: String) {
        if self.clipboard_mode == ClipboardMode::Off {
            self.status = Some("copy is off (--clipboard off, or TERM has no OSC 52)".into());
            return;
        }
        if text.len() > OSC52_MAX {
            self.status = Some(format!(
                "too long to copy ({} bytes, limit {OSC52_MAX})",
                text.len()
            ));
            return;
        }
        self.status = Some(format!(
            "copied {} line(s), {} bytes (OSC 52)",
            text.lines().count(),
            text.len()
        ));
        self.effects.push(Effect::Copy(text));
    }
}

/// Scroll items a finding adds to its evidence popup: explanation and
/// remedy, one per catalog row, and the T-SQL.
pub fn finding_items_len(f: &crate::analysis::Finding) -> usize {
    1 + f.rows.len() + usize::from(f.sql.is_some())
}
