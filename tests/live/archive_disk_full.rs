//! A real full disk: the archive on a 2 MiB tmpfs, `archive import` of a
//! snapshot that does not fit. The import stops with a message naming the
//! file, the archive keeps exactly what it held and stays sound. Mounting
//! needs root (or CAP_SYS_ADMIN): without it the test fails under CI=true
//! and skips loudly otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::archive::{backup_sets_of, copies, demo, import, write_snapshot, TempDir};
use chainwatch::archive::open_store;
use chainwatch::model::catalog;

/// A tmpfs of `size` mounted on a fresh folder, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_real_full_disk_stops_the_import_and_keeps_the_archive() {
    let dir = TempDir::new("disk-full");
    let mnt = match Tmpfs::mount(&dir.path("mnt"), "2m") {
        Ok(m) => m,
        Err(why) => {
            let msg = format!("cannot mount a 2 MiB tmpfs for the disk-full test: {why}");
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
            eprintln!("SKIPPED (not under CI=true): {msg}");
            return;
        }
    };
    let file = mnt.0.join("a.sqlite");
    // Small: one instance's database list. Big: the whole demo (~15 MB stored).
    let mut small = demo();
    small.instances.truncate(1);
    small.instances[0]
        .tables
        .retain(|name, _| name == catalog::DATABASES);
    small.instances[0].name = "SMALL".into();
    let big = copies("big", 1);
    let (ps, pb) = (dir.path("small.json"), dir.path("big.json"));
    write_snapshot(&ps, &small);
    write_snapshot(&pb, &big);

    let out = import(&[&ps, &pb], &file);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("imported") && err.contains("small.json"),
        "{err}"
    );
    assert!(
        err.contains(&file.display().to_string()) && err.contains("the disk is full"),
        "{err}"
    );
    assert!(
        err.contains("big.json"),
        "names the file it was importing: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let a = open_store(&file).expect("the archive opens on the full disk");
    assert_eq!(a.integrity_check().unwrap(), vec!["ok".to_string()]);
    let stored: std::collections::HashMap<String, u64> = a
        .instances()
        .unwrap()
        .into_iter()
        .map(|i| (i.name, i.backup_sets))
        .collect();
    assert_eq!(stored.len(), 1, "only the small import: {stored:?}");
    assert!(stored.contains_key("SMALL"));
    assert_eq!(a.export().unwrap().instances, small.instances);
    assert!(backup_sets_of(&big).values().all(|n| *n > 0));
}
