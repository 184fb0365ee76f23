//! SQL Server's own records inside the MTF blocks (reverse-engineered; see
//! ../shared/backup-headers.md §2): the RAID stream of TAPE, the SSET and
//! VOLB fields SQL Server fills, and the SCIN backup-set record of MQCI.

use chrono::NaiveDateTime;
use uuid::Uuid;

use super::mtf::{self, u16_at, u32_at, u64_at, Dblk};
use super::{HeaderError, Refusal};
use crate::model::{BackupType, Lsn};

/// SQL Server major versions whose SCIN layout is known (2008 R2 and 2016
/// sampled; 2017–2025 LSN offsets corroborated elsewhere).
pub const KNOWN_MAJOR_VERSIONS: std::ops::RangeInclusive<u8> = 10..=17;

fn layout(msg: impl Into<String>) -> HeaderError {
    HeaderError::new(Refusal::UnknownLayout, msg)
}

fn guid_at(b: &[u8], at: usize) -> Option<Uuid> {
    let bytes: [u8; 16] = b.get(at..at.checked_add(16)?)?.try_into().ok()?;
    Some(Uuid::from_bytes_le(bytes))
}

/// A 10-byte LSN: u32 VLF, u32 block, u16 slot. `Err` when the parts do not
/// fit the decimal encoding (a sign of a layout we do not know).
fn lsn_at(b: &[u8], at: usize) -> Result<Lsn, HeaderError> {
    let (Some(vlf), Some(block), Some(slot)) =
        (u32_at(b, at), u32_at(b, at + 4), u16_at(b, at + 8))
    else {
        return Err(layout(format!("record too short for an LSN at +{at:#x}")));
    };
    if block >= 100_000 {
        return Err(layout(format!(
            "LSN at +{at:#x} has block {block} (≥ 100000): not an LSN"
        )));
    }
    let v =
        u128::from(vlf) * 1_000_000_000_000_000 + u128::from(block) * 100_000 + u128::from(slot);
    Lsn::new(v).ok_or_else(|| layout(format!("LSN at +{at:#x} out of range")))
}

/// What the TAPE block and its RAID stream say about the media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tape {
    pub media_family_id: u32,
    pub media_sequence_number: u16,
    /// Physical block size in bytes (TAPE +0x40 × 512).
    pub block_size: usize,
    pub software_name: Option<String>,
    pub media_name: Option<String>,
    pub media_description: Option<String>,
    pub media_set_guid: Uuid,
    pub family_count: u16,
    pub family_sequence_number: u16,
}

pub fn tape(buf: &[u8], b: &Dblk) -> Result<Tape, HeaderError> {
    let o = b.offset;
    let streams = mtf::streams(buf, b)
        .map_err(|e| HeaderError::new(Refusal::Checksum, format!("TAPE block streams: {e:?}")))?;
    let raid = streams
        .iter()
        .find(|s| &s.id == b"RAID")
        .ok_or_else(|| layout("TAPE block has no RAID stream (not written by SQL Server?)"))?;
    let d = raid.data;
    if raid.len < 0x1a || u32_at(buf, d + 0x10) != Some(0xF000_00AD) {
        return Err(layout("RAID stream without the 0xF00000AD marker"));
    }
    let soft = usize::from(u16_at(buf, o + 0x40).unwrap_or(0));
    if !(1..=256).contains(&soft) {
        return Err(layout(format!(
            "TAPE soft filemark block size {soft} × 512 is not a known block size"
        )));
    }
    Ok(Tape {
        media_family_id: u32_at(buf, o + 0x34).unwrap_or(0),
        media_sequence_number: u16_at(buf, o + 0x3c).unwrap_or(0),
        block_size: soft * 512,
        media_name: mtf::utf16_at(buf, o, o + 0x44),
        media_description: mtf::utf16_at(buf, o, o + 0x48),
        software_name: mtf::utf16_at(buf, o, o + 0x50),
        media_set_guid: guid_at(buf, d).unwrap_or_default(),
        family_count: u16_at(buf, d + 0x14).unwrap_or(0),
        family_sequence_number: u16_at(buf, d + 0x18).unwrap_or(0),
    })
}

/// SQL Server's fields of the SSET block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sset {
    pub attributes: u32,
    pub position: u16,
    pub backup_name: Option<String>,
    pub description: Option<String>,
    pub user_name: Option<String>,
    pub software_major: u8,
    /// 15-minute units; `None` for 127 (unknown) or out of range.
    pub time_zone: Option<i8>,
    pub backup_set_guid: Uuid,
    pub password_encryption: u16,
    pub software_compression: u16,
}

