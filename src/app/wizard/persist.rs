//! The wizard's state on disk (`<data dir>/wizard.json`), so a restore
//! stopped at log 137 of 400 is offered again after a restart. Written
//! through a temporary file and a rename, so a crash never leaves half a file.

use std::path::{Path, PathBuf};

use super::Wizard;

const FILE: &str = "wizard.json";

pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

pub fn save(dir: &Path, wizard: &Wizard) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let text = serde_json::to_string_pretty(wizard).map_err(|e| e.to_string())?;
    let tmp = dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path(dir)).map_err(|e| format!("{}: {e}", path(dir).display()))
}

/// The saved wizard, if any; a file that cannot be read is an error that
/// names it (it is left in place for the operator to look at).
pub fn load(dir: &Path) -> Option<Result<Wizard, String>> {
    let p = path(dir);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(format!("{}: {e}", p.display()))),
    };
    Some(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display())))
}

pub fn remove(dir: &Path) {
    let _ = std::fs::remove_file(path(dir));
}
