-- Online onboarding (PostgreSQL). Keep in step with ../sqlite/0003_onboarding.sql.
-- One code per machine at a time: its SHA-256, expiry (Unix seconds), failed attempts, and the
-- attempt that used it (set once, in the transaction that binds the machine's key).
CREATE TABLE onboarding_codes (
  machine_id TEXT PRIMARY KEY REFERENCES machines (id),
  code_sha256 TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  failures BIGINT NOT NULL,
  used_by TEXT
);
