//! Registration drafts: whatever the workflow has captured so far, kept inside the encrypted
//! store so that it survives a restart and is never in clear on disk.

use rusqlite::{OptionalExtension, params};

use crate::error::Error;
use crate::roles::Action;
use crate::session::Session;

/// Largest draft body accepted, in bytes (documents and biometrics included).
pub const MAX_DRAFT_BYTES: usize = 16 * 1024 * 1024;

/// A saved draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: String,
    pub process: String,
    pub operator_id: String,
    pub body: Vec<u8>,
    pub updated_at: i64,
}

impl Session {
    /// Saves (creates or replaces) a draft owned by the acting operator.
    pub fn save_draft(&mut self, id: &str, process: &str, body: &[u8]) -> Result<(), Error> {
        self.authorize(Action::Register)?;
        if id.is_empty() || id.len() > 64 || process.is_empty() || process.len() > 64 {
            return Err(Error::invalid(
                "draft",
                "id and process must be 1 to 64 characters",
            ));
        }
        if body.len() > MAX_DRAFT_BYTES {
            return Err(Error::invalid(
                "draft",
                format!("larger than {MAX_DRAFT_BYTES} bytes"),
            ));
        }
        let operator = self.operator().id.clone();
        let now = self.client().now();
        let tx = self.store_transaction()?;
        tx.execute(
            "INSERT INTO drafts (id, process, operator_id, body, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (id) DO UPDATE SET process = excluded.process, body = excluded.body,
                                            updated_at = excluded.updated_at",
            params![id, process, operator, body, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Loads a draft.
    pub fn load_draft(&mut self, id: &str) -> Result<Option<Draft>, Error> {
        self.authorize(Action::Register)?;
        Ok(self
            .store()
            .conn()
            .query_row(
                "SELECT id, process, operator_id, body, updated_at FROM drafts WHERE id = ?1",
                [id],
                |row| {
                    Ok(Draft {
                        id: row.get(0)?,
                        process: row.get(1)?,
                        operator_id: row.get(2)?,
                        body: row.get(3)?,
                        updated_at: row.get(4)?,
                    })
                },
            )
            .optional()?)
    }
}
