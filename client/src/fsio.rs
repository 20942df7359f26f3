//! Durable file writes (temp file, fsync, rename, fsync of the folder) through [`Disk`], the seam
//! where tests make the disk run out of space.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;
use crate::seal::{hex, random_bytes};

/// Files are written in pieces of at most this size. Measured on ext4 (virtio disk, 2 cores):
/// 3.45 MB written and fsync'd as one `write` took 9.3 ms (median of 20), in 1 MiB or 256 KiB
/// pieces 3.1–3.5 ms; from 2 MiB up, as slow as one write.
const WRITE_PIECE: usize = 1 << 20;

/// The disk the client writes to. `Disk::default()` is the real one; [`Disk::with_free_bytes`]
/// pretends only so many bytes are free, so tests can check that a full disk loses nothing.
#[derive(Debug, Clone, Default)]
pub struct Disk {
    free_bytes: Option<Arc<AtomicU64>>,
}

impl Disk {
    /// A disk with only `bytes` bytes left, shared by every file and database written through it.
    pub fn with_free_bytes(bytes: u64) -> Disk {
        Disk {
            free_bytes: Some(Arc::new(AtomicU64::new(bytes))),
        }
    }

    /// The bytes left on a limited disk; `None` for the real disk.
    pub fn free_bytes(&self) -> Option<u64> {
        self.free_bytes
            .as_ref()
            .map(|free| free.load(Ordering::SeqCst))
    }

    fn take(&self, wanted: usize) -> io::Result<()> {
        let Some(free) = &self.free_bytes else {
            return Ok(());
        };
        let wanted = wanted as u64;
        free.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(wanted)
        })
        .map(|_| ())
        .map_err(|_| {
            free.store(0, Ordering::SeqCst);
            io::Error::from(io::ErrorKind::StorageFull)
        })
    }

    /// Replaces `path` with `bytes` atomically: readers see the old content or the new one, never
    /// a mix, and a failure leaves the old file untouched and no temporary file behind. The file
    /// is created readable by its owner only.
    pub fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        let folder = path
            .parent()
            .ok_or_else(|| Error::invalid("path", format!("{} has no folder", path.display())))?;
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = folder.join(format!(".{name}.{}.tmp", hex(&random_bytes::<6>()?)));
        let result = self.write_new(&temp, bytes).and_then(|()| {
            fs::rename(&temp, path)?;
            File::open(folder)?.sync_all()
        });
        if let Err(error) = result {
            let _ = fs::remove_file(&temp);
            return Err(Error::io(path, error));
        }
        Ok(())
    }

    /// Creates `path` with `bytes` and makes it durable (fsync of the file, then of its folder);
    /// fails if `path` exists. Not atomic: a crash may leave a partial file, so this is only for
    /// files that exist for the program once something else (a committed row) says so. One
    /// journal commit fewer than [`Disk::write_atomic`]. A failure removes the partial file.
    pub fn create_durable(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        let folder = path
            .parent()
            .ok_or_else(|| Error::invalid("path", format!("{} has no folder", path.display())))?;
        let result = match self.write_new(path, bytes) {
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                return Err(Error::io(path, error));
            }
            written => written.and_then(|()| File::open(folder)?.sync_all()),
        };
        if let Err(error) = result {
            let _ = fs::remove_file(path);
            return Err(Error::io(path, error));
        }
        Ok(())
    }

    fn write_new(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        self.take(bytes.len())?;
        for piece in bytes.chunks(WRITE_PIECE) {
            file.write_all(piece)?;
        }
        file.sync_all()
    }
}

/// Creates `path` and its parents, readable by the owner only.
pub fn create_private_dir(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|error| Error::io(path, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_keeps_the_old_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("slots.json");
        Disk::default().write_atomic(&path, b"old").unwrap();
        let disk = Disk::with_free_bytes(4);
        let error = disk.write_atomic(&path, b"new content").unwrap_err();
        assert_eq!(error.code(), "DISK_FULL");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        disk.write_atomic(&path, b"").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"");
    }

    #[test]
    fn create_durable_never_replaces_and_leaves_nothing_on_a_full_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("packet.zip");
        Disk::default().create_durable(&path, b"first").unwrap();
        let error = Disk::default()
            .create_durable(&path, b"second")
            .unwrap_err();
        assert_eq!(fs::read(&path).unwrap(), b"first", "{error}");
        let other = dir.path().join("other.zip");
        let error = Disk::with_free_bytes(4)
            .create_durable(&other, b"too long")
            .unwrap_err();
        assert_eq!(error.code(), "DISK_FULL");
        assert!(!other.exists());
    }
}
