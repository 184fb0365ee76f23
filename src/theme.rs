//! Themes: a palette of named colours and semantic roles (ok, warn, crit,
//! info, muted, selection, focus, header, ...) mapped to ratatui styles,
//! read from TOML files in `themes/`. The built-in themes are embedded; a
//! file `<config dir>/themes/<name>.toml` replaces the built-in of that name
//! or adds a new one. With `NO_COLOR` set (non-empty) or `--no-color`,
//! colours are dropped and modifiers kept, so meaning never rests on colour.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The embedded default theme (ANSI 16 colour names only).
pub const DEFAULT_TOML: &str = include_str!("../themes/default.toml");

/// Every built-in theme: (name, TOML).
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", DEFAULT_TOML),
    ("dark", include_str!("../themes/dark.toml")),
    ("light", include_str!("../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../themes/high-contrast.toml"),
    ),
    ("none", include_str!("../themes/none.toml")),
];

/// Names of the built-in themes, in menu order.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(n, _)| *n)
}

/// Why a theme could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error(
        "role {role}: unknown colour {name:?} (an ANSI name, #rrggbb, 0-255, or a palette name)"
    )]
    Colour { role: String, name: String },
    #[error("role {role}: unknown modifier {name:?}")]
    Modifier { role: String, name: String },
    #[error("no theme named {0:?} (built in: default, dark, light, high-contrast, none)")]
    Unknown(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Styles for every role the UI draws with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Theme {
    /// The theme's name (as chosen, e.g. `dark`).
    pub name: String,
    /// Painted under everything; set by themes that bring their own background.
    pub base: Style,
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
    /// Header of an instance tagged as production / staging / test / development.
    pub env_production: Style,
    pub env_staging: Style,
    pub env_test: Style,
    pub env_development: Style,
    /// ASCII borders and markers instead of box-drawing characters.
    pub ascii: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    /// Named colours the roles may refer to.
    #[serde(default)]
    palette: BTreeMap<String, String>,
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
fn ansi(name: &str) -> Option<Color> {
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

/// A colour as themes and the config's `accent` write it: an ANSI name,
/// `#rrggbb` (truecolor) or `0`..`255` (256 colours).
pub fn parse_color(name: &str) -> Option<Color> {
    literal(name)
}

/// A colour literal: an ANSI name, `#rrggbb` (truecolor) or `0`..`255` (256 colours).
fn literal(name: &str) -> Option<Color> {
    if let Some(hex) = name.strip_prefix('#') {
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        return Some(Color::Rgb(byte(0)?, byte(2)?, byte(4)?));
    }
    if let Ok(i) = name.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    ansi(name)
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

fn style_of(
    role: &str,
    spec: &RoleSpec,
    palette: &BTreeMap<String, String>,
) -> Result<Style, ThemeError> {
    let mut style = Style::default();
    let pick = |name: &String| {
        palette
            .get(name)
            .and_then(|v| literal(v))
            .or_else(|| literal(name))
            .ok_or_else(|| ThemeError::Colour {
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
    /// Parses a theme file. Roles it leaves out fall back to a related role
    /// (break → crit, log → info, ...) or to the terminal's default style.
    pub fn from_toml(text: &str) -> Result<Theme, ThemeError> {
        let file: ThemeFile = toml::from_str(text)?;
        for (name, value) in &file.palette {
            if literal(value).is_none() {
                return Err(ThemeError::Colour {
                    role: format!("palette.{name}"),
                    name: value.clone(),
                });
            }
        }
        let mut theme = Theme::default();
        let mut set = std::collections::BTreeSet::new();
        for (role, spec) in &file.roles {
            let style = style_of(role, spec, &file.palette)?;
            let Some(slot) = theme.role_mut(role) else {
                // Unknown roles are kept for newer themes on older binaries.
                continue;
            };
            *slot = style;
            set.insert(role.as_str());
        }
        let fallbacks = [
            ("break", theme.crit),
            ("window", theme.ok),
            ("full", theme.info),
            ("diff", theme.info),
            ("log", theme.info),
            ("copy_only", theme.muted),
            ("demo_marker", theme.warn.add_modifier(Modifier::REVERSED)),
            ("env_staging", theme.warn.add_modifier(Modifier::REVERSED)),
            ("env_test", theme.header),
            ("env_development", theme.header),
        ];
        for (role, style) in fallbacks {
            if !set.contains(role) {
                if let Some(slot) = theme.role_mut(role) {
                    *slot = style;
                }
            }
        }
        if !set.contains("env_production") {
            theme.env_production = theme.crit.add_modifier(Modifier::REVERSED | Modifier::BOLD);
        }
        Ok(theme)
    }

    fn role_mut(&mut self, role: &str) -> Option<&mut Style> {
        Some(match role {
            "base" => &mut self.base,
            "ok" => &mut self.ok,
            "warn" => &mut self.warn,
            "crit" => &mut self.crit,
            "info" => &mut self.info,
            "muted" => &mut self.muted,
            "selection" => &mut self.selection,
            "focus" => &mut self.focus,
            "header" => &mut self.header,
            "demo_marker" => &mut self.demo_marker,
            "window" => &mut self.window,
            "break" => &mut self.brk,
            "full" => &mut self.full,
            "diff" => &mut self.diff,
            "log" => &mut self.log,
            "copy_only" => &mut self.copy_only,
            "env_production" => &mut self.env_production,
            "env_staging" => &mut self.env_staging,
            "env_test" => &mut self.env_test,
            "env_development" => &mut self.env_development,
            _ => return None,
        })
    }

    /// The embedded default theme (a broken embed falls back to plain styles).
    pub fn default_theme() -> Theme {
        Theme::builtin("default").unwrap_or_else(Theme::plain)
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        let mut theme = Theme::from_toml(text).ok()?;
        theme.name = name.to_string();
        Some(theme)
    }

    /// The theme `name`: `<config_dir>/themes/<name>.toml` if it exists,
    /// else the built-in of that name.
    pub fn load(name: &str, config_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            if let Some(dir) = config_dir {
                let path = dir.join("themes").join(format!("{name}.toml"));
                if path.is_file() {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|source| ThemeError::Io { path, source })?;
                    let mut theme = Theme::from_toml(&text)?;
                    theme.name = name.to_string();
                    return Ok(theme);
                }
            }
        }
        Theme::builtin(name).ok_or_else(|| ThemeError::Unknown(name.to_string()))
    }

    /// Whether the environment asks for no colour (`NO_COLOR` set and non-empty).
    pub fn no_color_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// The default theme, without colours when `NO_COLOR` is set and non-empty.
    pub fn from_env() -> Theme {
        let theme = Theme::default_theme();
        if Theme::no_color_env() {
            theme.without_colours()
        } else {
            theme
        }
    }

    /// Monochrome styles that still mark selection, focus and headers.
    pub fn plain() -> Theme {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let reversed_bold = Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD);
        Theme {
            name: "none".into(),
            selection: Style::default().add_modifier(Modifier::REVERSED),
            focus: bold,
            header: reversed_bold,
            demo_marker: reversed_bold,
            env_production: reversed_bold,
            env_staging: reversed_bold,
            env_test: reversed_bold,
            env_development: reversed_bold,
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
            name: self.name.clone(),
            base: strip(self.base),
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
            env_production: strip(self.env_production),
            env_staging: strip(self.env_staging),
            env_test: strip(self.env_test),
            env_development: strip(self.env_development),
            ascii: self.ascii,
        }
    }

    /// The header style for an instance's environment.
    pub fn environment(&self, env: Environment) -> Style {
        match env {
            Environment::Production => self.env_production,
            Environment::Staging => self.env_staging,
            Environment::Test => self.env_test,
            Environment::Development => self.env_development,
        }
    }

    /// The row selection marker.
    pub fn marker(&self) -> &'static str {
        if self.ascii {
            "> "
        } else {
            "▶ "
        }
    }
}

/// What an instance is used for (the config's `environment`), shown as a
/// header accent and a label (a red header for production).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Environment {
    Production,
    Staging,
    Test,
    Development,
}

impl Environment {
    /// The canonical names, for messages.
    pub const NAMES: &'static str =
        "prod, staging, test or dev (also production, uat, qa, development, ...)";

    /// Reads `prod`, `production`, `staging`, `uat`, `test`, `qa`, `dev`, ... (any case).
    pub fn parse(text: &str) -> Option<Environment> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "prod" | "production" | "prd" | "live" => Environment::Production,
            "staging" | "stage" | "uat" | "preprod" | "pre-production" => Environment::Staging,
            "test" | "qa" | "tst" => Environment::Test,
            "dev" | "development" => Environment::Development,
            _ => return None,
        })
    }

    /// The label shown next to the accent, so it never rests on colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Environment::Production => "PRODUCTION",
            Environment::Staging => "STAGING",
            Environment::Test => "TEST",
            Environment::Development => "DEV",
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
    fn every_builtin_parses() {
        for name in builtin_names() {
            let t = Theme::builtin(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(t.name, name);
            assert!(
                t.selection.add_modifier.contains(Modifier::REVERSED) || t.selection.bg.is_some(),
                "{name}: selection must show"
            );
        }
        let none = Theme::builtin("none").unwrap();
        assert_eq!(none, none.without_colours());
    }

    #[test]
    fn default_uses_ansi_names_only() {
        let t = Theme::default_theme();
        for s in [t.ok, t.warn, t.crit, t.info, t.muted, t.header, t.focus] {
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{c:?}");
            }
        }
    }

    #[test]
    fn palette_hex_and_indexed_colours() {
        let text = "[palette]\nbrand = \"#102030\"\n[roles]\nok = { fg = \"brand\", bg = \"236\" }";
        let t = Theme::from_toml(text).unwrap();
        assert_eq!(t.ok.fg, Some(Color::Rgb(0x10, 0x20, 0x30)));
        assert_eq!(t.ok.bg, Some(Color::Indexed(236)));
        assert_eq!(t.window, t.ok, "window falls back to ok");
    }

    #[test]
    fn rejects_bad_colours_and_unknown_fields() {
        let bad = "[roles]\nok = { fg = \"#00ff0\" }";
        assert!(matches!(
            Theme::from_toml(bad),
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

    #[test]
    fn user_theme_overrides_builtin() {
        let dir = std::env::temp_dir().join(format!("cw-theme-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("themes")).unwrap();
        std::fs::write(
            dir.join("themes/dark.toml"),
            "[roles]\ncrit = { fg = \"magenta\" }",
        )
        .unwrap();
        let t = Theme::load("dark", Some(&dir)).unwrap();
        assert_eq!(t.crit.fg, Some(Color::Magenta));
        assert!(Theme::load("light", Some(&dir)).is_ok());
        assert!(matches!(
            Theme::load("nope", Some(&dir)),
            Err(ThemeError::Unknown(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn environments_parse() {
        assert_eq!(Environment::parse("PROD"), Some(Environment::Production));
        assert_eq!(Environment::parse("uat"), Some(Environment::Staging));
        assert_eq!(Environment::parse("lab"), None);
    }
}
