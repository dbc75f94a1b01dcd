-- Offers and needs (issue 7): listings, take-ups, references, match notices.
--
-- A listing belongs to a person or to an organisation (exactly one); its author is the person
-- who published it (an admin of the organisation). Prices are positive minor units, in
-- district credit and/or euro cents; neither is a gift.
CREATE TABLE market_listings (
    id UUID PRIMARY KEY,
    side TEXT NOT NULL CHECK (side IN ('offer', 'need')),
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    credit_minor BIGINT CHECK (credit_minor > 0),
    euro_cents BIGINT CHECK (euro_cents > 0),
    locality TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    available_from DATE,
    valid_until DATE NOT NULL,
    owner_person_id UUID REFERENCES people (id),
    owner_organization_id UUID REFERENCES organizations (id),
    author_id UUID NOT NULL REFERENCES people (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'taken_up', 'withdrawn')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    -- Folded title, description and locality: what the full-text index holds.
    search_text TEXT NOT NULL,
    -- The place tokens of the listing's grid cells (geo::cell_tokens), so that "words near a
    -- point" is one intersection inside the full-text index.
    cells TEXT NOT NULL DEFAULT '',
    search_key INTEGER,
    CHECK ((owner_person_id IS NULL) <> (owner_organization_id IS NULL)),
    CHECK ((lat IS NULL) = (lon IS NULL))
);
CREATE UNIQUE INDEX market_listings_search_key ON market_listings (search_key);
-- Browsing newest first.
CREATE INDEX market_listings_open_new ON market_listings (status, created_at);
-- Matching candidates: one category in a bounding box (a range on latitude, longitude checked
-- from the index entry), or unlocated (lat IS NULL).
CREATE INDEX market_listings_match ON market_listings (status, side, category, lat, lon);
-- Searching around a point: a range on latitude, whatever the side.
CREATE INDEX market_listings_lat ON market_listings (status, lat, lon);
CREATE INDEX market_listings_owner_person ON market_listings (owner_person_id, created_at);
CREATE INDEX market_listings_owner_org ON market_listings (owner_organization_id, created_at);
CREATE INDEX market_listings_author ON market_listings (author_id, created_at);

-- Word-prefix search as in the directory (0003): an FTS5 index keyed by an explicit integer.
CREATE VIRTUAL TABLE market_listings_search USING fts5(search_text, cells, tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER market_listings_search_insert AFTER INSERT ON market_listings BEGIN
    UPDATE market_listings SET search_key = (SELECT COALESCE(MAX(search_key), 0) + 1 FROM market_listings)
        WHERE id = new.id;
    INSERT INTO market_listings_search (rowid, search_text, cells)
        SELECT search_key, search_text, cells FROM market_listings WHERE id = new.id;
END;

CREATE TRIGGER market_listings_search_update AFTER UPDATE OF search_text, cells ON market_listings BEGIN
    DELETE FROM market_listings_search WHERE rowid = old.search_key;
    INSERT INTO market_listings_search (rowid, search_text, cells) VALUES (new.search_key, new.search_text, new.cells);
END;

CREATE TRIGGER market_listings_search_delete AFTER DELETE ON market_listings BEGIN
    DELETE FROM market_listings_search WHERE rowid = old.search_key;
END;

-- Who took up which listing (once), and what the ledger was asked to do for it.
CREATE TABLE market_takeups (
    id UUID PRIMARY KEY,
    listing_id UUID NOT NULL UNIQUE REFERENCES market_listings (id),
    taker_id UUID NOT NULL REFERENCES people (id),
    taker_account_id UUID REFERENCES accounts (id),
    owner_account_id UUID REFERENCES accounts (id),
    payment_request_id UUID REFERENCES payment_requests (id),
    invoice_id UUID REFERENCES invoices (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX market_takeups_taker ON market_takeups (taker_id, created_at);

-- Each side of a take-up leaves one reference.
CREATE TABLE market_references (
    takeup_id UUID NOT NULL REFERENCES market_takeups (id),
    side TEXT NOT NULL CHECK (side IN ('owner', 'taker')),
    author_id UUID NOT NULL REFERENCES people (id),
    rating TEXT NOT NULL CHECK (rating IN ('positive', 'neutral', 'negative')),
    text TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (takeup_id, side)
);

-- A match already told to the owner of `listing_id` about `matched_id`: once per pair.
CREATE TABLE market_match_notices (
    listing_id UUID NOT NULL REFERENCES market_listings (id),
    matched_id UUID NOT NULL REFERENCES market_listings (id),
    person_id UUID NOT NULL REFERENCES people (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (listing_id, matched_id)
);
