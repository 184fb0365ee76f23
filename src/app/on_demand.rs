//! "Back up now" from the console: Managed Backup's sp_backup_on_demand for
//! the database in the detail view, run only when the instance allows
//! writes and the operator types the database name.

use crate::sqlserver::exec::ExecEvent;
use crate::tsql;

use super::state::App;
use super::view::on_demand::{OnDemand, OnDemandState};
use super::wizard::Key;

impl App {
    /// Opens the box for the detail database; refuses a database Managed
    /// Backup does not protect (an ad hoc backup there would break a chain).
    pub(super) fn open_on_demand(&mut self, log: bool) {
        let Some(db) = self.detail_database() else {
            return;
        };
        let Some(mb) = db.database.managed_backup.as_ref().filter(|m| m.enabled) else {
            self.status = Some(format!(
                "{} is not protected by Managed Backup: take a COPY_ONLY backup instead (an ad hoc backup would move the chain)",
                db.database.name
            ));
            return;
        };
        // Refused before the name is asked for: the statement is shown, nothing can run.
        let access = self.access.get(&db.instance).copied().unwrap_or_default();
        let state = if access.connectable && access.allow_writes {
            OnDemandState::Typing
        } else {
            OnDemandState::Stopped(format!(
                "refused: {} does not allow writes (allow_writes in the config): the statement is shown, nothing runs",
                db.instance
            ))
        };
        match tsql::backup_on_demand(mb.schema, &db.database.name, log) {
            Ok(batch) => {
                self.on_demand = Some(OnDemand {
                    instance: db.instance.clone(),
                    database: db.database.name.clone(),
                    batch,
                    typed: String::new(),
                    state,
                    log: Vec::new(),
                })
            }
            Err(e) => self.status = Some(e.to_string()),
        }
    }

    /// Keys while the box is open.
    pub(super) fn on_demand_key(&mut self, key: Key) {
        let Some(o) = &mut self.on_demand else { return };
        match (&o.state, key) {
            (OnDemandState::Typing, Key::Char(c)) if !c.is_control() => o.typed.push(c),
            (OnDemandState::Typing, Key::Backspace) => {
                o.typed.pop();
            }
            (OnDemandState::Typing, Key::Accept) => self.confirm_on_demand(),
            (OnDemandState::Running, _) => {}
            (_, Key::Discard | Key::Cancel | Key::Accept) => self.on_demand = None,
            _ => {}
        }
    }

    fn confirm_on_demand(&mut self) {
        let Some(o) = &mut self.on_demand else { return };
        if o.typed != o.database {
            o.state = OnDemandState::Stopped(format!(
                "typed name {:?} does not match {:?}: nothing ran",
                o.typed, o.database
            ));
            return;
        }
        let access = self.access.get(&o.instance).copied().unwrap_or_default();
        let config = self.instance_configs.get(&o.instance).cloned();
        let (true, true, Some(instance)) = (access.connectable, access.allow_writes, config) else {
            o.state = OnDemandState::Stopped(format!(
                "refused: {} does not allow writes (allow_writes in the config)",
                o.instance
            ));
            return;
        };
        let credential = match crate::sqlserver::credential(&instance) {
            Ok(c) => c,
            Err(e) => {
                o.state = OnDemandState::Stopped(e);
                return;
            }
        };
        o.state = OnDemandState::Running;
        let job = crate::sqlserver::exec::Job {
            instance,
            credential,
            batches: vec![(0, o.batch.sql.clone())],
            queries: Vec::new(),
            cancel: Default::default(),
            connect_timeout: std::time::Duration::from_secs(15),
        };
        self.effects
            .push(super::effect::Effect::Execute(Box::new(job)));
    }

    /// Executor events for the box.
    pub(super) fn on_demand_event(&mut self, ev: ExecEvent) {
        let Some(o) = &mut self.on_demand else { return };
        match ev {
            ExecEvent::Message { text, .. } => o.log.push(text),
            ExecEvent::Done { .. } => o.state = OnDemandState::Done,
            ExecEvent::Failed { error, .. } | ExecEvent::ConnectFailed { error } => {
                o.state = OnDemandState::Stopped(error)
            }
            _ => {}
        }
    }
}
