//! The restore-then-reauthorize wizard as an explicit state machine. Every
//! step is a state with Back, Next and Cancel; the logic here is pure (the
//! estate and "now" come in, effects go out), so it is tested with keys
//! alone. The app carries out the effects: saving the state, copying,
//! writing files and starting the executor (`sqlserver::exec`).

pub mod checks;
pub mod persist;
mod point;
mod progress;
pub mod safety;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use crate::analysis::restore_facts::FileMove;
use crate::analysis::restore_facts::{self, UrlCredential};
use crate::analysis::{analyze_database, plan, RestorePlan, Target, Window};
use crate::model::{Estate, Lsn};
use crate::tsql::{self, BatchKind, Reauthorize, RestoreOptions, Script};
pub use checks::{Check, Outcome};
pub use point::PointMode;
pub use progress::{measured, BatchRun, ExecProgress};
pub use safety::Existing;

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Target,
    Point,
    Files,
    Preflight,
    Script,
    Confirm,
    Execute,
    Reauthorize,
    ReauthConfirm,
    Verify,
    Summary,
}

impl Step {
    pub fn title(self) -> &'static str {
        match self {
            Step::Target => "Database and target",
            Step::Point => "Target point",
            Step::Files => "File moves",
            Step::Preflight => "Pre-flight checks",
            Step::Script => "Script preview",
            Step::Confirm => "Confirm",
            Step::Execute => "Execute",
            Step::Reauthorize => "Stretch: reauthorize",
            Step::ReauthConfirm => "Stretch: confirm",
            Step::Verify => "Stretch: verify",
            Step::Summary => "Summary",
        }
    }
}

/// The fields of the first step, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetField {
    Instance,
    RestoreAs,
    NewName,
    TailLog,
    VerifyFirst,
    CheckDb,
}

/// Which text is being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputField {
    NewName,
    Lsn,
    MovePath(usize),
    Confirm,
}

/// A text being typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub field: InputField,
    pub text: String,
}

/// What the operator did, as the wizard understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Next,
    Back,
    Cancel,
    Up,
    Down,
    Left,
    Right,
    CoarseLeft,
    CoarseRight,
    Toggle,
    Edit,
    Char(char),
    Backspace,
    /// Enter while typing.
    Accept,
    /// Esc while typing.
    Discard,
    Copy,
    SaveScript,
    Retry,
    ExportSummary,
    /// Scroll the step's text a page, or to its start / end.
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// What the app must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Close the wizard; keep the saved state when something already ran.
    Close {
        keep_state: bool,
    },
    /// Run `script.batches[from..until]` on the target instance.
    Execute {
        from: usize,
        until: usize,
    },
    /// Run the verify queries for the Stretch link in the target database.
    Verify,
    Copy(String),
    SaveScript(String),
    ExportSummary(String),
}

/// Whether an instance can be written to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    pub allow_writes: bool,
    /// A connection is configured (not the demo, not a snapshot).
    pub connectable: bool,
}

/// What the wizard reads from the console.
pub struct Env<'a> {
    pub estate: &'a Estate,
    pub now: DateTime<Utc>,
    pub access: &'a BTreeMap<String, Access>,
    /// Blob URLs (without query) a container listing found, if any.
    pub present_blobs: Option<&'a BTreeSet<String>>,
}