pub fn sset(buf: &[u8], b: &Dblk) -> Result<Sset, HeaderError> {
    let o = b.offset;
    let attributes = u32_at(buf, o + 0x34).ok_or_else(|| layout("SSET truncated"))?;
    let tz = buf.get(o + 0x5f).map(|x| *x as i8);
    // The BackupSetGUID opens the OS-specific data (21 bytes).
    let (os_size, os_off) = b
        .os_data
        .ok_or_else(|| layout("SSET has no OS-specific data (no backup set GUID)"))?;
    if os_size < 16 {
        return Err(layout(format!(
            "SSET OS-specific data is {os_size} bytes, expected 21"
        )));
    }
    let backup_set_guid = guid_at(buf, o + usize::from(os_off))
        .ok_or_else(|| layout("SSET OS-specific data past the buffer"))?;
    Ok(Sset {
        attributes,
        password_encryption: u16_at(buf, o + 0x38).unwrap_or(0),
        software_compression: u16_at(buf, o + 0x3a).unwrap_or(0),
        position: u16_at(buf, o + 0x3e).unwrap_or(0),
        backup_name: mtf::utf16_at(buf, o, o + 0x40),
        description: mtf::utf16_at(buf, o, o + 0x44),
        user_name: mtf::utf16_at(buf, o, o + 0x4c),
        software_major: buf.get(o + 0x5d).copied().unwrap_or(0),
        time_zone: tz.filter(|t| (-64..=64).contains(t)),
        backup_set_guid,
    })
}

/// VOLB: the machine name.
pub fn volb_machine(buf: &[u8], b: &Dblk) -> Option<String> {
    mtf::utf16_at(buf, b.offset, b.offset + 0x40)
}

/// The SCIN record, from the start of the MQCI stream of an MSCI or MSLS block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scin {
    pub raw: Vec<u8>,
    pub flags: u32,
    pub software_build: u16,
    pub software_minor: u8,
    pub software_major: u8,
    pub first_lsn: Lsn,
    pub last_lsn: Lsn,
    pub checkpoint_lsn: Lsn,
    pub database_backup_lsn: Lsn,
    pub database_creation_date: Option<NaiveDateTime>,
    pub backup_start_date: NaiveDateTime,
    pub backup_finish_date: Option<NaiveDateTime>,
    pub backup_type: BackupType,
    pub compatibility_level: u8,
    pub database_version: u16,
    pub backup_size: u64,
    pub database_name: String,
    pub server_name: Option<String>,
    pub database_guid: Uuid,
    pub recovery_fork_guid: Uuid,
    /// Fork stack [1]: (fork-point LSN, previous fork GUID), when the database forked.
    pub previous_fork: Option<(Lsn, Uuid)>,
    pub family_guid: Uuid,
    pub status: u16,
    pub differential_base_lsn: Option<Lsn>,
    pub differential_base_guid: Option<Uuid>,
}

impl Scin {
    pub fn is_copy_only(&self) -> bool {
        self.flags & 0x400 != 0
    }

    /// The trailing copy describes the same backup: same type, database,
    /// server, start date and lineage. (LSNs may differ: on 2016 RTM and
    /// later versions the leading copy can hold provisional LSNs.)
    pub fn same_backup_as(&self, other: &Scin) -> bool {
        self.backup_type == other.backup_type
            && self.backup_start_date == other.backup_start_date
            && self.database_name == other.database_name
            && self.server_name == other.server_name
            && self.database_guid == other.database_guid
            && self.family_guid == other.family_guid
            && self.database_backup_lsn == other.database_backup_lsn
    }

    /// Both copies carry the same LSNs and differential base.
    pub fn same_lsns_as(&self, other: &Scin) -> bool {
        self.first_lsn == other.first_lsn
            && self.last_lsn == other.last_lsn
            && self.checkpoint_lsn == other.checkpoint_lsn
            && self.differential_base_guid == other.differential_base_guid
            && self.differential_base_lsn == other.differential_base_lsn
            && self.recovery_fork_guid == other.recovery_fork_guid
            && self.previous_fork == other.previous_fork
    }
}

