//! The wizard's state on disk (`<data dir>/wizard.json`), so a restore
//! stopped at log 137 of 400 is offered again after a restart. Saving and
//! removing are [`FileOp`]s the runner carries out (through a temporary
//! file and a rename, so a crash never leaves half a file).

use std::path::{Path, PathBuf};

use super::Wizard;
use crate::app::effect::{FileOp, FilePurpose};

const FILE: &str = "wizard.json";

pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The write that saves `wizard` in `dir`.
pub fn save(dir: &Path, wizard: &Wizard) -> Result<FileOp, String> {
    let text = serde_json::to_string_pretty(wizard).map_err(|e| e.to_string())?;
    Ok(FileOp {
        path: path(dir),
        text: Some(text),
        purpose: FilePurpose::WizardState,
    })
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

/// The removal of the saved state (a missing file is fine).
pub fn remove(dir: &Path) -> FileOp {
    FileOp {
        path: path(dir),
        text: None,
        purpose: FilePurpose::WizardState,
    }
}
