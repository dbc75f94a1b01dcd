-- Democratic governance (issue 6): bodies with their electorate rule and colleges, proposals
-- with deliberation comments, the electorate frozen when voting opens, proxies, and ballots.
-- Open ballots carry the voter; secret ballots are split in two tables: the register says who
-- voted, the ballot box holds choices under a receipt code, with nothing joining them.

CREATE TABLE gov_bodies (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- 'people' (one person one vote: active individual members), 'organizations' (one member
    -- organisation one vote, cast by its representative) or 'colleges' (listed voters, each in
    -- a weighted college).
    electorate TEXT NOT NULL,
    -- Most proxies one person may hold in this body.
    max_proxies INTEGER NOT NULL,
    created_by UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE gov_colleges (
    id UUID PRIMARY KEY,
    body_id UUID NOT NULL REFERENCES gov_bodies (id),
    name TEXT NOT NULL,
    weight INTEGER NOT NULL,
    UNIQUE (body_id, name)
);

-- The voters of a 'colleges' body: a person or an organisation, in one college.
CREATE TABLE gov_body_voters (
    body_id UUID NOT NULL REFERENCES gov_bodies (id),
    voter_id UUID NOT NULL,
    -- 'person' or 'organization'.
    voter_kind TEXT NOT NULL,
    college_id UUID NOT NULL REFERENCES gov_colleges (id),
    PRIMARY KEY (body_id, voter_id)
);

-- Who casts an organisation's vote in a body (its admins when nobody is designated).
CREATE TABLE gov_representatives (
    body_id UUID NOT NULL REFERENCES gov_bodies (id),
    organization_id UUID NOT NULL REFERENCES organizations (id),
    person_id UUID NOT NULL REFERENCES people (id),
    PRIMARY KEY (body_id, organization_id)
);

CREATE TABLE gov_proposals (
    id UUID PRIMARY KEY,
    body_id UUID NOT NULL REFERENCES gov_bodies (id),
    number BIGINT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    author_id UUID NOT NULL REFERENCES people (id),
    -- 'draft', 'deliberation', 'voting', 'closed', 'withdrawn'.
    status TEXT NOT NULL,
    -- 'majority', 'consent', 'approval', 'score', 'schulze', 'instant_runoff'.
    method TEXT NOT NULL,
    -- The options' labels as a JSON array (empty for majority and consent).
    options TEXT NOT NULL,
    -- 'more_than_half' or 'at_least:NN'.
    threshold TEXT NOT NULL,
    quorum_percent INTEGER NOT NULL,
    seats INTEGER NOT NULL,
    max_approvals INTEGER,
    max_score INTEGER NOT NULL,
    secret BOOLEAN NOT NULL,
    opens_at TIMESTAMPTZ,
    closes_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    -- Filled when voting closes: the outcome code and the whole tally as JSON.
    outcome TEXT,
    tally TEXT,
    closed_at TIMESTAMPTZ,
    minutes TEXT NOT NULL,
    -- A decision's effect as JSON (admit a member, set an account's limits, a grant from the
    -- district fund), applied once when the proposal passes; NULL for none.
    effect TEXT,
    -- 'none', 'pending' (passed, not applied yet), 'applied', 'failed' (with a note), 'void'
    -- (the proposal did not pass).
    effect_status TEXT NOT NULL,
    effect_note TEXT NOT NULL,
    -- Participatory budgeting (method 'equal_shares'): the budget shared among the projects.
    budget_minor BIGINT
);
CREATE INDEX gov_proposals_body ON gov_proposals (body_id, status, number);
CREATE INDEX gov_proposals_closing ON gov_proposals (status, closes_at);

CREATE TABLE gov_comments (
    id UUID PRIMARY KEY,
    proposal_id UUID NOT NULL REFERENCES gov_proposals (id),
    parent_id UUID REFERENCES gov_comments (id),
    author_id UUID NOT NULL REFERENCES people (id),
    text TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX gov_comments_proposal ON gov_comments (proposal_id, created_at);

-- The electorate of a proposal, frozen when voting opens.
CREATE TABLE gov_electorate (
    proposal_id UUID NOT NULL REFERENCES gov_proposals (id),
    voter_id UUID NOT NULL,
    voter_kind TEXT NOT NULL,
    -- Index of the voter's college in the body's colleges ordered by name (0 without colleges).
    college INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, voter_id)
);

