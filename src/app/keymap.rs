//! The keymap as data: `keymap.toml` (embedded) lists, per context, keys,
//! an action and a description; a user file in the config dir overrides
//! it. Key handling, the `?` help overlay and the key bar are all
//! generated from the one table, so they cannot disagree.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::action::Action;

/// The embedded default keymap.
pub const DEFAULT_TOML: &str = include_str!("keymap.toml");

/// Where a binding applies. Lookups try the most specific context first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Everywhere, even while typing a filter.
    Any,
    /// Views and popups (not while typing or reading help).
    Global,
    Databases,
    Detail,
    /// Typing a filter.
    Filter,
    /// An evidence or plan popup.
    Popup,
    /// The help overlay.
    Help,
    /// Typing in the `:` command palette.
    Palette,
    /// The findings view.
    Findings,
    /// The restore wizard.
    Wizard,
    /// Typing a value in the restore wizard.
    WizardInput,
    /// The storage view (blobs of a backup container).
    Storage,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Any => "Always",
            Context::Global => "Global",
            Context::Databases => "Databases",
            Context::Detail => "Database detail",
            Context::Filter => "Filter (while typing)",
            Context::Popup => "Popup",
            Context::Help => "Help",
            Context::Palette => "Command palette",
            Context::Findings => "Findings",
            Context::Wizard => "Restore wizard",
            Context::WizardInput => "Restore wizard (while typing)",
            Context::Storage => "Storage",
        }
    }

    /// The context's table name in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Context::Any => "any",
            Context::Global => "global",
            Context::Databases => "databases",
            Context::Detail => "detail",
            Context::Filter => "filter",
            Context::Popup => "popup",
            Context::Help => "help",
            Context::Palette => "palette",
            Context::Findings => "findings",
            Context::Wizard => "wizard",
            Context::WizardInput => "wizard_input",
            Context::Storage => "storage",
        }
    }

    pub const ALL: [Context; 12] = [
        Context::Any,
        Context::Global,
        Context::Databases,
        Context::Detail,
        Context::Filter,
        Context::Popup,
        Context::Help,
        Context::Palette,
        Context::Wizard,
        Context::WizardInput,
        Context::Storage,
        Context::Findings,
    ];

    fn from_name(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A key as the table names it. Plain letters and arrows only: no Alt, and
/// no Ctrl-H/I/J/M (terminals send those as Backspace/Tab/Enter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    /// Any printable character (filter input).
    AnyChar,
}

impl Key {
    /// Whether a terminal key event is this key.
    pub fn matches(self, event: &KeyEvent) -> bool {
        let mods = event.modifiers;
        if mods.contains(KeyModifiers::ALT) {
            return false;
        }
        let ctrl = mods.contains(KeyModifiers::CONTROL);
        match (self, event.code) {
            (Key::Ctrl(c), KeyCode::Char(e)) => ctrl && e.eq_ignore_ascii_case(&c),
            (_, _) if ctrl => false,
            (Key::Char(c), KeyCode::Char(e)) => c == e,
            (Key::AnyChar, KeyCode::Char(e)) => !e.is_control(),
            (Key::Enter, KeyCode::Enter)
            | (Key::Esc, KeyCode::Esc)
            | (Key::Tab, KeyCode::Tab)
            | (Key::BackTab, KeyCode::BackTab)
            | (Key::Backspace, KeyCode::Backspace)
            | (Key::Up, KeyCode::Up)
            | (Key::Down, KeyCode::Down)
            | (Key::Left, KeyCode::Left)
            | (Key::Right, KeyCode::Right)
            | (Key::Home, KeyCode::Home)
            | (Key::End, KeyCode::End)
            | (Key::PageUp, KeyCode::PageUp)
            | (Key::PageDown, KeyCode::PageDown) => true,
            _ => false,
        }
    }

    /// Reads a key as keymap files write it (`j`, `Ctrl-d`, `S-Tab`, `PgDn`, `<text>`).
    pub fn parse(text: &str) -> Option<Key> {
        let mut chars = text.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Some(Key::Char(c));
        }
        let lower = text.to_ascii_lowercase();
        if let Some(rest) = lower
            .strip_prefix("ctrl-")
            .or_else(|| lower.strip_prefix("c-"))
        {
            let mut chars = rest.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() && !"hijm".contains(c) => {
                    Some(Key::Ctrl(c))
                }
                _ => None,
            };
        }
        Some(match lower.as_str() {
            "space" => Key::Char(' '),
            "enter" | "return" => Key::Enter,
            "esc" | "escape" => Key::Esc,
            "tab" => Key::Tab,
            "s-tab" | "shift-tab" | "backtab" => Key::BackTab,
            "backspace" | "bksp" => Key::Backspace,
            "up" => Key::Up,
            "down" => Key::Down,
            "left" => Key::Left,
            "right" => Key::Right,
            "home" => Key::Home,
            "end" => Key::End,
            "pgup" | "pageup" => Key::PageUp,
            "pgdn" | "pagedown" => Key::PageDown,
            "<text>" => Key::AnyChar,
            _ => return None,
        })
    }

    /// How the key is shown in the help and the key bar.
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "Space".into(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{c}"),
            Key::Enter => "Enter".into(),
            Key::Esc => "Esc".into(),
            Key::Tab => "Tab".into(),
            Key::BackTab => "S-Tab".into(),
            Key::Backspace => "Bksp".into(),
            Key::Up => "↑".into(),
            Key::Down => "↓".into(),
            Key::Left => "←".into(),
            Key::Right => "→".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::AnyChar => "text".into(),
        }
    }
}

