-- name: AppendLedger :exec
INSERT INTO ledger (
    id, user_id, seq, type, stock_code, order_id, payment_id, quantity, price,
    amount, commission, tax, cash_balance_before, cash_balance_after, memo,
    created_at, account_id
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17);

-- The cursor and the time window are always bound (the adapter widens
-- unbounded ones) so that the query has one shape and one plan.
-- The stock filter is a nullable parameter on every engine because MySQL
-- types it from the nullable column; the adapter always binds a value.
-- name: ListLedger :many
SELECT * FROM ledger
WHERE account_id = sqlc.arg(account_id)
  AND id < sqlc.arg(before)
  AND (sqlc.arg(type)::text = '' OR type = sqlc.arg(type))
  AND (sqlc.narg(stock_code)::text = '' OR stock_code = sqlc.narg(stock_code))
  AND created_at >= sqlc.arg(from_time)
  AND created_at < sqlc.arg(to_time)
ORDER BY id DESC
LIMIT sqlc.arg('limit');
