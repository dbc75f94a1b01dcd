-- Payments between districts (issue 9): each district's account in the other's ledger (its
-- mirror account), the rate between the two currencies, and each payment's two-phase state.

-- Minor units of our currency per 1,000,000 minor units of the linked district's.
ALTER TABLE federation_links ADD COLUMN exchange_rate_ppm BIGINT NOT NULL DEFAULT 1000000;

-- A linked district's account here: owner_kind 'federation', owner_id its link. One per link
-- and currency.
CREATE UNIQUE INDEX accounts_federation_mirror ON accounts (owner_id, currency) WHERE owner_kind = 'federation';

-- One district's side of a payment between districts. direction 'out': our member pays, from
-- debit_account (theirs) to credit_account (the other district's mirror here); 'in': the
-- other district's member pays ours, from its mirror here to our member. status 'new' (nothing
-- reserved yet), 'held' (the leg is reserved: it counts against both accounts' limits),
-- 'committed' (the leg is posted: transfer_id), 'aborted' (released) or 'refused' (never
-- held: refusal). The paying district decides; 'open' stays true until both sides know the
-- outcome, so the resolver knows what to finish after a crash or a lost message.
CREATE TABLE federation_payments (
    id UUID PRIMARY KEY,
    link_id UUID NOT NULL REFERENCES federation_links (id),
    payment_id UUID NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    status TEXT NOT NULL CHECK (status IN ('new', 'held', 'committed', 'aborted', 'refused')),
    debit_account UUID REFERENCES accounts (id),
    credit_account UUID REFERENCES accounts (id),
    amount_minor BIGINT NOT NULL,
    remote_amount_minor BIGINT NOT NULL,
    counterpart TEXT NOT NULL,
    counterpart_name TEXT NOT NULL,
    memo TEXT NOT NULL,
    refusal TEXT,
    transfer_id UUID,
    open BOOLEAN NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_by UUID,
    idempotency_key TEXT,
    request_hash BLOB,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deadline_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX federation_payments_payment ON federation_payments (link_id, payment_id);
CREATE UNIQUE INDEX federation_payments_idempotency ON federation_payments (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX federation_payments_link ON federation_payments (link_id, created_at);
-- The ledger writer reads every hold in each batch; the resolver reads every open payment.
CREATE INDEX federation_payments_held ON federation_payments (status) WHERE status = 'held';
CREATE INDEX federation_payments_open ON federation_payments (updated_at) WHERE open;
