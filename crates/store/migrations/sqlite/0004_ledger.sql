-- Mutual credit (issue 3): balances and limits on accounts, the hash-chained journal of
-- transfers, idempotency keys, payment requests, invoices, limit changes and authorisations.

ALTER TABLE accounts ADD COLUMN balance_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN credit_limit_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN upper_limit_minor BIGINT;
-- 'fund' or 'fees' for the district's own accounts; NULL for members' accounts.
ALTER TABLE accounts ADD COLUMN purpose TEXT;

-- Accounts opened before this version get the default limits of their holder, at the default
-- scale of two decimals (the ledger was empty until now, so no balance can break them).
UPDATE accounts SET credit_limit_minor = 10000, upper_limit_minor = 500000 WHERE owner_kind = 'person';
UPDATE accounts SET credit_limit_minor = 100 * (
    SELECT CASE o.kind
        WHEN 'worker_coop' THEN 5000 WHEN 'producer_coop' THEN 5000
        WHEN 'multi_stakeholder_coop' THEN 5000
        WHEN 'farm' THEN 3000 WHEN 'consumer_coop' THEN 3000
        WHEN 'social_enterprise' THEN 3000 WHEN 'purchasing_group' THEN 3000
        WHEN 'association' THEN 1000 WHEN 'community_group' THEN 500
        ELSE 0 END
    FROM organizations o WHERE o.id = accounts.owner_id)
WHERE owner_kind = 'organization' AND EXISTS (SELECT 1 FROM organizations o WHERE o.id = accounts.owner_id);
UPDATE accounts SET purpose = 'fund' WHERE id = (
    SELECT id FROM accounts WHERE owner_kind = 'district' ORDER BY id LIMIT 1);
UPDATE accounts SET purpose = 'fees' WHERE id = (
    SELECT id FROM accounts WHERE owner_kind = 'district' AND purpose IS NULL ORDER BY id LIMIT 1);
CREATE UNIQUE INDEX accounts_purpose ON accounts (currency, purpose) WHERE purpose IS NOT NULL;

-- The journal. seq is assigned by the one writer holding ledger_head; rows are never updated
-- or deleted (triggers below), and each row's hash commits to the previous row's.
CREATE TABLE transfers (
    seq INTEGER PRIMARY KEY,
    id UUID NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payer UUID NOT NULL REFERENCES accounts (id),
    payee UUID NOT NULL REFERENCES accounts (id),
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    payer_balance_minor BIGINT NOT NULL,
    payee_balance_minor BIGINT NOT NULL,
    memo TEXT NOT NULL,
    invoice_id UUID,
    request_id UUID,
    reverses UUID UNIQUE,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX transfers_payer ON transfers (payer, seq);
CREATE INDEX transfers_payee ON transfers (payee, seq);
CREATE INDEX transfers_invoice ON transfers (invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX transfers_created_at ON transfers (created_at);

-- The journal's head: the serialisation point of every ledger write (one row, locked by the
-- writer on PostgreSQL; SQLite writes are serial already).
CREATE TABLE ledger_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    last_hash BLOB NOT NULL
);
INSERT INTO ledger_head (id, last_seq, last_hash) VALUES (1, 0, zeroblob(32));

-- A retried request with the same key gets the first request's answer: the transfer it
-- posted, or the code it was refused with (first decision wins).
CREATE TABLE idempotency_keys (
    person_id UUID NOT NULL,
    key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    transfer_id UUID,
    refusal TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, key)
);

CREATE TABLE payment_requests (
    id UUID PRIMARY KEY,
    payee UUID NOT NULL REFERENCES accounts (id),
    payer UUID REFERENCES accounts (id),
    amount_minor BIGINT NOT NULL,
    memo TEXT NOT NULL,
    status TEXT NOT NULL,
    transfer_id UUID,
    created_by UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ
);
CREATE INDEX payment_requests_payer ON payment_requests (payer, status, created_at);
CREATE INDEX payment_requests_payee ON payment_requests (payee, created_at);

CREATE TABLE invoices (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL,
    creditor UUID NOT NULL REFERENCES accounts (id),
    debtor UUID NOT NULL REFERENCES accounts (id),
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    paid_minor BIGINT NOT NULL,
    set_off_minor BIGINT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    due_on DATE NOT NULL,
    dispute_reason TEXT,
    created_by UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX invoices_debtor ON invoices (debtor, created_at);
CREATE INDEX invoices_creditor ON invoices (creditor, created_at);
CREATE INDEX invoices_open_due ON invoices (status, due_on);

-- Everything that happened to an invoice, payments included: its history and audit trail.
CREATE TABLE invoice_events (
    id UUID PRIMARY KEY,
    invoice_id UUID NOT NULL REFERENCES invoices (id),
    action TEXT NOT NULL,
    amount_minor BIGINT,
    transfer_id UUID,
    note TEXT NOT NULL,
    actor UUID,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX invoice_events_invoice ON invoice_events (invoice_id, created_at);

CREATE TABLE limit_changes (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id),
    old_credit_limit_minor BIGINT NOT NULL,
    old_upper_limit_minor BIGINT,
    credit_limit_minor BIGINT NOT NULL,
    upper_limit_minor BIGINT,
    reason TEXT NOT NULL,
    changed_by UUID,
    decision_ref TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX limit_changes_account ON limit_changes (account_id, created_at);

-- People an account's owner allows to pay from it (a treasurer, a partner).
CREATE TABLE account_authorizations (
    account_id UUID NOT NULL REFERENCES accounts (id),
    person_id UUID NOT NULL REFERENCES people (id),
    granted_by UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, person_id)
);
CREATE INDEX account_authorizations_person ON account_authorizations (person_id);

CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
