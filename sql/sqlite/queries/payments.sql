-- name: CreatePayment :exec
INSERT INTO payments (
    id, user_id, product, order_name, amount, currency, status, credit_amount,
    premium_days, paid_amount, paid_currency, transaction_id, reason,
    fulfilled_at, created_at, updated_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetPayment :one
SELECT * FROM payments WHERE id = ?;

-- A locking read is a plain read: SQLite has no row locks (see orders.sql).
-- name: LockPayment :one
SELECT * FROM payments WHERE id = ?;

-- name: UpdatePayment :execrows
UPDATE payments
SET status = sqlc.arg(status),
    paid_amount = sqlc.arg(paid_amount),
    paid_currency = sqlc.arg(paid_currency),
    transaction_id = sqlc.arg(transaction_id),
    reason = sqlc.arg(reason),
    fulfilled_at = sqlc.arg(fulfilled_at),
    updated_at = sqlc.arg(updated_at)
WHERE id = sqlc.arg(id) AND status = sqlc.arg(from_status);

-- name: ListPayments :many
SELECT * FROM payments
WHERE user_id = sqlc.arg(user_id) AND id < sqlc.arg(before)
ORDER BY id DESC
LIMIT CAST(sqlc.arg('limit') AS INTEGER);
