//! Backup headers read from the backup files themselves, with no SQL Server.
//!
//! A file is read with at most two ranged reads (the first 64 KiB, more only
//! when the block size requires it, and the last 64 KiB), so a blob can be
//! read with two ranged GETs. Layout: ../shared/backup-headers.md.
//!
//! - [`mtf`]: the documented Microsoft Tape Format framing (checksummed);
//! - [`sql`]: SQL Server's records inside it (TAPE/RAID, SSET, VOLB, SCIN);
//! - [`compressed`]: the `MSSQLBAK` + XPRESS container;
//! - [`files`]: walking paths and building a `chainwatch.snapshot.v1`;
//! - [`blob`]: the same reads on blobs, two ranged GETs each;
//! - [`crosscheck`]: headers against msdb history for the same files.
//!
//! Anything outside the known layouts is refused with a reason, never guessed.

pub mod blob;
pub mod compressed;
pub mod crosscheck;
pub mod files;
pub mod mtf;
pub mod sql;

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDateTime;
use serde::{Serialize, Serializer};
use uuid::Uuid;

use crate::model::{BackupType, Lsn};

pub use crosscheck::{cross_check, CrossCheck, Mismatch};
pub use files::{collect_files, read_paths, to_snapshot, FileResult, FilesEstate};

/// Bytes read from the head and from the tail of a file.
pub const WINDOW: usize = 64 * 1024;

/// Random access to the bytes of one backup file or blob.
pub trait ByteSource {
    /// Total size in bytes.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Up to `len` bytes from `offset` (fewer only at the end).
    fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>>;
}

/// A local file, counting what was read.
#[derive(Debug)]
pub struct LocalFile {
    file: std::fs::File,
    len: u64,
    bytes_read: AtomicU64,
    reads: AtomicU64,
}

impl LocalFile {
    pub fn open(path: &Path) -> io::Result<LocalFile> {
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        Ok(LocalFile {
            file,
            len,
            bytes_read: AtomicU64::new(0),
            reads: AtomicU64::new(0),
        })
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

impl ByteSource for LocalFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let len = usize::try_from(self.len.saturating_sub(offset))
            .unwrap_or(usize::MAX)
            .min(len);
        let mut buf = vec![0u8; len];
        read_exact_at(&self.file, &mut buf, offset)?;
        self.bytes_read.fetch_add(len as u64, Ordering::Relaxed);
        self.reads.fetch_add(1, Ordering::Relaxed);
        Ok(buf)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

/// Bytes in memory (tests, fuzzing, already-downloaded blobs).
impl ByteSource for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let end = start.saturating_add(len).min(self.len());
        Ok(self[start..end].to_vec())
    }
}

/// Why a file's header was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    Io,
    Truncated,
    /// Not MTF and not the SQL Server compressed container (third-party tools, encrypted backups, other files).
    UnknownFormat,
    Encrypted,
    UnknownLayout,
    Checksum,
    /// Compressed, and this container could not be verified.
    CompressedUnverified,
}

impl Refusal {
    pub fn label(self) -> &'static str {
        match self {
            Refusal::Io => "cannot read",
            Refusal::Truncated => "truncated",
            Refusal::UnknownFormat => "unknown format",
            Refusal::Encrypted => "encrypted",
            Refusal::UnknownLayout => "unknown layout",
            Refusal::Checksum => "checksum",
            Refusal::CompressedUnverified => "compressed: unverified",
        }
    }
}

/// A refusal with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}: {message}", kind.label())]
pub struct HeaderError {
    pub kind: Refusal,
    pub message: String,
}

impl HeaderError {
    pub fn new(kind: Refusal, message: impl Into<String>) -> HeaderError {
        HeaderError {
            kind,
            message: message.into(),
        }
    }
}

fn ser_type<S: Serializer>(t: &BackupType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.code())
}

fn ser_date<S: Serializer>(d: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.format("%Y-%m-%dT%H:%M:%S").to_string()),
        None => s.serialize_none(),
    }
}

