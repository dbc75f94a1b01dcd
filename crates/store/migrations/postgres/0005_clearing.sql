-- Multilateral clearing (issue 4): members' standing consent, clearing rounds, who takes part
-- in each and how they answered, the proposal per invoice (which is also the set-off record
-- once the round is applied) and the ledger transfers of credit-assisted rounds.

-- An account's standing consent: it takes part in every round of its currency unless it
-- withdraws from one.
CREATE TABLE clearing_consents (
    account_id UUID PRIMARY KEY REFERENCES accounts (id),
    standing BOOLEAN NOT NULL,
    changed_by UUID NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE clearing_rounds (
    id UUID PRIMARY KEY,
    -- 1, 2, 3… in the order rounds were opened: what notices and reports call it.
    number BIGINT NOT NULL UNIQUE,
    -- 'EUR' or the district currency: euro and credit invoices are cleared separately.
    currency TEXT NOT NULL,
    -- Invoices issued on or before this day are candidates.
    cut_off DATE NOT NULL,
    -- Participants answer until then; then the policy decides.
    deadline TIMESTAMPTZ NOT NULL,
    -- 'all_confirm' (applied once everyone confirmed, lapses at the deadline otherwise) or
    -- 'tacit' (applied at the deadline unless recomputed; withdrawing is the way to say no).
    policy TEXT NOT NULL,
    credit_assisted BOOLEAN NOT NULL,
    -- 'open', 'proposed', 'applied', 'lapsed', 'cancelled'.
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    opened_by UUID NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    proposed_at TIMESTAMPTZ,
    closed_by UUID,
    closed_at TIMESTAMPTZ,
    -- The proposal's figures (minor units of the round's currency).
    candidates BIGINT NOT NULL,
    parties BIGINT NOT NULL,
    debt_before_minor BIGINT NOT NULL,
    set_off_minor BIGINT NOT NULL,
    credit_settled_minor BIGINT NOT NULL,
    credit_transferred_minor BIGINT NOT NULL
);
-- At most one round in progress per currency.
CREATE UNIQUE INDEX clearing_rounds_in_progress ON clearing_rounds (currency) WHERE status IN ('open', 'proposed');
CREATE INDEX clearing_rounds_status ON clearing_rounds (status, deadline);

CREATE TABLE clearing_participants (
    round_id UUID NOT NULL REFERENCES clearing_rounds (id),
    account_id UUID NOT NULL REFERENCES accounts (id),
    -- 'standing' (by standing consent) or 'joined' (for this round).
    via TEXT NOT NULL,
    joined_by UUID,
    joined_at TIMESTAMPTZ NOT NULL,
    -- NULL (not yet), 'confirmed' (this proposal) or 'withdrawn' (out of this round).
    answer TEXT,
    answered_by UUID,
    answered_at TIMESTAMPTZ,
    PRIMARY KEY (round_id, account_id)
);
CREATE INDEX clearing_participants_account ON clearing_participants (account_id, round_id);

-- One line per candidate invoice: what remained before the round, what the set-off takes and
-- what credit-assisted settlement takes. Once the round is applied this is its set-off record.
CREATE TABLE clearing_lines (
    round_id UUID NOT NULL REFERENCES clearing_rounds (id),
    invoice_id UUID NOT NULL REFERENCES invoices (id),
    debtor UUID NOT NULL,
    creditor UUID NOT NULL,
    remaining_minor BIGINT NOT NULL,
    set_off_minor BIGINT NOT NULL,
    credit_minor BIGINT NOT NULL,
    PRIMARY KEY (round_id, invoice_id)
);
CREATE INDEX clearing_lines_debtor ON clearing_lines (round_id, debtor);
CREATE INDEX clearing_lines_creditor ON clearing_lines (round_id, creditor);
CREATE INDEX clearing_lines_invoice ON clearing_lines (invoice_id);

-- The ledger transfers of a credit-assisted round: planned with the proposal, posted with it.
CREATE TABLE clearing_transfers (
    round_id UUID NOT NULL REFERENCES clearing_rounds (id),
    payer UUID NOT NULL REFERENCES accounts (id),
    payee UUID NOT NULL REFERENCES accounts (id),
    amount_minor BIGINT NOT NULL,
    transfer_id UUID,
    PRIMARY KEY (round_id, payer, payee)
);