-- A proxy: `giver` (a voter) lets `holder` (a person) vote for it in a body, or on one
-- proposal only. Revoking ends it; a vote cast in person overrides it.
CREATE TABLE gov_proxies (
    id UUID PRIMARY KEY,
    body_id UUID NOT NULL REFERENCES gov_bodies (id),
    proposal_id UUID REFERENCES gov_proposals (id),
    giver_id UUID NOT NULL,
    holder_id UUID NOT NULL REFERENCES people (id),
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX gov_proxies_holder ON gov_proxies (holder_id, body_id);
CREATE INDEX gov_proxies_giver ON gov_proxies (giver_id, body_id);

-- Open ballots: one counted ballot per voter per proposal (the primary key), replaced when the
-- voter votes again or votes in person over a proxy.
CREATE TABLE gov_ballots (
    proposal_id UUID NOT NULL REFERENCES gov_proposals (id),
    voter_id UUID NOT NULL,
    college INTEGER NOT NULL,
    choice TEXT NOT NULL,
    cast_by UUID NOT NULL,
    cast_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (proposal_id, voter_id)
);

-- Secret ballots, part one: who has voted (one row per voter per proposal, the primary key).
CREATE TABLE gov_register (
    proposal_id UUID NOT NULL REFERENCES gov_proposals (id),
    voter_id UUID NOT NULL,
    cast_by UUID NOT NULL,
    PRIMARY KEY (proposal_id, voter_id)
);

-- Secret ballots, part two: the ballot box. No voter, no time; the rows are kept in receipt
-- order on SQLite; PostgreSQL keeps heap order, see README.
CREATE TABLE gov_secret_ballots (
    proposal_id UUID NOT NULL REFERENCES gov_proposals (id),
    receipt TEXT NOT NULL,
    college INTEGER NOT NULL,
    choice TEXT NOT NULL,
    PRIMARY KEY (proposal_id, receipt)
);

-- Participatory budgeting: the projects submitted to a call ('equal_shares' proposal), their
-- review, their option number once voting opens, and whether the Method of Equal Shares (and,
-- shown beside it, the greedy rule) selected them.
CREATE TABLE gov_projects (
    id UUID PRIMARY KEY,
    proposal_id UUID NOT NULL REFERENCES gov_proposals (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    cost_minor BIGINT NOT NULL,
    -- The account the grant goes to.
    account_id UUID NOT NULL REFERENCES accounts (id),
    submitted_by UUID NOT NULL REFERENCES people (id),
    submitted_at TIMESTAMPTZ NOT NULL,
    -- 'submitted', 'eligible' or 'ineligible'.
    status TEXT NOT NULL,
    review_note TEXT NOT NULL,
    option_index INTEGER,
    selected BOOLEAN NOT NULL,
    greedy_selected BOOLEAN NOT NULL
);
CREATE INDEX gov_projects_proposal ON gov_projects (proposal_id, submitted_at);

-- The grants a passed decision makes from the district fund (a grant effect, or the selected
-- projects of a participatory budget): planned at the close, posted by the ledger writer in
-- one transaction that also marks the decision's effect applied, so they are paid once.
CREATE TABLE gov_grants (
    id UUID PRIMARY KEY,
    proposal_id UUID NOT NULL REFERENCES gov_proposals (id),
    account_id UUID NOT NULL REFERENCES accounts (id),
    amount_minor BIGINT NOT NULL,
    project_id UUID REFERENCES gov_projects (id),
    memo TEXT NOT NULL,
    transfer_id UUID
);
CREATE INDEX gov_grants_proposal ON gov_grants (proposal_id);

-- Amendments of the deliberation: a member proposes a new version of the text; the author
-- accepts it (the proposal's text becomes it) or declines it, before the vote opens.
CREATE TABLE gov_amendments (
    id UUID PRIMARY KEY,
    proposal_id UUID NOT NULL REFERENCES gov_proposals (id),
    author_id UUID NOT NULL REFERENCES people (id),
    text TEXT NOT NULL,
    note TEXT NOT NULL,
    -- 'open', 'accepted' or 'declined'.
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ
);
CREATE INDEX gov_amendments_proposal ON gov_amendments (proposal_id, created_at);
