//! The "back up now" box: what is typed and where the backup stands.

use crate::tsql::Batch;

/// Where the on-demand backup stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnDemandState {
    /// Waiting for the typed name.
    Typing,
    Running,
    Done,
    /// Refused or failed, with why.
    Stopped(String),
}

/// The open "back up now" box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnDemand {
    pub instance: String,
    pub database: String,
    pub batch: Batch,
    pub typed: String,
    pub state: OnDemandState,
    /// Server messages (the procedure returns the blob path in one).
    pub log: Vec<String>,
}
