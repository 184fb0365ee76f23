//! The keymap as data: one table of (context, key, action, description)
//! from which key handling, the `?` help overlay and the key bar are all
//! generated, so they cannot disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::state::DetailTab;

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
        }
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
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub context: Context,
    pub key: Key,
    /// For `Key::AnyChar` the char in `FilterInput` is replaced by the typed one.
    pub action: Action,
    pub description: &'static str,
    /// Short label in the bottom key bar; bindings sharing a label are shown together.
    pub bar: Option<&'static str>,
}

const fn bind(
    context: Context,
    key: Key,
    action: Action,
    description: &'static str,
    bar: Option<&'static str>,
) -> Binding {
    Binding {
        context,
        key,
        action,
        description,
        bar,
    }
}

use Action as A;
use Context as C;
use Key as K;

/// The whole default keymap, one binding per row.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    bind(C::Any, K::Ctrl('c'), A::Quit, "quit", None),
    bind(C::Global, K::Char('?'), A::ToggleHelp, "help", Some("help")),
    bind(C::Global, K::Char('q'), A::Quit, "quit", Some("quit")),
    // Databases view.
    bind(C::Databases, K::Char('j'), A::Down, "move down", Some("move")),
    bind(C::Databases, K::Down, A::Down, "move down", None),
    bind(C::Databases, K::Char('k'), A::Up, "move up", Some("move")),
    bind(C::Databases, K::Up, A::Up, "move up", None),
    bind(C::Databases, K::Char('g'), A::Top, "first row", None),
    bind(C::Databases, K::Home, A::Top, "first row", None),
    bind(C::Databases, K::Char('G'), A::Bottom, "last row", None),
    bind(C::Databases, K::End, A::Bottom, "last row", None),
    bind(C::Databases, K::PageDown, A::PageDown, "page down", None),
    bind(C::Databases, K::Ctrl('d'), A::PageDown, "page down", None),
    bind(C::Databases, K::PageUp, A::PageUp, "page up", None),
    bind(C::Databases, K::Ctrl('u'), A::PageUp, "page up", None),
    bind(C::Databases, K::Enter, A::Open, "open database / pick instance", Some("open")),
    bind(C::Databases, K::Char('h'), A::FocusLeft, "instances pane", None),
    bind(C::Databases, K::Left, A::FocusLeft, "instances pane", None),
    bind(C::Databases, K::Char('l'), A::FocusRight, "databases pane", None),
    bind(C::Databases, K::Right, A::FocusRight, "databases pane", None),
    bind(C::Databases, K::Tab, A::FocusNext, "next pane", Some("pane")),
    bind(C::Databases, K::BackTab, A::FocusPrev, "previous pane", None),
    bind(C::Databases, K::Char('/'), A::FilterStart, "filter the list", Some("filter")),
    bind(C::Databases, K::Esc, A::Cancel, "clear the filter", None),
    // Detail view.
    bind(C::Detail, K::Char('j'), A::Down, "move down", Some("move")),
    bind(C::Detail, K::Down, A::Down, "move down", None),
    bind(C::Detail, K::Char('k'), A::Up, "move up", Some("move")),
    bind(C::Detail, K::Up, A::Up, "move up", None),
    bind(C::Detail, K::Char('g'), A::Top, "first row", None),
    bind(C::Detail, K::Home, A::Top, "first row", None),
    bind(C::Detail, K::Char('G'), A::Bottom, "last row", None),
    bind(C::Detail, K::End, A::Bottom, "last row", None),
    bind(C::Detail, K::PageDown, A::PageDown, "page down", None),
    bind(C::Detail, K::Ctrl('d'), A::PageDown, "page down", None),
    bind(C::Detail, K::PageUp, A::PageUp, "page up", None),
    bind(C::Detail, K::Ctrl('u'), A::PageUp, "page up", None),
    bind(C::Detail, K::Tab, A::FocusNext, "next tab", Some("tab")),
    bind(C::Detail, K::BackTab, A::FocusPrev, "previous tab", None),
    bind(C::Detail, K::Char('1'), A::SelectTab(DetailTab::Findings), "breaks & findings tab", None),
    bind(C::Detail, K::Char('2'), A::SelectTab(DetailTab::Backups), "backups tab", None),
    bind(C::Detail, K::Char('3'), A::SelectTab(DetailTab::Windows), "windows tab", None),
    bind(C::Detail, K::Enter, A::Open, "evidence of the selected row", Some("evidence")),
    bind(C::Detail, K::Char('p'), A::ShowPlan, "restore plan to the latest point", Some("plan")),
    bind(C::Detail, K::Char('/'), A::FilterStart, "filter the current tab", Some("filter")),
    bind(C::Detail, K::Esc, A::Cancel, "clear the filter, else back", Some("back")),
    bind(C::Detail, K::Char('h'), A::Back, "back to databases", None),
    bind(C::Detail, K::Left, A::Back, "back to databases", None),
    bind(C::Detail, K::Backspace, A::Back, "back to databases", None),
    // Typing a filter.
    bind(C::Filter, K::AnyChar, A::FilterInput(' '), "type to filter", None),
    bind(C::Filter, K::Backspace, A::FilterBackspace, "delete a character", None),
    bind(C::Filter, K::Enter, A::FilterAccept, "keep the filter", Some("keep")),
    bind(C::Filter, K::Esc, A::FilterClear, "clear the filter", Some("clear")),
    // Popups.
    bind(C::Popup, K::Char('j'), A::Down, "scroll down", Some("scroll")),
    bind(C::Popup, K::Down, A::Down, "scroll down", None),
    bind(C::Popup, K::Char('k'), A::Up, "scroll up", Some("scroll")),
    bind(C::Popup, K::Up, A::Up, "scroll up", None),
    bind(C::Popup, K::Char('g'), A::Top, "top", None),
    bind(C::Popup, K::Char('G'), A::Bottom, "bottom", None),
    bind(C::Popup, K::Esc, A::Close, "close", Some("close")),
    bind(C::Popup, K::Enter, A::Close, "close", None),
    bind(C::Popup, K::Char('q'), A::Close, "close", None),
    // Help overlay.
    bind(C::Help, K::Char('j'), A::Down, "scroll down", Some("scroll")),
    bind(C::Help, K::Down, A::Down, "scroll down", None),
    bind(C::Help, K::Char('k'), A::Up, "scroll up", Some("scroll")),
    bind(C::Help, K::Up, A::Up, "scroll up", None),
    bind(C::Help, K::Char('g'), A::Top, "top", None),
    bind(C::Help, K::Char('G'), A::Bottom, "bottom", None),
    bind(C::Help, K::Esc, A::Close, "close help", Some("close")),
    bind(C::Help, K::Char('?'), A::Close, "close help", None),
    bind(C::Help, K::Char('q'), A::Close, "close help", None),
];

