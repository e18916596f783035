-- name: CreateOrder :exec
INSERT INTO orders (
    id, user_id, client_order_id, stock_code, side, type, time_in_force,
    quantity, limit_price, price_key, status, filled_quantity,
    average_fill_price, reserved_amount, commission, tax, expires_at, reason,
    created_at, updated_at, account_id, stop_price, triggered_at,
    priority_at, book, book_key
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26);

-- name: GetOrder :one
SELECT * FROM orders WHERE id = $1;

-- name: LockOrder :one
SELECT * FROM orders WHERE id = $1 FOR UPDATE;

-- name: GetOrderByClientID :one
SELECT * FROM orders WHERE user_id = $1 AND client_order_id = $2;

-- The cursor is always bound (the adapter passes a value above every id
-- for the first page) so that the id range is an index range, not a filter.
-- name: ListOrders :many
SELECT * FROM orders
WHERE account_id = sqlc.arg(account_id)
  AND id < sqlc.arg(before)
  AND (sqlc.arg(status)::text = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(stock_code)::text = '' OR stock_code = sqlc.arg(stock_code))
  AND (sqlc.arg(side)::text = '' OR side = sqlc.arg(side))
ORDER BY id DESC
LIMIT sqlc.arg('limit');

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
LIMIT sqlc.arg('limit');

-- name: ListOpenOrders :many
SELECT * FROM orders
WHERE account_id = $1 AND book IS NOT NULL
ORDER BY id;
