//! Truncated, bit-flipped and random inputs never panic the header reader:
//! they parse or are refused with a reason.

use std::path::PathBuf;
use std::sync::OnceLock;

use chainwatch::headers::{read_headers, Refusal};
use proptest::prelude::*;

type Cache = std::sync::Mutex<Vec<(String, &'static [u8])>>;

fn sample(rel: &str) -> &'static [u8] {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut c = cache.lock().unwrap();
    if let Some((_, b)) = c.iter().find(|(r, _)| r == rel) {
        return b;
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/samples")
        .join(rel);
    let bytes: &'static [u8] = Box::leak(std::fs::read(path).unwrap().into_boxed_slice());
    c.push((rel.to_string(), bytes));
    bytes
}

const SMALL_LOG: &str =
    "backups/sql2008-backups/dbOrphanUsers/LOG/SQL2008_dbOrphanUsers_LOG_20170518_041837.trn";
const COMPRESSED: &str = "more/compressed/lsdb-2019.bak";

#[test]
fn samples_in_memory_parse() {
    for rel in [SMALL_LOG, COMPRESSED] {
        let h = read_headers(sample(rel), rel).unwrap();
        assert!(h[0].tail_verified, "{rel}");
    }
}

#[test]
fn empty_and_short_inputs_are_refused() {
    let empty: &[u8] = &[];
    assert_eq!(
        read_headers(empty, "x").unwrap_err().kind,
        Refusal::Truncated
    );
    let short: &[u8] = b"TAPE";
    assert!(read_headers(short, "x").is_err());
    let magic: &[u8] = b"MSSQLBAK";
    assert!(read_headers(magic, "x").is_err());
    let sqb: &[u8] = &[0xa5; 4096];
    assert_eq!(
        read_headers(sqb, "x").unwrap_err().kind,
        Refusal::UnknownFormat
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..20_000), magic in 0u8..3) {
        let mut b = bytes;
        match magic {
            1 if b.len() >= 4 => b[..4].copy_from_slice(b"TAPE"),
            2 if b.len() >= 8 => b[..8].copy_from_slice(b"MSSQLBAK"),
            _ => {}
        }
        let _ = read_headers(b.as_slice(), "random");
    }

    #[test]
    fn truncated_samples_never_panic(cut in 0usize..200_000, compressed in any::<bool>()) {
        let b = sample(if compressed { COMPRESSED } else { SMALL_LOG });
        let cut = cut.min(b.len());
        let _ = read_headers(&b[..cut], "truncated");
        let _ = read_headers(&b[b.len() - cut..], "tail only");
    }

    #[test]
    fn bit_flips_never_panic(flips in proptest::collection::vec((0usize..16_384, 0u8..8), 1..8), compressed in any::<bool>()) {
        let src = sample(if compressed { COMPRESSED } else { SMALL_LOG });
        let mut b = src.to_vec();
        let n = b.len();
        for (at, bit) in flips {
            // Half in the head, half in the tail window.
            let i = if at % 2 == 0 { at % n } else { n - 1 - (at % n) };
            b[i] ^= 1 << bit;
        }
        // A flip is caught by a checksum, or lands where nothing is read.
        match read_headers(b.as_slice(), "flipped") {
            Ok(h) => prop_assert_eq!(h.len(), 1),
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }
}
