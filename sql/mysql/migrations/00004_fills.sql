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
-- MySQL has no partial indexes, so book leads orders_book: the open orders
-- of a listing and side sit in one contiguous range of it, in priority
-- order (the id, which InnoDB appends, breaks ties), and partially filled
-- orders stay in it, which the old index led by status = 'PENDING' could
-- not do. Final orders have NULL entries that no matching query visits.

-- +goose Up
ALTER TABLE orders
    ADD COLUMN stop_price DECIMAL(24, 4) NULL,
    ADD COLUMN triggered_at DATETIME(6) NULL,
    ADD COLUMN priority_at DATETIME(6) NULL,
    ADD COLUMN book VARCHAR(1) NULL,
    ADD COLUMN book_key BIGINT NULL;
UPDATE orders SET priority_at = created_at;
UPDATE orders SET book = 'L', book_key = price_key
WHERE status IN ('PENDING', 'PARTIALLY_FILLED') AND price_key IS NOT NULL;
ALTER TABLE orders
    ADD KEY orders_book (book, stock_code, side, book_key, priority_at),
    ADD KEY orders_book_expiry (book, expires_at),
    DROP KEY orders_resting,
    DROP KEY orders_expiry;

-- +goose Down
ALTER TABLE orders
    ADD KEY orders_resting (status, stock_code, side, price_key),
    ADD KEY orders_expiry (status, expires_at),
    DROP KEY orders_book_expiry,
    DROP KEY orders_book;
ALTER TABLE orders
    DROP COLUMN book_key,
    DROP COLUMN book,
    DROP COLUMN priority_at,
    DROP COLUMN triggered_at,
    DROP COLUMN stop_price;
