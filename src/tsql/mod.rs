//! The only place that writes T-SQL meant to change a server: scripts are
//! built as batches (`script`), quoted per shared/domain.md §6.4 (`quote`),
//! and can be read back by our own tokenizer (`lex`).

pub mod lex;
mod managed;
mod quote;
pub mod remedy;
mod restore;
mod script;
mod stretch;

pub use managed::backup_on_demand;
pub use quote::{
    block_comment_safe, comment_safe, quote_ident, quote_string, script_ident, script_string,
    sqlcmd_safe, try_quote_string, QuoteError,
};
pub use restore::{restore_batches, restore_script, RestoreOptions, StopMark, TailLog};
pub use script::{Batch, BatchKind, Script};
pub use stretch::{reauthorize_batch, reconcile_batch, Reauthorize, RETIREMENT, WITH_COPY_HELP};
