//! Zip writing and bounded zip reading for sub-packets and the container.
//!
//! Entries that are already compressed or encrypted (documents, ISO images inside CBEFF,
//! encrypted sub-packets) are stored; JSON and text are deflated.

use std::io::{Cursor, Read, Write};

use time::OffsetDateTime;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use super::error::{PacketError, layout};

/// How an entry is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    Stored,
    Deflated,
}

/// Builds a zip in memory.
pub struct ZipBuilder {
    writer: ZipWriter<Cursor<Vec<u8>>>,
    modified: DateTime,
}

impl ZipBuilder {
    pub fn new(modified: OffsetDateTime, capacity: usize) -> ZipBuilder {
        let modified = DateTime::from_date_and_time(
            u16::try_from(modified.year()).unwrap_or(1980),
            u8::from(modified.month()),
            modified.day(),
            modified.hour(),
            modified.minute(),
            modified.second(),
        )
        .unwrap_or_default();
        ZipBuilder {
            writer: ZipWriter::new(Cursor::new(Vec::with_capacity(capacity))),
            modified,
        }
    }

    pub fn add(&mut self, name: &str, bytes: &[u8], packing: Packing) -> Result<(), PacketError> {
        let (method, level) = match packing {
            Packing::Stored => (CompressionMethod::Stored, None),
            Packing::Deflated => (CompressionMethod::Deflated, Some(1)),
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .compression_level(level)
            .last_modified_time(self.modified)
            .large_file(false);
        self.writer
            .start_file(name, options)
            .and_then(|()| self.writer.write_all(bytes).map_err(Into::into))
            .map_err(|e| PacketError::Zip(format!("entry {name}: {e}")))
    }

    pub fn finish(self) -> Result<Vec<u8>, PacketError> {
        self.writer
            .finish()
            .map(Cursor::into_inner)
            .map_err(|e| PacketError::Zip(e.to_string()))
    }
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
