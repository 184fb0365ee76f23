//! `chainwatch config init`: writes a commented config template where the
//! config is looked for (never over an existing file), so a demo user can
//! move on to their own servers.

use std::path::Path;

use anyhow::{anyhow, bail};

use crate::config;

/// The template: every line a DBA must change is commented and says why.
/// It parses as a valid config with no instance until one is uncommented.
pub const TEMPLATE: &str = r#"# chainwatch configuration. `chainwatch config check` validates it (line numbers).
# Passwords never go in this file: password_env, password_prompt or password_keyring.

[defaults]
horizon_days = 30          # history read at least; Managed Backup retention widens it
connect_timeout_secs = 10
query_timeout_secs = 60
parallelism = 8            # instances collected at once
retries = 2                # refused connections only, exponential backoff
archive_reread_hours = 24  # check --archive: read an instance's whole history again this often (0: every run)

# One [[instance]] per SQL Server instance. Uncomment and edit:
# [[instance]]
# name = "SQL01\\PROD"                  # how chainwatch names it (msdb's server name)
# connection = "Server=tcp:sql01.example.com\\PROD,1433;User ID=monitor;Encrypt=True"
# password_env = "CW_SQL01_PASSWORD"    # or: password_prompt = true, or password_keyring = true
# environment = "prod"
# allow_writes = false                  # true lets chainwatch RESTORE / back up here, after a typed confirmation
# container_url = "https://account.blob.core.windows.net/container"   # its backup container
# container_sas_env = "CW_SQL01_SAS"    # a SAS for listing it (or container_token_env for Entra ID)
#
# The login needs SELECT in msdb and VIEW ANY DATABASE; `chainwatch doctor` lists what it lacks.
"#;

/// Writes the template to `--config FILE`, `$CHAINWATCH_CONFIG` or the
/// default path; refuses to overwrite a file that exists.
pub fn run(explicit: Option<&Path>) -> anyhow::Result<u8> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match std::env::var_os(config::CONFIG_ENV).filter(|p| !p.is_empty()) {
            Some(p) => p.into(),
            None => config::dirs::default_config_path()
                .ok_or_else(|| anyhow!("no config directory on this system: pass --config FILE"))?,
        },
    };
    if path.exists() {
        bail!(
            "{} exists: not overwritten (edit it, or pass --config NEW_FILE)",
            path.display()
        );
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| anyhow!("{}: {e}", dir.display()))?;
    }
    // create_new: a file that appeared since the check is not overwritten either.
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    f.write_all(TEMPLATE.as_bytes())
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    outln!(
        "wrote {}: uncomment an [[instance]], then run chainwatch config check",
        path.display()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_a_valid_config_without_instances() {
        let dir = std::env::temp_dir().join(format!("cw-config-init-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(&path, TEMPLATE).unwrap();
        let c = crate::config::Config::load(&path).unwrap();
        assert!(c.instances.is_empty());
        // Uncommenting the instance lines gives a valid instance.
        let live: String = TEMPLATE
            .lines()
            .map(|l| {
                let t = l.strip_prefix("# ").unwrap_or(l);
                if t.starts_with('[') || t.contains(" = ") {
                    t.to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&path, live).unwrap();
        let c = crate::config::Config::load(&path).unwrap();
        assert_eq!(c.instances.len(), 1);
        assert!(!c.instances[0].allow_writes);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
