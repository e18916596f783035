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

-- Open orders (book is set) by expiry from orders_book_expiry; the due
-- ones are sorted, which costs something only at the close, when the
-- DAY orders are due together.
-- name: ListExpiringOrders :many
SELECT * FROM orders
WHERE book IS NOT NULL AND expires_at <= sqlc.arg(until_time)
ORDER BY expires_at
LIMIT ?;

-- Only the audit reads this, once per user, so it filters the user's
-- orders instead of keeping one more index on every order insert.
-- name: ListOpenOrders :many
SELECT * FROM orders
WHERE account_id = ? AND book IS NOT NULL
ORDER BY id;
