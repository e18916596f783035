-- name: GetStock :one
SELECT * FROM stocks WHERE code = ?;

-- name: ListStocks :many
SELECT * FROM stocks ORDER BY code;

-- name: UpsertStock :exec
INSERT INTO stocks (code, name, name_en, market, price, prev_close, active, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (code) DO UPDATE SET
    name = excluded.name,
    name_en = excluded.name_en,
    market = excluded.market,
    price = excluded.price,
    prev_close = excluded.prev_close,
    active = excluded.active,
    updated_at = excluded.updated_at;

-- name: SetStockPrice :execrows
UPDATE stocks SET price = ?, updated_at = ? WHERE code = ?;

-- name: InsertPrice :exec
INSERT INTO stock_prices (stock_code, price, recorded_at) VALUES (?, ?, ?);

-- ListPricesDesc reads newest first so that LIMIT keeps the newest points;
-- the adapter reverses them.
-- name: ListPricesDesc :many
SELECT stock_code, price, recorded_at FROM stock_prices
WHERE stock_code = sqlc.arg(stock_code) AND recorded_at >= sqlc.arg(since)
ORDER BY recorded_at DESC, id DESC
LIMIT CAST(sqlc.arg('limit') AS INTEGER);
