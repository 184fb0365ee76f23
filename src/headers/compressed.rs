//! The compressed container (`MSSQLBAK` + XPRESS records), rebuilt into the
//! MTF stream it wraps (backup-headers.md §8). Every record must decompress
//! and every rebuilt block must pass its checksum, or the file is refused.

use super::mtf::{self, u16_at, u32_at};
use super::{HeaderError, Refusal};

pub const MAGIC: &[u8; 8] = b"MSSQLBAK";
/// The first record follows a 0x1e0-byte container header.
const FIRST_RECORD: usize = 0x1e0;
const RECORD_HEADER: usize = 28;
/// Stop rebuilding the head once this much MTF stream is available.
const HEAD_LIMIT: usize = 512 * 1024;

fn unverified(msg: impl Into<String>) -> HeaderError {
    HeaderError::new(Refusal::CompressedUnverified, msg)
}

/// A record header at `p`: (uncompressed bytes, compressed bytes).
fn record_at(buf: &[u8], p: usize) -> Option<(usize, usize)> {
    let h = buf.get(p..p.checked_add(RECORD_HEADER)?)?;
    if h[0] != 0x21 || u32_at(h, 0x14) != Some(0) {
        return None;
    }
    let units = usize::from(h[1]);
    let comp = usize::from(u16_at(h, 2)?);
    if units == 0 || units > 128 || comp < 256 {
        return None;
    }
    Some((units * 512, comp))
}

/// Decompresses one record; the XPRESS bit stream reads 4 bytes past the
/// payload (into the next record), so those are passed too when present.
fn decode(buf: &[u8], p: usize, out_len: usize, comp: usize) -> Option<Vec<u8>> {
    let start = p + RECORD_HEADER;
    let end = start.checked_add(comp)?;
    if end > buf.len() {
        return None;
    }
    let with_overlap = (end + 4).min(buf.len());
    let out = xpress_huffman::decompress(&buf[start..with_overlap], out_len).ok()?;
    (out.len() == out_len).then_some(out)
}

/// Rebuilds the start of the MTF stream from the head of a container.
pub fn rebuild_head(buf: &[u8]) -> Result<Vec<u8>, HeaderError> {
    if buf.len() < FIRST_RECORD + RECORD_HEADER {
        return Err(HeaderError::new(
            Refusal::Truncated,
            "compressed container shorter than its header",
        ));
    }
    let (v1, v2) = (u32_at(buf, 8), u32_at(buf, 12));
    if (v1, v2) != (Some(2), Some(3)) {
        return Err(unverified(format!(
            "compressed container version {v1:?}/{v2:?}: only 2/3 was verified"
        )));
    }
    let mut out = Vec::new();
    let mut block_size = 512;
    let mut p = FIRST_RECORD;
    while out.len() < HEAD_LIMIT && p < buf.len() {
        if let Some((n, comp)) = record_at(buf, p) {
            match decode(buf, p, n, comp) {
                Some(bytes) => {
                    if out.is_empty() {
                        let tape = mtf::dblk_at(&bytes, 0).filter(|b| &b.kind == b"TAPE");
                        let Some(_) = tape else {
                            return Err(unverified(
                                "first compressed record does not decode to a TAPE block",
                            ));
                        };
                        let soft = usize::from(u16_at(&bytes, 0x40).unwrap_or(1)).max(1);
                        block_size = soft * 512;
                    }
                    out.extend_from_slice(&bytes);
                    p += RECORD_HEADER + comp;
                    continue;
                }
                None if p + RECORD_HEADER + comp + 4 > buf.len() => break, // cut by the read
                None => {
                    return Err(unverified(format!(
                        "XPRESS record at container offset {p:#x} does not decompress"
                    )))
                }
            }
        }
        if out.is_empty() {
            return Err(unverified(format!(
                "no XPRESS record at container offset {p:#x}"
            )));
        }
        // Zero padding, then a raw (uncompressed) MTF block on a 512-byte boundary.
        // The last record's bit stream runs 4 bytes on; then zero padding.
        let pad_from = (p + 4).min(buf.len());
        let next = pad_from.div_ceil(512) * 512;
        if buf[pad_from..next.min(buf.len())].iter().any(|b| *b != 0) {
            return Err(unverified(format!(
                "unexpected bytes at container offset {p:#x}"
            )));
        }
        let mut q = next;
        while q < buf.len() && mtf::dblk_at(buf, q).is_none() && record_at(buf, q).is_none() {
            if buf[q..(q + 512).min(buf.len())].iter().any(|b| *b != 0) {
                return Err(unverified(format!(
                    "unexpected bytes at container offset {q:#x}"
                )));
            }
            q += 512;
        }
        if q >= buf.len() {
            break;
        }
        if mtf::dblk_at(buf, q).is_some() {
            let end = (q + block_size).min(buf.len());
            out.extend_from_slice(&buf[q..end]);
            p = end;
        } else {
            p = q;
        }
    }
    Ok(out)
}

/// Finds the last MSLS block among the records of a tail read, and returns
/// the decompressed bytes with the block's offset in them.
pub fn find_tail_msls(buf: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut found = None;
    for p in 0..buf.len().saturating_sub(RECORD_HEADER) {
        let Some((n, comp)) = record_at(buf, p) else {
            continue;
        };
        let Some(bytes) = decode(buf, p, n, comp) else {
            continue;
        };
        if let Some(b) = mtf::blocks(&bytes)
            .into_iter()
            .rfind(|b| &b.kind == b"MSLS")
        {
            found = Some((bytes, b.offset));
        }
    }
    found
}
