-- Audit retention: entries may be removed only up to the retention base, the last entry the
-- retention rule removes (also recorded outside the database, where `enrol audit verify`
-- checks the kept log against it). Every other deletion is still refused.
CREATE TABLE audit_retention (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    base_seq INTEGER NOT NULL
) STRICT;
CREATE TRIGGER audit_retention_forward BEFORE UPDATE ON audit_retention
    WHEN NEW.base_seq < OLD.base_seq
    BEGIN SELECT RAISE(ABORT, 'the audit retention base only moves forward'); END;
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN OLD.seq > coalesce((SELECT base_seq FROM audit_retention WHERE id = 1), 0)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
