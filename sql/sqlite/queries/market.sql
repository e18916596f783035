-- Market data: the trade tape, quotes, bars and the daily roll.

-- RecordTrade moves a listing to its latest trade: price, best quotes, and
-- the volume traded since the last roll.
-- name: RecordTrade :execrows
UPDATE stocks SET price = sqlc.arg(price), bid = sqlc.arg(bid), ask = sqlc.arg(ask),
    volume = volume + sqlc.arg(volume), updated_at = sqlc.arg(updated_at)
WHERE code = sqlc.arg(code);

-- name: InsertTrade :exec
INSERT INTO stock_prices (stock_code, price, recorded_at, volume, bid, ask)
VALUES (sqlc.arg(stock_code), sqlc.arg(price), sqlc.arg(recorded_at), sqlc.arg(volume), sqlc.arg(bid), sqlc.arg(ask));

-- ListTrades reads a listing's tape in [from, to), oldest first.
-- name: ListTrades :many
SELECT stock_code, price, recorded_at, volume, bid, ask FROM stock_prices
WHERE stock_code = sqlc.arg(stock_code) AND recorded_at >= sqlc.arg(from_time) AND recorded_at < sqlc.arg(to_time)
ORDER BY recorded_at, id
LIMIT sqlc.arg('limit');

-- name: ListDailyBars :many
SELECT * FROM daily_bars
WHERE stock_code = sqlc.arg(stock_code) AND day >= sqlc.arg(from_day) AND day < sqlc.arg(to_day)
ORDER BY day
LIMIT sqlc.arg('limit');

-- RollStocks starts a trading day: each listing's last price becomes the
-- previous close its band is computed from, and its volume starts over.
-- name: RollStocks :execrows
UPDATE stocks SET prev_close = price, volume = 0, updated_at = sqlc.arg(updated_at);

-- name: GetMarketDay :one
SELECT * FROM market_days WHERE day = sqlc.arg(day);

-- name: InsertMarketDay :exec
INSERT INTO market_days (day, rolled_at) VALUES (sqlc.arg(day), sqlc.arg(rolled_at));

-- name: SetMarketDayRolled :execrows
UPDATE market_days SET rolled_at = sqlc.arg(rolled_at) WHERE day = sqlc.arg(day);

-- name: SetMarketDayClosed :execrows
UPDATE market_days SET closed_at = sqlc.arg(closed_at) WHERE day = sqlc.arg(day);

-- name: UpsertDailyBar :exec
INSERT INTO daily_bars (stock_code, day, open, high, low, close, volume)
VALUES (sqlc.arg(stock_code), sqlc.arg(day), sqlc.arg(open), sqlc.arg(high), sqlc.arg(low), sqlc.arg(close), sqlc.arg(volume))
ON CONFLICT (stock_code, day) DO UPDATE SET
    open = excluded.open,
    high = excluded.high,
    low = excluded.low,
    close = excluded.close,
    volume = excluded.volume;
