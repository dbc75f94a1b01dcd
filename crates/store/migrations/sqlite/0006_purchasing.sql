-- Solidarity purchasing (issue 5): producers' catalogues, pickup points, order cycles of
-- purchasing groups, households' orders, the close, delivery with food miles, settlement, and
-- seasonal subscriptions (CSA).

-- A producer's product. Quantities are thousandths of the unit (`*_milli`); prices are minor
-- units per whole unit.
CREATE TABLE products (
    id UUID PRIMARY KEY,
    producer_id UUID NOT NULL REFERENCES organizations (id),
    -- The producer's own code, unique in their catalogue (GDXP and CSV files carry it).
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- 'kg', 'piece', 'l' or 'box'.
    unit TEXT NOT NULL,
    step_milli BIGINT NOT NULL,
    package_size_milli BIGINT NOT NULL,
    price_euro_minor BIGINT,
    price_credit_minor BIGINT,
    vat_basis_points INTEGER NOT NULL,
    origin TEXT NOT NULL,
    -- Certification codes separated by commas ('organic,fair_trade').
    certifications TEXT NOT NULL,
    -- Months available, bit 0 = January.
    season_months INTEGER NOT NULL,
    -- Units left when stock is limited; every order takes from it in its own transaction.
    stock_milli BIGINT,
    active BOOLEAN NOT NULL,
    photo_type TEXT,
    photo BLOB,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (producer_id, sku)
);
CREATE INDEX products_producer ON products (producer_id, active, name);

