-- Impact and planning (issue 8).
--
-- The monthly aggregates of the journal that the trade indicators read, kept up to date by
-- folding the postings after impact_cursor.last_seq (one refresh at a time: it moves the
-- cursor first, conditionally, in the same transaction). They are derived data: export leaves
-- them out and a district rebuilt from an export folds its journal again.
CREATE TABLE impact_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL
);
INSERT INTO impact_cursor (id, last_seq) VALUES (1, 0);

-- Credit moved per month (YYYY-MM, UTC), pair of accounts and kind of transfer.
CREATE TABLE impact_flows (
    month TEXT NOT NULL,
    payer UUID NOT NULL,
    payee UUID NOT NULL,
    kind TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    transfers BIGINT NOT NULL,
    PRIMARY KEY (month, payer, payee, kind)
);

-- Each account's balance after its last posting of a month.
CREATE TABLE impact_closings (
    account_id UUID NOT NULL,
    month TEXT NOT NULL,
    seq BIGINT NOT NULL,
    balance_minor BIGINT NOT NULL,
    PRIMARY KEY (account_id, month)
);
CREATE INDEX impact_closings_month ON impact_closings (month);

-- A member organisation's answer to the short survey of its spending outside the ledger, per
-- calendar year (euro, minor units). by_sector: JSON [["sector", minor], …], what it bought
-- outside the district by the sector of the good or service.
CREATE TABLE impact_surveys (
    organization_id UUID NOT NULL REFERENCES organizations (id),
    year INTEGER NOT NULL,
    outside_total_minor BIGINT NOT NULL CHECK (outside_total_minor >= 0),
    outside_local_minor BIGINT NOT NULL CHECK (outside_local_minor >= 0 AND outside_local_minor <= outside_total_minor),
    by_sector TEXT NOT NULL,
    answered_by UUID NOT NULL,
    answered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organization_id, year)
);

-- Relocalisation scenarios coordinators save to compare: the period whose flows built the
-- model, the sector and the share of outside purchases shifted, and the projection (JSON).
CREATE TABLE impact_scenarios (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    period TEXT NOT NULL,
    sector TEXT NOT NULL,
    shift_percent INTEGER NOT NULL CHECK (shift_percent BETWEEN 0 AND 100),
    projection TEXT NOT NULL,
    created_by UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX impact_scenarios_created ON impact_scenarios (created_at);
