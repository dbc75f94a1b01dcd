-- The audit log (issue 10): every security-relevant event, append-only and hash-chained like
-- the journal. seq is assigned by the writer holding audit_head; rows are never updated or
-- deleted (triggers below) and each row's hash commits to the previous row's.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    actor_id UUID,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    client TEXT,
    at TIMESTAMPTZ NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX audit_log_kind ON audit_log (kind, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq) WHERE actor_id IS NOT NULL;

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    last_hash BLOB NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, zeroblob(32));

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
