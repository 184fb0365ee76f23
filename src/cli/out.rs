//! Command output on stdout. `println!` panics when the reader has gone
//! away (`chainwatch check | head -1`); these end the command quietly
//! instead, as a Unix tool killed by SIGPIPE would (exit status 141).

use std::fmt;
use std::io::{self, Write};

/// Exit status of a command whose output pipe closed (128 + SIGPIPE).
pub const CLOSED_PIPE_EXIT: i32 = 141;

/// Writes formatted text to stdout; a closed pipe ends the process quietly,
/// another write error ends it with a message naming the error.
pub fn write(args: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        fail(e);
    }
}

/// Flushes stdout with the same rules (buffered output is written at exit
/// otherwise, where errors would be lost).
pub fn flush() {
    if let Err(e) = io::stdout().lock().flush() {
        fail(e);
    }
}

fn fail(e: io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(CLOSED_PIPE_EXIT);
    }
    eprintln!("chainwatch: cannot write the output: {e}");
    std::process::exit(1);
}
