-- Where each decided packet stands in its upload to the server (no row or 'approved': not sent yet). The
-- receipt is the server's signed JSON, stored once verified; `status_at` is when the server's
-- pipeline status last changed, for the retention rule; `deleted_at` when the local file went.
CREATE TABLE packet_sync (
    rid TEXT PRIMARY KEY REFERENCES packets (rid),
    phase TEXT NOT NULL CHECK (phase IN ('approved', 'meta_sent', 'uploading', 'received')),
    upload_token TEXT,
    upload_url TEXT,
    upload_offset INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    status_at INTEGER,
    deleted_at INTEGER,
    last_error TEXT,
    updated_at INTEGER NOT NULL
) STRICT;
