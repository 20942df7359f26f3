-- A draft's bulky captures (documents, ISO biometric records) as raw bytes, one row each, so a
-- workflow step writes only what it captured and the draft body stays small; removed (and
-- securely deleted) with their draft.
CREATE TABLE draft_attachments (
    draft_id TEXT NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (draft_id, name)
) STRICT;
