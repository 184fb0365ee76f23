//! `chainwatch collect` and `chainwatch config check`: the live source.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};

use crate::config::{self, Config, InstanceConfig};
use crate::sqlserver::{self, Settings, Status};

/// The config file the command should use, or an explanation of where to put one.
pub fn config_path(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    config::resolve_path(explicit).ok_or_else(|| {
        anyhow!(
            "no config file: pass --config FILE, set {}, or create {} (chainwatch config init writes a commented template there)",
            config::CONFIG_ENV,
            config::dirs::default_config_path().map_or("<config dir>/chainwatch/config.toml".into(), |p| p
                .display()
                .to_string())
        )
    })
}

/// `chainwatch config check`: 0 valid, 1 invalid. With `--explain
/// INSTANCE/DB`, the database's effective policy, key by key, with origins.
pub fn config_check(explicit: Option<&Path>, explain: Option<&str>) -> anyhow::Result<u8> {
    let path = config_path(explicit)?;
    match Config::load(&path) {
        Ok(c) if explain.is_some() => {
            let target = explain.unwrap_or_default();
            let Some((instance, database)) = target.split_once('/') else {
                bail!("--explain takes INSTANCE/DATABASE, e.g. 'SQL16\\PROD/Sales'");
            };
            if c.instance(instance).is_none() {
                outln!(
                    "note: {instance} is not an [[instance]] of {}",
                    path.display()
                );
            }
            let (_, keys) = crate::analysis::policy_book::resolve(&c.policies, instance, database);
            outln!(
                "effective policy of {instance}/{database} ({}):",
                path.display()
            );
            let width = keys.iter().map(|k| k.key.len()).max().unwrap_or(0);
            for k in keys {
                outln!("  {:<width$}  {}  ({})", k.key, k.value, k.origin);
            }
            outln!("precedence, least specific first: built-in, [defaults], [[instance]], [[database]] rules without instance =, then rules with it; among rules, more literal characters win (an exact name most), then the later in the file");
            Ok(0)
        }
        Ok(c) => {
            for w in c.warnings() {
                outln!("warning: {w}");
            }
            outln!(
                "{}: OK, {} instance{}",
                path.display(),
                c.instances.len(),
                if c.instances.len() == 1 { "" } else { "s" }
            );
            for i in &c.instances {
                let port = i.port.map_or(String::new(), |p| format!(",{p}"));
                let inst = i
                    .instance_name
                    .as_ref()
                    .map_or(String::new(), |n| format!("\\{n}"));
                outln!(
                    "  {} → {}{inst}{port}{}",
                    i.name,
                    i.host,
                    i.environment
                        .as_ref()
                        .map_or(String::new(), |e| format!(" [{e}]"))
                );
                if let Some(s) = &i.storage {
                    outln!("    storage {}", s.describe());
                    if let Some(var) = s.env_var().filter(|v| std::env::var_os(v).is_none()) {
                        outln!(
                            "    warning: {var} is not set here: the container cannot be listed"
                        );
                    }
                }
            }
            Ok(0)
        }
        Err(e) => {
            outln!("{e}");
            Ok(1)
        }
    }
}

/// The keyring entry of a configured instance that uses `password_keyring`.
fn keyring_entry(explicit: Option<&Path>, instance: &str) -> anyhow::Result<String> {
    let path = config_path(explicit)?;
    let c = Config::load(&path).map_err(|e| anyhow!("{e}"))?;
    let i = c
        .instance(instance)
        .ok_or_else(|| anyhow!("{instance} is not in {}", path.display()))?;
    match &i.auth {
        config::Auth::SqlLogin {
            password: config::PasswordSource::Keyring(entry),
            ..
        } => Ok(entry.clone()),
        _ => bail!("{instance} does not take its password from the keyring: set password_keyring = true for it in {}", path.display()),
    }
}

/// `chainwatch config set-password`: 0 stored.
pub fn set_password(
    explicit: Option<&Path>,
    instance: &str,
    from_env: Option<&str>,
) -> anyhow::Result<u8> {
    let entry = keyring_entry(explicit, instance)?;
    let secret = match from_env {
        Some(var) => config::Secret::new(
            std::env::var(var).map_err(|_| anyhow!("environment variable {var} is not set"))?,
        ),
        None => config::prompt_password(&format!("password for {instance}"))
            .map_err(anyhow::Error::msg)?,
    };
    config::keyring::write(&entry, &secret).map_err(anyhow::Error::msg)?;
    outln!("stored the password of {instance} in the keyring (entry {entry:?})");
    Ok(0)
}

/// `chainwatch config forget-password`: 0 removed (or absent).
pub fn forget_password(explicit: Option<&Path>, instance: &str) -> anyhow::Result<u8> {
    let entry = keyring_entry(explicit, instance)?;
    config::keyring::delete(&entry).map_err(anyhow::Error::msg)?;
    outln!("removed the password of {instance} from the keyring");
    Ok(0)
}

/// Options of `chainwatch collect`.
pub struct CollectArgs<'a> {
    pub config: Option<&'a Path>,
    pub instance: Option<&'a str>,
    pub server: Option<&'a str>,
    pub output: Option<&'a Path>,
    pub print_sql: bool,
}

/// `chainwatch collect`: 0 when every instance was collected, 3 otherwise
/// (the snapshot is written either way, failed instances marked).
pub fn collect(args: &CollectArgs<'_>) -> anyhow::Result<u8> {
    let (instances, settings): (Vec<InstanceConfig>, Settings) = if let Some(conn) = args.server {
        let i =
            InstanceConfig::from_connection_string(conn).map_err(|e| anyhow!("--server: {e}"))?;
        (vec![i], Settings::default())
    } else if args.print_sql && args.config.is_none() && config::resolve_path(None).is_none() {
        (Vec::new(), Settings::default())
    } else {
        let path = config_path(args.config)?;
        let c = Config::load(&path)?;
        let settings = Settings::from(&c.defaults);
        let instances = match args.instance {
            Some(name) => vec![c.instance(name).cloned().ok_or_else(|| {
                anyhow!(
                    "no instance {name:?} in {} (configured: {})",
                    path.display(),
                    c.instances
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?],
            None => c.instances.clone(),
        };
        (instances, settings)
    };
    if args.print_sql {
        out!(
            "{}",
            sqlserver::script::collection_script(settings.horizon_days)
        );
        return Ok(0);
    }
    if instances.is_empty() {
        bail!("no instances to collect");
    }
    for i in &instances {
        for w in i.warnings() {
            eprintln!("warning: {w}");
        }
    }
    let started = std::time::Instant::now();
    let results = {
        let settings = settings.clone();
        sqlserver::block_on(async move { sqlserver::collect_all(&instances, &settings).await })
    };
    for r in &results {
        eprintln!(
            "{:<24} {:<20} {:.2} s",
            r.name,
            r.status.to_string(),
            r.elapsed.as_secs_f64()
        );
    }
    let snapshot = sqlserver::to_snapshot(&results, chrono::Utc::now());
    let text = snapshot.to_json_pretty() + "\n";
    match args.output {
        Some(p) if p != Path::new("-") => {
            std::fs::write(p, text).map_err(|e| anyhow!("cannot write {}: {e}", p.display()))?;
            eprintln!(
                "wrote {} ({} instance(s), {:.2} s)",
                p.display(),
                results.len(),
                started.elapsed().as_secs_f64()
            );
        }
        _ => out!("{text}"),
    }
    Ok(if results.iter().all(|r| r.status.collected()) {
        if results.iter().all(|r| r.status == Status::Ok) {
            0
        } else {
            1
        }
    } else {
        3
    })
}
