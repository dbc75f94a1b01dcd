-- Federation (issue 9): this district's signing keys, the districts linked with it and their
-- keys, the history of each link, and the nonces of signed requests already received.

-- This district's Ed25519 keys. The newest one not retired signs; a retired key is kept so the
-- history says which key signed what. The seed is the district's identity: it travels in the
-- export like the password hashes do.
CREATE TABLE federation_keys (
    keyid TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    secret_seed BLOB NOT NULL CHECK (length(secret_seed) = 32),
    created_at TIMESTAMPTZ NOT NULL,
    retired_at TIMESTAMPTZ
);

-- Another district. 'proposed': our coordinator asked, theirs has not approved yet;
-- 'requested': they asked, ours has not approved yet; 'active'; 'suspended' (either side may
-- resume); 'ended' (final).
CREATE TABLE federation_links (
    id UUID PRIMARY KEY,
    peer_url TEXT NOT NULL UNIQUE,
    peer_name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'requested', 'active', 'suspended', 'ended')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The public keys of a linked district, by the key id its signatures name (unique across
-- every link, so a signature names one district).
CREATE TABLE federation_peer_keys (
    keyid TEXT PRIMARY KEY,
    link_id UUID NOT NULL REFERENCES federation_links (id),
    public_key TEXT NOT NULL,
    added_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX federation_peer_keys_link ON federation_peer_keys (link_id);

-- Every change of a link's status: who (a coordinator here, or the other district) and why.
CREATE TABLE federation_link_events (
    id UUID PRIMARY KEY,
    link_id UUID NOT NULL REFERENCES federation_links (id),
    status TEXT NOT NULL,
    actor_id UUID REFERENCES people (id),
    by_peer BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX federation_link_events_link ON federation_link_events (link_id, at);

-- Nonces of accepted signed requests, kept while their signature could still be replayed.
CREATE TABLE federation_nonces (
    keyid TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (keyid, nonce)
);
CREATE INDEX federation_nonces_seen ON federation_nonces (seen_at);
