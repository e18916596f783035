-- name: AppendLedger :exec
INSERT INTO ledger (
    id, user_id, seq, type, stock_code, order_id, payment_id, quantity, price,
    amount, commission, tax, cash_balance_before, cash_balance_after, memo,
    created_at, account_id
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- The cursor and the time window are always bound (the adapter widens
-- unbounded ones) so that the query has one shape and one plan.
-- The stock filter is a nullable parameter on every engine because MySQL
-- types it from the nullable column; the adapter always binds a value.
-- name: ListLedger :many
SELECT * FROM ledger
WHERE account_id = sqlc.arg(account_id)
  AND id < sqlc.arg(before)
  AND (CAST(sqlc.arg(type) AS TEXT) = '' OR type = sqlc.arg(type))
  AND (CAST(sqlc.narg(stock_code) AS TEXT) = '' OR stock_code = sqlc.narg(stock_code))
  AND created_at >= sqlc.arg(from_time)
  AND created_at < sqlc.arg(to_time)
ORDER BY id DESC
LIMIT CAST(sqlc.arg('limit') AS INTEGER);
