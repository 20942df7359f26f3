//! Zip writing and bounded zip reading for sub-packets and the container.
//!
//! Entries that are already compressed or encrypted (documents, ISO images inside CBEFF,
//! encrypted sub-packets) are stored; JSON and text are deflated. The writer puts a zip after
//! whatever its buffer already holds (offsets count from the zip's first byte), and a stored
//! entry's data can be written straight into the buffer, so each byte is written once, where the
//! packet finally needs it.

use std::io::{Cursor, Read, Write};

use flate2::Compression;
use flate2::write::DeflateEncoder;
use time::OffsetDateTime;
use zip::ZipArchive;

use super::error::{PacketError, layout};

/// How an entry is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    Stored,
    Deflated,
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Where a local header's CRC-32 and sizes start.
const LOCAL_CRC_AT: usize = 14;
/// How much of an entry one pass reads before the next reads it again (stays in L2 cache).
const PASS_CHUNK: usize = 64 * 1024;
/// Made by Unix, zip specification 2.0.
const VERSION_MADE_BY: u16 = 0x0314;
/// A regular file readable by everyone (Unix mode in the high half).
const EXTERNAL_ATTRIBUTES: u32 = 0o100_644 << 16;
/// Language encoding flag: the name is UTF-8.
const UTF8_NAME: u16 = 1 << 11;

/// Builds a zip in memory (no zip64: entries and offsets below 4 GiB, fewer than 65,536
/// entries).
pub struct ZipBuilder {
    buf: Vec<u8>,
    start: usize,
    dos_time: u16,
    dos_date: u16,
    central: Vec<u8>,
    count: u16,
}

impl ZipBuilder {
    /// A zip alone in a new buffer of `capacity` bytes.
    pub fn new(modified: OffsetDateTime, capacity: usize) -> ZipBuilder {
        ZipBuilder::after(Vec::with_capacity(capacity), modified)
    }

    /// A zip written after the bytes `buf` already holds; [`ZipBuilder::finish`] returns them
    /// followed by the zip.
    pub fn after(buf: Vec<u8>, modified: OffsetDateTime) -> ZipBuilder {
        let (dos_time, dos_date) = dos_date_time(modified);
        ZipBuilder {
            start: buf.len(),
            buf,
            dos_time,
            dos_date,
            central: Vec::new(),
            count: 0,
        }
    }

    pub fn add(&mut self, name: &str, bytes: &[u8], packing: Packing) -> Result<(), PacketError> {
        match packing {
            Packing::Stored => {
                let header = self.local_header(name, 0)?;
                self.buf.extend_from_slice(bytes);
                self.end_entry(
                    name,
                    header,
                    crc32fast::hash(bytes),
                    bytes.len(),
                    bytes.len(),
                )
            }
            Packing::Deflated => {
                let header = self.local_header(name, 8)?;
                let data_start = self.buf.len();
                let mut encoder = DeflateEncoder::new(&mut self.buf, Compression::new(1));
                let deflated = encoder.write_all(bytes);
                deflated
                    .and_then(|()| encoder.finish().map(drop))
                    .map_err(|e| PacketError::Zip(format!("entry {name}: {e}")))?;
                let compressed = self.buf.len() - data_start;
                self.end_entry(
                    name,
                    header,
                    crc32fast::hash(bytes),
                    compressed,
                    bytes.len(),
                )
            }
        }
    }

