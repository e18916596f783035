-- name: GetAccount :one
SELECT * FROM accounts WHERE user_id = $1;

-- LockAccount takes the row lock that serializes everything touching one
-- user's money; every transaction that changes the account takes it first.
-- name: LockAccount :one
SELECT * FROM accounts WHERE user_id = $1 FOR UPDATE;

-- name: CreateAccount :exec
INSERT INTO accounts (
    user_id, cash, reserved_cash, total_deposits, total_withdrawals,
    realized_pnl, total_commission, total_tax,
    buy_count, sell_count, win_count, loss_count, ledger_seq, updated_at
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14);

-- name: SaveAccount :execrows
UPDATE accounts
SET cash = $2, reserved_cash = $3, total_deposits = $4, total_withdrawals = $5,
    realized_pnl = $6, total_commission = $7, total_tax = $8,
    buy_count = $9, sell_count = $10, win_count = $11, loss_count = $12,
    ledger_seq = $13, updated_at = $14
WHERE user_id = $1;