/// One row of the keymap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub key: Key,
    /// For `Key::AnyChar` the typed char replaces the one in the action.
    pub action: Action,
    pub description: String,
    /// Short label in the bottom key bar; bindings sharing a label are shown together.
    pub bar: Option<String>,
}

/// Why a keymap file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("keymap is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("[{context}]: unknown context (use any, global, databases, detail, filter, popup, help, palette)")]
    Context { context: String },
    #[error("[{context}]: unknown key {key:?}")]
    Key { context: String, key: String },
    #[error("[{context}]: unknown action {action:?}")]
    Action { context: String, action: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    keys: Vec<String>,
    action: String,
    #[serde(default)]
    desc: String,
    bar: Option<String>,
}

/// Bindings of a keymap file, in file order; `None` actions unbind.
fn parse_file(text: &str) -> Result<Vec<(Context, Key, Option<Binding>)>, KeymapError> {
    let tables: BTreeMap<String, Vec<Entry>> = toml::from_str(text)?;
    let mut out = Vec::new();
    // File order within a context matters (the first key shows in the bar);
    // contexts are independent, so their order does not.
    for ctx in Context::ALL {
        let Some(entries) = tables.get(ctx.name()) else {
            continue;
        };
        for e in entries {
            let action = match e.action.as_str() {
                "none" | "unbind" => None,
                name => Some(Action::from_name(name).ok_or_else(|| KeymapError::Action {
                    context: ctx.name().into(),
                    action: name.into(),
                })?),
            };
            for (i, k) in e.keys.iter().enumerate() {
                let key = Key::parse(k).ok_or_else(|| KeymapError::Key {
                    context: ctx.name().into(),
                    key: k.clone(),
                })?;
                let binding = action.map(|action| Binding {
                    context: ctx,
                    key,
                    action,
                    description: if e.desc.is_empty() {
                        e.action.replace('_', " ")
                    } else {
                        e.desc.clone()
                    },
                    bar: if i == 0 { e.bar.clone() } else { None },
                });
                out.push((ctx, key, binding));
            }
        }
    }
    if let Some(bad) = tables
        .keys()
        .find(|name| Context::from_name(name).is_none())
    {
        return Err(KeymapError::Context {
            context: bad.clone(),
        });
    }
    Ok(out)
}

/// The keymap in force: the embedded default with user overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

static DEFAULT: LazyLock<Arc<Keymap>> = LazyLock::new(|| {
    Arc::new(Keymap::from_toml(DEFAULT_TOML).expect("the embedded keymap.toml is valid"))
});

impl Keymap {
    /// The embedded default keymap (shared).
    pub fn default_map() -> Arc<Keymap> {
        DEFAULT.clone()
    }

    /// A keymap from one file.
    pub fn from_toml(text: &str) -> Result<Keymap, KeymapError> {
        let bindings = parse_file(text)?
            .into_iter()
            .filter_map(|(_, _, b)| b)
            .collect();
        Ok(Keymap { bindings })
    }

    /// This keymap with a user file on top: a key bound (or unbound with
    /// `action = "none"`) there replaces the key's binding in that context.
    pub fn with_overrides(&self, text: &str) -> Result<Keymap, KeymapError> {
        let user = parse_file(text)?;
        let mut bindings: Vec<Binding> = self
            .bindings
            .iter()
            .filter(|b| !user.iter().any(|(c, k, _)| *c == b.context && *k == b.key))
            .cloned()
            .collect();
        // User bindings first, so they show first in help and the bar.
        let mut added: Vec<Binding> = user.into_iter().filter_map(|(_, _, b)| b).collect();
        added.append(&mut bindings);
        Ok(Keymap { bindings: added })
    }

    /// The default keymap with `<config_dir>/keymap.toml` applied when present.
    pub fn load(config_dir: Option<&Path>) -> Result<Arc<Keymap>, KeymapError> {
        let Some(path) = config_dir.map(|d| d.join("keymap.toml")) else {
            return Ok(Keymap::default_map());
        };
        if !path.is_file() {
            return Ok(Keymap::default_map());
        }
        let text = std::fs::read_to_string(&path).map_err(|source| KeymapError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Arc::new(Keymap::default_map().with_overrides(&text)?))
    }