    /// Adds a stored entry whose data `write` appends to the buffer in place; `inspect` then sees
    /// the data in the same pass as its CRC-32, chunk by chunk while each is in cache (e.g. to
    /// hash it).
    pub fn add_stored_with<T>(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut Vec<u8>) -> Result<T, PacketError>,
        mut inspect: impl FnMut(&[u8]),
    ) -> Result<T, PacketError> {
        let header = self.local_header(name, 0)?;
        let data_start = self.buf.len();
        let written = write(&mut self.buf)?;
        let data = &self.buf[data_start..];
        let mut crc = crc32fast::Hasher::new();
        for chunk in data.chunks(PASS_CHUNK) {
            crc.update(chunk);
            inspect(chunk);
        }
        let len = data.len();
        self.end_entry(name, header, crc.finalize(), len, len)?;
        Ok(written)
    }

    /// Everything written so far, the bytes before the zip included.
    pub fn buffer(&self) -> &[u8] {
        &self.buf
    }

    /// The bytes before the zip followed by the zip.
    pub fn finish(mut self) -> Result<Vec<u8>, PacketError> {
        let directory_at = self.offset(self.buf.len())?;
        let directory_len = zip_u32(self.central.len(), "the central directory")?;
        self.buf.extend_from_slice(&self.central);
        put_u32(&mut self.buf, END_OF_CENTRAL_DIRECTORY);
        put_u16(&mut self.buf, 0);
        put_u16(&mut self.buf, 0);
        put_u16(&mut self.buf, self.count);
        put_u16(&mut self.buf, self.count);
        put_u32(&mut self.buf, directory_len);
        put_u32(&mut self.buf, directory_at);
        put_u16(&mut self.buf, 0);
        Ok(self.buf)
    }

    /// Writes a local header with the CRC and sizes left at zero; returns where it starts.
    fn local_header(&mut self, name: &str, method: u16) -> Result<usize, PacketError> {
        let name_len = u16::try_from(name.len())
            .map_err(|_| PacketError::Zip(format!("entry name {name} is too long")))?;
        if self.count == u16::MAX {
            return Err(PacketError::Zip("too many entries".into()));
        }
        let at = self.buf.len();
        put_u32(&mut self.buf, LOCAL_HEADER);
        put_u16(&mut self.buf, version_needed(method));
        put_u16(&mut self.buf, flags(name));
        put_u16(&mut self.buf, method);
        put_u16(&mut self.buf, self.dos_time);
        put_u16(&mut self.buf, self.dos_date);
        self.buf.extend_from_slice(&[0; 12]);
        put_u16(&mut self.buf, name_len);
        put_u16(&mut self.buf, 0);
        self.buf.extend_from_slice(name.as_bytes());
        Ok(at)
    }

    /// Fills in the local header at `header` and adds the entry's central directory record.
    fn end_entry(
        &mut self,
        name: &str,
        header: usize,
        crc: u32,
        compressed: usize,
        size: usize,
    ) -> Result<(), PacketError> {
        let compressed = zip_u32(compressed, name)?;
        let size = zip_u32(size, name)?;
        let offset = self.offset(header)?;
        let method = u16::from_le_bytes([self.buf[header + 8], self.buf[header + 9]]);
        let mut sizes = [0u8; 12];
        sizes[..4].copy_from_slice(&crc.to_le_bytes());
        sizes[4..8].copy_from_slice(&compressed.to_le_bytes());
        sizes[8..].copy_from_slice(&size.to_le_bytes());
        self.buf[header + LOCAL_CRC_AT..header + LOCAL_CRC_AT + 12].copy_from_slice(&sizes);

        let c = &mut self.central;
        put_u32(c, CENTRAL_HEADER);
        put_u16(c, VERSION_MADE_BY);
        put_u16(c, version_needed(method));
        put_u16(c, flags(name));
        put_u16(c, method);
        put_u16(c, self.dos_time);
        put_u16(c, self.dos_date);
        c.extend_from_slice(&sizes);
        // The name's length fits: the local header checked it.
        put_u16(c, name.len() as u16);
        put_u16(c, 0); // extra field length
        put_u16(c, 0); // comment length
        put_u16(c, 0); // disk number
        put_u16(c, 0); // internal attributes
        put_u32(c, EXTERNAL_ATTRIBUTES);
        put_u32(c, offset);
        c.extend_from_slice(name.as_bytes());
        self.count += 1;
        Ok(())
    }

    /// A buffer position as an offset from the zip's start.
    fn offset(&self, at: usize) -> Result<u32, PacketError> {
        zip_u32(at - self.start, "the zip")
    }
}

fn version_needed(method: u16) -> u16 {
    if method == 0 { 10 } else { 20 }
}

