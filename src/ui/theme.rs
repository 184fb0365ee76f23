//! Themes: semantic roles (ok, warn, crit, ...) mapped to ratatui styles,
//! read from TOML files in `themes/`. The default theme is embedded; with
//! `NO_COLOR` set (non-empty) colours are dropped and modifiers kept.

use std::collections::BTreeMap;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The embedded default theme.
pub const DEFAULT_TOML: &str = include_str!("../../themes/default.toml");

/// Why a theme file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("role {role}: unknown colour {name:?} (use one of the 16 ANSI names)")]
    Colour { role: String, name: String },
    #[error("role {role}: unknown modifier {name:?}")]
    Modifier { role: String, name: String },
}

/// Styles for every role the UI draws with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Theme {
    pub ok: Style,
    pub warn: Style,
    pub crit: Style,
    pub info: Style,
    pub muted: Style,
    pub selection: Style,
    pub focus: Style,
    pub header: Style,
    pub demo_marker: Style,
    pub window: Style,
    pub brk: Style,
    pub full: Style,
    pub diff: Style,
    pub log: Style,
    pub copy_only: Style,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    roles: BTreeMap<String, RoleSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

/// An ANSI 16 colour name (case, `-`, `_` and spaces ignored).
fn colour(name: &str) -> Option<Color> {
    let key: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match key.as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" | "brightblack" => Color::DarkGray,
        "lightred" | "brightred" => Color::LightRed,
        "lightgreen" | "brightgreen" => Color::LightGreen,
        "lightyellow" | "brightyellow" => Color::LightYellow,
        "lightblue" | "brightblue" => Color::LightBlue,
        "lightmagenta" | "brightmagenta" => Color::LightMagenta,
        "lightcyan" | "brightcyan" => Color::LightCyan,
        "white" | "brightwhite" => Color::White,
        _ => return None,
    })
}

fn modifier(name: &str) -> Option<Modifier> {
    Some(match name.to_ascii_lowercase().as_str() {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        _ => return None,
    })
}

fn style_of(role: &str, spec: &RoleSpec) -> Result<Style, ThemeError> {
    let mut style = Style::default();
    let pick = |name: &String| {
        colour(name).ok_or_else(|| ThemeError::Colour {
            role: role.into(),
            name: name.clone(),
        })
    };
    if let Some(fg) = &spec.fg {
        style = style.fg(pick(fg)?);
    }
    if let Some(bg) = &spec.bg {
        style = style.bg(pick(bg)?);
    }
    for m in &spec.modifiers {
        style = style.add_modifier(modifier(m).ok_or_else(|| ThemeError::Modifier {
            role: role.into(),
            name: m.clone(),
        })?);
    }
    Ok(style)
}

impl Theme {
    /// Parses a theme file. Roles it leaves out keep the terminal's default style.
    pub fn from_toml(text: &str) -> Result<Theme, ThemeError> {
        let file: ThemeFile = toml::from_str(text)?;
        let mut theme = Theme::default();
        for (role, spec) in &file.roles {
            let style = style_of(role, spec)?;
            let slot = match role.as_str() {
                "ok" => &mut theme.ok,
                "warn" => &mut theme.warn,
                "crit" => &mut theme.crit,
                "info" => &mut theme.info,
                "muted" => &mut theme.muted,
                "selection" => &mut theme.selection,
                "focus" => &mut theme.focus,
                "header" => &mut theme.header,
                "demo_marker" => &mut theme.demo_marker,
                "window" => &mut theme.window,
                "break" => &mut theme.brk,
                "full" => &mut theme.full,
                "diff" => &mut theme.diff,
                "log" => &mut theme.log,
                "copy_only" => &mut theme.copy_only,
                // Unknown roles are kept for newer themes on older binaries.
                _ => continue,
            };
            *slot = style;
        }
        Ok(theme)
    }

    /// The embedded default theme (a broken embed falls back to plain styles).
    pub fn default_theme() -> Theme {
        Theme::from_toml(DEFAULT_TOML).unwrap_or_else(|_| Theme::plain())
    }

    /// The default theme, without colours when `NO_COLOR` is set and non-empty.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if no_color {
            Theme::default_theme().without_colours()
        } else {
            Theme::default_theme()
        }
    }

    /// Monochrome styles that still mark selection, focus and headers.
    pub fn plain() -> Theme {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        Theme {
            selection: Style::default().add_modifier(Modifier::REVERSED),
            focus: bold,
            header: Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            demo_marker: Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            crit: bold,
            brk: bold,
            ..Theme::default()
        }
    }

    /// The same theme with every colour removed.
    pub fn without_colours(&self) -> Theme {
        let strip = |s: Style| Style {
            fg: None,
            bg: None,
            ..s
        };
        Theme {
            ok: strip(self.ok),
            warn: strip(self.warn),
            crit: strip(self.crit),
            info: strip(self.info),
            muted: strip(self.muted),
            selection: strip(self.selection),
            focus: strip(self.focus),
            header: strip(self.header),
            demo_marker: strip(self.demo_marker),
            window: strip(self.window),
            brk: strip(self.brk),
            full: strip(self.full),
            diff: strip(self.diff),
            log: strip(self.log),
            copy_only: strip(self.copy_only),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_parses_and_sets_every_role() {
        let t = Theme::from_toml(DEFAULT_TOML).expect("default theme");
        assert_eq!(t.crit.fg, Some(Color::Red));
        assert!(t.selection.add_modifier.contains(Modifier::REVERSED));
        assert_ne!(t.copy_only, Style::default());
        assert_ne!(t.brk, Style::default());
    }

    #[test]
    fn rejects_non_ansi_colours_and_unknown_fields() {
        let hex = "[roles]\nok = { fg = \"#00ff00\" }";
        assert!(matches!(
            Theme::from_toml(hex),
            Err(ThemeError::Colour { .. })
        ));
        let typo = "[roles]\nok = { foreground = \"green\" }";
        assert!(matches!(Theme::from_toml(typo), Err(ThemeError::Toml(_))));
    }

    #[test]
    fn without_colours_keeps_modifiers() {
        let t = Theme::default_theme().without_colours();
        assert_eq!(t.header.fg, None);
        assert_eq!(t.header.bg, None);
        assert!(t.header.add_modifier.contains(Modifier::BOLD));
        assert!(t.selection.add_modifier.contains(Modifier::REVERSED));
    }
}