-- Where a purchasing group's households collect their orders.
CREATE TABLE pickup_points (
    id UUID PRIMARY KEY,
    group_id UUID NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX pickup_points_group ON pickup_points (group_id, active, name);

CREATE TABLE order_cycles (
    id UUID PRIMARY KEY,
    group_id UUID NOT NULL REFERENCES organizations (id),
    -- 1, 2, 3… per group, in the order cycles were opened.
    number BIGINT NOT NULL,
    name TEXT NOT NULL,
    -- 'EUR' (recorded as paid in euro) or the district currency (settled on the ledger).
    currency TEXT NOT NULL,
    opens_at TIMESTAMPTZ NOT NULL,
    closes_at TIMESTAMPTZ NOT NULL,
    -- The group's fee on top of producers' prices, in basis points.
    group_fee_basis_points INTEGER NOT NULL,
    -- 'open' (households order between opens_at and closes_at), 'closed' (rounded to
    -- packages, purchase orders sent), 'delivered', 'settled' or 'cancelled'.
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    settled_by UUID,
    settled_at TIMESTAMPTZ,
    UNIQUE (group_id, number)
);
CREATE INDEX order_cycles_status ON order_cycles (status, closes_at);

-- The producers of a cycle, with their minimum order and transport share.
CREATE TABLE cycle_producers (
    cycle_id UUID NOT NULL REFERENCES order_cycles (id),
    producer_id UUID NOT NULL REFERENCES organizations (id),
    minimum_minor BIGINT,
    transport_basis_points INTEGER NOT NULL,
    -- Set at the close: whether the minimum was met (its lines are cut otherwise).
    minimum_met BOOLEAN,
    PRIMARY KEY (cycle_id, producer_id)
);
CREATE INDEX cycle_producers_producer ON cycle_producers (producer_id, cycle_id);

-- The products offered in a cycle, with the price in the cycle's currency, the step and the
-- package they had when it opened (a catalogue edited meanwhile does not change the cycle).
CREATE TABLE cycle_products (
    cycle_id UUID NOT NULL REFERENCES order_cycles (id),
    product_id UUID NOT NULL REFERENCES products (id),
    producer_id UUID NOT NULL REFERENCES organizations (id),
    price_minor BIGINT NOT NULL,
    step_milli BIGINT NOT NULL,
    package_size_milli BIGINT NOT NULL,
    -- Whole packages ordered from the producer, set at the close.
    packages BIGINT,
    PRIMARY KEY (cycle_id, product_id)
);

-- Pickup points of a cycle with their time windows.
CREATE TABLE cycle_pickups (
    cycle_id UUID NOT NULL REFERENCES order_cycles (id),
    pickup_id UUID NOT NULL REFERENCES pickup_points (id),
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (cycle_id, pickup_id)
);

-- One household's order in a cycle.
CREATE TABLE orders (
    id UUID PRIMARY KEY,
    cycle_id UUID NOT NULL REFERENCES order_cycles (id),
    person_id UUID NOT NULL REFERENCES people (id),
    -- The account charged at settlement.
    account_id UUID NOT NULL REFERENCES accounts (id),
    pickup_id UUID NOT NULL REFERENCES pickup_points (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (cycle_id, person_id)
);

-- A line of an order. `beneficiary` is '' for the household itself or the friend's name it
-- orders for. A substitute delivered in place of a product is a line of its own, with
-- `substitute_for` naming the product it replaces and nothing ordered.
CREATE TABLE order_lines (
    order_id UUID NOT NULL REFERENCES orders (id),
    product_id UUID NOT NULL REFERENCES products (id),
    beneficiary TEXT NOT NULL,
    quantity_milli BIGINT NOT NULL,
    tolerance_milli BIGINT NOT NULL,
    -- Arrival order among the cycle's lines (ties in package rounding go to the earliest).
    arrival BIGINT NOT NULL,
    -- Set at the close.
    allocated_milli BIGINT,
    -- Set at delivery (real weight, shortage or substitute).
    delivered_milli BIGINT,
    substitute_for UUID,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_id, product_id, beneficiary)
);
CREATE INDEX order_lines_product ON order_lines (product_id);

-- What arrived from a producer at a pickup point, with the distance it travelled.
CREATE TABLE deliveries (
    cycle_id UUID NOT NULL REFERENCES order_cycles (id),
    producer_id UUID NOT NULL REFERENCES organizations (id),
    pickup_id UUID NOT NULL REFERENCES pickup_points (id),
    -- Haversine distance from the producer to the pickup point; NULL when either has no
    -- coordinates.
    distance_m BIGINT,
    -- Weight delivered, for food miles (kilogram-kilometres), when known.
    weight_g BIGINT NOT NULL,
    recorded_by UUID NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (cycle_id, producer_id, pickup_id)
);

-- The settlement of a cycle: each household's charge, each producer's payout and the group's
-- fee, with the ledger transfer that moved it (NULL when recorded as paid in euro).
CREATE TABLE cycle_settlements (
    cycle_id UUID NOT NULL REFERENCES order_cycles (id),
    account_id UUID NOT NULL REFERENCES accounts (id),
    -- 'household', 'producer' or 'group'.
    role TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    transfer_id UUID,
    PRIMARY KEY (cycle_id, account_id, role)
);

-- A farm's seasonal share (CSA, AMAP contract).
CREATE TABLE csa_plans (
    id UUID PRIMARY KEY,
    farm_id UUID NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    currency TEXT NOT NULL,
    share_price_minor BIGINT NOT NULL,
    first_delivery DATE NOT NULL,
    last_delivery DATE NOT NULL,
    every_weeks INTEGER NOT NULL,
    notice_days INTEGER NOT NULL,
    instalments INTEGER NOT NULL,
    pickup_id UUID REFERENCES pickup_points (id),
    capacity INTEGER,
    status TEXT NOT NULL,
    created_by UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX csa_plans_farm ON csa_plans (farm_id, first_delivery);

CREATE TABLE csa_subscriptions (
    id UUID PRIMARY KEY,
    plan_id UUID NOT NULL REFERENCES csa_plans (id),
    person_id UUID NOT NULL REFERENCES people (id),
    account_id UUID NOT NULL REFERENCES accounts (id),
    instalments INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (plan_id, person_id)
);

CREATE TABLE csa_deliveries (
    subscription_id UUID NOT NULL REFERENCES csa_subscriptions (id),
    day DATE NOT NULL,
    -- 'planned', 'skipped' or 'delivered'.
    status TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subscription_id, day)
);
CREATE INDEX csa_deliveries_day ON csa_deliveries (day, status);

CREATE TABLE csa_instalments (
    subscription_id UUID NOT NULL REFERENCES csa_subscriptions (id),
    number INTEGER NOT NULL,
    due DATE NOT NULL,
    amount_minor BIGINT NOT NULL,
    paid_at TIMESTAMPTZ,
    transfer_id UUID,
    PRIMARY KEY (subscription_id, number)
);
CREATE INDEX csa_instalments_due ON csa_instalments (due, paid_at);
