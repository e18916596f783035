-- Accounts get ids of their own. A user has one personal account, whose id
-- is the user's (so every row written before this migration already names
-- its account), and one account per contest joined. Holdings, orders,
-- executions and the ledger belong to an account; orders, executions and
-- ledger rows keep the user's id too, for ownership checks and because a
-- client_order_id is unique per user. The ledger's sequence counts per
-- account. The account row stays what SELECT ... FOR UPDATE locks to
-- serialize an account's money.

-- +goose Up
ALTER TABLE accounts DROP CONSTRAINT accounts_user_id_fkey;
ALTER TABLE accounts RENAME COLUMN user_id TO id;
ALTER TABLE accounts
    ADD COLUMN user_id          TEXT COLLATE "C" REFERENCES users (id),
    -- '' for the personal account, so that (user_id, contest_id) is
    -- unique (NULLs would never collide).
    ADD COLUMN kind             TEXT NOT NULL DEFAULT 'PERSONAL',
    ADD COLUMN contest_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
    -- The Seoul day of the free deposits counted in free_deposited.
    ADD COLUMN free_deposit_day TEXT NOT NULL DEFAULT '',
    ADD COLUMN free_deposited   NUMERIC(24, 4) NOT NULL DEFAULT 0,
    ADD COLUMN history_start    TIMESTAMPTZ,
    ADD COLUMN created_at       TIMESTAMPTZ;
UPDATE accounts a SET user_id = a.id, history_start = u.created_at, created_at = u.created_at
FROM users u WHERE u.id = a.id;
ALTER TABLE accounts
    ALTER COLUMN user_id SET NOT NULL,
    ALTER COLUMN history_start SET NOT NULL,
    ALTER COLUMN created_at SET NOT NULL;
CREATE UNIQUE INDEX accounts_user_contest ON accounts (user_id, contest_id);

ALTER TABLE holdings DROP CONSTRAINT holdings_user_id_fkey;
ALTER TABLE holdings RENAME COLUMN user_id TO account_id;
ALTER TABLE holdings ADD CONSTRAINT holdings_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);

ALTER TABLE orders ADD COLUMN account_id TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE orders SET account_id = user_id;
DROP INDEX orders_user;
DROP INDEX orders_open;
CREATE INDEX orders_account ON orders (account_id, id);
CREATE INDEX orders_open ON orders (account_id, id) WHERE status = 'PENDING';

ALTER TABLE executions ADD COLUMN account_id TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE executions SET account_id = user_id;
DROP INDEX executions_user;
CREATE INDEX executions_account ON executions (account_id, id);

ALTER TABLE ledger ADD COLUMN account_id TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE ledger SET account_id = user_id;
DROP INDEX ledger_user;
DROP INDEX ledger_user_seq;
CREATE INDEX ledger_account ON ledger (account_id, id);
CREATE UNIQUE INDEX ledger_account_seq ON ledger (account_id, seq);

-- Whether the user's nickname shows on leaderboards.
ALTER TABLE users ADD COLUMN public BOOLEAN NOT NULL DEFAULT TRUE;

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
DELETE FROM holdings h USING accounts a WHERE a.id = h.account_id AND a.kind <> 'PERSONAL';
ALTER TABLE holdings DROP CONSTRAINT holdings_account_id_fkey;
ALTER TABLE holdings RENAME COLUMN account_id TO user_id;
ALTER TABLE holdings ADD CONSTRAINT holdings_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
DELETE FROM accounts WHERE kind <> 'PERSONAL';
DROP INDEX accounts_user_contest;
ALTER TABLE accounts DROP COLUMN user_id, DROP COLUMN kind, DROP COLUMN contest_id, DROP COLUMN free_deposit_day,
    DROP COLUMN free_deposited, DROP COLUMN history_start, DROP COLUMN created_at;
ALTER TABLE accounts RENAME COLUMN id TO user_id;
ALTER TABLE accounts ADD CONSTRAINT accounts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