    /// The action for a key in the given contexts (most specific first).
    pub fn lookup(&self, contexts: &[Context], event: &KeyEvent) -> Option<Action> {
        contexts.iter().find_map(|ctx| {
            self.bindings
                .iter()
                .filter(|b| b.context == *ctx)
                .find(|b| b.key.matches(event))
                .map(|b| match (b.key, event.code) {
                    (Key::AnyChar, KeyCode::Char(c)) if b.action.takes_text() => {
                        b.action.with_char(c)
                    }
                    _ => b.action,
                })
        })
    }

    /// Bindings in force for `contexts`, leaving out keys that a more
    /// specific context already takes.
    fn effective(&self, contexts: &[Context]) -> Vec<&Binding> {
        let mut out: Vec<&Binding> = Vec::new();
        for ctx in contexts {
            let before = out.len();
            for b in self.bindings.iter().filter(|b| b.context == *ctx) {
                if !out[..before].iter().any(|seen| seen.key == b.key) {
                    out.push(b);
                }
            }
        }
        out
    }

    /// Help sections for the contexts in force, keys for the same action and
    /// text merged into one line.
    pub fn help_sections(&self, contexts: &[Context]) -> Vec<(Context, Vec<HelpEntry>)> {
        let bindings = self.effective(contexts);
        let mut sections: Vec<(Context, Vec<HelpEntry>)> = Vec::new();
        for ctx in contexts {
            let mut entries: Vec<(Action, HelpEntry)> = Vec::new();
            for b in bindings.iter().filter(|b| b.context == *ctx) {
                match entries
                    .iter_mut()
                    .find(|(a, e)| *a == b.action && e.description == b.description)
                {
                    Some((_, e)) => {
                        e.keys.push(' ');
                        e.keys.push_str(&b.key.label());
                    }
                    None => entries.push((
                        b.action,
                        HelpEntry {
                            keys: b.key.label(),
                            description: b.description.clone(),
                        },
                    )),
                }
            }
            if !entries.is_empty() {
                sections.push((*ctx, entries.into_iter().map(|(_, e)| e).collect()));
            }
        }
        sections
    }

    /// Key bar items for the contexts in force: (keys, label), in table order.
    pub fn bar_entries(&self, contexts: &[Context]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for b in self.effective(contexts) {
            let Some(label) = &b.bar else { continue };
            match out.iter_mut().find(|(_, l)| l == label) {
                Some((keys, _)) => {
                    keys.push('/');
                    keys.push_str(&b.key.label());
                }
                None => out.push((b.key.label(), label.clone())),
            }
        }
        out
    }
}

/// One line of help: every key for one action, and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEntry {
    pub keys: String,
    pub description: String,
}

/// Key bar items of the default keymap.
pub fn bar_entries(contexts: &[Context]) -> Vec<(String, String)> {
    Keymap::default_map().bar_entries(contexts)
}

/// The action for a key in the default keymap.
pub fn lookup(contexts: &[Context], event: &KeyEvent) -> Option<Action> {
    Keymap::default_map().lookup(contexts, event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn default_keymap_parses_and_maps_q_to_quit() {
        let map = Keymap::default_map();
        assert_eq!(
            map.lookup(
                &[Context::Databases, Context::Global],
                &key(KeyCode::Char('q'))
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            map.lookup(&[Context::Filter], &key(KeyCode::Char('x'))),
            Some(Action::FilterInput('x'))
        );
        assert_eq!(
            map.lookup(&[Context::Palette], &key(KeyCode::Char('q'))),
            Some(Action::PaletteInput('q'))
        );
    }

    #[test]
    fn user_overrides_replace_and_unbind() {
        let user = r#"
[[databases]]
keys = ["x"]
action = "quit"
desc = "leave"

[[global]]
keys = ["q"]
action = "none"
"#;
        let map = Keymap::default_map().with_overrides(user).unwrap();
        let ctx = [Context::Databases, Context::Global];
        assert_eq!(
            map.lookup(&ctx, &key(KeyCode::Char('x'))),
            Some(Action::Quit)
        );
        assert_eq!(map.lookup(&ctx, &key(KeyCode::Char('q'))), None);
        assert_eq!(
            map.lookup(&ctx, &key(KeyCode::Char('j'))),
            Some(Action::Down)
        );
    }

    #[test]
    fn bad_files_are_rejected() {
        assert!(matches!(
            Keymap::from_toml("[[nowhere]]\nkeys=[\"a\"]\naction=\"quit\""),
            Err(KeymapError::Toml(_)) | Err(KeymapError::Context { .. })
        ));
        assert!(matches!(
            Keymap::from_toml("[[global]]\nkeys=[\"Ctrl-h\"]\naction=\"quit\""),
            Err(KeymapError::Key { .. })
        ));
        assert!(matches!(
            Keymap::from_toml("[[global]]\nkeys=[\"a\"]\naction=\"explode\""),
            Err(KeymapError::Action { .. })
        ));
    }

    #[test]
    fn every_named_action_round_trips() {
        for (name, action) in Action::NAMED {
            assert_eq!(Action::from_name(name), Some(*action));
        }
    }
}
