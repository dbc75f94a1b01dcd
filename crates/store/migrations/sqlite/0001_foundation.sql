-- Foundation: directory, people, memberships, applications, sessions, accounts.
-- Written in the SQL dialect both backends accept (see STACK.md); types differ only where needed.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE organizations (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    legal_form TEXT NOT NULL DEFAULT '',
    sector TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    website TEXT,
    contact_email TEXT,
    phone TEXT,
    address TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    locality TEXT NOT NULL DEFAULT '',
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    founded_year INTEGER,
    workers_fte_hundredths BIGINT NOT NULL DEFAULT 0,
    volunteers INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    charter_version TEXT,
    charter_signed_at TIMESTAMPTZ,
    sort_name TEXT NOT NULL,
    search_text TEXT NOT NULL,
    locality_key TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX organizations_status_sort ON organizations (status, sort_name, id);
CREATE INDEX organizations_kind ON organizations (status, kind, sort_name);
CREATE INDEX organizations_sector ON organizations (status, sector, sort_name);
CREATE INDEX organizations_locality ON organizations (status, locality_key, sort_name);

CREATE TABLE people (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    membership_status TEXT NOT NULL,
    locale TEXT,
    phone TEXT,
    bio TEXT NOT NULL DEFAULT '',
    locality TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    person_id UUID NOT NULL REFERENCES people (id),
    organization_id UUID NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, organization_id)
);
CREATE INDEX memberships_organization ON memberships (organization_id);

CREATE TABLE applications (
    id UUID PRIMARY KEY,
    person_id UUID NOT NULL REFERENCES people (id),
    kind TEXT NOT NULL,
    organization_id UUID REFERENCES organizations (id),
    message TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by UUID REFERENCES people (id)
);
CREATE INDEX applications_status ON applications (status, created_at);
CREATE INDEX applications_person ON applications (person_id);

-- Append-only log of every admission, rejection, suspension and reinstatement.
CREATE TABLE membership_decisions (
    id UUID PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject_id UUID NOT NULL,
    application_id UUID REFERENCES applications (id),
    decision TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by UUID REFERENCES people (id),
    decided_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX membership_decisions_at ON membership_decisions (decided_at);
CREATE INDEX membership_decisions_subject ON membership_decisions (subject_id);

CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    created_by UUID NOT NULL REFERENCES people (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    accepted_by UUID REFERENCES people (id),
    accepted_at TIMESTAMPTZ
);

-- Browser sessions and API tokens: only a SHA-256 of the secret is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    person_id UUID NOT NULL REFERENCES people (id),
    kind TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_person ON sessions (person_id);

CREATE TABLE sign_in_failures (
    throttle_key TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (throttle_key, failed_at);

CREATE TABLE accounts (
    id UUID PRIMARY KEY,
    owner_kind TEXT NOT NULL,
    owner_id UUID,
    currency TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_owner ON accounts (owner_kind, owner_id);
