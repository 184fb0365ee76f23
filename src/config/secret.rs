//! Secrets that cannot leak through `Debug`, `Display` or serialization.

use std::fmt;

/// A password or token. `Debug` prints `<redacted>`; there is no `Display`
/// and no `Serialize`, so it cannot be written back or logged by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }

    /// The secret itself, for the login packet only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Reads a password from the terminal without echo. Fails (rather than
/// blocking) when stdin is not a terminal, e.g. under cron on a jump host.
pub fn prompt_password(prompt: &str) -> Result<Secret, String> {
    use crossterm::event::{read, Event, KeyCode, KeyEventKind, KeyModifiers};
    use std::io::{IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "{prompt}: no terminal to ask on; set password_env (or CHAINWATCH_PASSWORD for --server)"
        ));
    }
    eprint!("{prompt}: ");
    let _ = std::io::stderr().flush();
    crossterm::terminal::enable_raw_mode().map_err(|e| e.to_string())?;
    let mut out = String::new();
    let result = loop {
        match read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => match k.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err("cancelled".to_string())
                }
                KeyCode::Esc => break Err("cancelled".to_string()),
                KeyCode::Backspace => {
                    out.pop();
                }
                KeyCode::Char(c) => out.push(c),
                _ => {}
            },
            Ok(_) => {}
            Err(e) => break Err(e.to_string()),
        }
    };
    let _ = crossterm::terminal::disable_raw_mode();
    eprintln!();
    result.map(|()| Secret(out))
}
