//! Packet bytes on the file system: in-flight tus uploads (`uploads/<id>`, whose durable length
//! is the upload offset) and received packets (`packets/<centre>_<machine>/<packet id>.<hash
//! prefix>.zip`), moved there atomically and made durable with fsync of file and directory.

use std::io;
use std::path::{Path, PathBuf};

use tokio::fs;

#[derive(Debug, Clone)]
pub struct Blobs {
    uploads: PathBuf,
    packets: PathBuf,
}

/// Makes a directory entry change (create, rename, remove) durable.
pub async fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir).await?.sync_all().await
}

impl Blobs {
    /// Prepares the two folders under `data_dir`.
    pub async fn open(data_dir: &Path) -> io::Result<Blobs> {
        let blobs = Blobs {
            uploads: data_dir.join("uploads"),
            packets: data_dir.join("packets"),
        };
        fs::create_dir_all(&blobs.uploads).await?;
        fs::create_dir_all(&blobs.packets).await?;
        sync_dir(data_dir).await?;
        Ok(blobs)
    }

    /// The staging file of an upload (ids are URL-safe base64, checked by the caller).
    pub fn upload_path(&self, id: &str) -> PathBuf {
        self.uploads.join(id)
    }

    /// Creates the empty staging file of a new upload. It is not fsynced: if a crash loses it,
    /// the upload answers 404 and the client creates another, having lost no byte; its first
    /// PATCH makes it durable.
    pub async fn create_upload(&self, id: &str) -> io::Result<()> {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.upload_path(id))
            .await?;
        Ok(())
    }

    /// Makes the staging folder's entries durable (after the first bytes of an upload).
    pub async fn sync_uploads_dir(&self) -> io::Result<()> {
        sync_dir(&self.uploads).await
    }

    /// The durable length of an upload's staging file (its tus offset); `None` when it is gone.
    pub async fn upload_len(&self, id: &str) -> io::Result<Option<u64>> {
        match fs::metadata(self.upload_path(id)).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub async fn remove_upload(&self, id: &str) -> io::Result<()> {
        match fs::remove_file(self.upload_path(id)).await {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    /// Where a received packet is kept.
    pub fn packet_path(
        &self,
        centre_id: &str,
        machine_id: &str,
        packet_id: &str,
        hash: &str,
    ) -> PathBuf {
        let prefix = hash.get(..16).unwrap_or(hash);
        self.packets
            .join(format!("{centre_id}_{machine_id}"))
            .join(format!("{packet_id}.{prefix}.zip"))
    }

    /// Moves a complete (already fsynced) upload to `dest` atomically and durably.
    pub async fn commit_upload(&self, id: &str, dest: &Path) -> io::Result<()> {
        let dir = dest.parent().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "packet path has no folder")
        })?;
        if fs::metadata(dir).await.is_err() {
            fs::create_dir_all(dir).await?;
            sync_dir(&self.packets).await?;
        }
        fs::rename(self.upload_path(id), dest).await?;
        // The packet's new name must be durable before a receipt; a crash that resurrects the
        // old name only leaves a staging file for the sweep.
        sync_dir(dir).await
    }

    pub async fn remove_packet(&self, path: &Path) -> io::Result<()> {
        match fs::remove_file(path).await {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}
