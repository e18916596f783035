-- Accounts get ids of their own. A user has one personal account, whose id
-- is the user's (so every row written before this migration already names
-- its account), and one account per contest joined. Holdings, orders,
-- executions and the ledger belong to an account; orders, executions and
-- ledger rows keep the user's id too, for ownership checks and because a
-- client_order_id is unique per user. The ledger's sequence counts per
-- account.

-- +goose Up
ALTER TABLE accounts DROP FOREIGN KEY fk_accounts_user;
ALTER TABLE accounts RENAME COLUMN user_id TO id;
-- The new columns are NOT NULL from the start, with placeholder defaults
-- the UPDATE replaces: changing a column later (MODIFY) would, to sqlc,
-- move it to the end of the row, out of step with the other engines.
ALTER TABLE accounts
    ADD COLUMN user_id          VARCHAR(64) NOT NULL DEFAULT '',
    ADD COLUMN kind             VARCHAR(16) NOT NULL DEFAULT 'PERSONAL',
    -- '' for the personal account, so that (user_id, contest_id) is
    -- unique (NULLs would never collide).
    ADD COLUMN contest_id       VARCHAR(64) NOT NULL DEFAULT '',
    -- The Seoul day of the free deposits counted in free_deposited.
    ADD COLUMN free_deposit_day VARCHAR(10) NOT NULL DEFAULT '',
    ADD COLUMN free_deposited   DECIMAL(24, 4) NOT NULL DEFAULT 0,
    ADD COLUMN history_start    DATETIME(6) NOT NULL DEFAULT '1970-01-01 00:00:00',
    ADD COLUMN created_at       DATETIME(6) NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE accounts a JOIN users u ON u.id = a.id
SET a.user_id = a.id, a.history_start = u.created_at, a.created_at = u.created_at;
ALTER TABLE accounts
    ADD UNIQUE KEY accounts_user_contest (user_id, contest_id),
    ADD CONSTRAINT fk_accounts_user FOREIGN KEY (user_id) REFERENCES users (id);

ALTER TABLE holdings DROP FOREIGN KEY fk_holdings_user;
ALTER TABLE holdings RENAME COLUMN user_id TO account_id;
ALTER TABLE holdings ADD CONSTRAINT fk_holdings_account FOREIGN KEY (account_id) REFERENCES accounts (id);

ALTER TABLE orders ADD COLUMN account_id VARCHAR(64) NOT NULL DEFAULT '';
UPDATE orders SET account_id = user_id;
ALTER TABLE orders ADD KEY orders_account (account_id, id);

ALTER TABLE executions ADD COLUMN account_id VARCHAR(64) NOT NULL DEFAULT '';
UPDATE executions SET account_id = user_id;
ALTER TABLE executions ADD KEY executions_account (account_id, id);

ALTER TABLE ledger ADD COLUMN account_id VARCHAR(64) NOT NULL DEFAULT '';
UPDATE ledger SET account_id = user_id;
ALTER TABLE ledger DROP KEY ledger_user_seq,
    ADD KEY ledger_account (account_id, id),
    ADD UNIQUE KEY ledger_account_seq (account_id, seq);

-- Whether the user's nickname shows on leaderboards.
ALTER TABLE users ADD COLUMN public BOOLEAN NOT NULL DEFAULT TRUE;

-- +goose Down
ALTER TABLE users DROP COLUMN public;
ALTER TABLE ledger DROP KEY ledger_account_seq, DROP KEY ledger_account, ADD UNIQUE KEY ledger_user_seq (user_id, seq);
ALTER TABLE ledger DROP COLUMN account_id;
ALTER TABLE executions DROP KEY executions_account, DROP COLUMN account_id;
ALTER TABLE orders DROP KEY orders_account, DROP COLUMN account_id;
DELETE h FROM holdings h JOIN accounts a ON a.id = h.account_id WHERE a.kind <> 'PERSONAL';
ALTER TABLE holdings DROP FOREIGN KEY fk_holdings_account;
ALTER TABLE holdings RENAME COLUMN account_id TO user_id;
ALTER TABLE holdings ADD CONSTRAINT fk_holdings_user FOREIGN KEY (user_id) REFERENCES users (id);
DELETE FROM accounts WHERE kind <> 'PERSONAL';
ALTER TABLE accounts DROP FOREIGN KEY fk_accounts_user, DROP KEY accounts_user_contest;
ALTER TABLE accounts DROP COLUMN user_id, DROP COLUMN kind, DROP COLUMN contest_id, DROP COLUMN free_deposit_day,
    DROP COLUMN free_deposited, DROP COLUMN history_start, DROP COLUMN created_at;
ALTER TABLE accounts RENAME COLUMN id TO user_id;
ALTER TABLE accounts ADD CONSTRAINT fk_accounts_user FOREIGN KEY (user_id) REFERENCES users (id);