/// Finds the MQCI stream of a block and parses its SCIN record.
pub fn scin_of_block(buf: &[u8], b: &Dblk) -> Result<Scin, HeaderError> {
    let streams = mtf::streams(buf, b).map_err(|e| match e {
        mtf::StreamError::Truncated => HeaderError::new(
            Refusal::Truncated,
            format!("{} block at {:#x}: streams cut off", b.kind_str(), b.offset),
        ),
        mtf::StreamError::Checksum(at) => HeaderError::new(
            Refusal::Checksum,
            format!("stream header checksum fails at {at:#x}"),
        ),
    })?;
    let mqci = streams
        .iter()
        .find(|s| &s.id == b"MQCI")
        .ok_or_else(|| layout(format!("{} block has no MQCI stream", b.kind_str())))?;
    if mqci.encryption != 0 {
        return Err(HeaderError::new(
            Refusal::Encrypted,
            format!(
                "MQCI stream is encrypted (algorithm {}): cannot be read without the key",
                mqci.encryption
            ),
        ));
    }
    if mqci.compression != 0 {
        return Err(layout(format!(
            "MQCI stream uses MTF compression {}: not a layout SQL Server was seen to write",
            mqci.compression
        )));
    }
    let d = mqci.data;
    if buf.get(d..d + 4) != Some(b"SCIN".as_slice()) {
        return Err(layout("MQCI stream does not start with a SCIN record"));
    }
    let len = u32_at(buf, d + 4).unwrap_or(0) as usize;
    if !(0x150..=0x4000).contains(&len) {
        return Err(layout(format!("SCIN record length {len} is not plausible")));
    }
    let rec = buf.get(d..d + len).ok_or_else(|| {
        HeaderError::new(Refusal::Truncated, "SCIN record runs past the bytes read")
    })?;
    parse_scin(rec)
}

pub fn parse_scin(r: &[u8]) -> Result<Scin, HeaderError> {
    if r.len() < 0x150 || r.get(..4) != Some(b"SCIN".as_slice()) {
        return Err(layout(format!("not a SCIN record ({} bytes)", r.len())));
    }
    let software_major = r[0x1b];
    if !KNOWN_MAJOR_VERSIONS.contains(&software_major) {
        return Err(layout(format!(
            "SQL Server major version {software_major}: record layout not verified (known: 10–17)"
        )));
    }
    let type_char = r[0x57] as char;
    let backup_type = BackupType::from_code(&type_char.to_string()).ok_or_else(|| {
        layout(format!(
            "backup type byte {:#04x} is not D/I/L/F/G/P/Q",
            r[0x57]
        ))
    })?;
    let date = |at: usize, what: &str| {
        mtf::packed_date(r, at).map_err(|_| layout(format!("{what} at +{at:#x} is not a date")))
    };
    let backup_start_date =
        date(0x4d, "backup start date")?.ok_or_else(|| layout("backup start date is zero"))?;
    let database_name = mtf::utf16_at(r, 0, 0x68)
        .ok_or_else(|| layout("database name address outside the record"))?;
    let guid = |at: usize| guid_at(r, at).ok_or_else(|| layout("record too short"));
    let previous_fork = {
        let l = lsn_at(r, 0xac)?;
        let g = guid(0xac + 12)?;
        (l != Lsn::ZERO || !g.is_nil()).then_some((l, g))
    };
    let differential_base_lsn = Some(lsn_at(r, 0x104)?).filter(|l| *l != Lsn::ZERO);
    let differential_base_guid = Some(guid(0x110)?).filter(|g| !g.is_nil());
    Ok(Scin {
        flags: u32_at(r, 0x08).unwrap_or(0),
        software_build: u16_at(r, 0x18).unwrap_or(0),
        software_minor: r[0x1a],
        software_major,
        first_lsn: lsn_at(r, 0x20)?,
        last_lsn: lsn_at(r, 0x2a)?,
        checkpoint_lsn: lsn_at(r, 0x34)?,
        database_backup_lsn: lsn_at(r, 0x3e)?,
        database_creation_date: date(0x48, "database creation date")?,
        backup_start_date,
        backup_finish_date: date(0x52, "backup finish date")?,
        backup_type,
        compatibility_level: r[0x5b],
        database_version: u16_at(r, 0x5e).unwrap_or(0),
        backup_size: u64_at(r, 0x60).unwrap_or(0),
        database_name,
        server_name: mtf::utf16_at(r, 0, 0x6c),
        database_guid: guid(0x7c)?,
        recovery_fork_guid: guid(0x90 + 12)?,
        previous_fork,
        family_guid: guid(0xe0)?,
        status: u16_at(r, 0xf4).unwrap_or(0),
        differential_base_lsn,
        differential_base_guid,
        raw: r.to_vec(),
    })
}
