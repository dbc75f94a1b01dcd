-- Shared resources (issue 7): equipment and spaces an organisation lends, and their bookings.
-- Times are UTC. The database itself refuses two active bookings of one resource that share an
-- instant: a trigger here (writers are serialised, BEGIN IMMEDIATE), an exclusion constraint on
-- PostgreSQL. Booking times never change once inserted.

CREATE TABLE market_resources (
    id UUID PRIMARY KEY,
    owner_id UUID NOT NULL REFERENCES organizations (id),
    -- 'van', 'tractor', 'cold_room', 'kitchen', 'hall', 'tool', 'other'.
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    place TEXT NOT NULL,
    rules TEXT NOT NULL,
    -- The district credit the fee is paid in.
    currency TEXT NOT NULL,
    -- Per started hour or day ('hour', 'day'); 0 = free.
    fee_minor BIGINT NOT NULL CHECK (fee_minor >= 0),
    fee_unit TEXT NOT NULL,
    -- Weekly UTC opening windows, one per line: 'mon 08:00-18:00'.
    availability TEXT NOT NULL,
    min_minutes BIGINT NOT NULL,
    max_minutes BIGINT NOT NULL,
    max_ahead_days BIGINT NOT NULL,
    -- Cancelling is free until this many hours before the start; later the owner keeps
    -- kept_percent of the fee.
    free_cancel_hours BIGINT NOT NULL,
    kept_percent BIGINT NOT NULL CHECK (kept_percent BETWEEN 0 AND 100),
    enabled BOOLEAN NOT NULL,
    created_by UUID NOT NULL REFERENCES people (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX market_resources_owner ON market_resources (owner_id);

CREATE TABLE market_bookings (
    id UUID PRIMARY KEY,
    resource_id UUID NOT NULL REFERENCES market_resources (id),
    booked_by UUID NOT NULL REFERENCES people (id),
    -- The account that pays the fee (the person's own, or an organisation's they administer).
    account_id UUID NOT NULL REFERENCES accounts (id),
    -- The owner's account that receives it.
    payee_account UUID REFERENCES accounts (id),
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL CHECK (julianday(ends_at) > julianday(starts_at)),
    -- 'held' (waiting for its fee), 'confirmed', 'cancelled', 'released' (the fee was refused).
    status TEXT NOT NULL,
    fee_minor BIGINT NOT NULL CHECK (fee_minor >= 0),
    -- The cancellation policy when booked (a later change of the resource does not apply).
    free_cancel_hours BIGINT NOT NULL,
    kept_percent BIGINT NOT NULL,
    transfer_id UUID UNIQUE REFERENCES transfers (id),
    refund_minor BIGINT,
    refund_transfer_id UUID UNIQUE REFERENCES transfers (id),
    -- Why a held booking was released (a ledger refusal code).
    release_reason TEXT,
    note TEXT NOT NULL,
    -- The client's Idempotency-Key and the hash of its request, per person.
    idempotency_key TEXT,
    request_hash BLOB,
    created_at TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ,
    cancelled_at TIMESTAMPTZ,
    UNIQUE (booked_by, idempotency_key)
);
CREATE INDEX market_bookings_resource ON market_bookings (resource_id, starts_at);
CREATE INDEX market_bookings_booker ON market_bookings (booked_by, starts_at);

CREATE TRIGGER market_bookings_no_overlap BEFORE INSERT ON market_bookings
WHEN NEW.status IN ('held', 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'slot_taken') FROM market_bookings b
    WHERE b.resource_id = NEW.resource_id AND b.status IN ('held', 'confirmed')
      AND julianday(b.starts_at) < julianday(NEW.ends_at)
      AND julianday(NEW.starts_at) < julianday(b.ends_at);
END;
