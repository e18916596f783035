-- name: CreateOrder :exec
INSERT INTO orders (
    id, user_id, client_order_id, stock_code, side, type, time_in_force,
    quantity, limit_price, price_key, status, filled_quantity,
    average_fill_price, reserved_amount, commission, tax, expires_at, reason,
    created_at, updated_at, account_id
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetOrder :one
SELECT * FROM orders WHERE id = ?;

-- name: LockOrder :one
SELECT * FROM orders WHERE id = ? FOR UPDATE;

-- name: GetOrderByClientID :one
SELECT * FROM orders WHERE user_id = ? AND client_order_id = ?;

-- The cursor is always bound (the adapter passes a value above every id
-- for the first page), so the id bound is an index range on orders_account.
-- name: ListOrders :many
SELECT * FROM orders
WHERE account_id = sqlc.arg(account_id)
  AND id < sqlc.arg(before)
  AND (sqlc.arg(status) = '' OR status = sqlc.arg(status))
  AND (sqlc.arg(stock_code) = '' OR stock_code = sqlc.arg(stock_code))
  AND (sqlc.arg(side) = '' OR side = sqlc.arg(side))
ORDER BY id DESC
LIMIT ?;

-- The connection reports found rows (clientFoundRows), so a matched row
-- counts as one even when every value written equals the stored one.
-- name: UpdateOrder :execrows
UPDATE orders
SET status = sqlc.arg(status),
    filled_quantity = sqlc.arg(filled_quantity),
    average_fill_price = sqlc.arg(average_fill_price),
    reserved_amount = sqlc.arg(reserved_amount),
    commission = sqlc.arg(commission),
    tax = sqlc.arg(tax),
    expires_at = sqlc.arg(expires_at),
    reason = sqlc.arg(reason),
    updated_at = sqlc.arg(updated_at)
WHERE id = sqlc.arg(id) AND status = sqlc.arg(from_status);

-- Both sides in one pass over orders_resting: two ranges of the index,
-- (PENDING, code, BUY, ..-price_key] and (PENDING, code, SELL, ..price_key],
-- read in index order, which is the ORDER BY (buys before sells, each in
-- price-time priority), so the scan stops after limit rows. price_key is
-- negated for buys (see the schema), so both sides bound it from above;
-- the parameter is the trade price in whole won, as on the other engines,
-- and the buy bound negates it here ("0 -": sqlc leaves a unary minus
-- before a parameter unrewritten).
-- name: ListCrossingOrders :many
SELECT * FROM orders
WHERE status = 'PENDING' AND stock_code = sqlc.arg(stock_code)
  AND ((side = 'BUY' AND price_key <= 0 - sqlc.arg(price_key))
    OR (side = 'SELL' AND price_key <= sqlc.arg(price_key)))
ORDER BY side, price_key, id
LIMIT ?;

-- Ordered by expiry alone, which orders_expiry delivers: DAY orders share
-- one expiry (the close), and a tie-break on id would sort them all on
-- every call of the expiry sweep.
-- name: ListExpiringOrders :many
SELECT * FROM orders
WHERE status = 'PENDING' AND expires_at <= sqlc.arg(until_time)
ORDER BY expires_at
LIMIT ?;

-- Only the audit reads this, once per user, so it filters the user's
-- orders instead of keeping one more index on every order insert.
-- name: ListOpenOrders :many
SELECT * FROM orders
WHERE account_id = ? AND status = 'PENDING'
ORDER BY id;