/// The whole wizard state (saved as JSON between steps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wizard {
    pub source_instance: String,
    pub database: String,
    pub step: Step,
    pub target_instance: String,
    /// None = the same name (REPLACE, an explicit choice); the default is a
    /// new name, `<db>_restored_<yyyymmdd_hhmm>`.
    pub new_name: Option<String>,
    /// Take a tail-log backup of the database a REPLACE overwrites (on by
    /// default when its log holds anything).
    #[serde(default)]
    pub tail_log: bool,
    /// RESTORE VERIFYONLY … WITH CHECKSUM of every backup first.
    #[serde(default)]
    pub verify_first: bool,
    /// DBCC CHECKDB after the recovery.
    #[serde(default)]
    pub checkdb: bool,
    /// The database a REPLACE would overwrite, when it exists on the target.
    #[serde(default)]
    pub existing: Option<Existing>,
    pub point_mode: PointMode,
    pub point_time: Option<DateTime<Utc>>,
    pub lsn_text: String,
    /// Marked transactions of the database (None = logmarkhistory not collected).
    #[serde(default)]
    pub marks: Option<Vec<restore_facts::Mark>>,
    #[serde(default)]
    pub mark: usize,
    pub moves: Vec<FileMove>,
    /// Why the file list is empty or incomplete, when it is.
    pub files_note: Option<String>,
    pub reauth: Option<Reauthorize>,
    pub credential_for_url: Option<String>,
    pub checks: Vec<Check>,
    pub script: Script,
    /// Lines describing the plan (backups used, STOPAT local and UTC).
    pub plan_lines: Vec<String>,
    /// The recoverable windows (from, to) the point cursor stops in, kept
    /// from the last preview so drawing never re-runs the analysis.
    #[serde(default)]
    pub recoverable: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub exec: ExecProgress,
    /// Results of the Stretch verify queries, one line each.
    pub verify: Vec<String>,
    /// `sp_rda_reconcile_batch` statements for tables not reconciled.
    #[serde(default)]
    pub reconcile: Vec<String>,
    pub field: usize,
    pub scroll: usize,
    pub input: Option<Input>,
    pub message: Option<String>,
    pub created: DateTime<Utc>,
    /// Esc was pressed once on a wizard with choices made: the next Esc closes it.
    #[serde(skip)]
    pub close_asked: bool,
    /// (lines, height) of the step's text as last drawn: paging and the
    /// end of the scroll follow what the operator sees.
    #[serde(skip)]
    pub view: std::cell::Cell<(usize, usize)>,
    /// The operator typed the name in this process (never restored from disk).
    #[serde(skip)]
    pub confirmed: bool,
    #[serde(skip)]
    pub reauth_confirmed: bool,
}

impl Wizard {
    /// A wizard for one database, restoring onto its own instance.
    pub fn new(env: &Env<'_>, instance: &str, database: &str) -> Result<Wizard, String> {
        let inst = env
            .estate
            .instance(instance)
            .ok_or_else(|| format!("instance {instance} is not in the estate"))?;
        let db = inst
            .databases
            .iter()
            .find(|d| d.name == database)
            .ok_or_else(|| format!("{database} is not on {instance}"))?;
        let marks = restore_facts::marks(inst, database);
        let reauth = (db.stretch_enabled == Some(true))
            .then(|| restore_facts::reauthorize_for(inst, database));
        let mut w = Wizard {
            source_instance: instance.into(),
            database: database.into(),
            step: Step::Target,
            target_instance: instance.into(),
            new_name: Some(restore_facts::default_restore_name(database, env.now)),
            tail_log: true,
            verify_first: false,
            checkdb: false,
            existing: None,
            point_mode: PointMode::Latest,
            point_time: None,
            lsn_text: String::new(),
            marks,
            mark: 0,
            moves: Vec::new(),
            files_note: None,
            reauth,
            credential_for_url: None,
            checks: Vec::new(),
            script: Script::default(),
            plan_lines: Vec::new(),
            recoverable: Vec::new(),
            exec: ExecProgress::default(),
            verify: Vec::new(),
            reconcile: Vec::new(),
            field: 0,
            scroll: 0,
            input: None,
            message: None,
            created: env.now,
            close_asked: false,
            view: Default::default(),
            confirmed: false,
            reauth_confirmed: false,
        };
        w.survey(env);
        Ok(w)
    }

    /// Looks at the database a REPLACE would overwrite on the target.
    fn survey(&mut self, env: &Env<'_>) {
        self.existing = if self.replace() {
            safety::existing(
                env.estate.instance(&self.target_instance),
                self.target_name(),
                env.now,
            )
        } else {
            None
        };
    }

    /// The fields of the first step as they are shown now.
    pub fn target_fields(&self) -> Vec<TargetField> {
        let mut f = vec![TargetField::Instance, TargetField::RestoreAs];
        if self.new_name.is_some() {
            f.push(TargetField::NewName);
        }
        if self.existing.as_ref().is_some_and(|e| e.has_tail) {
            f.push(TargetField::TailLog);
        }
        f.push(TargetField::VerifyFirst);
        f.push(TargetField::CheckDb);
        f
    }

    fn target_field(&self) -> Option<TargetField> {
        self.target_fields().get(self.field).copied()
    }

    /// SINGLE_USER WITH ROLLBACK IMMEDIATE first: REPLACE over a database
    /// sessions may be using.
    pub fn single_user(&self) -> bool {
        self.replace()
            && self
                .existing
                .as_ref()
                .is_some_and(Existing::needs_exclusive)
    }

    /// The name the database is restored as.
    pub fn target_name(&self) -> &str {
        self.new_name.as_deref().unwrap_or(&self.database)
    }

    pub fn replace(&self) -> bool {
        self.new_name.is_none()
    }

    /// Restore batches (everything before the reauthorize step).
    pub fn restore_len(&self) -> usize {
        self.script
            .batches
            .iter()
            .take_while(|b| b.kind != BatchKind::Reauthorize)
            .count()
    }

