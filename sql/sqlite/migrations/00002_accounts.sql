-- Accounts get ids of their own. A user has one personal account, whose id
-- is the user's (so every row written before this migration already names
-- its account), and one account per contest joined. Holdings, orders,
-- executions and the ledger belong to an account; orders, executions and
-- ledger rows keep the user's id too, for ownership checks and because a
-- client_order_id is unique per user. The ledger's sequence counts per
-- account.
--
-- SQLite cannot change a primary key or a foreign key in place, so accounts
-- and holdings are rebuilt.

-- +goose Up
-- The columns keep the order the other engines' ALTER TABLEs give them, so
-- that the three generated row types agree.
CREATE TABLE accounts_v2 (
    id                TEXT PRIMARY KEY,
    cash              TEXT NOT NULL,
    reserved_cash     TEXT NOT NULL,
    total_deposits    TEXT NOT NULL,
    total_withdrawals TEXT NOT NULL,
    realized_pnl      TEXT NOT NULL,
    total_commission  TEXT NOT NULL,
    total_tax         TEXT NOT NULL,
    buy_count         INTEGER NOT NULL DEFAULT 0,
    sell_count        INTEGER NOT NULL DEFAULT 0,
    win_count         INTEGER NOT NULL DEFAULT 0,
    loss_count        INTEGER NOT NULL DEFAULT 0,
    ledger_seq        INTEGER NOT NULL DEFAULT 0,
    updated_at        DATETIME NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (id),
    kind              TEXT NOT NULL DEFAULT 'PERSONAL',
    -- '' for the personal account, so that (user_id, contest_id) is
    -- unique on every engine (NULLs would never collide).
    contest_id        TEXT NOT NULL DEFAULT '',
    -- The Seoul day of the free deposits counted in free_deposited.
    free_deposit_day  TEXT NOT NULL DEFAULT '',
    free_deposited    TEXT NOT NULL DEFAULT '0',
    history_start     DATETIME NOT NULL,
    created_at        DATETIME NOT NULL
) WITHOUT ROWID;
INSERT INTO accounts_v2 (
    id, cash, reserved_cash, total_deposits, total_withdrawals, realized_pnl, total_commission,
    total_tax, buy_count, sell_count, win_count, loss_count, ledger_seq, updated_at,
    user_id, kind, contest_id, free_deposit_day, free_deposited, history_start, created_at
)
SELECT a.user_id, a.cash, a.reserved_cash, a.total_deposits, a.total_withdrawals, a.realized_pnl, a.total_commission,
       a.total_tax, a.buy_count, a.sell_count, a.win_count, a.loss_count, a.ledger_seq, a.updated_at,
       a.user_id, 'PERSONAL', '', '', '0', u.created_at, u.created_at
FROM accounts a JOIN users u ON u.id = a.user_id;
DROP TABLE accounts;
ALTER TABLE accounts_v2 RENAME TO accounts;
CREATE UNIQUE INDEX accounts_user_contest ON accounts (user_id, contest_id);

CREATE TABLE holdings_v2 (
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    stock_code        TEXT NOT NULL REFERENCES stocks (code),
    quantity          INTEGER NOT NULL,
    reserved_quantity INTEGER NOT NULL DEFAULT 0,
    average_price     TEXT NOT NULL,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    PRIMARY KEY (account_id, stock_code)
) WITHOUT ROWID;
INSERT INTO holdings_v2 SELECT user_id, stock_code, quantity, reserved_quantity, average_price, created_at, updated_at FROM holdings;
DROP TABLE holdings;
ALTER TABLE holdings_v2 RENAME TO holdings;

ALTER TABLE orders ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
UPDATE orders SET account_id = user_id;
DROP INDEX orders_user;
DROP INDEX orders_open;
CREATE INDEX orders_account ON orders (account_id, id);
CREATE INDEX orders_open ON orders (account_id, id) WHERE status = 'PENDING';

ALTER TABLE executions ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
UPDATE executions SET account_id = user_id;
DROP INDEX executions_user;
CREATE INDEX executions_account ON executions (account_id, id);

ALTER TABLE ledger ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
UPDATE ledger SET account_id = user_id;
DROP INDEX ledger_user;
DROP INDEX ledger_user_seq;
CREATE INDEX ledger_account ON ledger (account_id, id);
CREATE UNIQUE INDEX ledger_account_seq ON ledger (account_id, seq);

-- Whether the user's nickname shows on leaderboards.
ALTER TABLE users ADD COLUMN public BOOLEAN NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE users DROP COLUMN public;
DROP INDEX ledger_account_seq;
DROP INDEX ledger_account;
CREATE INDEX ledger_user ON ledger (user_id, id);
CREATE UNIQUE INDEX ledger_user_seq ON ledger (user_id, seq);
ALTER TABLE ledger DROP COLUMN account_id;
DROP INDEX executions_account;
CREATE INDEX executions_user ON executions (user_id, id);
ALTER TABLE executions DROP COLUMN account_id;
DROP INDEX orders_open;
DROP INDEX orders_account;
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_open ON orders (user_id, id) WHERE status = 'PENDING';
ALTER TABLE orders DROP COLUMN account_id;
CREATE TABLE holdings_v1 (
    user_id           TEXT NOT NULL REFERENCES users (id),
    stock_code        TEXT NOT NULL REFERENCES stocks (code),
    quantity          INTEGER NOT NULL,
    reserved_quantity INTEGER NOT NULL DEFAULT 0,
    average_price     TEXT NOT NULL,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    PRIMARY KEY (user_id, stock_code)
) WITHOUT ROWID;
INSERT INTO holdings_v1 SELECT h.account_id, h.stock_code, h.quantity, h.reserved_quantity, h.average_price, h.created_at, h.updated_at
FROM holdings h JOIN accounts a ON a.id = h.account_id WHERE a.kind = 'PERSONAL';
DROP TABLE holdings;
ALTER TABLE holdings_v1 RENAME TO holdings;
CREATE TABLE accounts_v1 (
    user_id           TEXT PRIMARY KEY REFERENCES users (id),
    cash              TEXT NOT NULL,
    reserved_cash     TEXT NOT NULL,
    total_deposits    TEXT NOT NULL,
    total_withdrawals TEXT NOT NULL,
    realized_pnl      TEXT NOT NULL,
    total_commission  TEXT NOT NULL,
    total_tax         TEXT NOT NULL,
    buy_count         INTEGER NOT NULL DEFAULT 0,
    sell_count        INTEGER NOT NULL DEFAULT 0,
    win_count         INTEGER NOT NULL DEFAULT 0,
    loss_count        INTEGER NOT NULL DEFAULT 0,
    ledger_seq        INTEGER NOT NULL DEFAULT 0,
    updated_at        DATETIME NOT NULL
) WITHOUT ROWID;
INSERT INTO accounts_v1 SELECT id, cash, reserved_cash, total_deposits, total_withdrawals, realized_pnl,
       total_commission, total_tax, buy_count, sell_count, win_count, loss_count, ledger_seq, updated_at
FROM accounts WHERE kind = 'PERSONAL';
DROP TABLE accounts;
ALTER TABLE accounts_v1 RENAME TO accounts;
