-- Notifications: what happened that a person should know (a proposal of their body opened for
-- deliberation or voting, a vote's result), read on the platform and sent by e-mail once.
CREATE TABLE notifications (
    id UUID PRIMARY KEY,
    person_id UUID NOT NULL REFERENCES people (id),
    -- 'governance_deliberation', 'governance_voting' or 'governance_result'.
    kind TEXT NOT NULL,
    -- What it is about (a proposal).
    subject_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    read_at TIMESTAMPTZ,
    -- When the mailer handed it to the mail transport; NULL while waiting (or with no transport).
    emailed_at TIMESTAMPTZ
);
CREATE INDEX notifications_person ON notifications (person_id, created_at);
CREATE INDEX notifications_unsent ON notifications (emailed_at, created_at);
