//! The real binary in a real terminal (tmux), in one test binary: the
//! console end to end, and secrets never shown or logged by any command.

#[path = "../support/mod.rs"]
mod support;

mod secrets;
mod tmux;