fn flags(name: &str) -> u16 {
    if name.is_ascii() { 0 } else { UTF8_NAME }
}

fn zip_u32(value: usize, what: &str) -> Result<u32, PacketError> {
    u32::try_from(value).map_err(|_| PacketError::Zip(format!("{what} is too large for a zip")))
}

fn put_u16(buf: &mut Vec<u8>, value: u16) {
    buf.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(buf: &mut Vec<u8>, value: u32) {
    buf.extend_from_slice(&value.to_le_bytes());
}

/// MS-DOS time and date; 1980-01-01 00:00 outside the years it can hold.
fn dos_date_time(at: OffsetDateTime) -> (u16, u16) {
    let year = at.year();
    if !(1980..=2107).contains(&year) {
        return (0, (1 << 5) | 1);
    }
    let time =
        (u16::from(at.hour()) << 11) | (u16::from(at.minute()) << 5) | u16::from(at.second() / 2);
    // The year range was checked above.
    let date = (((year - 1980) as u16) << 9)
        | (u16::from(u8::from(at.month())) << 5)
        | u16::from(at.day());
    (time, date)
}

/// Size limits applied when reading untrusted packets (zip bombs, oversized files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest encrypted packet file accepted.
    pub max_packet_bytes: u64,
    /// Most entries in one zip.
    pub max_entries: usize,
    /// Largest total uncompressed size of one zip's entries.
    pub max_unpacked_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_packet_bytes: 32 << 20,
            max_entries: 256,
            max_unpacked_bytes: 64 << 20,
        }
    }
}

/// One zip's entries, in archive order.
#[derive(Debug, Clone, Default)]
pub struct Entries(pub Vec<(String, Vec<u8>)>);

impl Entries {
    /// Reads every entry of `bytes`, enforcing `limits`; `what` names the zip in errors.
    pub fn read(bytes: &[u8], limits: &Limits, what: &str) -> Result<Entries, PacketError> {
        let mut archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| layout(format!("{what} is not a zip: {e}")))?;
        if archive.len() > limits.max_entries {
            return Err(PacketError::Oversize {
                what: format!("entry count of {what} ({})", archive.len()),
                limit: limits.max_entries as u64,
            });
        }
        let mut budget = limits.max_unpacked_bytes;
        let mut entries = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            let file = archive
                .by_index(index)
                .map_err(|e| layout(format!("{what} entry {index}: {e}")))?;
            let name = file
                .name()
                .map_err(|e| layout(format!("{what} entry {index} has a bad name: {e}")))?
                .into_owned();
            let oversize = || PacketError::Oversize {
                what: format!("uncompressed size of {what}"),
                limit: limits.max_unpacked_bytes,
            };
            if file.size() > budget {
                return Err(oversize());
            }
            let mut data = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
            file.take(budget + 1)
                .read_to_end(&mut data)
                .map_err(|e| layout(format!("{what} entry {name}: {e}")))?;
            budget = budget.checked_sub(data.len() as u64).ok_or_else(oversize)?;
            entries.push((name, data));
        }
        Ok(Entries(entries))
    }

    /// The entry with exactly this name.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.as_slice())
    }

    /// The entry with this name, an error naming `what` when absent.
    pub fn require(&self, name: &str, what: &str) -> Result<&[u8], PacketError> {
        self.get(name)
            .ok_or_else(|| PacketError::MissingEntry(format!("{name} in {what}")))
    }

    /// The entry whose name without extension equals `stem`, ignoring case (MOSIP's hash-sequence
    /// lookup), with its full name.
    pub fn by_stem(&self, stem: &str) -> Option<(&str, &[u8])> {
        self.0
            .iter()
            .find(|(n, _)| {
                let base = n.rsplit('/').next().unwrap_or(n);
                let base = base.rsplit_once('.').map_or(base, |(s, _)| s);
                base.eq_ignore_ascii_case(stem)
            })
            .map(|(n, d)| (n.as_str(), d.as_slice()))
    }
}