    pub fn can_execute(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.outcome != Outcome::Fail)
    }

    /// The recoverable windows of the source database (for the point cursor).
    pub fn windows(&self, env: &Env<'_>) -> Vec<Window> {
        self.analyse(env, |a| a.windows.clone()).unwrap_or_default()
    }

    fn analyse<T>(
        &self,
        env: &Env<'_>,
        f: impl FnOnce(&crate::analysis::DatabaseAnalysis<'_>) -> T,
    ) -> Option<T> {
        let inst = env.estate.instance(&self.source_instance)?;
        let db = inst.databases.iter().find(|d| d.name == self.database)?;
        Some(f(&analyze_database(env.estate, inst, db, env.now)))
    }

    /// The plan for the chosen point.
    pub fn plan(&self, env: &Env<'_>) -> Result<RestorePlan, String> {
        let target = match self.point_mode {
            PointMode::Latest => Target::Latest,
            PointMode::Time => Target::Time(self.point_time.ok_or("no time chosen")?),
            PointMode::Lsn => Target::Lsn(
                self.lsn_text
                    .trim()
                    .parse::<Lsn>()
                    .map_err(|e| format!("LSN {:?}: {e}", self.lsn_text))?,
            ),
            PointMode::Mark => Target::Lsn(self.chosen_mark()?.lsn),
        };
        self.analyse(env, |a| plan(a, target))
            .ok_or_else(|| format!("{} is no longer in the estate", self.database))
    }

    /// The marked transaction chosen, or why there is none.
    pub fn chosen_mark(&self) -> Result<&restore_facts::Mark, String> {
        match &self.marks {
            None => Err("msdb.dbo.logmarkhistory was not collected: no marks known".into()),
            Some(m) if m.is_empty() => Err(format!(
                "no marked transactions recorded for {}",
                self.database
            )),
            Some(m) => Ok(&m[self.mark.min(m.len() - 1)]),
        }
    }

    /// Applies one key; returns what the app must do.
    pub fn handle(&mut self, key: Key, env: &Env<'_>) -> Effect {
        if self.input.is_some() {
            return self.typing(key, env);
        }
        self.message = None;
        let close_asked = std::mem::take(&mut self.close_asked);
        match key {
            Key::Cancel => self.cancel(close_asked),
            Key::Back => {
                self.back();
                Effect::None
            }
            Key::Next => self.next(env),
            Key::Up => {
                self.field = self.field.saturating_sub(1);
                if self.field_count() == usize::MAX {
                    self.scroll = self.scroll.saturating_sub(1);
                }
                Effect::None
            }
            Key::Down => {
                self.field = (self.field + 1).min(self.field_count().saturating_sub(1));
                if self.field_count() == usize::MAX {
                    self.scroll = (self.scroll + 1).min(self.max_scroll());
                }
                Effect::None
            }
            Key::PageUp | Key::PageDown | Key::Top | Key::Bottom => {
                let page = self.view.get().1.saturating_sub(1).max(1);
                self.scroll = match key {
                    Key::PageUp => self.scroll.saturating_sub(page),
                    Key::PageDown => (self.scroll + page).min(self.max_scroll()),
                    Key::Top => 0,
                    _ => self.max_scroll(),
                };
                Effect::None
            }
            Key::Left | Key::Right | Key::CoarseLeft | Key::CoarseRight | Key::Toggle => {
                self.change(key, env);
                Effect::None
            }
            Key::Edit => {
                self.edit();
                Effect::None
            }
            Key::Copy if self.step >= Step::Script => Effect::Copy(self.script.text()),
            Key::SaveScript if self.step >= Step::Script => Effect::SaveScript(self.script.text()),
            Key::Retry => self.retry(),
            Key::ExportSummary if self.step == Step::Summary => {
                Effect::ExportSummary(self.summary_markdown())
            }
            _ => Effect::None,
        }
    }

    /// The last line can be at the bottom of the view, not above it.
    fn max_scroll(&self) -> usize {
        let (lines, height) = self.view.get();
        if height == 0 {
            return usize::MAX; // never drawn: the drawing clamps
        }
        lines.saturating_sub(height)
    }

    fn field_count(&self) -> usize {
        match self.step {
            Step::Target => self.target_fields().len(),
            Step::Point => 2,
            Step::Files => self.moves.len(),
            Step::Reauthorize => 2,
            _ => usize::MAX,
        }
    }

    /// Esc: while running, stop after the current step; once something ran,
    /// close and keep the state; otherwise ask first — closing discards the
    /// saved wizard, and one stray Esc must not.
    fn cancel(&mut self, asked: bool) -> Effect {
        if self.exec.running {
            self.exec.cancel_requested = true;
            self.message = Some("cancel requested: stopping after the current step".into());
            return Effect::None;
        }
        let keep_state = self.exec.next > 0;
        if !keep_state && !asked {
            self.close_asked = true;
            self.message = Some(
                "Esc again closes the wizard and discards its saved choices (s saves the script first); any other key stays"
                    .into(),
            );
            return Effect::None;
        }
        Effect::Close { keep_state }
    }

    fn back(&mut self) {
        if self.exec.next > 0 || self.exec.running {
            self.message = Some(format!(
                "{} of {} steps already ran: the script can no longer change (continue with r, or Esc to leave and resume later)",
                self.exec.next,
                self.restore_len()
            ));
            return;
        }
        self.step = match self.step {
            Step::Target => Step::Target,
            Step::Point => Step::Target,
            Step::Files => Step::Point,
            Step::Preflight => Step::Files,
            Step::Script => Step::Preflight,
            Step::Confirm => Step::Script,
            other => other,
        };
        self.field = 0;
        self.scroll = 0;
    }

    fn next(&mut self, env: &Env<'_>) -> Effect {
        match self.step {
            Step::Target => {
                self.survey(env);
                if let Some(name) = &self.new_name {
                    if let Err(e) = tsql::script_ident(name) {
                        self.message = Some(format!("new name: {e}"));
                        return Effect::None;
                    }
                }
                if self.point_time.is_none() {
                    self.point_time = self.windows(env).last().map(|w| w.to);
                }
                self.goto(Step::Point);
                self.preview(env);
            }
            Step::Point => match self.plan(env) {
                Ok(p) if p.recoverable => {
                    self.load_files(env, &p);
                    self.goto(Step::Files);
                }
                Ok(p) => {
                    self.message = Some(format!(
                        "not recoverable: {} (nearest before {}, after {})",
                        p.reason,
                        crate::model::time::fmt_time(p.nearest_before),
                        crate::model::time::fmt_time(p.nearest_after)
                    ))
                }
                Err(e) => self.message = Some(e),
            },
            Step::Files => {
                self.refresh(env);
                self.goto(Step::Preflight);
            }
            Step::Preflight => {
                self.refresh(env);
                self.goto(Step::Script);
            }
            Step::Script => {
                if !self.can_execute() {
                    let failed: Vec<&str> = self
                        .checks
                        .iter()
                        .filter(|c| c.outcome == Outcome::Fail)
                        .map(|c| c.name.as_str())
                        .collect();
                    self.message = Some(format!(
                        "execution refused: pre-flight failed ({}); copy (y) or save (s) the script instead",
                        failed.join("; ")
                    ));
                    return Effect::None;
                }
                self.goto(Step::Confirm);
                self.input = Some(Input {
                    field: InputField::Confirm,
                    text: String::new(),
                });
            }
            Step::Confirm => {
                self.input = Some(Input {
                    field: InputField::Confirm,
                    text: String::new(),
                });
            }
            Step::Execute => {
                if self.exec.running {
                    self.message = Some("still running".into());
                } else if self.exec.next < self.restore_len() {
                    self.message =
                        Some("not finished: r continues from the failed or next step".into());
                } else if self.reauth.is_some() {
                    self.goto(Step::Reauthorize);
                } else {
                    self.goto(Step::Summary);
                }
            }
            Step::Reauthorize => {
                let Some(r) = &self.reauth else {
                    self.goto(Step::Summary);
                    return Effect::None;
                };
                if r.credential.is_none() {
                    self.message = Some("choose a database scoped credential first (←/→)".into());
                    return Effect::None;
                }
                self.rebuild_script();
                self.goto(Step::ReauthConfirm);
                self.input = Some(Input {
                    field: InputField::Confirm,
                    text: String::new(),
                });
            }
            Step::ReauthConfirm => {
                self.input = Some(Input {
                    field: InputField::Confirm,
                    text: String::new(),
                });
            }
            Step::Verify => {
                if self.exec.running {
                    self.message = Some("still running".into());
                } else {
                    self.goto(Step::Summary);
                }
            }
            Step::Summary => return Effect::Close { keep_state: false },
        }
        Effect::None
    }

    fn goto(&mut self, step: Step) {
        self.step = step;
        self.field = 0;
        self.scroll = 0;
    }

    fn change(&mut self, key: Key, env: &Env<'_>) {
        let forward = matches!(key, Key::Right | Key::CoarseRight | Key::Toggle);
        let target_field = self.target_field();
        match (self.step, self.field) {
            (Step::Target, _) if target_field == Some(TargetField::Instance) => {
                let names: Vec<&str> = env
                    .estate
                    .instances
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect();
                if let Some(i) = names.iter().position(|n| *n == self.target_instance) {
                    let n = names.len();
                    let j = if forward {
                        (i + 1) % n
                    } else {
                        (i + n - 1) % n
                    };
                    self.target_instance = names[j].to_string();
                }
                self.survey(env);
            }
            (Step::Target, _) if target_field == Some(TargetField::RestoreAs) => {
                self.new_name = match self.new_name {
                    Some(_) => None,
                    None => Some(restore_facts::default_restore_name(&self.database, env.now)),
                };
                self.survey(env);
                if self.replace() {
                    self.tail_log = true;
                }
            }
            (Step::Target, _) if target_field == Some(TargetField::TailLog) => {
                self.tail_log = !self.tail_log;
            }
            (Step::Target, _) if target_field == Some(TargetField::VerifyFirst) => {
                self.verify_first = !self.verify_first;
            }
            (Step::Target, _) if target_field == Some(TargetField::CheckDb) => {
                self.checkdb = !self.checkdb;
            }
            (Step::Point, 0) => {
                self.point_mode = self.point_mode.step(forward);
                self.preview(env);
            }
            (Step::Point, 1) if self.point_mode == PointMode::Mark => {
                let n = self.marks.as_ref().map_or(0, Vec::len);
                if n > 0 {
                    self.mark = if forward {
                        (self.mark + 1) % n
                    } else {
                        (self.mark + n - 1) % n
                    };
                }
                self.preview(env);
            }
            (Step::Point, 1) if self.point_mode == PointMode::Time => {
                let delta = match key {
                    Key::Left => -Duration::minutes(5),
                    Key::Right => Duration::minutes(5),
                    Key::CoarseLeft => -Duration::hours(6),
                    _ => Duration::hours(6),
                };
                let windows = self.windows(env);
                let from = self.point_time.unwrap_or(env.now);
                self.point_time = point::moved(&windows, from, delta);
                self.preview(env);
            }
            (Step::Reauthorize, 0) => {
                if let Some(r) = &mut self.reauth {
                    if !r.candidates.is_empty() {
                        let n = r.candidates.len();
                        let i = r
                            .credential
                            .as_ref()
                            .and_then(|c| r.candidates.iter().position(|x| x == c));
                        let j = match i {
                            None => 0,
                            Some(i) if forward => (i + 1) % n,
                            Some(i) => (i + n - 1) % n,
                        };
                        r.credential = Some(r.candidates[j].clone());
                    }
                }
            }
            (Step::Reauthorize, 1) => {
                if let Some(r) = &mut self.reauth {
                    r.with_copy = !r.with_copy;
                }
            }
            _ => {}
        }
    }

    fn edit(&mut self) {
        let field = match (self.step, self.field) {
            (Step::Target, _) if self.target_field() == Some(TargetField::NewName) => {
                InputField::NewName
            }
            (Step::Point, 1) if self.point_mode == PointMode::Lsn => InputField::Lsn,
            (Step::Files, i) if i < self.moves.len() => InputField::MovePath(i),
            _ => return,
        };
        let text = match field {
            InputField::NewName => self.new_name.clone().unwrap_or_default(),
            InputField::Lsn => self.lsn_text.clone(),
            InputField::MovePath(i) => self.moves[i].physical.clone(),
            InputField::Confirm => String::new(),
        };
        self.input = Some(Input { field, text });
    }

    fn typing(&mut self, key: Key, env: &Env<'_>) -> Effect {
        let Some(input) = &mut self.input else {
            return Effect::None;
        };
        match key {
            Key::Char(c) if !c.is_control() => input.text.push(c),
            Key::Backspace => {
                input.text.pop();
            }
            Key::Discard => {
                self.input = None;
                if matches!(self.step, Step::Confirm | Step::ReauthConfirm) {
                    self.step = if self.step == Step::Confirm {
                        Step::Script
                    } else {
                        Step::Reauthorize
                    };
                    self.message = Some("not confirmed: nothing ran".into());
                }
            }
            Key::Accept => {
                let Some(input) = self.input.take() else {
                    return Effect::None;
                };
                return self.accept(input, env);
            }
            _ => {}
        }
        Effect::None
    }

    fn accept(&mut self, input: Input, env: &Env<'_>) -> Effect {
        match input.field {
            InputField::NewName => {
                let name = input.text.trim().to_string();
                match tsql::script_ident(&name) {
                    Ok(_) if name.eq_ignore_ascii_case(&self.database) => {
                        self.message = Some(format!(
                            "new name: {name} is the database's own name: choose \"same name (REPLACE)\" to overwrite it"
                        ))
                    }
                    Ok(_) => self.new_name = Some(name),
                    Err(e) => self.message = Some(format!("new name: {e}")),
                }
                self.survey(env);
            }
            InputField::Lsn => {
                self.lsn_text = input.text.trim().to_string();
                self.preview(env);
            }
            InputField::MovePath(i) => {
                if let Some(m) = self.moves.get_mut(i) {
                    if input.text.trim().is_empty() {
                        self.message = Some("a path cannot be empty".into());
                    } else {
                        m.physical = input.text.trim().to_string();
                    }
                }
            }
            InputField::Confirm => return self.confirm(&input.text, env),
        }
        Effect::None
    }

    /// The typed confirmation: the exact target database name.
    fn confirm(&mut self, typed: &str, env: &Env<'_>) -> Effect {
        let name = self.target_name().to_string();
        if typed != name {
            self.message = Some(format!(
                "typed name {typed:?} does not match {name:?}: nothing ran"
            ));
            self.input = Some(Input {
                field: InputField::Confirm,
                text: String::new(),
            });
            return Effect::None;
        }
        let access = env
            .access
            .get(&self.target_instance)
            .copied()
            .unwrap_or_default();
        if !(access.allow_writes && access.connectable) {
            self.message = Some(format!(
                "refused: {} does not allow writes (allow_writes in the config)",
                self.target_instance
            ));
            return Effect::None;
        }
        match self.step {
            Step::Confirm => {
                if !self.can_execute() {
                    self.message = Some("refused: pre-flight failed".into());
                    self.step = Step::Script;
                    return Effect::None;
                }
                self.confirmed = true;
                self.goto(Step::Execute);
                self.start_restore()
            }
            Step::ReauthConfirm => {
                self.reauth_confirmed = true;
                self.goto(Step::Verify);
                self.exec.begin(self.restore_len(), env.now);
                Effect::Verify
            }
            _ => Effect::None,
        }
    }

    fn start_restore(&mut self) -> Effect {
        let until = self.restore_len();
        if self.exec.next >= until {
            return Effect::None;
        }
        self.exec.failed = None;
        self.exec.cancel_requested = false;
        self.exec.running = true;
        Effect::Execute {
            from: self.exec.next,
            until,
        }
    }

    /// Continue after a failure or a cancel (the name was typed in this run).
    fn retry(&mut self) -> Effect {
        if self.step != Step::Execute || self.exec.running {
            return Effect::None;
        }
        if !self.confirmed {
            self.goto(Step::Confirm);
            self.input = Some(Input {
                field: InputField::Confirm,
                text: String::new(),
            });
            self.message = Some(format!(
                "resuming at step {} of {}: type the database name again",
                self.exec.next + 1,
                self.restore_len()
            ));
            return Effect::None;
        }
        self.start_restore()
    }

    /// The backup files of the plan's full backup become MOVE rows (the
    /// paths the operator edited are kept).
    fn load_files(&mut self, env: &Env<'_>, plan: &RestorePlan) {
        let Some(full) = plan.steps.first() else {
            return;
        };
        let facts = checks::Facts::gather(env.estate, plan, &self.source_instance);
        match facts.files {
            None => {
                self.files_note = Some("msdb.dbo.backupfile was not collected: no MOVE clauses (files restore to their original paths)".into());
                self.moves.clear();
            }
            Some(list) if list.is_empty() => {
                self.files_note = Some(format!(
                    "backupfile has no rows for full #{}: no MOVE clauses",
                    full.backup_set_id
                ));
                self.moves.clear();
            }
            Some(list) => {
                self.files_note = None;
                let keep: BTreeMap<String, String> = self
                    .moves
                    .iter()
                    .filter(|m| m.physical != m.original)
                    .map(|m| (m.logical.clone(), m.physical.clone()))
                    .collect();
                self.moves =
                    restore_facts::file_moves(&list, &self.database, self.new_name.as_deref())
                        .into_iter()
                        .map(|mut m| {
                            if let Some(p) = keep.get(&m.logical) {
                                m.physical = p.clone();
                            }
                            m
                        })
                        .collect();
            }
        }
        self.plan_lines = plan_lines(plan);
    }

    /// The plan for the current point, as lines (shown while choosing it).
    fn preview(&mut self, env: &Env<'_>) {
        self.recoverable = self.windows(env).iter().map(|w| (w.from, w.to)).collect();
        self.plan_lines = match self.plan(env) {
            Ok(p) if p.recoverable => plan_lines(&p),
            Ok(p) => vec![format!("not recoverable: {}", p.reason)],
            Err(e) => vec![e],
        };
    }

    /// Recomputes plan, checks and script from the current choices.
    pub fn refresh(&mut self, env: &Env<'_>) {
        if self.exec.next > 0 {
            return; // the script that already started running never changes
        }
        let plan = match self.plan(env) {
            Ok(p) => p,
            Err(e) => {
                self.message = Some(e);
                return;
            }
        };
        let target = env.estate.instance(&self.target_instance);
        let access = env
            .access
            .get(&self.target_instance)
            .copied()
            .unwrap_or_default();
        self.credential_for_url = None;
        if let (Some(t), Some(url)) = (
            target,
            plan.steps
                .iter()
                .flat_map(|s| &s.files)
                .find(|f| f.contains("://")),
        ) {
            if let UrlCredential::Key(name) = restore_facts::url_credential(t, url) {
                self.credential_for_url = Some(name);
            }
        }
        self.survey(env);
        let facts = checks::Facts::gather(env.estate, &plan, &self.source_instance);
        let mut options = self.options(&plan, env.now);
        options.without_checksums = facts.without_checksums.clone();
        self.checks = checks::run(&checks::CheckInput {
            plan: &plan,
            target,
            target_name: self.target_name(),
            replace: self.replace(),
            allow_writes: access.allow_writes,
            connectable: access.connectable,
            present_blobs: env.present_blobs,
            existing: self.existing.as_ref(),
            tail_log: options.tail_log.as_ref(),
            single_user: options.single_user,
            moves: &options.moves,
            source_on_target: checks::source_on_target(
                target,
                &self.database,
                self.target_instance == self.source_instance,
            ),
            facts: &facts,
        });
        self.plan_lines = plan_lines(&plan);
        self.script =
            tsql::restore_batches(&self.database, &plan, &options).unwrap_or_else(|e| Script {
                header: vec![format!("cannot write the script: {e}")],
                batches: Vec::new(),
            });
    }

    /// The tail-log step is restored last only when the restore brings the
    /// same database back to its latest point.
    fn same_database_latest(&self) -> bool {
        self.replace()
            && self.target_instance == self.source_instance
            && self.point_mode == PointMode::Latest
    }

    fn options(&self, plan: &RestorePlan, now: DateTime<Utc>) -> RestoreOptions {
        let tail_log = match (&self.existing, self.replace() && self.tail_log) {
            (Some(e), true) => safety::tail_log(e, plan, self.same_database_latest(), now),
            _ => None,
        };
        RestoreOptions {
            verify_first: self.verify_first,
            checkdb: self.checkdb,
            single_user: self.single_user(),
            tail_log,
            target_name: self.new_name.clone(),
            replace: self.replace(),
            moves: self
                .moves
                .iter()
                .filter(|m| self.new_name.is_some() || m.physical != m.original)
                .map(|m| (m.logical.clone(), m.physical.clone()))
                .collect(),
            stats: Some(10),
            credential: self.credential_for_url.clone(),
            reauthorize: self.reauth.clone(),
            stop_mark: match self.point_mode {
                PointMode::Mark => self.chosen_mark().ok().map(|m| tsql::StopMark {
                    name: m.name.clone(),
                    after_local: m.time_local.clone(),
                }),
                _ => None,
            },
            without_checksums: Vec::new(),
        }
    }

    /// Rewrites only the reauthorize batch (the restore part may have run).
    fn rebuild_script(&mut self) {
        let Some(r) = &self.reauth else { return };
        let Ok(batch) = tsql::reauthorize_batch(self.target_name(), r) else {
            return;
        };
        match self
            .script
            .batches
            .iter_mut()
            .find(|b| b.kind == BatchKind::Reauthorize)
        {
            Some(b) => *b = batch,
            None => self.script.batches.push(batch),
        }
    }

    /// The summary as Markdown (what ran, how long, what to check next).
    pub fn summary_markdown(&self) -> String {
        let mut out = format!(
            "# Restore of {} on {}\n\nSource: {} on {}. Target point: {}.\n\n",
            self.target_name(),
            self.target_instance,
            self.database,
            self.source_instance,
            self.point_label()
        );
        out.push_str("| # | step | result | seconds | messages |\n|---|---|---|---|---|\n");
        for (i, r) in self.exec.runs.iter().enumerate() {
            out.push_str(&format!(
                "| {} | {} | {} | {:.1} | {} |\n",
                i + 1,
                r.label.replace('|', "\\|"),
                r.result.replace('|', "\\|"),
                r.elapsed_ms as f64 / 1000.0,
                r.messages
            ));
        }
        out.push_str(&format!(
            "\nTotal: {:.1} s over {} step(s).\n",
            self.exec.runs.iter().map(|r| r.elapsed_ms).sum::<u64>() as f64 / 1000.0,
            self.exec.runs.len()
        ));
        let ok: Vec<(usize, u64)> = self
            .exec
            .runs
            .iter()
            .filter(|r| r.result == "ok")
            .map(|r| (r.index, r.elapsed_ms))
            .collect();
        if self.exec.next >= self.restore_len() && !ok.is_empty() {
            let mut m = measured(&self.script, &ok);
            if let Some(c) = m.get_mut(0..1) {
                c.make_ascii_uppercase();
            }
            out.push_str(&format!("{m}.\n"));
        }
        if !self.verify.is_empty() {
            out.push_str("\n## Stretch link\n\n");
            for line in &self.verify {
                out.push_str(&format!("- {line}\n"));
            }
        }
        if !self.reconcile.is_empty() {
            out.push_str("\nTables not reconciled; run in the restored database:\n\n```sql\n");
            for sql in &self.reconcile {
                out.push_str(sql);
                out.push('\n');
            }
            out.push_str("```\n");
        }
        out.push_str("\n## Check next\n\n");
        for line in NEXT_CHECKS {
            out.push_str(&format!("- {line}\n"));
        }
        out
    }

    pub fn point_label(&self) -> String {
        match self.point_mode {
            PointMode::Latest => "latest recoverable point".into(),
            PointMode::Time => self
                .point_time
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_else(|| "no time chosen".into()),
            PointMode::Lsn => format!("LSN {}", self.lsn_text),
            PointMode::Mark => match self.chosen_mark() {
                Ok(m) => format!("marked transaction {} (LSN {})", m.name, m.lsn),
                Err(e) => e,
            },
        }
    }
}

