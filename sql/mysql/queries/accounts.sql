-- name: GetAccount :one
SELECT * FROM accounts WHERE user_id = ?;

-- LockAccount is the serialization point of a user's money: every
-- transaction that moves cash or reserves it locks this row first.
-- name: LockAccount :one
SELECT * FROM accounts WHERE user_id = ? FOR UPDATE;

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
