-- name: GetAccount :one
SELECT * FROM accounts WHERE id = $1;

-- LockAccount takes the row lock that serializes everything touching one
-- account's money; every transaction that changes the account takes it first.
-- name: LockAccount :one
SELECT * FROM accounts WHERE id = $1 FOR UPDATE;

-- The personal account first (kind PERSONAL sorts after CONTEST), then the
-- contest accounts in the order they were opened.
-- name: ListAccounts :many
SELECT * FROM accounts WHERE user_id = $1 ORDER BY kind DESC, created_at, id;

-- name: ListAccountIDs :many
SELECT id FROM accounts
WHERE id > sqlc.arg(after)
ORDER BY id
LIMIT sqlc.arg('limit');

-- name: CreateAccount :exec
INSERT INTO accounts (
    id, cash, reserved_cash, total_deposits, total_withdrawals, realized_pnl, total_commission,
    total_tax, buy_count, sell_count, win_count, loss_count, ledger_seq, updated_at,
    user_id, kind, contest_id, free_deposit_day, free_deposited, history_start, created_at
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21);

-- name: SaveAccount :execrows
UPDATE accounts
SET cash = $1,
    reserved_cash = $2,
    total_deposits = $3,
    total_withdrawals = $4,
    realized_pnl = $5,
    total_commission = $6,
    total_tax = $7,
    buy_count = $8,
    sell_count = $9,
    win_count = $10,
    loss_count = $11,
    ledger_seq = $12,
    free_deposit_day = $13,
    free_deposited = $14,
    history_start = $15,
    updated_at = $16
WHERE id = $17;
