-- name: GetStock :one
SELECT * FROM stocks WHERE code = $1;

-- name: ListStocks :many
SELECT * FROM stocks ORDER BY code;

-- name: UpsertStock :exec
INSERT INTO stocks (code, name, name_en, market, price, prev_close, active, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (code) DO UPDATE SET
    name = excluded.name,
    name_en = excluded.name_en,
    market = excluded.market,
    price = excluded.price,
    prev_close = excluded.prev_close,
    active = excluded.active,
    updated_at = excluded.updated_at;

-- RecordPrice sets the last price and appends it to the history in one
-- statement: the insert runs only when the listing exists, and the
-- statement reports the rows it inserted, so an unknown listing reads as
-- zero rows.
-- name: RecordPrice :execrows
WITH updated AS (
    UPDATE stocks SET price = sqlc.arg(price), updated_at = sqlc.arg(recorded_at)
    WHERE code = sqlc.arg(stock_code)
    RETURNING code
)
INSERT INTO stock_prices (stock_code, price, recorded_at)
SELECT code, sqlc.arg(price), sqlc.arg(recorded_at) FROM updated;

-- ListPricesDesc reads newest first so that LIMIT keeps the newest points;
-- the adapter reverses them.
-- name: ListPricesDesc :many
SELECT stock_code, price, recorded_at FROM stock_prices
WHERE stock_code = sqlc.arg(stock_code) AND recorded_at >= sqlc.arg(since)
ORDER BY recorded_at DESC, id DESC
LIMIT sqlc.arg(lim);
