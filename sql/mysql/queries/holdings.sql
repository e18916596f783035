-- name: GetHolding :one
SELECT * FROM holdings WHERE account_id = ? AND stock_code = ?;

-- name: LockHolding :one
SELECT * FROM holdings WHERE account_id = ? AND stock_code = ? FOR UPDATE;

-- name: ListHoldings :many
SELECT * FROM holdings WHERE account_id = ? ORDER BY stock_code;

-- The new values are bound twice rather than read back with VALUES(col),
-- which MySQL 8 deprecates, or a row alias, which MariaDB lacks.
-- name: UpsertHolding :exec
INSERT INTO holdings (account_id, stock_code, quantity, reserved_quantity, average_price, created_at, updated_at)
VALUES (sqlc.arg(account_id), sqlc.arg(stock_code), sqlc.arg(quantity), sqlc.arg(reserved_quantity),
        sqlc.arg(average_price), sqlc.arg(created_at), sqlc.arg(updated_at))
ON DUPLICATE KEY UPDATE
    quantity = sqlc.arg(quantity),
    reserved_quantity = sqlc.arg(reserved_quantity),
    average_price = sqlc.arg(average_price),
    updated_at = sqlc.arg(updated_at);

-- name: DeleteHolding :exec
DELETE FROM holdings WHERE account_id = ? AND stock_code = ?;

-- name: ListPositions :many
SELECT h.account_id, h.stock_code, h.quantity, h.reserved_quantity, h.average_price, h.created_at, h.updated_at,
       s.name, s.name_en, s.market, s.price, s.prev_close, s.active, s.updated_at AS stock_updated_at, s.bid, s.ask, s.volume
FROM holdings h JOIN stocks s ON s.code = h.stock_code
WHERE h.account_id = ? AND h.quantity > 0
ORDER BY h.stock_code;
