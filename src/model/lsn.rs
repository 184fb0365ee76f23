//! Log sequence numbers: `numeric(25,0)` in msdb, kept exact as a `u128`.

use std::fmt;
use std::str::FromStr;

/// The largest value a `numeric(25,0)` column can hold.
const MAX_LSN: u128 = 10u128.pow(25) - 1;
const VLF_FACTOR: u128 = 1_000_000_000_000_000; // 10^15
const BLOCK_FACTOR: u128 = 100_000; // 10^5

/// A SQL Server log sequence number.
///
/// LSNs are compared, never added or subtracted: the decimal value encodes
/// `vlf * 10^15 + block * 10^5 + slot`, so differences have no meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(u128);

/// Why a text was not an LSN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LsnError {
    #[error("empty LSN")]
    Empty,
    #[error("LSN {0:?} contains a character that is not a decimal digit")]
    NotDigits(String),
    #[error("LSN {0:?} has more than 25 digits (numeric(25,0))")]
    TooLong(String),
    #[error("LSN {0:?} is not in the vlf:block:slot hex form")]
    BadHexForm(String),
    #[error("LSN {0:?}: a hex part is out of range (block < 100000, slot < 100000)")]
    HexOutOfRange(String),
}

impl Lsn {
    /// The zero LSN (used by msdb for "none").
    pub const ZERO: Lsn = Lsn(0);

    /// Builds an LSN from its integer value; `None` above 25 digits.
    pub fn new(value: u128) -> Option<Lsn> {
        (value <= MAX_LSN).then_some(Lsn(value))
    }

    pub fn value(self) -> u128 {
        self.0
    }

    /// Parses the decimal digits of a `numeric(25,0)` (a trailing `.0` from
    /// drivers that print scale-0 numerics is accepted).
    pub fn parse_decimal(text: &str) -> Result<Lsn, LsnError> {
        let trimmed = text.trim();
        let digits = trimmed.strip_suffix(".0").unwrap_or(trimmed);
        if digits.is_empty() {
            return Err(LsnError::Empty);
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LsnError::NotDigits(text.to_string()));
        }
        let significant = digits.trim_start_matches('0');
        if significant.len() > 25 {
            return Err(LsnError::TooLong(text.to_string()));
        }
        let mut value: u128 = 0;
        for b in significant.bytes() {
            value = value * 10 + u128::from(b - b'0');
        }
        Ok(Lsn(value))
    }

    /// Parses the `vlf:block:slot` hex form used by `sys.dm_db_log_stats`
    /// and `fn_dblog` (e.g. `0000002a:000001b8:0001`).
    pub fn parse_hex_form(text: &str) -> Result<Lsn, LsnError> {
        let bad = || LsnError::BadHexForm(text.to_string());
        let mut parts = text.trim().split(':');
        let (Some(vlf), Some(block), Some(slot), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let hex = |p: &str, max_len: usize| -> Result<u128, LsnError> {
            if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            u128::from_str_radix(p, 16).map_err(|_| bad())
        };
        let (vlf, block, slot) = (hex(vlf, 8)?, hex(block, 8)?, hex(slot, 4)?);
        if block >= VLF_FACTOR / BLOCK_FACTOR || slot >= BLOCK_FACTOR {
            return Err(LsnError::HexOutOfRange(text.to_string()));
        }
        Ok(Lsn(vlf * VLF_FACTOR + block * BLOCK_FACTOR + slot))
    }

    /// Parses either form: decimal digits or `vlf:block:slot` hex.
    pub fn parse_any(text: &str) -> Result<Lsn, LsnError> {
        if text.contains(':') {
            Lsn::parse_hex_form(text)
        } else {
            Lsn::parse_decimal(text)
        }
    }

    /// The `vlf:block:slot` hex form, zero-padded to 8:8:4 digits.
    pub fn to_hex_form(self) -> String {
        let vlf = self.0 / VLF_FACTOR;
        let block = (self.0 % VLF_FACTOR) / BLOCK_FACTOR;
        let slot = self.0 % BLOCK_FACTOR;
        format!("{vlf:08x}:{block:08x}:{slot:04x}")
    }

    /// The VLF sequence number part of the decimal encoding.
    pub fn vlf(self) -> u128 {
        self.0 / VLF_FACTOR
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Lsn {
    type Err = LsnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lsn::parse_any(s)
    }
}

impl serde::Serialize for Lsn {
    /// Always a string: JSON consumers must not read LSNs through doubles.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Lsn {
    /// The string form [`Serialize`](serde::Serialize) writes (digits or
    /// `vlf:block:slot`), for state chainwatch saves itself. Snapshots are
    /// read through `catalog::Row`, which also takes 25-digit numbers.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_form_round_trips_through_serde() {
        let lsn = Lsn::parse_decimal("9999999999999999999999999").unwrap();
        let json = serde_json::to_string(&lsn).unwrap();
        assert_eq!(json, "\"9999999999999999999999999\"");
        assert_eq!(serde_json::from_str::<Lsn>(&json).unwrap(), lsn);
        assert!(serde_json::from_str::<Lsn>("\"12x\"").is_err());
    }

    #[test]
    fn parses_25_digits_exactly() {
        let lsn = Lsn::parse_decimal("9999999999999999999999999").unwrap();
        assert_eq!(lsn.value(), 10u128.pow(25) - 1);
        assert_eq!(lsn.to_string(), "9999999999999999999999999");
    }

    #[test]
    fn keeps_values_beyond_u64_distinct() {
        let a = Lsn::parse_decimal("17126658000000314200037").unwrap();
        let b = Lsn::parse_decimal("17126658000000314200038").unwrap();
        assert!(a < b);
        assert!(a.value() > u128::from(u64::MAX));
        // Through f64 these two would be equal; as u128 they are not.
        assert_ne!(a, b);
    }

    #[test]
    fn hex_form_round_trips() {
        let lsn = Lsn::parse_decimal("15000000040000037").unwrap();
        // vlf 15, block 400, slot 37.
        assert_eq!(lsn.to_hex_form(), "0000000f:00000190:0025");
        assert_eq!(Lsn::parse_hex_form("0000000f:00000190:0025").unwrap(), lsn);
        assert_eq!(Lsn::parse_any("f:190:25").unwrap(), lsn);
        let big = Lsn::parse_hex_form("ffffffff:ffffffff:ffff").unwrap();
        assert_eq!(big.to_hex_form(), "ffffffff:ffffffff:ffff");
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            "",
            "abc",
            "12a3",
            "-5",
            "1.5",
            "12345678901234567890123456",
            "1:2",
            "g:0:0",
            "1:2:3:4",
            "0:0:186a0",
            "123456789:0:0",
        ] {
            assert!(Lsn::parse_any(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(
            Lsn::parse_decimal("0000000000000000000000000012")
                .unwrap()
                .value(),
            12
        );
        assert_eq!(Lsn::parse_decimal("42.0").unwrap().value(), 42);
    }
}
