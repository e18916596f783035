-- name: CreateExecution :exec
INSERT INTO executions (
    id, order_id, user_id, stock_code, side, quantity, price, amount,
    commission, tax, realized_pnl, executed_at, account_id
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);

-- One array parameter instead of a list of placeholders keeps a single
-- statement text, so the connection's statement cache serves every call.
-- name: ListExecutions :many
SELECT * FROM executions
WHERE order_id = ANY (sqlc.arg(order_ids)::text[])
ORDER BY executed_at, id;

-- name: ListAccountExecutions :many
SELECT * FROM executions
WHERE account_id = sqlc.arg(account_id) AND id > sqlc.arg(after)
ORDER BY id
LIMIT sqlc.arg('limit');
