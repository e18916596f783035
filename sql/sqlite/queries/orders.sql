-- name: CreateOrder :exec
INSERT INTO orders (
    id, user_id, client_order_id, stock_code, side, type, time_in_force,
    quantity, limit_price, price_key, status, filled_quantity,
    average_fill_price, reserved_amount, commission, tax, expires_at, reason,
    created_at, updated_at, account_id, stop_price, triggered_at,
    priority_at, book, book_key
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetOrder :one
SELECT * FROM orders WHERE id = ?;

-- SQLite has no row locks: a transaction holds the database's one write
-- lock from BEGIN IMMEDIATE on, so a locking read is a plain read.
-- name: LockOrder :one
SELECT * FROM orders WHERE id = ?;

-- name: GetOrderByClientID :one
SELECT * FROM orders WHERE user_id = ? AND client_order_id = ?;

-- The cursor is always bound (the adapter passes a value above every id
-- for the first page) so that the id range is an index range, not a filter.
-- name: ListOrders :many
SELECT * FROM orders
WHERE account_id = sqlc.arg(account_id)
  AND id < sqlc.arg(before)
  AND (CAST(sqlc.arg(status) AS TEXT) = '' OR status = sqlc.arg(status))
  AND (CAST(sqlc.arg(stock_code) AS TEXT) = '' OR stock_code = sqlc.arg(stock_code))
  AND (CAST(sqlc.arg(side) AS TEXT) = '' OR side = sqlc.arg(side))
ORDER BY id DESC
LIMIT CAST(sqlc.arg('limit') AS INTEGER);

-- name: UpdateOrder :execrows
UPDATE orders
SET status = sqlc.arg(status),
    quantity = sqlc.arg(quantity),
    limit_price = sqlc.arg(limit_price),
    price_key = sqlc.arg(price_key),
    triggered_at = sqlc.arg(triggered_at),
    priority_at = sqlc.arg(priority_at),
    book = sqlc.arg(book),
    book_key = sqlc.arg(book_key),
    filled_quantity = sqlc.arg(filled_quantity),
    average_fill_price = sqlc.arg(average_fill_price),
    reserved_amount = sqlc.arg(reserved_amount),
    commission = sqlc.arg(commission),
    tax = sqlc.arg(tax),
    expires_at = sqlc.arg(expires_at),
    reason = sqlc.arg(reason),
    updated_at = sqlc.arg(updated_at)
WHERE id = sqlc.arg(id) AND status = sqlc.arg(from_status);

-- Ordered by expiry alone, which the index orders_expiry (open orders
-- only) delivers: DAY orders share one expiry (the close), and a
-- tie-break on id would sort all of them on every call of the sweep.
-- name: ListExpiringOrders :many
SELECT * FROM orders
WHERE book IS NOT NULL AND expires_at <= sqlc.arg(until_time)
ORDER BY expires_at
LIMIT CAST(sqlc.arg('limit') AS INTEGER);

-- name: ListOpenOrders :many
SELECT * FROM orders
WHERE account_id = ? AND book IS NOT NULL
ORDER BY id;
