//! The encrypted store: one SQLCipher database keyed with a random 256-bit raw key, opened with
//! durable settings and migrated from the embedded scripts. This is the only module that knows
//! the database is SQLCipher; the key itself only reaches it through a [`DbKey`].

pub mod anchor;
pub mod keyring;
mod migrations;

pub use migrations::migrate;

use std::fs;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::Error;
use crate::fsio::Disk;
use crate::seal::{Secret, hex, random_secret, sha256_fields};

/// SQLCipher's page size (the default of SQLCipher 4).
const PAGE_SIZE: u64 = 4096;

/// How every store connection runs once keyed: WAL with durable commits; deleted content zeroed
/// in every page a write touches anyway (`secure_delete = FAST`: freed overflow pages of
/// deleted attachments are not rewritten with zeros, which would double a registration's
/// writes; like every page they are encrypted with the store key, and the next captures reuse
/// them); temporary tables in memory (no plaintext temp files); a 16 MiB page cache (decrypted
/// pages stay cached instead of being decrypted again).
pub const STORE_PRAGMAS: &str = "PRAGMA journal_mode = WAL;
     PRAGMA synchronous = FULL;
     PRAGMA secure_delete = FAST;
     PRAGMA temp_store = MEMORY;
     PRAGMA cache_size = -16384;
     PRAGMA foreign_keys = ON;
     PRAGMA busy_timeout = 5000;";

/// The database key. Wiped from memory when dropped; never written anywhere in clear.
pub struct DbKey(Secret);

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(..)")
    }
}

impl DbKey {
    /// A fresh random key.
    pub fn generate() -> Result<DbKey, Error> {
        Ok(DbKey(random_secret()?))
    }

    pub(crate) fn from_secret(secret: Secret) -> DbKey {
        DbKey(secret)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A short public fingerprint that tells which key a slot file belongs to.
    pub fn check_value(&self) -> String {
        hex(&sha256_fields(&[b"enrol-db-key-check", self.0.as_ref()])[..16])
    }
}

/// An open, unlocked database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Creates a new database at `path`; refuses to touch an existing file.
    pub fn create(path: &Path, key: &DbKey, disk: &Disk) -> Result<Store, Error> {
        // Created empty and private first: SQLite gives its -wal and -shm files the same mode.
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::AlreadyExists => Error::AlreadyInitialised(path.to_owned()),
                _ => Error::io(path, error),
            })?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Store::configure(conn, path, key, disk)
    }

    /// Opens the database at `path` with `key`: a typed error for a missing file, a wrong key
    /// and a corrupt or truncated file.
    pub fn open(path: &Path, key: &DbKey, disk: &Disk) -> Result<Store, Error> {
        let metadata = fs::metadata(path).map_err(|error| Error::io(path, error))?;
        let len = metadata.len();
        if len == 0 || !len.is_multiple_of(PAGE_SIZE) {
            return Err(Error::Corrupt(path.to_owned()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Store::configure(conn, path, key, disk)
    }

    fn configure(conn: Connection, path: &Path, key: &DbKey, disk: &Disk) -> Result<Store, Error> {
        let classify = |error: rusqlite::Error| match error.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => Error::WrongKey(path.to_owned()),
            Some(ErrorCode::DatabaseCorrupt) => Error::Corrupt(path.to_owned()),
            _ => Error::from(error),
        };
        // SQLCipher would print page-decryption failures on stderr; they surface as typed errors.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex(key.bytes())))
            .map_err(classify)?;
        // The first read decrypts page 1: this is where a wrong key shows.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
            .map_err(classify)?;
        conn.execute_batch(STORE_PRAGMAS).map_err(classify)?;
        let store = Store {
            conn,
            path: path.to_owned(),
        };
        store.check_not_truncated()?;
        if let Some(free) = disk.free_bytes() {
            let pages: u64 = store
                .conn
                .query_row("PRAGMA page_count", [], |row| row.get(0))?;
            let limit = pages + free / PAGE_SIZE;
            store
                .conn
                .execute_batch(&format!("PRAGMA max_page_count = {limit};"))?;
        }
        migrations::migrate(&store.conn).map_err(classify)?;
        Ok(store)
    }

    /// Without a pending write-ahead log, the file must hold every page its header counts.
    fn check_not_truncated(&self) -> Result<(), Error> {
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        let wal_len = fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        let file_len = fs::metadata(&self.path)
            .map_err(|error| Error::io(&self.path, error))?
            .len();
        let pages: u64 = self
            .conn
            .query_row("PRAGMA page_count", [], |row| row.get(0))
            .map_err(|_| Error::Corrupt(self.path.clone()))?;
        if wal_len == 0 && file_len > 0 && pages * PAGE_SIZE > file_len {
            return Err(Error::Corrupt(self.path.clone()));
        }
        Ok(())
    }

    /// Copies the write-ahead log into the database file now (as far as readers allow), so the
    /// next commits do not carry that work: called where a pause suits, before a sign-off.
    pub(crate) fn checkpoint(&self) -> Result<(), Error> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// The connection, for the core's own queries.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}