/// The action for a key in the given contexts (most specific first).
pub fn lookup(contexts: &[Context], event: &KeyEvent) -> Option<Action> {
    contexts.iter().find_map(|ctx| {
        BINDINGS
            .iter()
            .filter(|b| b.context == *ctx)
            .find(|b| b.key.matches(event))
            .map(|b| match (b.key, b.action, event.code) {
                (Key::AnyChar, Action::FilterInput(_), KeyCode::Char(c)) => Action::FilterInput(c),
                _ => b.action,
            })
    })
}

/// One line of help: every key for one action, and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEntry {
    pub keys: String,
    pub description: &'static str,
}

/// Bindings in force for `contexts`, leaving out keys that a more specific
/// context already takes.
fn effective(contexts: &[Context]) -> Vec<&'static Binding> {
    let mut out: Vec<&'static Binding> = Vec::new();
    for ctx in contexts {
        let before = out.len();
        for b in BINDINGS.iter().filter(|b| b.context == *ctx) {
            if !out[..before].iter().any(|seen| seen.key == b.key) {
                out.push(b);
            }
        }
    }
    out
}

/// Help sections for the contexts in force, keys for the same action and
/// text merged into one line.
pub fn help_sections(contexts: &[Context]) -> Vec<(Context, Vec<HelpEntry>)> {
    let bindings = effective(contexts);
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
                        description: b.description,
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
pub fn bar_entries(contexts: &[Context]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for b in effective(contexts) {
        let Some(label) = b.bar else { continue };
        match out.iter_mut().find(|(_, l)| *l == label) {
            Some((keys, _)) => {
                keys.push('/');
                keys.push_str(&b.key.label());
            }
            None => out.push((b.key.label(), label)),
        }
    }
    out
}
