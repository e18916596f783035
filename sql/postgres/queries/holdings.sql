-- name: GetHolding :one
SELECT * FROM holdings WHERE account_id = $1 AND stock_code = $2;

-- name: LockHolding :one
SELECT * FROM holdings WHERE account_id = $1 AND stock_code = $2 FOR UPDATE;

-- name: ListHoldings :many
SELECT * FROM holdings WHERE account_id = $1 ORDER BY stock_code;

-- name: UpsertHolding :exec
INSERT INTO holdings (account_id, stock_code, quantity, reserved_quantity, average_price, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (account_id, stock_code) DO UPDATE SET
    quantity = excluded.quantity,
    reserved_quantity = excluded.reserved_quantity,
    average_price = excluded.average_price,
    updated_at = excluded.updated_at;

-- name: DeleteHolding :exec
DELETE FROM holdings WHERE account_id = $1 AND stock_code = $2;

-- name: ListPositions :many
SELECT h.account_id, h.stock_code, h.quantity, h.reserved_quantity, h.average_price, h.created_at, h.updated_at,
       s.name, s.name_en, s.market, s.price, s.prev_close, s.active, s.updated_at AS stock_updated_at, s.bid, s.ask, s.volume
FROM holdings h JOIN stocks s ON s.code = h.stock_code
WHERE h.account_id = $1 AND h.quantity > 0
ORDER BY h.stock_code;
