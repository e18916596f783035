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
LIMIT CAST(sqlc.arg('limit') AS INTEGER);

-- name: ListDailyBars :many
SELECT * FROM daily_bars
WHERE stock_code = sqlc.arg(stock_code) AND day >= sqlc.arg(from_day) AND day < sqlc.arg(to_day)
ORDER BY day
LIMIT CAST(sqlc.arg('limit') AS INTEGER);

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

-- Feed leases. A holder renews its lease before it expires; anyone takes
-- an expired one. The update is conditional, so two contenders cannot
-- both win; the insert of a first lease loses to another on the key.
-- name: TakeLease :execrows
UPDATE feed_leases SET owner = sqlc.arg(owner), expires_at = sqlc.arg(expires_at)
WHERE name = sqlc.arg(name) AND (owner = sqlc.arg(owner) OR expires_at < sqlc.arg(now));

-- name: InsertLease :exec
INSERT INTO feed_leases (name, owner, expires_at) VALUES (sqlc.arg(name), sqlc.arg(owner), sqlc.arg(expires_at));

-- name: GetLease :one
SELECT * FROM feed_leases WHERE name = sqlc.arg(name);

-- name: ReleaseLease :execrows
DELETE FROM feed_leases WHERE name = sqlc.arg(name) AND owner = sqlc.arg(owner);

-- Dividends. An import may restate a dividend until it is paid.
-- name: UpsertDividend :exec
INSERT INTO dividends (id, stock_code, record_date, pay_date, per_share, created_at)
VALUES (sqlc.arg(id), sqlc.arg(stock_code), sqlc.arg(record_date), sqlc.arg(pay_date), sqlc.arg(per_share), sqlc.arg(created_at))
ON CONFLICT (stock_code, record_date) DO UPDATE SET
    pay_date = CASE WHEN dividends.paid_at IS NULL THEN excluded.pay_date ELSE dividends.pay_date END,
    per_share = CASE WHEN dividends.paid_at IS NULL THEN excluded.per_share ELSE dividends.per_share END;

-- name: ListDividendsToRecord :many
SELECT * FROM dividends WHERE record_date <= sqlc.arg(day) AND recorded_at IS NULL ORDER BY record_date, id;

-- RecordDividendHolders keeps the holders of record: the accounts holding
-- the listing at the close of the record date.
-- name: RecordDividendHolders :exec
INSERT INTO dividend_holders (dividend_id, account_id, quantity)
SELECT sqlc.arg(dividend_id), account_id, quantity FROM holdings
WHERE stock_code = sqlc.arg(stock_code) AND quantity > 0;

-- name: SetDividendRecorded :execrows
UPDATE dividends SET recorded_at = sqlc.arg(recorded_at) WHERE id = sqlc.arg(id) AND recorded_at IS NULL;

-- name: ListDividendsDue :many
SELECT * FROM dividends WHERE pay_date <= sqlc.arg(day) AND recorded_at IS NOT NULL AND paid_at IS NULL ORDER BY pay_date, id;

-- name: ListUnpaidHolders :many
SELECT * FROM dividend_holders WHERE dividend_id = sqlc.arg(dividend_id) AND paid_at IS NULL
ORDER BY account_id
LIMIT CAST(sqlc.arg('limit') AS INTEGER);

-- SetHolderPaid decides that a holder is paid once.
-- name: SetHolderPaid :execrows
UPDATE dividend_holders SET paid_at = sqlc.arg(paid_at)
WHERE dividend_id = sqlc.arg(dividend_id) AND account_id = sqlc.arg(account_id) AND paid_at IS NULL;

-- name: SetDividendPaid :execrows
UPDATE dividends SET paid_at = sqlc.arg(paid_at) WHERE id = sqlc.arg(id) AND paid_at IS NULL;
