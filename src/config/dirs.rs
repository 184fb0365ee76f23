//! Where chainwatch keeps its files, resolved in one place. Each directory
//! has an environment override (tests, portable installs, a jump host's
//! shared account) and otherwise follows the platform's conventions through
//! the `directories` crate.

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "chainwatch")
}

fn from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `$CHAINWATCH_CONFIG_DIR`, else the platform config dir
/// (`~/.config/chainwatch` on Linux): config.toml, themes/, keymap.toml.
pub fn config_dir() -> Option<PathBuf> {
    from_env("CHAINWATCH_CONFIG_DIR").or_else(|| project().map(|d| d.config_dir().to_path_buf()))
}

/// `<config dir>/config.toml`: the config file used when neither `--config`
/// nor `CHAINWATCH_CONFIG` names one.
pub fn default_config_path() -> Option<PathBuf> {
    config_dir().map(|d| d.join("config.toml"))
}

/// `$CHAINWATCH_DATA_DIR`, else the platform data dir
/// (`~/.local/share/chainwatch`): the wizard's saved state and the archives.
pub fn data_dir() -> Option<PathBuf> {
    from_env("CHAINWATCH_DATA_DIR").or_else(|| project().map(|d| d.data_dir().to_path_buf()))
}

/// `$CHAINWATCH_STATE_DIR`, else the platform state dir (the local data dir
/// where the platform has none): the log file.
pub fn state_dir() -> Option<PathBuf> {
    from_env("CHAINWATCH_STATE_DIR").or_else(|| {
        let dirs = project()?;
        Some(
            dirs.state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .to_path_buf(),
        )
    })
}
