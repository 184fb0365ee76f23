//! Passwords in the OS keyring. On Linux this is the kernel's keyutils
//! (through the `linux-keyutils` crate), in the user keyring: it needs no
//! desktop session or D-Bus daemon, so it works on a headless jump host,
//! and it is shared by the user's sessions (an SSH login stores it, a
//! console in tmux reads it). It lives in kernel memory: a reboot empties
//! it. Elsewhere this build has no keyring and the error names the
//! fallbacks (`password_env`, `password_prompt`).
//!
//! keyring-core's keyutils store was tried first; it also links every key
//! into the persistent keyring, which is refused (EACCES) in user
//! namespaces such as containers, so it could not read its own keys there.

use super::Secret;

/// Prefix of every chainwatch key description.
pub const PREFIX: &str = "chainwatch:";

fn fallback(why: String) -> String {
    format!("{why}; use password_env = \"VAR\" or password_prompt = true instead")
}

#[cfg(target_os = "linux")]
mod os {
    use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};

    fn user_keyring() -> Result<KeyRing, String> {
        KeyRing::from_special_id(KeyRingIdentifier::User, true)
            .map_err(|e| format!("the kernel keyring (keyutils) is not usable here: {e:?}"))
    }

    pub fn read(description: &str) -> Result<Option<Vec<u8>>, String> {
        let ring = user_keyring()?;
        match ring.search(description) {
            Ok(key) => key.read_to_vec().map(Some).map_err(|e| format!("{e:?}")),
            Err(KeyError::KeyDoesNotExist) => Ok(None),
            Err(e) => Err(format!("{e:?}")),
        }
    }

    pub fn write(description: &str, secret: &[u8]) -> Result<(), String> {
        // add_key replaces the payload of an existing key of that description.
        user_keyring()?
            .add_key(description, secret)
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }

    pub fn delete(description: &str) -> Result<(), String> {
        let ring = user_keyring()?;
        match ring.search(description) {
            Ok(key) => key.invalidate().map_err(|e| format!("{e:?}")),
            Err(KeyError::KeyDoesNotExist) => Ok(()),
            Err(e) => Err(format!("{e:?}")),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    const NONE: &str = "this build has no OS keyring for this platform";
    pub fn read(_: &str) -> Result<Option<Vec<u8>>, String> {
        Err(NONE.into())
    }
    pub fn write(_: &str, _: &[u8]) -> Result<(), String> {
        Err(NONE.into())
    }
    pub fn delete(_: &str) -> Result<(), String> {
        Err(NONE.into())
    }
}

fn description(entry: &str) -> String {
    format!("{PREFIX}{entry}")
}

/// The password stored under `entry`.
pub fn read(entry: &str) -> Result<Secret, String> {
    match os::read(&description(entry)) {
        Ok(Some(bytes)) => String::from_utf8(bytes)
            .map(Secret::new)
            .map_err(|_| fallback(format!("keyring entry {entry:?} is not UTF-8 text"))),
        Ok(None) => Err(fallback(format!(
            "no password for {entry:?} in the keyring (a reboot empties the kernel keyring): store it with `chainwatch config set-password --instance NAME`"
        ))),
        Err(e) => Err(fallback(format!("keyring entry {entry:?}: {e}"))),
    }
}

/// Stores (or replaces) the password under `entry`.
pub fn write(entry: &str, secret: &Secret) -> Result<(), String> {
    os::write(&description(entry), secret.expose().as_bytes())
        .map_err(|e| fallback(format!("keyring entry {entry:?}: {e}")))
}

/// Removes the entry; a missing entry is not an error.
pub fn delete(entry: &str) -> Result<(), String> {
    os::delete(&description(entry)).map_err(|e| fallback(format!("keyring entry {entry:?}: {e}")))
}
