//! The console side of the restore wizard: opening and resuming it, passing
//! keys to its state machine, turning what it asks for into the app's
//! effects (save the state, copy, write files, start the executor) and
//! applying executor events.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::effect::{self, FileOp, FilePurpose};
use super::state::App;
use super::wizard::{persist, Effect, Env, Key, Step, Wizard};
use crate::config::PasswordSource;
use crate::sqlserver::exec::{self, ExecEvent, Job};

/// How long the executor waits for a login.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

impl App {
    /// Uses `dir` for the wizard's files and offers a wizard saved there.
    pub fn set_data_dir(&mut self, dir: Option<PathBuf>) {
        self.data_dir = dir;
        let Some(dir) = &self.data_dir else { return };
        match persist::load(dir) {
            None => {}
            Some(Ok(w)) => {
                self.status = Some(format!(
                    "a restore wizard for {} on {} was left at \"{}\"{}: W resumes it",
                    w.database,
                    w.target_instance,
                    w.step.title(),
                    if w.exec.next > 0 {
                        format!(" after {} of {} steps", w.exec.next, w.restore_len())
                    } else {
                        String::new()
                    }
                ));
                self.resumable = Some(w);
            }
            Some(Err(e)) => self.status = Some(format!("saved wizard unreadable: {e}")),
        }
    }

    /// Opens the wizard for the database of the detail view.
    pub(super) fn open_wizard(&mut self) {
        let Some(db) = self.detail_database() else {
            return;
        };
        let (instance, database) = (db.instance.clone(), db.database.name.clone());
        let env = Env {
            estate: &self.estate,
            now: self.report.now,
            access: &self.access,
            present_blobs: self.present_blobs.as_ref(),
        };
        match Wizard::new(&env, &instance, &database) {
            Ok(w) => {
                self.popup = None;
                self.wizard = Some(w);
                self.save_wizard();
            }
            Err(e) => self.status = Some(e),
        }
    }

    /// Opens the wizard saved in the data dir; a restore that had started
    /// asks for the typed confirmation again before it continues.
    pub(super) fn resume_wizard(&mut self) {
        let Some(mut w) = self.resumable.take() else {
            self.status = Some("no saved restore wizard".into());
            return;
        };
        w.exec.running = false;
        w.exec.cancel_requested = false;
        if w.exec.next > 0 && w.step == Step::Execute {
            w.message = Some(format!(
                "resumed: {} of {} steps ran before; r continues after you type the name again",
                w.exec.next,
                w.restore_len()
            ));
        }
        self.popup = None;
        self.help = false;
        self.wizard = Some(w);
    }

    /// Passes a key to the wizard and carries out what it asks.
    pub(super) fn wizard_key(&mut self, key: Key) {
        let Some(w) = &mut self.wizard else { return };
        let env = Env {
            estate: &self.estate,
            now: self.report.now,
            access: &self.access,
            present_blobs: self.present_blobs.as_ref(),
        };
        let effect = w.handle(key, &env);
        self.wizard_effect(effect);
        self.save_wizard();
    }

