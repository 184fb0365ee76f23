//! Microsoft Tape Format framing: descriptor blocks (DBLK), streams, dates.
//!
//! Only documented MTF 1.00a structures live here. Every block and stream
//! header is accepted only when its XOR checksum holds.

use chrono::{NaiveDate, NaiveDateTime};

/// Size of the common block header.
pub const DBLK_LEN: usize = 52;
/// Size of a stream header.
pub const STREAM_LEN: usize = 22;
/// Blocks sit on 512-byte boundaries in every layout seen.
pub const ALIGN: usize = 512;

/// Block types MTF and SQL Server write.
pub const KNOWN_BLOCKS: &[&[u8; 4]] = &[
    b"TAPE", b"SSET", b"VOLB", b"DIRB", b"FILE", b"CFIL", b"ESPB", b"ESET", b"EOTM", b"SFMB",
    b"MSCI", b"MSDA", b"MSTL", b"MSLS",
];

pub fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// XOR of the little-endian u16 words of `bytes`.
fn xor_words(bytes: &[u8]) -> u16 {
    bytes
        .chunks_exact(2)
        .fold(0u16, |acc, w| acc ^ u16::from_le_bytes([w[0], w[1]]))
}

/// A descriptor block header found at `offset` of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dblk {
    pub offset: usize,
    pub kind: [u8; 4],
    pub attributes: u32,
    pub first_event: u16,
    pub os_data: Option<(u16, u16)>,
    pub logical_address: u64,
}

impl Dblk {
    pub fn kind_str(&self) -> &str {
        std::str::from_utf8(&self.kind).unwrap_or("????")
    }
}

/// Parses a block header at `offset` when its type is known and its
/// checksum (XOR of the first 25 words, stored in word 25) holds.
pub fn dblk_at(buf: &[u8], offset: usize) -> Option<Dblk> {
    let h = buf.get(offset..offset.checked_add(DBLK_LEN)?)?;
    let kind: [u8; 4] = h[0..4].try_into().ok()?;
    if !KNOWN_BLOCKS.contains(&&kind) {
        return None;
    }
    if xor_words(&h[..50]) != u16_at(h, 50)? {
        return None;
    }
    let os_size = u16_at(h, 44)?;
    let os_off = u16_at(h, 46)?;
    Some(Dblk {
        offset,
        kind,
        attributes: u32_at(h, 4)?,
        first_event: u16_at(h, 8)?,
        os_data: (os_size != 0).then_some((os_size, os_off)),
        logical_address: u64_at(h, 20)?,
    })
}

/// All valid blocks of a buffer at 512-byte steps, in order.
pub fn blocks(buf: &[u8]) -> Vec<Dblk> {
    (0..buf.len())
        .step_by(ALIGN)
        .filter_map(|off| dblk_at(buf, off))
        .collect()
}

/// One stream of a block: its id, header flags and where its data lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    pub id: [u8; 4],
    pub encryption: u16,
    pub compression: u16,
    /// Absolute offset of the data in the buffer.
    pub data: usize,
    pub len: u64,
}

/// Why a stream chain could not be walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamError {
    /// The buffer ended inside a stream header.
    Truncated,
    /// A stream header's checksum failed.
    Checksum(usize),
}

/// The streams of a block, up to and including SPAD (or the buffer's end).
pub fn streams(buf: &[u8], block: &Dblk) -> Result<Vec<Stream>, StreamError> {
    let mut out = Vec::new();
    let mut at = block
        .offset
        .checked_add(usize::from(block.first_event))
        .ok_or(StreamError::Truncated)?;
    for _ in 0..64 {
        let Some(h) = at.checked_add(STREAM_LEN).and_then(|end| buf.get(at..end)) else {
            return Err(StreamError::Truncated);
        };
        if xor_words(&h[..20]) != u16_at(h, 20).unwrap_or(0) {
            return Err(StreamError::Checksum(at));
        }
        let id: [u8; 4] = h[0..4].try_into().map_err(|_| StreamError::Truncated)?;
        let len = u64_at(h, 8).unwrap_or(0);
        let data = at + STREAM_LEN;
        out.push(Stream {
            id,
            encryption: u16_at(h, 16).unwrap_or(0),
            compression: u16_at(h, 18).unwrap_or(0),
            data,
            len,
        });
        if &id == b"SPAD" {
            break;
        }
        let next = usize::try_from(len)
            .ok()
            .and_then(|l| data.checked_add(l))
            .and_then(|e| e.checked_add(3))
            .map(|e| e & !3)
            .ok_or(StreamError::Truncated)?;
        if next >= buf.len() {
            break;
        }
        at = next;
    }
    Ok(out)
}

/// An MTF_TAPE_ADDRESS string (`size`, `offset` from `base`) as UTF-16LE.
pub fn utf16_at(buf: &[u8], base: usize, addr_at: usize) -> Option<String> {
    let size = usize::from(u16_at(buf, addr_at)?);
    let off = usize::from(u16_at(buf, addr_at + 2)?);
    if size == 0 {
        return None;
    }
    let start = base.checked_add(off)?;
    let bytes = buf.get(start..start.checked_add(size)?)?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|w| u16::from_le_bytes([w[0], w[1]]))
        .collect();
    let s = String::from_utf16(&units).ok()?;
    let s = s.trim_end_matches('\0').to_string();
    (!s.is_empty()).then_some(s)
}

/// The 5-byte MTF date: big-endian 14-bit year, then month, day, hour,
/// minute and second in 4/5/5/6/6 bits. All zero means "no date".
/// Why a packed date was not a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadDate;

pub fn packed_date(buf: &[u8], at: usize) -> Result<Option<NaiveDateTime>, BadDate> {
    let b = buf
        .get(at..at.checked_add(5).ok_or(BadDate)?)
        .ok_or(BadDate)?;
    let v = b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
    if v == 0 {
        return Ok(None);
    }
    let year = (v >> 26) as i32;
    let month = ((v >> 22) & 0xf) as u32;
    let day = ((v >> 17) & 0x1f) as u32;
    let hour = ((v >> 12) & 0x1f) as u32;
    let minute = ((v >> 6) & 0x3f) as u32;
    let second = (v & 0x3f) as u32;
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(hour, minute, second))
        .map(Some)
        .ok_or(BadDate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_date_decodes_documented_layout() {
        // 2019-05-02 21:00:55
        let v: u64 = (2019 << 26) | (5 << 22) | (2 << 17) | (21 << 12) | 55;
        let b = v.to_be_bytes();
        let d = packed_date(&b[3..], 0).unwrap().unwrap();
        assert_eq!(d.to_string(), "2019-05-02 21:00:55");
        assert_eq!(packed_date(&[0; 5], 0), Ok(None));
        assert!(packed_date(&[0xff; 5], 0).is_err());
    }

    #[test]
    fn dblk_needs_a_valid_checksum() {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"TAPE");
        assert!(dblk_at(&b, 0).is_none() || xor_words(&b[..50]) == 0);
        let x = xor_words(&b[..50]);
        b[50..52].copy_from_slice(&x.to_le_bytes());
        assert!(dblk_at(&b, 0).is_some());
        b[10] ^= 1;
        assert!(dblk_at(&b, 0).is_none());
    }
}
