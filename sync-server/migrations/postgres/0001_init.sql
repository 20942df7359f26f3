-- Enrol sync server, initial schema (PostgreSQL). Keep in step with ../sqlite/0001_init.sql.
CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE centres (id TEXT PRIMARY KEY, name TEXT NOT NULL, active BIGINT NOT NULL);
CREATE TABLE machines (
  id TEXT PRIMARY KEY,
  centre_id TEXT NOT NULL REFERENCES centres (id),
  name TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  status TEXT NOT NULL
);
CREATE TABLE operators (
  user_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  centre_id TEXT NOT NULL REFERENCES centres (id),
  roles TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  active BIGINT NOT NULL
);
CREATE TABLE publications (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  version BIGINT NOT NULL,
  content TEXT NOT NULL,
  published_at TEXT NOT NULL,
  UNIQUE (kind, name, version)
);
CREATE TABLE nonces (
  machine_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (machine_id, nonce)
);
CREATE INDEX nonces_expiry ON nonces (expires_at);
CREATE TABLE manifests (
  rid TEXT PRIMARY KEY,
  machine_id TEXT NOT NULL,
  signed_manifest TEXT NOT NULL,
  token_sha256 TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  rid TEXT NOT NULL,
  length BIGINT NOT NULL,
  metadata TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  finished BIGINT NOT NULL
);
CREATE INDEX uploads_expiry ON uploads (expires_at);
CREATE TABLE packets (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rid TEXT NOT NULL UNIQUE,
  packet_id TEXT NOT NULL,
  machine_id TEXT NOT NULL,
  centre_id TEXT NOT NULL,
  sequence BIGINT NOT NULL,
  packet_hash TEXT NOT NULL,
  size BIGINT NOT NULL,
  received_at TEXT NOT NULL,
  state TEXT NOT NULL,
  state_updated_at TEXT NOT NULL,
  UNIQUE (machine_id, sequence)
);