/// One backup set as read from one file (one family of its media set).
/// Field names are msdb.dbo.backupset's; dates are server local time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupHeader {
    pub file: String,
    pub position: u16,
    #[serde(rename = "type", serialize_with = "ser_type")]
    pub backup_type: BackupType,
    pub database_name: String,
    pub server_name: Option<String>,
    pub machine_name: Option<String>,
    pub user_name: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub first_lsn: Lsn,
    pub last_lsn: Lsn,
    pub checkpoint_lsn: Lsn,
    pub database_backup_lsn: Lsn,
    pub differential_base_lsn: Option<Lsn>,
    pub differential_base_guid: Option<Uuid>,
    pub backup_set_uuid: Uuid,
    #[serde(serialize_with = "ser_date")]
    pub backup_start_date: Option<NaiveDateTime>,
    /// From the trailing copy; `None` when the tail was not read or not found.
    #[serde(serialize_with = "ser_date")]
    pub backup_finish_date: Option<NaiveDateTime>,
    /// 15-minute steps east of UTC, as `backupset.time_zone`.
    pub time_zone: Option<i8>,
    pub database_guid: Uuid,
    pub family_guid: Uuid,
    pub recovery_fork_guid: Uuid,
    /// Inferred (backup-headers.md §4): the previous fork when the backup starts before the fork point.
    pub first_recovery_fork_guid: Uuid,
    pub fork_point_lsn: Option<Lsn>,
    /// Fork stack [1] as stored: (fork-point LSN, previous fork GUID).
    pub previous_fork_lsn: Option<Lsn>,
    pub previous_fork_guid: Option<Uuid>,
    pub media_set_guid: Uuid,
    pub family_count: u16,
    pub family_sequence_number: u16,
    pub media_family_id: u32,
    pub software_name: Option<String>,
    pub software_major_version: u8,
    pub software_minor_version: u8,
    pub software_build_version: u16,
    pub database_version: u16,
    pub compatibility_level: u8,
    #[serde(serialize_with = "ser_date")]
    pub database_creation_date: Option<NaiveDateTime>,
    pub backup_size: u64,
    pub is_copy_only: bool,
    pub is_compressed: bool,
    pub flags: u32,
    /// Physical block size in bytes.
    pub block_size: usize,
    /// The trailing copy was found and agrees with the leading one.
    pub tail_verified: bool,
    pub warnings: Vec<String>,
}

impl BackupHeader {
    pub fn software_version(&self) -> String {
        format!(
            "{}.{}.{}",
            self.software_major_version, self.software_minor_version, self.software_build_version
        )
    }
}

/// What one read cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadCost {
    pub bytes: u64,
    pub reads: u64,
}

/// Reads the backup sets of one source (head and tail windows only).
pub fn read_headers(
    src: &(impl ByteSource + ?Sized),
    file: &str,
) -> Result<Vec<BackupHeader>, HeaderError> {
    read_headers_counted(src, file).map(|(h, _)| h)
}

/// As [`read_headers`], also reporting the bytes and reads used.
pub fn read_headers_counted(
    src: &(impl ByteSource + ?Sized),
    file: &str,
) -> Result<(Vec<BackupHeader>, ReadCost), HeaderError> {
    let mut cost = ReadCost::default();
    let mut read = |offset: u64, len: usize| -> Result<Vec<u8>, HeaderError> {
        let b = src
            .read_at(offset, len)
            .map_err(|e| HeaderError::new(Refusal::Io, e.to_string()))?;
        cost.bytes += b.len() as u64;
        cost.reads += 1;
        Ok(b)
    };
    let total = src.len();
    let (offset, len) = head_range(total);
    let mut head = read(offset, len)?;
    if let Some((offset, len)) = more_head_range(total, &head)? {
        let more = read(offset, len)?;
        head.extend_from_slice(&more);
    }
    let tail = match tail_range(total, head.len() as u64) {
        Some((offset, len)) => Some(read(offset, len)?),
        None => None,
    };
    parse_windows(total, &head, tail.as_deref(), file).map(|h| (h, cost))
}

/// The first ranged read: `(offset, len)` of the head window.
///
/// For a blob (or any source read asynchronously), the whole protocol is:
/// read [`head_range`]; if [`more_head_range`] says so, read that and
/// append it; read [`tail_range`] when it is `Some`; then [`parse_windows`].
/// For the files seen so far that is two reads of at most 64 KiB.
pub fn head_range(total: u64) -> (u64, usize) {
    (0, usize::try_from(total).unwrap_or(usize::MAX).min(WINDOW))
}

/// A further head read, when the physical block size puts the MSCI block
/// beyond the first window (large BLOCKSIZE). Refuses files that are
/// neither MTF nor the compressed container from their first bytes.
pub fn more_head_range(total: u64, head: &[u8]) -> Result<Option<(u64, usize)>, HeaderError> {
    if total == 0 || head.is_empty() {
        return Err(HeaderError::new(Refusal::Truncated, "empty file"));
    }
    if head.starts_with(compressed::MAGIC) {
        return Ok(None);
    }
    if !head.starts_with(b"TAPE") {
        return Err(HeaderError::new(
            Refusal::UnknownFormat,
            describe_magic(head),
        ));
    }
    let Some(t) = mtf::dblk_at(head, 0) else {
        return Ok(None);
    };
    let bs = usize::from(mtf::u16_at(head, t.offset + 0x40).unwrap_or(1)) * 512;
    // MSCI is the 5th block; its MQCI stream is a few KiB.
    let need = ((bs * 5).min(8 << 20) as u64).min(total);
    let have = head.len() as u64;
    Ok((need > have).then(|| (have, (need - have) as usize)))
}

