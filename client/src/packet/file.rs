//! Atomic packet file writes: a temporary file in the same folder, fsync, rename, fsync folder.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::PacketError;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `<dir>/<packet_id>.zip` atomically: the file is either absent or complete,
/// even across a crash. An existing file of that name is replaced.
pub fn write_packet_file(
    dir: &Path,
    packet_id: &str,
    bytes: &[u8],
) -> Result<PathBuf, PacketError> {
    if packet_id.is_empty()
        || !packet_id
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(PacketError::Input(format!(
            "{packet_id:?} is not a packet id"
        )));
    }
    let target = dir.join(crate::packet_store::packet_file_name(packet_id));
    let temp = dir.join(format!(
        ".{packet_id}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| PacketError::Io { path, source }
    };
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(io(&temp)(e));
    }
    if let Err(e) = fs::rename(&temp, &target) {
        let _ = fs::remove_file(&temp);
        return Err(io(&target)(e));
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    Ok(target)
}
