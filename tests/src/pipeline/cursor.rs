//! The consumer's position in the HTTP feed, in a small file replaced atomically (temp, fsync,
//! rename, fsync of the folder) after each packet's verdict is acknowledged, so a killed
//! consumer resumes at the first packet it had not finished.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The cursor file.
pub struct Cursor {
    path: PathBuf,
}

impl Cursor {
    pub fn new(path: &Path) -> Cursor {
        Cursor {
            path: path.to_owned(),
        }
    }

    /// The last finished feed position (0 when the file does not exist yet).
    pub fn load(&self) -> anyhow::Result<i64> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => text
                .trim()
                .parse()
                .with_context(|| format!("{} does not hold a feed cursor", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e).with_context(|| format!("reading {}", self.path.display())),
        }
    }

    pub fn save(&self, after: i64) -> anyhow::Result<()> {
        let tmp = self.path.with_extension("tmp");
        let context = || format!("writing {}", self.path.display());
        let mut file = std::fs::File::create(&tmp).with_context(context)?;
        file.write_all(after.to_string().as_bytes())
            .with_context(context)?;
        file.sync_all().with_context(context)?;
        std::fs::rename(&tmp, &self.path).with_context(context)?;
        let folder = self.path.parent().filter(|p| !p.as_os_str().is_empty());
        std::fs::File::open(folder.unwrap_or(Path::new(".")))
            .and_then(|dir| dir.sync_all())
            .with_context(context)?;
        Ok(())
    }
}
