-- name: GetHolding :one
SELECT * FROM holdings WHERE account_id = ? AND stock_code = ?;

-- A locking read is a plain read: SQLite has no row locks (see orders.sql).
-- name: LockHolding :one
SELECT * FROM holdings WHERE account_id = ? AND stock_code = ?;

-- name: ListHoldings :many
SELECT * FROM holdings WHERE account_id = ? ORDER BY stock_code;

-- name: UpsertHolding :exec
INSERT INTO holdings (account_id, stock_code, quantity, reserved_quantity, average_price, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (account_id, stock_code) DO UPDATE SET
    quantity = excluded.quantity,
    reserved_quantity = excluded.reserved_quantity,
    average_price = excluded.average_price,
    updated_at = excluded.updated_at;

-- name: DeleteHolding :exec
DELETE FROM holdings WHERE account_id = ? AND stock_code = ?;
