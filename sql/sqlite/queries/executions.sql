-- name: CreateExecution :exec
INSERT INTO executions (
    id, order_id, user_id, stock_code, side, quantity, price, amount,
    commission, tax, realized_pnl, executed_at, account_id
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: ListExecutions :many
SELECT * FROM executions
WHERE order_id IN (sqlc.slice(order_ids))
ORDER BY executed_at, id;

-- name: ListAccountExecutions :many
SELECT * FROM executions
WHERE account_id = sqlc.arg(account_id) AND id > sqlc.arg(after)
ORDER BY id
LIMIT CAST(sqlc.arg('limit') AS INTEGER);