    fn wizard_effect(&mut self, effect: Effect) {
        match effect {
            Effect::None => {}
            Effect::Close { keep_state } => {
                if let Some(dir) = &self.data_dir {
                    if !keep_state {
                        self.effects
                            .push(effect::Effect::File(persist::remove(dir)));
                    }
                }
                let w = self.wizard.take();
                if keep_state {
                    self.status = Some("wizard closed; its state is kept: W resumes it".into());
                    self.resumable = w;
                }
            }
            Effect::Copy(text) => {
                self.clipboard_text(text);
            }
            Effect::SaveScript(text) => self.write_file("sql", &text),
            Effect::ExportSummary(text) => self.write_file("md", &text),
            Effect::Execute { from, until } => {
                let Some(w) = &self.wizard else { return };
                let batches = (from..until)
                    .filter_map(|i| w.script.batches.get(i).map(|b| (i, b.sql.clone())))
                    .collect();
                self.start_job(batches, Vec::new());
            }
            Effect::Verify => {
                let Some(w) = &self.wizard else { return };
                let reauth = w
                    .script
                    .batches
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.kind == crate::tsql::BatchKind::Reauthorize)
                    .map(|(i, b)| (i, b.sql.clone()))
                    .collect();
                let queries = exec::verify_queries(w.target_name()).unwrap_or_default();
                self.start_job(reauth, queries);
            }
        }
    }

    /// Prepares the executor job; the event loop (or a test) starts it.
    fn start_job(&mut self, batches: Vec<(usize, String)>, queries: Vec<(String, String)>) {
        let Some(w) = &mut self.wizard else { return };
        let refuse = |w: &mut Wizard, why: String| {
            w.exec.running = false;
            w.exec.failed = Some(why.clone());
            w.message = Some(why);
        };
        let access = self
            .access
            .get(&w.target_instance)
            .copied()
            .unwrap_or_default();
        let Some(instance) = self.instance_configs.get(&w.target_instance).cloned() else {
            return refuse(
                w,
                format!("refused: no configured connection to {}", w.target_instance),
            );
        };
        if !access.allow_writes {
            return refuse(
                w,
                format!("refused: {} does not allow writes", w.target_instance),
            );
        }
        if let crate::config::Auth::SqlLogin {
            password: PasswordSource::Prompt,
            ..
        } = &instance.auth
        {
            return refuse(
                w,
                "the password of this instance is prompted for: give it through an environment variable to run from the console".into(),
            );
        }
        let credential = match crate::sqlserver::credential(&instance) {
            Ok(c) => c,
            Err(e) => return refuse(w, e),
        };
        w.exec.running = true;
        w.exec.started.get_or_insert(self.report.now);
        tracing::info!(
            instance = %instance.name,
            database = %w.target_name(),
            batches = batches.len(),
            "wizard: executing"
        );
        self.effects.push(effect::Effect::Execute(Box::new(Job {
            instance,
            credential,
            batches,
            queries,
            cancel: Arc::new(AtomicBool::new(false)),
            connect_timeout: CONNECT_TIMEOUT,
        })));
    }

    /// Applies one executor event to the wizard.
    pub fn on_exec_event(&mut self, ev: ExecEvent) {
        self.dirty = true;
        if self.on_demand.is_some() {
            return self.on_demand_event(ev);
        }
        let Some(w) = &mut self.wizard else { return };
        let labels: Vec<String> = w.script.batches.iter().map(|b| b.label.clone()).collect();
        w.exec.apply(&ev, &labels);
        match &ev {
            ExecEvent::Failed { .. } if w.step == Step::Execute => {
                w.message = Some(format!(
                    "stopped: {}. {} is left RESTORING (not usable) until the sequence completes: fix the cause and press r to continue from this step, or run RESTORE DATABASE … WITH RECOVERY to stop here.",
                    w.exec.failed.clone().unwrap_or_default(),
                    w.target_name()
                ));
            }
            ExecEvent::Rows { query, rows } => {
                for row in rows {
                    w.verify.push(verify_line(query, row));
                    if row.get("is_reconciled") == Some(&serde_json::Value::Bool(false)) {
                        let table = match (row.get("schema_name"), row.get("table_name")) {
                            (
                                Some(serde_json::Value::String(s)),
                                Some(serde_json::Value::String(t)),
                            ) => {
                                format!(
                                    "{}.{}",
                                    crate::tsql::quote_ident(s).unwrap_or_default(),
                                    crate::tsql::quote_ident(t).unwrap_or_default()
                                )
                            }
                            _ => row
                                .get("remote_table_name")
                                .and_then(|v| v.as_str())
                                .unwrap_or("?")
                                .to_string(),
                        };
                        if let Ok(b) = crate::tsql::reconcile_batch(w.target_name(), &table) {
                            w.reconcile.push(b.sql);
                        }
                    }
                }
            }
            ExecEvent::Finished if w.step == Step::Verify => {
                let unreconciled = w
                    .verify
                    .iter()
                    .filter(|l| l.contains("is_reconciled=0"))
                    .count();
                w.verify.push(if unreconciled > 0 {
                    format!("{unreconciled} table(s) not reconciled: run sys.sp_rda_reconcile_batch for each (see the summary)")
                } else {
                    "every Stretch table reports is_reconciled = 1".into()
                });
            }
            ExecEvent::Finished if w.step == Step::Execute => {
                w.message = Some("restore complete: Enter goes on".into());
            }
            _ => {}
        }
        if matches!(
            ev,
            ExecEvent::Done { .. }
                | ExecEvent::Failed { .. }
                | ExecEvent::Finished
                | ExecEvent::Cancelled { .. }
                | ExecEvent::ConnectFailed { .. }
        ) {
            self.save_wizard();
        }
        self.dirty = true;
    }

    /// Asks for the wizard's state to be saved, and passes a cancel the
    /// operator asked for on to a running executor.
    fn save_wizard(&mut self) {
        let Some(w) = &self.wizard else { return };
        if w.exec.cancel_requested && w.exec.running {
            self.effects.push(effect::Effect::CancelExecution);
        }
        let Some(dir) = &self.data_dir else { return };
        match persist::save(dir, w) {
            Ok(op) => self.effects.push(effect::Effect::File(op)),
            Err(e) => self.status = Some(format!("cannot save the wizard state: {e}")),
        }
    }

    /// What became of a file the app asked for.
    pub(super) fn written(
        &mut self,
        path: &Path,
        purpose: FilePurpose,
        result: Result<(), String>,
    ) {
        let msg = match (purpose, result) {
            (FilePurpose::WizardState, Ok(())) => {
                self.dirty = false;
                return;
            }
            (FilePurpose::WizardState, Err(e)) => format!("cannot save the wizard state: {e}"),
            (FilePurpose::Export, Ok(())) => format!("saved {}", path.display()),
            (FilePurpose::Export, Err(e)) => format!("cannot write {e}"),
        };
        if let Some(w) = &mut self.wizard {
            w.message = Some(msg.clone());
        }
        self.status = Some(msg);
    }

    fn write_file(&mut self, ext: &str, text: &str) {
        let Some(w) = &self.wizard else { return };
        let Some(dir) = &self.data_dir else {
            self.status = Some("no data dir to save into".into());
            return;
        };
        let safe: String = w
            .target_name()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let kind = if ext == "md" { "summary" } else { "restore" };
        let path = dir.join(format!(
            "{kind}-{safe}-{}.{ext}",
            self.report.now.format("%Y%m%dT%H%M%SZ")
        ));
        self.effects.push(effect::Effect::File(FileOp {
            path,
            text: Some(text.to_string()),
            purpose: FilePurpose::Export,
        }));
    }

    /// The executor's thread ended: nothing runs any more, whatever its
    /// last event said.
    pub(super) fn exec_ended(&mut self) {
        if let Some(w) = &mut self.wizard {
            w.exec.running = false;
        }
        if let Some(o) = self
            .on_demand
            .as_mut()
            .filter(|o| o.state == super::view::on_demand::OnDemandState::Running)
        {
            o.state = super::view::on_demand::OnDemandState::Stopped(
                "the executor ended without an answer".into(),
            );
        }
    }
}

/// One verify row as `key=value` pairs (booleans as 0/1).
fn verify_line(query: &str, row: &serde_json::Map<String, serde_json::Value>) -> String {
    let fields: Vec<String> = row
        .iter()
        .filter(|(k, _)| k.as_str() != "database_name")
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::Bool(b) => u8::from(*b).to_string(),
                serde_json::Value::String(s) => crate::text::sanitize(s).into_owned(),
                other => other.to_string(),
            };
            format!("{k}={v}")
        })
        .collect();
    format!("{query}: {}", fields.join(" "))
}
