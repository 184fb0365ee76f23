//! Fuzz target `snapshot`: runs `chainwatch::fuzzing::check_snapshot`, which panics when a
//! property fails (the same check `tests/analysis/fuzz_corpus.rs` runs on the corpus).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| chainwatch::fuzzing::check_snapshot(data));
