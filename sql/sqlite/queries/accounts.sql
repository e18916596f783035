-- name: GetAccount :one
SELECT * FROM accounts WHERE user_id = ?;

-- A locking read is a plain read: SQLite has no row locks (see orders.sql).
-- name: LockAccount :one
SELECT * FROM accounts WHERE user_id = ?;

-- name: CreateAccount :exec
INSERT INTO accounts (
    user_id, cash, reserved_cash, total_deposits, total_withdrawals,
    realized_pnl, total_commission, total_tax,
    buy_count, sell_count, win_count, loss_count, ledger_seq, updated_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: SaveAccount :execrows
UPDATE accounts
SET cash = ?, reserved_cash = ?, total_deposits = ?, total_withdrawals = ?,
    realized_pnl = ?, total_commission = ?, total_tax = ?,
    buy_count = ?, sell_count = ?, win_count = ?, loss_count = ?, ledger_seq = ?,
    updated_at = ?
WHERE user_id = ?;
