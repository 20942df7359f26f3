//! Embedded, ordered schema migrations; `PRAGMA user_version` counts the ones applied.

use rusqlite::Connection;

/// Every migration in order; never edit a released one, append a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_initial.sql"),
    include_str!("../../migrations/0002_packet_manifests.sql"),
    include_str!("../../migrations/0003_packet_sync.sql"),
    include_str!("../../migrations/0004_draft_attachments.sql"),
    include_str!("../../migrations/0005_audit_retention.sql"),
    include_str!("../../migrations/0006_sync_cursors.sql"),
    include_str!("../../migrations/0007_registration_reviews.sql"),
];

/// Applies the missing migrations, each in its own transaction with its version bump.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if applied > MIGRATIONS.len() {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISMATCH),
            Some(format!(
                "the database has schema version {applied}; this enrol knows up to {}",
                MIGRATIONS.len()
            )),
        ));
    }
    for (index, script) in MIGRATIONS.iter().enumerate().skip(applied) {
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {};\nCOMMIT;",
            index + 1
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK;");
        })?;
    }
    Ok(())
}
