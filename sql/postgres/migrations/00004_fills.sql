-- Fills like the market's: orders fill in parts, stop orders wait for a
-- trigger, and a modified order may keep or lose its place in the queue.
--
-- book says which book an open order rests in: 'L' for the limit book (a
-- LIMIT order, or a STOP_LIMIT order once triggered), 'S' for stop orders
-- waiting for their trigger; NULL for every final order and for orders
-- that never rest. book_key is the order's key in that book, in whole won:
-- the limit (or the stop price, in the stop book) for a sell, its negation
-- for a buy, so that ascending order is best price first on both sides of
-- the limit book. priority_at is the order's place in the queue at its
-- price: its creation, or its last modification that was more than a size
-- reduction. The store writes book and book_key from the order's status
-- and type on every insert and update, so they cannot disagree with them.
--
-- orders_book holds open orders only, in the matcher's order (the id
-- breaks ties): partially filled orders stay in it,
-- which the old index on status = 'PENDING' could not do.

-- +goose Up
ALTER TABLE orders ADD COLUMN stop_price NUMERIC(24, 4);
ALTER TABLE orders ADD COLUMN triggered_at TIMESTAMPTZ;
ALTER TABLE orders ADD COLUMN priority_at TIMESTAMPTZ;
ALTER TABLE orders ADD COLUMN book TEXT COLLATE "C";
ALTER TABLE orders ADD COLUMN book_key BIGINT;
UPDATE orders SET priority_at = created_at;
UPDATE orders SET book = 'L',
    book_key = CASE WHEN side = 'BUY' THEN -price_key ELSE price_key END
WHERE status IN ('PENDING', 'PARTIALLY_FILLED') AND price_key IS NOT NULL;
CREATE INDEX orders_book ON orders (stock_code, book, side, book_key, priority_at, id) WHERE book IS NOT NULL;
DROP INDEX orders_resting;
DROP INDEX orders_expiry;
DROP INDEX orders_open;
CREATE INDEX orders_expiry ON orders (expires_at) WHERE book IS NOT NULL;
CREATE INDEX orders_open ON orders (account_id, id) WHERE book IS NOT NULL;

-- +goose Down
DROP INDEX orders_open;
DROP INDEX orders_expiry;
DROP INDEX orders_book;
CREATE INDEX orders_resting ON orders (stock_code, side, price_key) WHERE status = 'PENDING';
CREATE INDEX orders_expiry ON orders (expires_at) WHERE status = 'PENDING';
CREATE INDEX orders_open ON orders (account_id, id) WHERE status = 'PENDING';
ALTER TABLE orders DROP COLUMN book_key;
ALTER TABLE orders DROP COLUMN book;
ALTER TABLE orders DROP COLUMN priority_at;
ALTER TABLE orders DROP COLUMN triggered_at;
ALTER TABLE orders DROP COLUMN stop_price;
