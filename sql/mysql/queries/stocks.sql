-- name: GetStock :one
SELECT * FROM stocks WHERE code = ?;

-- name: ListStocks :many
SELECT * FROM stocks ORDER BY code;

-- The new values are bound twice rather than read back with VALUES(col),
-- which MySQL 8 deprecates, or a row alias, which MariaDB lacks.
-- name: UpsertStock :exec
INSERT INTO stocks (code, name, name_en, market, price, prev_close, active, updated_at)
VALUES (sqlc.arg(code), sqlc.arg(name), sqlc.arg(name_en), sqlc.arg(market),
        sqlc.arg(price), sqlc.arg(prev_close), sqlc.arg(active), sqlc.arg(updated_at))
ON DUPLICATE KEY UPDATE
    name = sqlc.arg(name),
    name_en = sqlc.arg(name_en),
    market = sqlc.arg(market),
    price = sqlc.arg(price),
    prev_close = sqlc.arg(prev_close),
    active = sqlc.arg(active),
    updated_at = sqlc.arg(updated_at);

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
LIMIT ?;
