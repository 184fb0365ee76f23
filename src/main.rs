//! The `chainwatch` binary: parse the command line, then either run a
//! non-interactive command or open the console.

use std::process::ExitCode;

use clap::Parser;

use chainwatch::cli::{run_command, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(code) = run_command(&cli) {
        return code;
    }
    match chainwatch::cli::open_console(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chainwatch: {e:#}");
            ExitCode::from(1)
        }
    }
}
