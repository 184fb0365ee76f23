//! `chainwatch config init` through the real binary: it writes the
//! commented template where the config is looked for, refuses to overwrite,
//! and `config check` without a config says it exists.

use std::process::Command;

fn run(args: &[&str], env: &[(&str, &std::path::Path)]) -> (bool, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainwatch"));
    c.args(args)
        .env("NO_COLOR", "1")
        .env_remove("CHAINWATCH_CONFIG");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn init_writes_a_valid_template_once_and_check_offers_it() {
    let dir = std::env::temp_dir().join(format!("chainwatch-config-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // No config anywhere (an empty XDG config dir): check says how to get one.
    let (ok, _, stderr) = run(
        &["config", "check"],
        &[("XDG_CONFIG_HOME", &dir), ("HOME", &dir)],
    );
    assert!(!ok);
    assert!(stderr.contains("chainwatch config init"), "{stderr}");
    let path = dir.join("sub").join("config.toml");
    let p = path.to_str().unwrap();
    let (ok, stdout, stderr) = run(&["--config", p, "config", "init"], &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("wrote"), "{stdout}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# [[instance]]") && text.contains("allow_writes = false"));
    // The template is a valid config (no instance yet).
    let (ok, stdout, stderr) = run(&["--config", p, "config", "check"], &[]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("OK, 0 instances"), "{stdout}");
    // Never over an existing file.
    std::fs::write(&path, "# mine\n").unwrap();
    let (ok, _, stderr) = run(&["--config", p, "config", "init"], &[]);
    assert!(!ok);
    assert!(stderr.contains("exists: not overwritten"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `CHAINWATCH_CONFIG_DIR` moves config.toml with the themes and the
/// keymap: `config init` writes there and `config check` reads it there.
#[test]
fn the_config_dir_variable_moves_config_toml_too() {
    let dir = std::env::temp_dir().join(format!("chainwatch-config-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let env = [
        ("CHAINWATCH_CONFIG_DIR", dir.as_path()),
        ("XDG_CONFIG_HOME", dir.as_path()),
        ("HOME", dir.as_path()),
    ];
    let (ok, stdout, stderr) = run(&["config", "init"], &env);
    assert!(ok, "{stderr}");
    assert!(dir.join("config.toml").exists(), "{stdout}");
    let (ok, stdout, stderr) = run(&["config", "check"], &env);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("OK, 0 instances"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}
