-- Enrol client store, version 1. Times are Unix seconds (UTC).

-- The machine's own identity and RSA-2048 signing key (PKCS#8 DER); exactly one row.
CREATE TABLE machine (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    machine_id TEXT NOT NULL,
    centre_id TEXT NOT NULL,
    centre_name TEXT NOT NULL,
    server_url TEXT,
    signing_key_pkcs8 BLOB NOT NULL,
    public_key_spki BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- Keys and certificates of other parties: the pipeline's encryption certificate, the server's
-- receipt-signing key.
CREATE TABLE trusted_keys (
    purpose TEXT PRIMARY KEY,
    pem TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Versioned configuration received from the server or the enrolment file: centre, machine,
-- master data, identity schema, UI specs. The body is NULL while only the version is known (an
-- enrolment file names the versions; sync downloads the content).
CREATE TABLE config_cache (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    body BLOB,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, name)
) STRICT;

-- Operators. Failed-login counters and lockouts live with the key slots (outside this database)
-- because they change while the database is still locked.
CREATE TABLE operators (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'pending', 'deactivated')),
    password_verifier TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_login_at INTEGER
) STRICT;

CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    process TEXT NOT NULL,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    process TEXT NOT NULL,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    supervisor_id TEXT REFERENCES operators (id),
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX registrations_by_status ON registrations (status, created_at);

CREATE TABLE registration_status_history (
    id INTEGER PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    status TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX registration_status_history_by_registration
    ON registration_status_history (registration_id, id);

-- Sealed packets: the bytes live in `packets/<rid>.zip` (already encrypted to the pipeline) and
-- are referenced here by SHA-256; see ARCHITECTURE.md for the measurement behind this choice.
CREATE TABLE packets (
    rid TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 BLOB NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    approval TEXT NOT NULL CHECK (approval IN ('pending', 'approved', 'rejected')),
    approved_at INTEGER,
    exported_at INTEGER,
    uploaded_at INTEGER,
    server_status TEXT
) STRICT;
CREATE INDEX packets_by_creation ON packets (created_at DESC, rid DESC);
CREATE INDEX packets_by_approval ON packets (approval, created_at);

-- The per-machine RID sequence; never reused, also across crashes.
CREATE TABLE sequences (
    name TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
) STRICT;

CREATE TABLE sync_state (
    job TEXT PRIMARY KEY,
    last_success_at INTEGER,
    last_attempt_at INTEGER,
    last_error TEXT
) STRICT;

-- Append-only, hash-chained audit log without personal data (ids and codes only).
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
