-- The pipeline feed (SQLite). Keep in step with ../postgres/0002_pipeline.sql.
-- The outbox: one row per accepted packet, written in the packet's own transaction, and feed_seq is
-- handed out in commit order (the writer is serialised), so a reader's cursor never skips a row.
CREATE TABLE outbox (
  feed_seq BIGINT PRIMARY KEY,
  rid TEXT NOT NULL UNIQUE,
  process TEXT NOT NULL,
  enqueued_at TEXT NOT NULL,
  published_at TEXT
);
CREATE INDEX outbox_unpublished ON outbox (published_at, feed_seq);
INSERT INTO outbox (feed_seq, rid, process, enqueued_at)
  SELECT p.seq, p.rid, COALESCE(json_extract(m.signed_manifest, '$.manifest.process'), 'NEW'), p.received_at
  FROM packets p LEFT JOIN manifests m ON m.rid = p.rid;
ALTER TABLE packets ADD COLUMN status_comment TEXT NOT NULL DEFAULT '';
-- When machines and operators were active: the pipeline judges a packet by its creation time.
CREATE TABLE status_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  active BIGINT NOT NULL,
  since TEXT NOT NULL
);
CREATE INDEX status_history_subject ON status_history (kind, id, seq);
INSERT INTO status_history (kind, id, active, since)
  SELECT 'machine', id, CASE status WHEN 'ACTIVE' THEN 1 ELSE 0 END, '1970-01-01T00:00:00Z' FROM machines;
INSERT INTO status_history (kind, id, active, since)
  SELECT 'operator', user_id, active, '1970-01-01T00:00:00Z' FROM operators;
