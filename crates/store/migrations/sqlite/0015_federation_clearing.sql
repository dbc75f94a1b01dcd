-- Clearing between districts (issue 9): mutual debts recorded by linked districts' mirror
-- accounts set off around cycles, all districts of a round together or none.

-- One district's side of a round. The district that started it (initiator_link_id NULL)
-- decides; the others hold their part and follow. status 'new' (nothing reserved), 'held'
-- (the legs are reserved: they count against the mirrors' limits), 'committed' (posted),
-- 'aborted' (released) or 'refused' (never held: refusal). plan: the round's set-off as JSON
-- (the parties' addresses and each debt set off), the same in every district.
CREATE TABLE federation_clearings (
    id UUID PRIMARY KEY,
    initiator_link_id UUID REFERENCES federation_links (id),
    status TEXT NOT NULL CHECK (status IN ('new', 'held', 'committed', 'aborted', 'refused')),
    plan TEXT NOT NULL,
    set_off_minor BIGINT NOT NULL,
    refusal TEXT,
    open BOOLEAN NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deadline_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX federation_clearings_held ON federation_clearings (status) WHERE status = 'held';
CREATE INDEX federation_clearings_open ON federation_clearings (updated_at) WHERE open;
CREATE INDEX federation_clearings_created ON federation_clearings (created_at);

-- This district's part of a round: transfers between two linked districts' mirror accounts.
CREATE TABLE federation_clearing_legs (
    id UUID PRIMARY KEY,
    clearing_id UUID NOT NULL REFERENCES federation_clearings (id),
    debit_account UUID NOT NULL REFERENCES accounts (id),
    credit_account UUID NOT NULL REFERENCES accounts (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    transfer_id UUID
);
CREATE INDEX federation_clearing_legs_round ON federation_clearing_legs (clearing_id);

-- The initiator's record of each other district of a round: 'asked', 'prepared', 'refused'
-- (with its code), and told (it acknowledged the outcome).
CREATE TABLE federation_clearing_parties (
    clearing_id UUID NOT NULL REFERENCES federation_clearings (id),
    link_id UUID NOT NULL REFERENCES federation_links (id),
    answer TEXT NOT NULL CHECK (answer IN ('asked', 'prepared', 'refused')),
    refusal TEXT,
    told BOOLEAN NOT NULL,
    PRIMARY KEY (clearing_id, link_id)
);