/// The tail read, 512-aligned, not overlapping the `head_len` bytes already
/// read; `None` when the head covered the whole file.
pub fn tail_range(total: u64, head_len: u64) -> Option<(u64, usize)> {
    (total > head_len).then(|| {
        let start = (total.saturating_sub(WINDOW as u64) & !511).max(head_len);
        (start, (total - start) as usize)
    })
}

/// Parses the windows read per [`head_range`], [`more_head_range`] and
/// [`tail_range`] (`tail` = `None` when the head covered the file).
pub fn parse_windows(
    total: u64,
    head: &[u8],
    tail: Option<&[u8]>,
    file: &str,
) -> Result<Vec<BackupHeader>, HeaderError> {
    more_head_range(total, head)?;
    let head_len = head.len() as u64;
    // Blocks are found at 512-byte steps, so the tail buffer must start on a
    // 512-byte file offset: when it is contiguous with the head, join them.
    let joined;
    let tail: &[u8] = match (tail, tail_range(total, head_len)) {
        (Some(t), Some((start, _))) if start == head_len => {
            joined = [head, t].concat();
            &joined
        }
        (Some(t), Some(_)) => t,
        (None, None) => head,
        (Some(_), None) | (None, Some(_)) => {
            return Err(HeaderError::new(
                Refusal::Truncated,
                "tail window missing or not where tail_range puts it",
            ))
        }
    };
    if head.starts_with(compressed::MAGIC) {
        let mtf_head = compressed::rebuild_head(head)?;
        let tail_msls = compressed::find_tail_msls(tail);
        parse(
            &mtf_head,
            tail_msls.as_ref().map(|(b, o)| (b.as_slice(), Some(*o))),
            file,
            true,
        )
    } else {
        parse(head, Some((tail, None)), file, false)
    }
}

