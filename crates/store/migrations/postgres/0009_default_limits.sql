-- Default credit limits decided by the assembly: for people ('person') or for one kind of
-- organisation (its kind code), overriding the built-in defaults for accounts opened from then
-- on. Each row says which decision set it.
CREATE TABLE ledger_default_limits (
    holder TEXT PRIMARY KEY,
    credit_limit_minor BIGINT NOT NULL,
    upper_limit_minor BIGINT,
    decision_ref TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL
);
