//! Archives on real SQLite files: a fresh folder per test, demo snapshots
//! (copied under other instance names), and the binary run on them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chainwatch::model::catalog;
use chainwatch::snapshot::Snapshot;

/// A fresh folder for one test (removed when it passes).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("cw-archive-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The demo estate at the tests' fixed "now".
pub fn demo() -> Snapshot {
    chainwatch::demo::snapshot(super::now())
}

/// The binary, colours off, no config from the environment.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainwatch"));
    c.env("NO_COLOR", "1").env_remove("CHAINWATCH_CONFIG");
    c
}

pub fn run(args: &[&str]) -> std::process::Output {
    bin().args(args).output().expect("run chainwatch")
}

/// The demo estate `copies` times over, instances renamed `{prefix}{k}-NAME`.
/// `chainwatch archive import SNAPSHOT… --archive FILE`.
pub fn import(snapshots: &[&Path], archive: &Path) -> std::process::Output {
    let mut args = vec!["archive".to_string(), "import".to_string()];
    args.extend(snapshots.iter().map(|p| p.display().to_string()));
    args.extend(["--archive".to_string(), archive.display().to_string()]);
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// [`import`], which must succeed.
pub fn import_ok(snapshots: &[&Path], archive: &Path) {
    let out = import(snapshots, archive);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn copies(prefix: &str, copies: usize) -> Snapshot {
    let demo = demo();
    let mut s = demo.clone();
    s.instances.clear();
    for k in 0..copies {
        for inst in &demo.instances {
            let mut i = inst.clone();
            i.name = format!("{prefix}{k}-{}", inst.name);
            s.instances.push(i);
        }
    }
    s
}

pub fn write_snapshot(path: &Path, s: &Snapshot) {
    std::fs::write(path, serde_json::to_string(s).unwrap()).unwrap();
}

/// Backup sets per instance name.
pub fn backup_sets_of(s: &Snapshot) -> std::collections::HashMap<String, u64> {
    s.instances
        .iter()
        .map(|i| (i.name.clone(), i.tables[catalog::BACKUPSET].len() as u64))
        .collect()
}
