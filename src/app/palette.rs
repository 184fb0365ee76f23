//! The `:` command palette: type a few letters of a command, an instance
//! or a database; Up/Down choose among the matches, Enter runs one.

use super::rows::InstanceRow;
use super::wizard::Wizard;
use crate::analysis::EstateReport;
use crate::theme;

/// What a palette entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Quit,
    Help,
    /// Use this theme.
    Theme(String),
    /// Show the databases of one instance (index into the instances pane rows).
    Instance(usize),
    /// Open the detail view of a database (index into `report.databases`).
    Database(usize),
    /// Show every instance again and clear the filter.
    AllDatabases,
    /// Open the restore wizard for a database (index into `report.databases`).
    Restore(usize),
    /// Resume the restore wizard saved in the data dir.
    ResumeWizard,
    /// Run the check: the findings view of every instance (None) or one.
    Check(Option<String>),
}

/// One line of the palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub label: String,
    pub command: Command,
}

/// The palette's input and selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Palette {
    pub input: String,
    /// Index into the current matches.
    pub selected: usize,
}

/// Whether every word of `input` occurs in `label` (case-insensitive).
fn matches(label: &str, input: &str) -> bool {
    let label = label.to_lowercase();
    input
        .to_lowercase()
        .split_whitespace()
        .all(|w| label.contains(w))
}

/// What the palette lists: the estate, the instance rows and a wizard
/// that can be resumed.
#[derive(Debug, Clone, Copy)]
pub struct Offer<'a> {
    pub report: &'a EstateReport,
    pub instances: &'a [InstanceRow],
    pub resumable: Option<&'a Wizard>,
}

/// Every entry the palette offers, commands first.
pub fn entries(app: Offer<'_>) -> Vec<Entry> {
    let mut out = vec![
        Entry {
            label: "help — show the keys".into(),
            command: Command::Help,
        },
        Entry {
            label: "quit".into(),
            command: Command::Quit,
        },
        Entry {
            label: "databases — all instances, no filter".into(),
            command: Command::AllDatabases,
        },
    ];
    out.push(Entry {
        label: "check — findings of every instance, worst first".into(),
        command: Command::Check(None),
    });
    for inst in &app.report.instances {
        out.push(Entry {
            label: format!(
                "check {} — its findings",
                crate::text::sanitize(&inst.instance)
            ),
            command: Command::Check(Some(inst.instance.clone())),
        });
    }
    if let Some(w) = app.resumable {
        out.push(Entry {
            label: format!(
                "resume the restore wizard — {} on {}",
                crate::text::sanitize(&w.database),
                crate::text::sanitize(&w.target_instance)
            ),
            command: Command::ResumeWizard,
        });
    }
    for name in theme::builtin_names() {
        out.push(Entry {
            label: format!("theme {name}"),
            command: Command::Theme(name.to_string()),
        });
    }
    for (i, inst) in app.instances.iter().enumerate() {
        out.push(Entry {
            label: format!("instance {}", crate::text::sanitize(&inst.name)),
            command: Command::Instance(i),
        });
    }
    let mut dbs: Vec<usize> = (0..app.report.databases.len()).collect();
    dbs.sort_by_cached_key(|&i| {
        let d = &app.report.databases[i];
        (d.instance.to_lowercase(), d.database.name.to_lowercase())
    });
    for i in dbs {
        let d = &app.report.databases[i];
        out.push(Entry {
            label: format!(
                "db {} › {}",
                crate::text::sanitize(&d.instance),
                crate::text::sanitize(&d.database.name)
            ),
            command: Command::Database(i),
        });
        out.push(Entry {
            label: format!(
                "restore {} › {} — restore wizard",
                crate::text::sanitize(&d.instance),
                crate::text::sanitize(&d.database.name)
            ),
            command: Command::Restore(i),
        });
    }
    out
}

/// Entries matching the palette's input, in order.
pub fn matching(app: Offer<'_>, input: &str) -> Vec<Entry> {
    entries(app)
        .into_iter()
        .filter(|e| matches(&e.label, input))
        .collect()
}

/// A typed command that is not in the list (a user theme: `theme NAME`).
pub fn typed(input: &str) -> Option<Command> {
    let rest = input.trim().strip_prefix("theme ")?;
    Some(Command::Theme(rest.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_in_any_order() {
        assert!(matches("db SQLPROD01 › Telemetry", "tele prod"));
        assert!(!matches("db SQLPROD01 › Telemetry", "orders"));
        assert!(matches("quit", ""));
        assert_eq!(typed("theme mine"), Some(Command::Theme("mine".into())));
    }
}
