CREATE TABLE IF NOT EXISTS products (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku text NOT NULL UNIQUE,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    category text NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0),
    stock integer NOT NULL CHECK (stock >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS products_category_id_idx ON products (category, id);

-- A trigram GIN index serves `name ILIKE '%q%'`. The pgserver wheel's PostgreSQL 16.2 ships
-- without pg_trgm, so there the search scans the table, which is fine for a catalog of
-- thousands of rows but not of millions.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX IF NOT EXISTS products_name_trgm_idx
            ON products USING gin (name gin_trgm_ops);
    END IF;
END
$$;

CREATE TABLE IF NOT EXISTS reservations (
    order_id uuid PRIMARY KEY,
    status text NOT NULL CHECK (status IN ('reserved', 'released')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS reservation_items (
    order_id uuid NOT NULL REFERENCES reservations (order_id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id),
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, product_id)
);

CREATE INDEX IF NOT EXISTS reservation_items_product_id_idx ON reservation_items (product_id);
