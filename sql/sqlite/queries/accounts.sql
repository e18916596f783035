-- name: GetAccount :one
SELECT * FROM accounts WHERE id = ?;

-- A locking read is a plain read: SQLite has no row locks (see orders.sql).
-- name: LockAccount :one
SELECT * FROM accounts WHERE id = ?;

-- The personal account first (kind PERSONAL sorts after CONTEST), then the
-- contest accounts in the order they were opened.
-- name: ListAccounts :many
SELECT * FROM accounts WHERE user_id = ? ORDER BY kind DESC, created_at, id;

-- name: ListAccountIDs :many
SELECT id FROM accounts
WHERE id > sqlc.arg(after)
ORDER BY id
LIMIT CAST(sqlc.arg('limit') AS INTEGER);

-- name: CreateAccount :exec
INSERT INTO accounts (
    id, cash, reserved_cash, total_deposits, total_withdrawals, realized_pnl, total_commission,
    total_tax, buy_count, sell_count, win_count, loss_count, ledger_seq, updated_at,
    user_id, kind, contest_id, free_deposit_day, free_deposited, history_start, created_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: SaveAccount :execrows
UPDATE accounts
SET cash = ?,
    reserved_cash = ?,
    total_deposits = ?,
    total_withdrawals = ?,
    realized_pnl = ?,
    total_commission = ?,
    total_tax = ?,
    buy_count = ?,
    sell_count = ?,
    win_count = ?,
    loss_count = ?,
    ledger_seq = ?,
    free_deposit_day = ?,
    free_deposited = ?,
    history_start = ?,
    updated_at = ?
WHERE id = ?;
