//! The only place that writes T-SQL meant to change a server.

mod quote;
mod restore;

pub use quote::{comment_safe, quote_ident, quote_string, QuoteError};
pub use restore::{restore_script, RestoreOptions};