fn describe_magic(head: &[u8]) -> String {
    let shown: String = head
        .iter()
        .take(8)
        .map(|b| {
            if b.is_ascii_graphic() {
                (*b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect();
    format!(
        "starts with \"{shown}\", not an MTF TAPE block nor the MSSQLBAK container: not a SQL Server \
         native backup (third-party formats such as Redgate SQB or LiteSpeed, and backups made \
         WITH ENCRYPTION, are not read)"
    )
}

fn need<'a>(
    blocks: &'a [mtf::Dblk],
    kind: &[u8; 4],
    after: usize,
    what: &str,
) -> Result<&'a mtf::Dblk, HeaderError> {
    blocks
        .iter()
        .find(|b| &b.kind == kind && b.offset >= after)
        .ok_or_else(|| {
            HeaderError::new(
                Refusal::Truncated,
                format!("no valid {what} block in the bytes read"),
            )
        })
}

/// Parses an MTF head, and the trailing MSLS copy from `tail` when given
/// (`Some(offset)` when the block's offset is already known).
fn parse(
    head: &[u8],
    tail: Option<(&[u8], Option<usize>)>,
    file: &str,
    is_compressed: bool,
) -> Result<Vec<BackupHeader>, HeaderError> {
    let blocks = mtf::blocks(head);
    let tape_block = blocks
        .first()
        .filter(|b| &b.kind == b"TAPE" && b.offset == 0)
        .ok_or_else(|| HeaderError::new(Refusal::Checksum, "TAPE block checksum fails"))?;
    let tape = sql::tape(head, tape_block)?;
    let sset_block = need(&blocks, b"SSET", 0, "SSET")?;
    let sset = sql::sset(head, sset_block)?;
    if sset.password_encryption != 0 {
        return Err(HeaderError::new(
            Refusal::Encrypted,
            format!(
                "SSET password encryption algorithm {}",
                sset.password_encryption
            ),
        ));
    }
    if sset.software_compression != 0 {
        return Err(HeaderError::new(
            Refusal::UnknownLayout,
            format!(
                "SSET software compression algorithm {}",
                sset.software_compression
            ),
        ));
    }
    let volb = blocks
        .iter()
        .find(|b| &b.kind == b"VOLB" && b.offset > sset_block.offset);
    let msci = need(&blocks, b"MSCI", sset_block.offset, "MSCI")?;
    let scin = sql::scin_of_block(head, msci)?;
    if scin.software_major != sset.software_major && sset.software_major != 0 {
        return Err(HeaderError::new(
            Refusal::UnknownLayout,
            format!(
                "SSET says SQL Server {} but the SCIN record says {}",
                sset.software_major, scin.software_major
            ),
        ));
    }
    let mut warnings = Vec::new();
    let mut tail_verified = false;
    let mut scin = scin;
    let tail_block = tail.and_then(|(buf, at)| {
        let b = match at {
            Some(o) => mtf::dblk_at(buf, o),
            None => mtf::blocks(buf).into_iter().rfind(|b| &b.kind == b"MSLS"),
        }?;
        Some((buf, b))
    });
    match tail_block {
        None => warnings.push(
            "trailing header copy (MSLS) not found: finish date unknown (file cut short?)".into(),
        ),
        Some((buf, b)) => match sql::scin_of_block(buf, &b) {
            Err(e) => warnings.push(format!("trailing header copy unreadable: {e}")),
            Ok(t) if t.same_backup_as(&scin) => {
                tail_verified = true;
                if !t.same_lsns_as(&scin) {
                    warnings.push(format!(
                        "the leading header copy holds provisional LSNs (first {} last {}); the \
                         trailing copy's are used",
                        scin.first_lsn, scin.last_lsn
                    ));
                }
                // The trailing copy is written last: it is the authority.
                scin = t;
            }
            Ok(t) => warnings.push(format!(
                "the trailing header copy describes another backup ({} {} started {}): the file \
                 holds several backup sets (WITH NOINIT) and only the first (position {}) was read",
                t.backup_type.code(),
                t.database_name,
                t.backup_start_date,
                sset.position
            )),
        },
    }
    let finish = scin.backup_finish_date;
    let size = scin.backup_size;
    // backup-headers.md §4: the proposed (untested) rule for logs spanning a fork.
    let (first_fork, fork_point) = match scin.previous_fork {
        Some((lsn, guid)) if scin.first_lsn < lsn => (guid, Some(lsn)),
        _ => (scin.recovery_fork_guid, None),
    };
    let is_copy_only = scin.is_copy_only() || sset.attributes & 0x2 != 0;
    Ok(vec![BackupHeader {
        file: file.to_string(),
        position: sset.position,
        backup_type: scin.backup_type,
        database_name: scin.database_name.clone(),
        server_name: scin.server_name.clone(),
        machine_name: volb.and_then(|v| sql::volb_machine(head, v)),
        user_name: sset.user_name,
        name: sset.backup_name,
        description: sset.description,
        first_lsn: scin.first_lsn,
        last_lsn: scin.last_lsn,
        checkpoint_lsn: scin.checkpoint_lsn,
        database_backup_lsn: scin.database_backup_lsn,
        differential_base_lsn: scin.differential_base_lsn,
        differential_base_guid: scin.differential_base_guid,
        backup_set_uuid: sset.backup_set_guid,
        backup_start_date: Some(scin.backup_start_date),
        backup_finish_date: finish,
        time_zone: sset.time_zone,
        database_guid: scin.database_guid,
        family_guid: scin.family_guid,
        recovery_fork_guid: scin.recovery_fork_guid,
        first_recovery_fork_guid: first_fork,
        fork_point_lsn: fork_point,
        previous_fork_lsn: scin.previous_fork.map(|f| f.0),
        previous_fork_guid: scin.previous_fork.map(|f| f.1),
        media_set_guid: tape.media_set_guid,
        family_count: tape.family_count,
        family_sequence_number: tape.family_sequence_number,
        media_family_id: tape.media_family_id,
        software_name: tape.software_name,
        software_major_version: scin.software_major,
        software_minor_version: scin.software_minor,
        software_build_version: scin.software_build,
        database_version: scin.database_version,
        compatibility_level: scin.compatibility_level,
        database_creation_date: scin.database_creation_date,
        backup_size: size,
        is_copy_only,
        is_compressed,
        flags: scin.flags,
        block_size: tape.block_size,
        tail_verified,
        warnings,
    }])
}

/// Reads one local file.
pub fn read_file(path: &Path) -> Result<(Vec<BackupHeader>, ReadCost), HeaderError> {
    let src = LocalFile::open(path).map_err(|e| HeaderError::new(Refusal::Io, e.to_string()))?;
    read_headers_counted(&src, &path.display().to_string())
}
