//! The audit anchor file `audit.anchor`, beside the database: the last committed audit entry's
//! sequence number and hash, recorded after every commit so that a log cut short is noticed.
//! Two slots, each in its own 512-byte sector with its own checksum, are written in turn in
//! place with one `fdatasync`: a torn write spoils only the slot being written, and the other
//! still holds the previous head. Updates hold the file's lock and never move the anchor back.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::audit::AuditHead;
use crate::error::Error;

/// The file's name in the data directory.
pub const ANCHOR_FILE: &str = "audit.anchor";
/// Each slot starts a sector of its own.
const SLOT_SPAN: u64 = 512;
const MAGIC: &[u8; 8] = b"ENROLAH1";
/// Magic, sequence number (little endian), hash, then a CRC-32 of those 48 bytes.
const RECORD_LEN: usize = 52;

/// The anchor file of one data directory.
#[derive(Debug, Clone)]
pub struct AnchorFile {
    dir: PathBuf,
    path: PathBuf,
}

impl AnchorFile {
    pub fn new(dir: &Path) -> AnchorFile {
        AnchorFile {
            dir: dir.to_owned(),
            path: dir.join(ANCHOR_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded head: the newer of the two slots that hold one; `None` without a file or a
    /// valid slot.
    pub fn read(&self) -> Result<Option<AuditHead>, Error> {
        match File::open(&self.path) {
            Ok(file) => read_slots(&file)
                .map(newest)
                .map_err(|error| Error::io(&self.path, error)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(Error::io(&self.path, error)),
        }
    }

    /// Records `head` unless the anchor already holds it or a later one, and makes it durable:
    /// it overwrites the slot that does not hold the newest head.
    pub fn advance(&self, head: AuditHead) -> Result<(), Error> {
        self.try_advance(head)
            .map_err(|error| Error::io(&self.path, error))
    }

    fn try_advance(&self, head: AuditHead) -> io::Result<()> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&self.path)?;
        file.lock()?;
        let created = file.metadata()?.len() == 0;
        let slots = read_slots(&file)?;
        if newest(slots).is_some_and(|recorded| recorded.seq >= head.seq) {
            return Ok(());
        }
        let oldest = match slots {
            [Some(first), Some(second)] if first.seq > second.seq => 1,
            [Some(_), None] => 1,
            _ => 0,
        };
        file.write_all_at(&encode(head), oldest * SLOT_SPAN)?;
        file.sync_data()?;
        if created {
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(())
    }
}

fn read_slots(file: &File) -> io::Result<[Option<AuditHead>; 2]> {
    let mut slots = [None; 2];
    for (index, slot) in slots.iter_mut().enumerate() {
        let mut record = [0u8; RECORD_LEN];
        let mut filled = 0;
        while filled < RECORD_LEN {
            match file.read_at(
                &mut record[filled..],
                index as u64 * SLOT_SPAN + filled as u64,
            )? {
                0 => break,
                read => filled += read,
            }
        }
        if filled == RECORD_LEN {
            *slot = decode(&record);
        }
    }
    Ok(slots)
}

fn newest(slots: [Option<AuditHead>; 2]) -> Option<AuditHead> {
    slots.into_iter().flatten().max_by_key(|head| head.seq)
}

fn encode(head: AuditHead) -> [u8; RECORD_LEN] {
    let mut record = [0u8; RECORD_LEN];
    record[..8].copy_from_slice(MAGIC);
    record[8..16].copy_from_slice(&head.seq.to_le_bytes());
    record[16..48].copy_from_slice(&head.hash);
    let checksum = crc32fast::hash(&record[..48]);
    record[48..].copy_from_slice(&checksum.to_le_bytes());
    record
}

fn decode(record: &[u8; RECORD_LEN]) -> Option<AuditHead> {
    let checksum = u32::from_le_bytes(record[48..].try_into().ok()?);
    if &record[..8] != MAGIC || crc32fast::hash(&record[..48]) != checksum {
        return None;
    }
    Some(AuditHead {
        seq: u64::from_le_bytes(record[8..16].try_into().ok()?),
        hash: record[16..48].try_into().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(seq: u64) -> AuditHead {
        AuditHead {
            seq,
            hash: [seq as u8; 32],
        }
    }

    /// Advances an anchor through `steps` (a head, or a byte to flip at an offset) and checks
    /// what it reads after each.
    fn check(steps: &[(Step, Option<u64>)]) {
        let dir = tempfile::tempdir().unwrap();
        let anchor = AnchorFile::new(dir.path());
        for (step, expected) in steps {
            match *step {
                Step::Advance(seq) => anchor.advance(head(seq)).unwrap(),
                Step::Flip(offset) => {
                    let path = dir.path().join(ANCHOR_FILE);
                    let mut bytes = std::fs::read(&path).unwrap();
                    bytes[offset] ^= 0x40;
                    std::fs::write(&path, bytes).unwrap();
                }
            }
            assert_eq!(anchor.read().unwrap(), expected.map(head), "after {step:?}");
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum Step {
        Advance(u64),
        Flip(usize),
    }

    #[test]
    fn the_newest_head_is_read_and_never_moves_back() {
        check(&[
            (Step::Advance(3), Some(3)),
            (Step::Advance(4), Some(4)),
            (Step::Advance(9), Some(9)),
            (Step::Advance(7), Some(9)),
            (Step::Advance(9), Some(9)),
            (Step::Advance(10), Some(10)),
        ]);
    }

    #[test]
    fn a_damaged_slot_falls_back_to_the_other() {
        check(&[
            (Step::Advance(5), Some(5)),
            (Step::Advance(6), Some(6)),
            // Slot 1 holds 6: a torn write there leaves 5 in slot 0.
            (Step::Flip(SLOT_SPAN as usize + 20), Some(5)),
            // The damaged slot is the one written next.
            (Step::Advance(8), Some(8)),
            (Step::Flip(3), Some(8)),
            (Step::Flip(SLOT_SPAN as usize + 50), None),
        ]);
    }

    #[test]
    fn no_file_reads_as_no_head() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(AnchorFile::new(dir.path()).read().unwrap(), None);
    }
}
