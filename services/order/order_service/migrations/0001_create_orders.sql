-- An order moves pending -> confirmed | rejected, and confirmed -> cancelling -> cancelled.
-- pending -> rejecting -> rejected when stock may be held: the rejection is stored before
-- the release, so a concurrent confirm (guarded by status = 'pending') cannot win after it.
-- total_cents and unit_price_cents stay NULL until the product service has priced the items.
CREATE TABLE orders (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    status text NOT NULL
        CHECK (status IN ('pending', 'confirmed', 'rejecting', 'rejected', 'cancelling',
                          'cancelled')),
    total_cents bigint CHECK (total_cents >= 0),
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash text NOT NULL,
    error_status smallint,
    error_code text,
    error_message text,
    error_details jsonb,
    -- Set while a recovery pass works on the order, so other replicas leave it alone.
    recovery_lease_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_user_idempotency_key_key UNIQUE (user_id, idempotency_key)
);

-- Listing a user's orders, newest first; id breaks ties between equal timestamps.
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id DESC);

-- The recovery scan reads only unsettled orders, a small share of the table.
CREATE INDEX orders_unsettled_updated_idx ON orders (updated_at)
    WHERE status IN ('pending', 'rejecting', 'cancelling');

CREATE TABLE order_items (
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id bigint NOT NULL CHECK (product_id > 0),
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    unit_price_cents integer CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, product_id)
);