/// What an operator checks after a restore.
pub const NEXT_CHECKS: [&str; 5] = [
    "Availability group: rejoin the database on the secondaries (restore WITH NORECOVERY there, then ALTER DATABASE … SET HADR AVAILABILITY GROUP).",
    "Users: orphaned database users after a restore to another server (sp_change_users_login is deprecated; ALTER USER … WITH LOGIN).",
    "Agent jobs and Managed Backup: re-enable the schedule for the restored database (managed_backup.sp_backup_config_basic) and take a new full backup to start a chain.",
    "Applications: connection strings point at the restored name; TRUSTWORTHY, owner and compatibility level as before.",
    "Stretch (deprecated): check sys.remote_data_archive_tables for is_reconciled = 1 and migration not paused.",
];

/// Lines that show the plan: each backup used, and where STOPAT lands.
fn plan_lines(plan: &RestorePlan) -> Vec<String> {
    let mut out = Vec::new();
    for s in &plan.steps {
        let mut line = format!(
            "{:<4} #{:<8} finished {}",
            s.kind,
            s.backup_set_id,
            s.finish
                .map(|f| f.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_else(|| "?".into())
        );
        if let (Some(utc), Some(local)) = (s.stop_at, s.stop_at_local) {
            line.push_str(&format!(
                "  STOPAT {} server local = {}",
                local.format("%Y-%m-%d %H:%M:%S%.3f"),
                utc.format("%Y-%m-%d %H:%M:%S%.3f UTC")
            ));
        }
        if let Some(l) = s.stop_at_lsn {
            line.push_str(&format!("  STOPATMARK lsn:{l}"));
        }
        if s.restorability != "native" {
            line.push_str(&format!("  [{}]", s.restorability));
        }
        if s.tail {
            line.push_str("  (tail-log backup)");
        }
        if s.continue_after_error {
            line.push_str("  CONTINUE_AFTER_ERROR");
        }
        out.push(line);
        if let Some(n) = &s.needs {
            out.push(format!("     needs: {n}"));
        }
        for w in &s.warnings {
            out.push(format!("     warning: {w}"));
        }
    }
    if plan.path != "current" {
        out.push(format!("recovery path: {}", plan.path));
    }
    if let Some(n) = &plan.needs {
        out.push(format!("the plan needs: {n}"));
    }
    if let Some(alt) = &plan.native_alternative {
        out.push(format!("RESTORE alone: {}", alt.reason));
    }
    for w in &plan.warnings {
        if !plan.steps.iter().any(|s| s.warnings.contains(w)) {
            out.push(format!("warning: {w}"));
        }
    }
    out
}
