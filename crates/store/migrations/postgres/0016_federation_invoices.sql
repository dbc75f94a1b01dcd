-- Invoices between members of linked districts (issue 9). Both districts keep the invoice
-- under the same id: the creditor's district (side 'creditor') and the debtor's ('debtor').
-- Amounts are in the minor units of the creditor's district currency (currency), whichever
-- side stores the row. delivered: the creditor's district knows the debtor's has it (always
-- true on the debtor's side). status is an invoice status (issued, accepted, disputed, paid,
-- cancelled); paid_minor grows only with committed payments between districts that name it.
CREATE TABLE federation_invoices (
    id UUID PRIMARY KEY,
    link_id UUID NOT NULL REFERENCES federation_links (id),
    side TEXT NOT NULL CHECK (side IN ('creditor', 'debtor')),
    account_id UUID NOT NULL REFERENCES accounts (id),
    counterpart TEXT NOT NULL,
    counterpart_name TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    paid_minor BIGINT NOT NULL CHECK (paid_minor >= 0),
    set_off_minor BIGINT NOT NULL CHECK (set_off_minor >= 0),
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('issued', 'accepted', 'disputed', 'paid', 'cancelled')),
    due_on DATE NOT NULL,
    dispute_reason TEXT,
    delivered BOOLEAN NOT NULL,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX federation_invoices_account ON federation_invoices (account_id, created_at);
CREATE INDEX federation_invoices_undelivered ON federation_invoices (updated_at) WHERE NOT delivered;

-- The invoice a payment between districts pays (its id, the same on both sides), if any.
ALTER TABLE federation_payments ADD COLUMN invoice_id UUID;
CREATE INDEX federation_payments_invoice ON federation_payments (invoice_id) WHERE invoice_id IS NOT NULL;

-- What a clearing round between districts sets off of an invoice between districts that this
-- district keeps (added to its set_off_minor when the round commits here).
CREATE TABLE federation_clearing_invoices (
    clearing_id UUID NOT NULL REFERENCES federation_clearings (id),
    invoice_id UUID NOT NULL REFERENCES federation_invoices (id),
    set_off_minor BIGINT NOT NULL CHECK (set_off_minor > 0),
    PRIMARY KEY (clearing_id, invoice_id)
);
CREATE INDEX federation_clearing_invoices_invoice ON federation_clearing_invoices (invoice_id);

-- The clearing schedule of a link: the period in days each side's coordinator proposed (0:
-- none). Agreed when both proposed the same period above 0; the district whose address sorts
-- first starts the rounds.
CREATE TABLE federation_clearing_schedules (
    link_id UUID PRIMARY KEY REFERENCES federation_links (id),
    ours_days INTEGER NOT NULL CHECK (ours_days >= 0),
    theirs_days INTEGER NOT NULL CHECK (theirs_days >= 0),
    updated_at TIMESTAMPTZ NOT NULL
);
